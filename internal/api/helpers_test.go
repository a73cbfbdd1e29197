package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/client"
	"github.com/clientele/clientele/internal/api"
	"github.com/clientele/clientele/internal/sqlite"
	"github.com/clientele/clientele/internal/worker"
)

// testNow is the fixed clock of every test: the birthday numbers of the
// spec's example (1 January: 339 days ahead, 25 past) hold at this instant.
var testNow = time.Date(2025, 1, 26, 12, 0, 0, 0, time.UTC)

// Limits small enough that tests reach them cheaply.
const (
	testMaxBatch = 5
	testMaxBody  = 64 << 10
)

// env is a running API over a fresh SQLite store.
type env struct {
	t       *testing.T
	store   clientele.Store
	srv     *httptest.Server
	admin   string // secret of a "*" token
	notify  atomic.Int32
	clients map[string]*client.Client
}

// newEnv starts the API with the test defaults, which opts may change.
func newEnv(t *testing.T, opts ...func(*api.Deps)) *env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatalf("sqlite.Open: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, store: st}
	d := api.Deps{
		Store:        st,
		Now:          func() time.Time { return testNow },
		MaxBatchSize: testMaxBatch,
		MaxBodyBytes: testMaxBody,
		Notify:       func() { e.notify.Add(1) },
	}
	for _, opt := range opts {
		opt(&d)
	}
	h := api.NewHandler(d)
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	e.admin = e.token(clientele.ScopeAll)
	return e
}

// token stores a usable token with scopes and returns its secret.
func (e *env) token(scopes ...string) string {
	e.t.Helper()
	return e.storeToken(func(*clientele.Token) {}, scopes...)
}

// storeToken stores a token, edited by fn first, and returns its secret.
func (e *env) storeToken(fn func(*clientele.Token), scopes ...string) string {
	e.t.Helper()
	tok, secret := clientele.NewToken("test", scopes, 1, testNow)
	fn(&tok)
	if err := e.store.CreateToken(context.Background(), tok); err != nil {
		e.t.Fatalf("CreateToken: %v", err)
	}
	return secret
}

// client returns a client/ Client with the admin token.
func (e *env) client() *client.Client {
	return client.New(e.srv.URL, e.admin, client.WithHTTPClient(e.srv.Client()))
}

// response is a raw HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body into a generic value.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// do sends a raw request as the TS SDK does: a JSON content type even on
// GET. token "" sends no Authorization header.
func (e *env) do(method, path, token string, body []byte) response {
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

// expect checks the status, the JSON content type and, when body is not
// "", the exact body.
func expect(t *testing.T, r response, status int, body string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if body != "" && string(r.body) != body {
		t.Errorf("body = %s\nwant   %s", r.body, body)
	}
}

// expectInvalid checks a 422 with exactly the given error keys.
func expectInvalid(t *testing.T, r response, keys ...string) {
	t.Helper()
	expect(t, r, http.StatusUnprocessableEntity, "")
	m := r.json(t)
	if m["message"] != "The given data was invalid." {
		t.Errorf("message = %v", m["message"])
	}
	errs, ok := m["errors"].(map[string]any)
	if !ok {
		t.Fatalf("errors is not an object: %s", r.body)
	}
	if len(m) != 2 {
		t.Errorf("422 body has keys beyond message and errors: %s", r.body)
	}
	var got []string
	for k, v := range errs {
		got = append(got, k)
		msgs, ok := v.([]any)
		if !ok || len(msgs) == 0 {
			t.Errorf("errors[%q] = %v, want a non-empty array of strings", k, v)
		}
		for _, m := range msgs {
			if _, ok := m.(string); !ok {
				t.Errorf("errors[%q] holds %v, want strings", k, m)
			}
		}
	}
	if len(got) != len(keys) {
		t.Errorf("error keys = %v, want %v", got, keys)
	}
	for _, k := range keys {
		if _, ok := errs[k]; !ok {
			t.Errorf("error keys = %v, want %q among them", got, k)
		}
	}
}

// submit posts a batch as raw JSON with the admin token and returns its id.
func (e *env) submit(body string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v3/profiles/batch", e.admin, []byte(body))
	expect(e.t, r, http.StatusAccepted, "")
	id, _ := r.json(e.t)["data"].(map[string]any)["batch_id"].(string)
	return id
}

// drain applies every queued batch through the store as the worker does:
// claim, read the leased items chunk by chunk, prepare them with the
// worker's own Prepare, apply; synchronously, so tests need not poll.
func (e *env) drain() {
	e.t.Helper()
	ctx := context.Background()
	for {
		l, err := e.store.ClaimBatch(ctx, "test", testNow, time.Minute)
		if clientele.ErrorCode(err) == clientele.ENOTFOUND {
			return
		}
		if err != nil {
			e.t.Fatalf("ClaimBatch: %v", err)
		}
		for cursor := l.Cursor; cursor < l.Total; {
			raw, err := e.store.LeasedItems(ctx, l, cursor)
			if err != nil || len(raw) == 0 {
				e.t.Fatalf("LeasedItems(%d): %d items, %v", cursor, len(raw), err)
			}
			c := worker.Prepare(raw, "", testNow)
			if cursor, err = e.store.ApplyChunk(ctx, l, c, time.Minute); err != nil {
				e.t.Fatalf("ApplyChunk: %v", err)
			}
		}
	}
}

// queued is Store.QueuedItems.
func (e *env) queued() int {
	e.t.Helper()
	n, err := e.store.QueuedItems(context.Background())
	if err != nil {
		e.t.Fatalf("QueuedItems: %v", err)
	}
	return n
}

// profilesJSON builds a batch body from item objects.
func profilesJSON(match string, items ...string) string {
	return `{"match_criteria":"` + match + `","profiles":[` + strings.Join(items, ",") + `]}`
}
