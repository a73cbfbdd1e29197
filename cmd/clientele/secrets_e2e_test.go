package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/postgres/pgtest"
)

// TestE2ESecretsNeverLogged runs the real binary at debug level through a
// token's whole life (create through the API, use, revoke, use again, a
// wrong token, an idempotent batch) and greps everything it wrote to
// stderr for every secret it saw: the bootstrap token, each token the API
// created, a wrong bearer, and the webhook signing secret when the binary
// has one. The log must name tokens by id only. The one-time admin banner
// (DESIGN §4) is kept out by CLIENTELE_BOOTSTRAP_TOKEN. It runs on SQLite,
// and on PostgreSQL when CLIENTELE_TEST_POSTGRES is set.
func TestE2ESecretsNeverLogged(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		checkSecretsNeverLogged(t, "sqlite:"+filepath.Join(t.TempDir(), "c.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		checkSecretsNeverLogged(t, pgtest.Schema(t, pgtest.DSN(t)))
	})
}

func checkSecretsNeverLogged(t *testing.T, dsn string) {
	const (
		wrongBearer   = "wrong-bearer-secret-5d41402abc4b2a76b9719d911017c592"
		webhookSecret = "whsec-e2e-webhook-secret-7d793037a0760186574b0282f2f435e7"
	)
	secrets := []string{testToken, wrongBearer}
	extra := []string{"--log-level", "debug"}
	if serveHasFlag(t, "webhook-secret") {
		extra = append(extra, "--webhook-secret", webhookSecret)
		secrets = append(secrets, webhookSecret)
	}
	n := startNodeDSN(t, dsn, extra...)

	call := func(method, path, bearer string, body any, header map[string]string) (int, []byte) {
		t.Helper()
		var rd io.Reader
		if body != nil {
			b, _ := json.Marshal(body)
			rd = bytes.NewReader(b)
		}
		req, err := http.NewRequest(method, n.URL+path, rd)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+bearer)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, raw
	}
	create := func(name string, scopes ...string) (string, string) {
		t.Helper()
		code, raw := call("POST", "/api/v3/auth/api-tokens", testToken, obj{"name": name, "scopes": scopes}, nil)
		var out struct {
			AccessToken string `json:"accessToken"`
			Token       struct {
				ID string `json:"id"`
			} `json:"token"`
		}
		if code != 200 || json.Unmarshal(raw, &out) != nil || out.AccessToken == "" {
			t.Fatalf("create token: %d %s", code, raw)
		}
		secrets = append(secrets, out.AccessToken)
		return out.AccessToken, out.Token.ID
	}

	importer, importerID := create("importer", "create-profiles", "read-profiles")
	reader, readerID := create("reader", "read-profiles")

	if code, _ := call("GET", "/api/v3/auth/verify", importer, nil, nil); code != 200 {
		t.Fatalf("verify: %d", code)
	}
	batch := obj{"match_criteria": "email", "profiles": []any{obj{"email": "secret-test@example.com"}}}
	key := map[string]string{"Idempotency-Key": "secrets-e2e"}
	for range 2 {
		if code, raw := call("POST", "/api/v3/profiles/batch", importer, batch, key); code != 202 {
			t.Fatalf("batch: %d %s", code, raw)
		}
	}
	if code, _ := call("GET", "/api/v3/profiles", reader, nil, nil); code != 200 {
		t.Fatalf("list with reader: %d", code)
	}
	if code, _ := call("POST", "/api/v3/profiles/batch", reader, batch, nil); code != 403 {
		t.Fatalf("batch with reader: %d, want 403", code)
	}
	if code, _ := call("GET", "/api/v3/profiles", wrongBearer, nil, nil); code != 401 {
		t.Fatalf("wrong bearer: %d, want 401", code)
	}
	if code, _ := call("DELETE", "/api/v3/auth/api-tokens/"+readerID, testToken, nil, nil); code != 204 {
		t.Fatalf("revoke: %d", code)
	}
	if code, _ := call("GET", "/api/v3/profiles", reader, nil, nil); code != 401 {
		t.Fatalf("revoked reader: %d, want 401", code)
	}
	if code, raw := call("GET", "/api/v3/auth/access-tokens?type=current", importer, nil, nil); code != 200 || strings.Contains(string(raw), readerID) {
		t.Fatalf("current tokens: %d %s", code, raw)
	}

	// A clean shutdown, so that everything the process logs is in.
	n.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-n.done:
	case <-time.After(30 * time.Second):
		t.Fatal("clientele did not stop on SIGTERM")
	}
	logs := n.logs.String()
	for _, id := range []string{importerID, readerID} {
		if !strings.Contains(logs, `"token_id":"`+id+`"`) {
			t.Errorf("the access log does not name token %s; is the log captured?", id)
		}
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("a secret (%.6s…) appears in the log", s)
		}
		// Nor its hash, which would let a log reader test guesses offline.
		if h := hashHex(s); strings.Contains(logs, h) {
			t.Errorf("the hash of a secret (%.6s…) appears in the log", s)
		}
	}
}

// serveHasFlag reports whether `clientele serve` has the flag: the webhook
// secret flag comes with the webhook dispatcher.
func serveHasFlag(t *testing.T, name string) bool {
	t.Helper()
	out, _ := exec.Command(binPath, "serve", "-h").CombinedOutput()
	return bytes.Contains(out, []byte("-"+name+" "))
}

// hashHex is the stored form of a secret, in hex.
func hashHex(secret string) string {
	h := clientele.HashToken(secret)
	return hex.EncodeToString(h[:])
}
