package api_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele"
)

const (
	bodyUnauthenticated = `{"message":"Unauthenticated."}`
	bodyForbidden       = `{"message":"Invalid scope(s) provided."}`
	bodyNotFound        = `{"message":"Not Found."}`
	bodyNotAllowed      = `{"message":"Method Not Allowed."}`
	bodyMalformed       = `{"message":"Malformed JSON body."}`
	bodyTooLarge        = `{"message":"Payload Too Large."}`
)

// TestUnauthenticated: every way a token can fail gives the same 401 body,
// with no other key (spec §2, §11.4).
func TestUnauthenticated(t *testing.T) {
	e := newEnv(t)
	expired := e.storeToken(func(tok *clientele.Token) { tok.ExpiresAt = testNow.Add(-time.Second) }, clientele.ScopeAll)
	revoked := e.storeToken(func(tok *clientele.Token) { tok.Revoked = true }, clientele.ScopeAll)

	paths := []struct{ method, path string }{
		{"GET", "/api/v3/profiles"},
		{"GET", "/api/v3/profiles/92975ecb-5264-4d31-9f2b-789fa01f4555"},
		{"POST", "/api/v3/profiles/batch"},
		{"POST", "/api/v3/profiles/batch.json"},
		{"GET", "/api/v3/batches/92975ecb-5264-4d31-9f2b-789fa01f4555"},
		{"GET", "/api/v3/batches/92975ecb-5264-4d31-9f2b-789fa01f4555/items"},
	}
	tokens := map[string]string{"no header": "", "unknown": "not-a-token", "expired": expired, "revoked": revoked}
	for _, p := range paths {
		for name, tok := range tokens {
			t.Run(p.method+" "+p.path+" "+name, func(t *testing.T) {
				expect(t, e.do(p.method, p.path, tok, []byte(`{}`)), http.StatusUnauthorized, bodyUnauthenticated)
			})
		}
	}

	t.Run("not a bearer scheme", func(t *testing.T) {
		req, _ := http.NewRequest("GET", e.srv.URL+"/api/v3/profiles", nil)
		req.Header.Set("Authorization", "Basic "+e.admin)
		resp, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", resp.StatusCode)
		}
	})
	if n := e.queued(); n != 0 {
		t.Errorf("QueuedItems = %d after rejected batches, want 0", n)
	}
}

// TestForbidden: a valid token without the route's scope gets 403; any one
// of a route's scopes is enough (spec §3).
func TestForbidden(t *testing.T) {
	e := newEnv(t)
	webhooksOnly := e.token("read-webhooks")
	batch := profilesJSON("email", `{"email":"a@example.com"}`)

	for _, c := range []struct{ method, path, body string }{
		{"GET", "/api/v3/profiles", ""},
		{"GET", "/api/v3/profiles/92975ecb-5264-4d31-9f2b-789fa01f4555", ""},
		{"POST", "/api/v3/profiles/batch", batch},
		{"GET", "/api/v3/batches/92975ecb-5264-4d31-9f2b-789fa01f4555", ""},
	} {
		var body []byte
		if c.body != "" {
			body = []byte(c.body)
		}
		expect(t, e.do(c.method, c.path, webhooksOnly, body), http.StatusForbidden, bodyForbidden)
	}
	// read-profiles reads but cannot submit a batch.
	reader := e.token("read-profiles")
	expect(t, e.do("GET", "/api/v3/profiles", reader, nil), http.StatusOK, "")
	expect(t, e.do("POST", "/api/v3/profiles/batch", reader, []byte(batch)), http.StatusForbidden, bodyForbidden)
	if n := e.queued(); n != 0 {
		t.Errorf("QueuedItems = %d after forbidden batches, want 0", n)
	}

	// Either batch scope submits; read-imports reads batches.
	for _, scope := range []string{"create-profiles", "update-profiles"} {
		expect(t, e.do("POST", "/api/v3/profiles/batch.json", e.token(scope), []byte(batch)), http.StatusAccepted, "")
	}
	importer := e.token("read-imports")
	expect(t, e.do("GET", "/api/v3/batches/92975ecb-5264-4d31-9f2b-789fa01f4555", importer, nil), http.StatusNotFound, bodyNotFound)
	expect(t, e.do("GET", "/api/v3/profiles", importer, nil), http.StatusForbidden, bodyForbidden)
}

