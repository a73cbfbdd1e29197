package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/sqlite"
)

// logBuffer collects log lines; the server logs from its own goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// lines decodes the JSON log lines written so far.
func (l *logBuffer) lines(t *testing.T) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

func testServer(logs *logBuffer) *server {
	return &server{log: slog.New(slog.NewJSONHandler(logs, nil))}
}

// TestRecover: a panic becomes the standard 500 body, logged with its
// request id, and the access line still gets written.
func TestRecover(t *testing.T) {
	logs := &logBuffer{}
	s := testServer(logs)
	h := s.observe(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v3/profiles", nil))
	if rec.Code != 500 || rec.Body.String() != `{"message":"Server Error"}` || rec.Header().Get("Content-Type") != "application/json" {
		t.Errorf("panic answered %d %q %q", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
	}
	id := rec.Header().Get("X-Request-Id")
	lines := logs.lines(t)
	if len(lines) != 2 {
		t.Fatalf("log lines = %v, want the panic and the access line", lines)
	}
	if lines[0]["error"] != "boom" || lines[0]["request_id"] != id {
		t.Errorf("panic line = %v", lines[0])
	}
	if lines[1]["msg"] != "http request" || lines[1]["request_id"] != id || lines[1]["status"] != 500.0 || lines[1]["path"] != "/api/v3/profiles" {
		t.Errorf("access line = %v", lines[1])
	}
}

// TestInternalErrorHidden: an internal error's text is logged, never sent.
func TestInternalErrorHidden(t *testing.T) {
	logs := &logBuffer{}
	s := testServer(logs)
	h := s.observe(s.endpoint(route{public: true, handle: func(http.ResponseWriter, *http.Request) error {
		return clientele.Errorf(clientele.EINTERNAL, "sqlite: disk I/O error in /var/lib/secret.db")
	}}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 || rec.Body.String() != `{"message":"Server Error"}` {
		t.Errorf("internal error answered %d %s", rec.Code, rec.Body)
	}
	lines := logs.lines(t)
	if len(lines) != 2 || !strings.Contains(lines[0]["error"].(string), "secret.db") || lines[0]["request_id"] == "" {
		t.Errorf("log lines = %v", lines)
	}
}

// TestErrorBodies: each code renders its fixed body; only 422 has errors.
func TestErrorBodies(t *testing.T) {
	logs := &logBuffer{}
	s := testServer(logs)
	for _, c := range []struct {
		err    error
		status int
		body   string
	}{
		{clientele.FieldErrors{"email": {"The email field is required."}}.Err(), 422, `{"message":"The given data was invalid.","errors":{"email":["The email field is required."]}}`},
		{clientele.Errorf(clientele.EINVALID, "no fields"), 422, `{"message":"The given data was invalid.","errors":{}}`},
		{clientele.Errorf(clientele.EMALFORMED, "x"), 400, `{"message":"Malformed JSON body."}`},
		{clientele.Errorf(clientele.ENOTFOUND, "profile 123"), 404, `{"message":"Not Found."}`},
		{clientele.Errorf(clientele.EUNAUTHORIZED, "x"), 401, `{"message":"Unauthenticated."}`},
		{clientele.Errorf(clientele.EFORBIDDEN, "x"), 403, `{"message":"Invalid scope(s) provided."}`},
		{clientele.Errorf(clientele.ECONFLICT, "The email has already been taken."), 409, `{"message":"The email has already been taken."}`},
		{errTooLarge, 413, `{"message":"Payload Too Large."}`},
		{errMethodNotAllowed, 405, `{"message":"Method Not Allowed."}`},
		{bytes.ErrTooLarge, 500, `{"message":"Server Error"}`},
	} {
		rec := httptest.NewRecorder()
		writeError(rec, httptest.NewRequest("GET", "/", nil), s.log, c.err)
		if rec.Code != c.status || rec.Body.String() != c.body || rec.Header().Get("Content-Type") != "application/json" {
			t.Errorf("%v: %d %s, want %d %s", c.err, rec.Code, rec.Body, c.status, c.body)
		}
	}
}

func TestBearer(t *testing.T) {
	for h, want := range map[string]string{
		"Bearer abc": "abc", "bearer abc": "abc", "BEARER  abc ": "abc",
		"": "", "Bearer": "", "Bearer ": "", "Basic abc": "", "abc": "",
	} {
		got, ok := bearer(h)
		if got != want || ok != (want != "") {
			t.Errorf("bearer(%q) = %q, %v", h, got, ok)
		}
	}
}

// TestTokenInContext: an authenticated handler finds its token in the
// context, and the access line names the token by id.
func TestTokenInContext(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Date(2025, 1, 26, 12, 0, 0, 0, time.UTC)
	tok, secret := clientele.NewToken("t", []string{"read-profiles"}, 1, now)
	if err := st.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	s := testServer(logs)
	s.store, s.now = st, func() time.Time { return now }

	var got clientele.Token
	h := s.observe(s.endpoint(route{scopes: []string{"read-profiles"}, handle: func(w http.ResponseWriter, r *http.Request) error {
		got, _ = tokenFrom(r.Context())
		w.WriteHeader(http.StatusNoContent)
		return nil
	}}))
	req := httptest.NewRequest("GET", "/x", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNoContent || got.ID != tok.ID {
		t.Fatalf("status %d, token in context %q, want %q", rec.Code, got.ID, tok.ID)
	}
	if lines := logs.lines(t); len(lines) != 1 || lines[0]["token_id"] != tok.ID || strings.Contains(logs.buf.String(), secret) {
		t.Errorf("access line = %v", lines)
	}
}
