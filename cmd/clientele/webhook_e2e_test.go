package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookReceiver is a webhook endpoint for the end-to-end tests: it checks
// every request's Omneo signature and records the profiles it heard of.
type hookReceiver struct {
	*httptest.Server
	t      *testing.T
	secret string
	delay  time.Duration

	mu       sync.Mutex
	requests int
	profiles map[string]int // profile id -> times received
	ids      map[string]string
}

func newHookReceiver(t *testing.T, secret string, delay time.Duration) *hookReceiver {
	rc := &hookReceiver{t: t, secret: secret, delay: delay, profiles: map[string]int{}, ids: map[string]string{}}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			// The sender died mid-request (the kill -9 test): the body is
			// cut short, so there is nothing to verify; it will resend.
			return
		}
		time.Sleep(rc.delay)
		m := hmac.New(sha256.New, []byte(rc.secret))
		m.Write(body)
		if r.Header.Get("X-Omneo-Hmac-SHA256") != hex.EncodeToString(m.Sum(nil)) {
			t.Errorf("bad signature on %s", body)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p struct {
			ID string `json:"id"`
		}
		json.Unmarshal(body, &p)
		rc.mu.Lock()
		rc.requests++
		rc.profiles[p.ID]++
		// A repeat must carry the webhook-id of the first sending.
		if prev, ok := rc.ids[p.ID]; ok && prev != r.Header.Get("webhook-id") {
			t.Errorf("profile %s came with webhook-ids %s and %s", p.ID, prev, r.Header.Get("webhook-id"))
		}
		rc.ids[p.ID] = r.Header.Get("webhook-id")
		rc.mu.Unlock()
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *hookReceiver) counts() (requests, profiles int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests, len(rc.profiles)
}

// subscribe creates a webhook through the API.
func (n *node) subscribe(trigger, url string) {
	n.t.Helper()
	var out struct{ Data obj }
	if code := n.do("POST", "/api/v3/webhooks", obj{"trigger": trigger, "url": url}, &out); code != 201 {
		n.t.Fatalf("create webhook: %d %v", code, out)
	}
}

// people500 is a batch of n new profiles.
func peopleBatch(n int) obj {
	profiles := make([]any, n)
	for i := range profiles {
		profiles[i] = obj{"email": fmt.Sprintf("hook%04d@example.com", i), "first_name": "Hook"}
	}
	return obj{"match_criteria": "email", "profiles": profiles}
}

// TestE2EWebhooksSurviveKill9: a node is killed with SIGKILL while it
// delivers a batch's 500 profile.created webhooks; after a restart on the
// same database every event still arrives (repeats allowed, with their
// first webhook-id; losses not), signed with the configured secret.
func TestE2EWebhooksSurviveKill9(t *testing.T) {
	const secret, total = "e2e-webhook-secret", 500
	db := filepath.Join(t.TempDir(), "c.db")
	flags := []string{"--webhook-allow-private", "--webhook-secret", secret, "--webhook-timeout", "1s",
		"--webhook-concurrency", "4"}
	rc := newHookReceiver(t, secret, 3*time.Millisecond)
	n := startNode(t, db, flags...)
	n.subscribe("profile.created", rc.URL+"/hooks")
	n.submit(peopleBatch(total))

	deadline := time.Now().Add(30 * time.Second)
	for {
		if got, _ := rc.counts(); got >= total/5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no deliveries before the kill")
		}
		time.Sleep(time.Millisecond)
	}
	n.kill()
	before, _ := rc.counts()

	n2 := startNode(t, db, flags...)
	deadline = time.Now().Add(60 * time.Second)
	for {
		if _, profiles := rc.counts(); profiles == total {
			break
		}
		if time.Now().After(deadline) {
			_, profiles := rc.counts()
			t.Fatalf("%d of %d profiles delivered after the restart", profiles, total)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// And the delivery log agrees: nothing pending, nothing failed.
	for {
		var out struct{ Meta struct{ Total int } }
		n2.do("GET", "/api/v3/webhooks/1/deliveries?filter[status]=delivered", nil, &out)
		if out.Meta.Total == total {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d deliveries delivered in the log, want %d", out.Meta.Total, total)
		}
		time.Sleep(10 * time.Millisecond)
	}
	requests, _ := rc.counts()
	t.Logf("%d requests before the kill, %d in all for %d events", before, requests, total)
}

// TestE2EWebhookSecretCommand: without --webhook-secret, the secret is
// generated once and kept in the database; `clientele webhook-secret`
// prints it (before or after serve), and serve signs with it.
func TestE2EWebhookSecretCommand(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "c.db")
	print := func(args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if err := run(context.Background(), append([]string{"webhook-secret", "--db", db}, args...), noEnv, nil, &out, &errb); err != nil {
			t.Fatalf("webhook-secret: %v %s", err, errb.String())
		}
		return strings.TrimSpace(out.String())
	}
	secret := print()
	if len(secret) != 64 || print() != secret {
		t.Fatalf("secret %q is not stable", secret)
	}
	if got, want := print("--standard"), "whsec_"+base64.StdEncoding.EncodeToString([]byte(secret)); got != want {
		t.Errorf("--standard = %q, want %q", got, want)
	}

	rc := newHookReceiver(t, secret, 0)
	n := startNodeDSN(t, db, "--webhook-allow-private")
	n.subscribe("profile.created", rc.URL)
	n.submit(peopleBatch(1))
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, profiles := rc.counts(); profiles == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no delivery signed with the printed secret")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if strings.Contains(n.logs.String(), secret) {
		t.Error("the webhook secret appears in the log")
	}
}

func TestWebhookFlags(t *testing.T) {
	env := map[string]string{"CLIENTELE_WEBHOOK_SECRET": "from-env", "CLIENTELE_WEBHOOK_ALLOW_PRIVATE": "true"}
	cfg, err := parseServeFlags([]string{"--webhook-per-host", "2"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.webhook.secret != "from-env" || !cfg.webhook.allowPrivate || cfg.webhook.perHost != 2 ||
		cfg.webhook.concurrency != 16 || cfg.webhook.timeout != 10*time.Second {
		t.Errorf("webhook config %+v", cfg.webhook)
	}
	for _, bad := range [][]string{{"--webhook-per-host", "0"}, {"--webhook-concurrency", "0"}, {"--webhook-timeout", "1ms"}} {
		if _, err := parseServeFlags(bad, noEnv, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}