// TestNotFound: unknown routes, non-UUID and unknown profile ids, and
// unknown batches are all the JSON 404 (spec §1, §2).
func TestNotFound(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{
		"/",
		"/api",
		"/api/v3",
		"/api/v3/nothing-here",
		"/api/v2/profiles",
		"/api/v3/profiles/not-a-uuid",
		"/api/v3/profiles/92975ecb52644d319f2b789fa01f4555",
		"/api/v3/profiles/{92975ecb-5264-4d31-9f2b-789fa01f4555}",
		"/api/v3/profiles/92975ecb-5264-4d31-9f2b-789fa01f4555",
		"/api/v3/batches/92975ecb-5264-4d31-9f2b-789fa01f4555",
		"/api/v3/batches/nope/items",
		"/api/v3//profiles",
		"/api/v3/profiles/",
	} {
		t.Run(path, func(t *testing.T) {
			expect(t, e.do("GET", path, e.admin, nil), http.StatusNotFound, bodyNotFound)
		})
	}
}

// TestMethodNotAllowed: a known path with another method is a JSON 405
// that keeps ServeMux's Allow header and none of its text.
func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ method, path string }{
		{"DELETE", "/api/health"},
		{"PUT", "/api/v3/profiles/batch"},
		{"DELETE", "/api/v3/profiles/search-id"},
		{"PATCH", "/api/v3/profiles"},
		{"PUT", "/api/v3/batches/92975ecb-5264-4d31-9f2b-789fa01f4555"},
		{"DELETE", "/api/v3/profiles"},
	} {
		r := e.do(c.method, c.path, e.admin, nil)
		expect(t, r, http.StatusMethodNotAllowed, bodyNotAllowed)
		if r.header.Get("Allow") == "" {
			t.Errorf("%s %s: no Allow header", c.method, c.path)
		}
	}
}

// TestMalformedAndTooLarge: invalid JSON is 400, an oversized body 413, and
// neither queues anything.
func TestMalformedAndTooLarge(t *testing.T) {
	e := newEnv(t)
	for _, body := range []string{`{"match_criteria":`, `{"profiles":[}`, `nope`, `{"a":1}x`} {
		expect(t, e.do("POST", "/api/v3/profiles/batch", e.admin, []byte(body)), http.StatusBadRequest, bodyMalformed)
	}
	big := `{"match_criteria":"email","profiles":[{"email":"a@example.com","company":"` + strings.Repeat("x", testMaxBody) + `"}]}`
	expect(t, e.do("POST", "/api/v3/profiles/batch.json", e.admin, []byte(big)), http.StatusRequestEntityTooLarge, bodyTooLarge)
	if n := e.queued(); n != 0 {
		t.Errorf("QueuedItems = %d, want 0", n)
	}
	if n := e.notify.Load(); n != 0 {
		t.Errorf("Notify called %d times for rejected batches", n)
	}
}

// TestHealth: 200 with the reason phrase "OK" over a real HTTP/1.1
// connection, no token needed, a bad one ignored (spec §10.7, §11.12).
func TestHealth(t *testing.T) {
	e := newEnv(t)
	// Omneo SDK tests read statusText, so the reason phrases must be
	// there: an HTTP/1.1 exchange on a raw connection shows them.
	for path, want := range map[string]string{"/api/health": "200 OK", "/api/v3/nothing": "404 Not Found"} {
		conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		_, err = conn.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: example.com\r\nAuthorization: Bearer garbage\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		conn.Close()
		if resp.Proto != "HTTP/1.1" || resp.Status != want {
			t.Errorf("GET %s: status line = %s %s, want HTTP/1.1 %s", path, resp.Proto, resp.Status, want)
		}
	}
	expect(t, e.do("GET", "/api/health", "", nil), http.StatusOK, `{"status":"ok"}`)

	if err := e.client().Health(t.Context()); err != nil {
		t.Errorf("client Health: %v", err)
	}
}

// TestRequestID: every response carries an id, a sane inbound one is kept.
func TestRequestID(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/health", "", nil)
	if r.header.Get("X-Request-Id") == "" {
		t.Error("no X-Request-Id on the response")
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/v3/nothing", nil)
	req.Header.Set("X-Request-Id", "trace-123")
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("X-Request-Id"); got != "trace-123" {
		t.Errorf("X-Request-Id = %q, want the inbound trace-123", got)
	}
}
