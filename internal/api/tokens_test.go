package api_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/api"
)

var tokenIDRE = regexp.MustCompile(`^[0-9a-f]{80}$`)

// doH is env.do with extra request headers.
func (e *env) doH(method, path, token string, body []byte, h map[string]string) response {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range h {
		req.Header.Set(k, v)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// clock is a settable test clock.
type clock struct{ t atomic.Pointer[time.Time] }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.set(t)
	return c
}
func (c *clock) now() time.Time      { return *c.t.Load() }
func (c *clock) set(t time.Time)     { c.t.Store(&t) }
func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

// withClock makes the API read time from c.
func withClock(c *clock) func(*api.Deps) { return func(d *api.Deps) { d.Now = c.now } }

// apiToken is the ApiToken object as a client decodes it.
type apiToken struct {
	ID        string   `json:"id"`
	UserID    int64    `json:"user_id"`
	ClientID  int64    `json:"client_id"`
	Name      string   `json:"name"`
	Scopes    []string `json:"scopes"`
	Revoked   bool     `json:"revoked"`
	CreatedAt string   `json:"created_at"`
	UpdatedAt string   `json:"updated_at"`
	ExpiresAt string   `json:"expires_at"`
}

// createToken posts a token request and returns the secret and the token.
func (e *env) createToken(caller, name string, scopes ...string) (string, apiToken) {
	e.t.Helper()
	body, _ := json.Marshal(map[string]any{"name": name, "scopes": scopes})
	r := e.do("POST", "/api/v3/auth/api-tokens", caller, body)
	expect(e.t, r, http.StatusOK, "")
	var out struct {
		AccessToken string   `json:"accessToken"`
		Token       apiToken `json:"token"`
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&out); err != nil {
		e.t.Fatalf("create token body %s: %v", r.body, err)
	}
	return out.AccessToken, out.Token
}

// listTokens returns the ids of GET path, which must be a bare array.
func (e *env) listTokens(caller, path string) []string {
	e.t.Helper()
	r := e.do("GET", path, caller, nil)
	expect(e.t, r, http.StatusOK, "")
	var out []apiToken
	if err := json.Unmarshal(r.body, &out); err != nil {
		e.t.Fatalf("%s: not a bare array of tokens: %s", path, r.body)
	}
	ids := []string{}
	for _, t := range out {
		ids = append(ids, t.ID)
	}
	return ids
}

// TestVerify: 200 with a body whose .status is 200 (spec §10.3, §11.5);
// 401 with the exact body otherwise.
func TestVerify(t *testing.T) {
	e := newEnv(t)
	expect(t, e.do("GET", "/api/v3/auth/verify", e.admin, nil), http.StatusOK, `{"status":200,"message":"Token is valid."}`)
	expect(t, e.do("GET", "/api/v3/auth/verify", e.token("read-webhooks"), nil), http.StatusOK, `{"status":200,"message":"Token is valid."}`)
	expect(t, e.do("GET", "/api/v3/auth/verify", "nope", nil), http.StatusUnauthorized, bodyUnauthenticated)
	expect(t, e.do("GET", "/api/v3/auth/verify", "", nil), http.StatusUnauthorized, bodyUnauthenticated)
}

// TestTokenLifecycle: create (exact shape, every scope echoed), use, list
// by type, revoke, expire (spec §10.4-§10.6).
func TestTokenLifecycle(t *testing.T) {
	c := newClock(testNow)
	e := newEnv(t, withClock(c))
	// A limited token may create a token with scopes it lacks (§10.4).
	creator := e.token("read-webhooks")

	// Many scopes the server does not serve, as the SDK's test sends.
	scopes := []string{"read-profiles", "create-profiles", "read-loyalty-transactions", "update-product-variants", "*"}
	secret, tok := e.createToken(creator, "SDK Tokens Create Test API Token", scopes...)
	if secret == "" || strings.Contains(secret, tok.ID) {
		t.Errorf("accessToken %q", secret)
	}
	if !tokenIDRE.MatchString(tok.ID) || tok.UserID != 1 || tok.ClientID != 1 || tok.Name != "SDK Tokens Create Test API Token" ||
		!slices.Equal(tok.Scopes, scopes) || tok.Revoked ||
		tok.CreatedAt != "2025-01-26 12:00:00" || tok.UpdatedAt != tok.CreatedAt || tok.ExpiresAt != "2026-01-26 12:00:00" {
		t.Errorf("token = %+v", tok)
	}

	// Usable at once, with the scopes it was given.
	expect(t, e.do("GET", "/api/v3/auth/verify", secret, nil), http.StatusOK, "")
	expect(t, e.do("GET", "/api/v3/profiles", secret, nil), http.StatusOK, "")
	reader, readerTok := e.createToken(e.admin, "reader", "read-profiles")
	expect(t, e.do("GET", "/api/v3/profiles", reader, nil), http.StatusOK, "")
	expect(t, e.do("POST", "/api/v3/profiles/batch", reader, []byte(`{}`)), http.StatusForbidden, bodyForbidden)

	// An expired token of the same user.
	e.storeToken(func(tok *clientele.Token) { tok.Name = "expired"; tok.ExpiresAt = testNow.Add(-time.Hour) }, "read-profiles")
	all := e.listTokens(e.admin, "/api/v3/auth/access-tokens")
	if len(all) != 5 { // admin, creator, the two created, the expired one
		t.Fatalf("tokens = %v, want 5", all)
	}
	current := e.listTokens(e.admin, "/api/v3/auth/access-tokens?type=current")
	expired := e.listTokens(e.admin, "/api/v3/auth/api-tokens?type=expired")
	if len(current) != 4 || !slices.Contains(current, tok.ID) || len(expired) != 1 || slices.Contains(current, expired[0]) {
		t.Errorf("current %v, expired %v", current, expired)
	}
	if got := e.listTokens(e.admin, "/api/v3/auth/api-tokens"); !slices.Equal(got, all) {
		t.Errorf("/auth/api-tokens = %v, want %v", got, all)
	}
	expectInvalid(t, e.do("GET", "/api/v3/auth/access-tokens?type=bogus", e.admin, nil), "type")

	// Another user sees none of them and cannot revoke them.
	stranger := e.storeToken(func(tok *clientele.Token) {
		tok.UserID, tok.ExpiresAt = 2, testNow.Add(2*clientele.DefaultTokenLifetime)
	}, clientele.ScopeAll)
	if got := e.listTokens(stranger, "/api/v3/auth/access-tokens"); len(got) != 1 {
		t.Errorf("user 2 sees %v, want only its own token", got)
	}
	expect(t, e.do("DELETE", "/api/v3/auth/api-tokens/"+tok.ID, stranger, nil), http.StatusNotFound, bodyNotFound)
	expect(t, e.do("DELETE", "/api/v3/auth/api-tokens/"+strings.Repeat("0", 80), e.admin, nil), http.StatusNotFound, bodyNotFound)
	expect(t, e.do("GET", "/api/v3/auth/verify", secret, nil), http.StatusOK, "")

	// Revoke: 204 with no body; the next request fails.
	c.add(time.Minute)
	r := e.do("DELETE", "/api/v3/auth/api-tokens/"+tok.ID, e.admin, nil)
	if r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Errorf("revoke: %d %q, want 204 and no body", r.status, r.body)
	}
	expect(t, e.do("GET", "/api/v3/auth/verify", secret, nil), http.StatusUnauthorized, bodyUnauthenticated)
	expect(t, e.do("GET", "/api/v3/profiles", secret, nil), http.StatusUnauthorized, bodyUnauthenticated)
	if got := e.listTokens(e.admin, "/api/v3/auth/access-tokens?type=current"); slices.Contains(got, tok.ID) {
		t.Errorf("revoked token still current: %v", got)
	}
	if got := e.listTokens(e.admin, "/api/v3/auth/access-tokens"); slices.Contains(got, tok.ID) || len(got) != 4 {
		t.Errorf("revoked token listed: %v", got)
	}
	// Revoking again is still 204 (the token exists and stays revoked).
	if r := e.do("DELETE", "/api/v3/auth/api-tokens/"+tok.ID, e.admin, nil); r.status != http.StatusNoContent {
		t.Errorf("second revoke: %d", r.status)
	}

	// Expiry: a year on, the reader (and every token of that day) fails
	// and lists as expired; a token made then works.
	c.set(testNow.Add(clientele.DefaultTokenLifetime))
	expect(t, e.do("GET", "/api/v3/profiles", reader, nil), http.StatusUnauthorized, bodyUnauthenticated)
	expect(t, e.do("GET", "/api/v3/auth/verify", e.admin, nil), http.StatusUnauthorized, bodyUnauthenticated)
	fresh, freshTok := e.createToken(stranger, "fresh", "read-profiles")
	expect(t, e.do("GET", "/api/v3/profiles", fresh, nil), http.StatusOK, "")
	if freshTok.UserID != 2 || freshTok.ExpiresAt != "2027-01-26 12:00:00" {
		t.Errorf("token made by user 2 a year on: %+v", freshTok)
	}
	if got := e.listTokens(stranger, "/api/v3/auth/access-tokens?type=expired"); len(got) != 0 {
		t.Errorf("user 2 expired tokens %v, want none", got)
	}
	if got, err := e.store.ListTokens(t.Context(), 1); err != nil || !slices.ContainsFunc(got, func(t clientele.Token) bool {
		return t.ID == readerTok.ID && !t.Usable(testNow.Add(clientele.DefaultTokenLifetime))
	}) {
		t.Errorf("the reader is not stored as expired: %v", err)
	}
}

// TestTokenCreateValidation: 422 with Laravel keys for a bad body, 400 for
// one that is not JSON, 413 for one too large (spec §10.4, §2).
func TestTokenCreateValidation(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name, body string
		keys       []string
	}{
		{"no body", ``, []string{"name", "scopes"}},
		{"array", `[]`, []string{"name", "scopes"}},
		{"missing scopes", `{"name":"x"}`, []string{"scopes"}},
		{"empty scopes", `{"name":"x","scopes":[]}`, []string{"scopes"}},
		{"scopes not an array", `{"name":"x","scopes":"read-profiles"}`, []string{"scopes"}},
		{"blank name", `{"name":"  ","scopes":["*"]}`, []string{"name"}},
		{"name not a string", `{"name":5,"scopes":["*"]}`, []string{"name"}},
		{"name too long", `{"name":"` + strings.Repeat("n", 256) + `","scopes":["*"]}`, []string{"name"}},
		{"bad scopes", `{"name":"x","scopes":["read-profiles","Read-Profiles","read_profiles",5,"","**"]}`,
			[]string{"scopes.1", "scopes.2", "scopes.3", "scopes.4", "scopes.5"}},
		{"too many scopes", `{"name":"x","scopes":[` + strings.TrimSuffix(strings.Repeat(`"a",`, clientele.MaxTokenScopes+1), ",") + `]}`, []string{"scopes"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			expectInvalid(t, e.do("POST", "/api/v3/auth/api-tokens", e.admin, body), c.keys...)
		})
	}
	r := e.do("POST", "/api/v3/auth/api-tokens", e.admin, []byte(`{"name":"x","scopes":["*"]`))
	expect(t, r, http.StatusBadRequest, bodyMalformed)
	big := `{"name":"x","scopes":["*"],"pad":"` + strings.Repeat("x", testMaxBody) + `"}`
	expect(t, e.do("POST", "/api/v3/auth/api-tokens", e.admin, []byte(big)), http.StatusRequestEntityTooLarge, bodyTooLarge)

	n, err := e.store.CountTokens(t.Context())
	if err != nil || n != 1 {
		t.Errorf("CountTokens = %d, %v; want only the admin token", n, err)
	}
}
