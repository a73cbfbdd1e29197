package webhook

import (
	"context"
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

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/postgres"
	"github.com/clientele/clientele/internal/postgres/pgtest"
	"github.com/clientele/clientele/internal/sqlite"
	"github.com/clientele/clientele/internal/worker"
	"github.com/google/uuid"
)

const testSecret = "test-secret-0123456789"

// fastSchedule retries within milliseconds, so that tests do not wait.
var fastSchedule = Schedule{Base: 5 * time.Millisecond, FastRetries: 5, FastCap: 20 * time.Millisecond,
	Hourly: 30 * time.Millisecond, HourlyRetries: 2, Daily: 40 * time.Millisecond, DailyRetries: 1,
	MaxRetryAfter: 24 * time.Hour}

func newStore(t *testing.T) clientele.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// eachStore runs fn as a subtest on a new SQLite store and, when
// CLIENTELE_TEST_POSTGRES names a database, on a new PostgreSQL schema:
// for the tests of what the two stores do differently underneath (claims,
// leases, the router's cursor).
func eachStore(t *testing.T, fn func(t *testing.T, s clientele.Store)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newStore(t)) })
	t.Run("postgres", func(t *testing.T) {
		s, err := postgres.Open(t.Context(), pgtest.Schema(t, pgtest.DSN(t)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		fn(t, s)
	})
}

// start runs a Service on s until the test ends; edit adjusts its config.
func start(t *testing.T, s clientele.Store, edit ...func(*Config)) *Service {
	t.Helper()
	cfg := Config{Store: s, Owner: "test-" + uuid.NewString()[:8], Secret: testSecret, AllowPrivate: true,
		Schedule: fastSchedule, PollInterval: 5 * time.Millisecond, Timeout: 2 * time.Second}
	for _, fn := range edit {
		fn(&cfg)
	}
	svc := New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { svc.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return svc
}

// subscribe stores an active webhook.
func subscribe(t *testing.T, s clientele.Store, trigger, url string, edit ...func(*clientele.Webhook)) clientele.Webhook {
	t.Helper()
	now := time.Now()
	w := clientele.Webhook{Trigger: trigger, URL: url, UserID: 1, IsActive: true, CreatedAt: now, UpdatedAt: now}
	for _, fn := range edit {
		fn(&w)
	}
	w, err := s.CreateWebhook(t.Context(), w)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// load submits profiles (JSON objects) as one batch from origin and applies
// it as the worker does. It returns the batch id.
func load(t *testing.T, s clientele.Store, origin string, profiles ...string) string {
	t.Helper()
	ctx := t.Context()
	now := time.Now()
	b := clientele.Batch{ID: uuid.NewString(), MatchCriteria: clientele.MatchEmail, Status: clientele.BatchPending,
		TotalCount: len(profiles), CreatedAt: now, UpdatedAt: now, Origin: origin}
	var items clientele.NewBatchItems
	for _, p := range profiles {
		in, err := clientele.DecodeProfileInput([]byte(p))
		if err != nil {
			t.Fatal(err)
		}
		items.Raw = append(items.Raw, json.RawMessage(p))
		items.MatchValues = append(items.MatchValues, clientele.MatchValue(clientele.MatchEmail, in))
	}
	if _, err := s.CreateBatch(ctx, b, items, clientele.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	l, err := s.ClaimBatch(ctx, "test", now, time.Minute)
	if err != nil || l.BatchID != b.ID {
		t.Fatalf("ClaimBatch: %v (%s)", err, l.BatchID)
	}
	for cursor := 0; cursor < l.Total; {
		raw, err := s.LeasedItems(ctx, l, cursor)
		if err != nil {
			t.Fatal(err)
		}
		if cursor, err = s.ApplyChunk(ctx, l, worker.Prepare(raw, "AU", now), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	return b.ID
}

// people are n profiles a0@example.com … with tags.
func people(n int, tag string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(`{"email":"p%d@example.com","first_name":"P%d","tags":[%q]}`, i, i, tag)
	}
	return out
}

// request is what the receiver got.
type request struct {
	header http.Header
	body   []byte
}

// receiver is an httptest webhook endpoint that records what it gets and
// answers with respond (200 when nil).
type receiver struct {
	*httptest.Server
	mu      sync.Mutex
	got     []request
	respond func(n int, r request) int // n counts requests from 1
}

func newReceiver(t *testing.T, respond func(n int, r request) int) *receiver {
	rc := &receiver{respond: respond}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := request{r.Header.Clone(), body}
		rc.mu.Lock()
		rc.got = append(rc.got, req)
		n := len(rc.got)
		rc.mu.Unlock()
		status := http.StatusOK
		if rc.respond != nil {
			status = rc.respond(n, req)
		}
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "3600")
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.got...)
}

// waitFor polls cond until it holds or the test's patience ends.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// deliveries lists every delivery of w.
func deliveries(t *testing.T, s clientele.Store, w clientele.Webhook) []clientele.Delivery {
	t.Helper()
	ds, _, err := s.Deliveries(context.Background(), w.ID, clientele.DeliveryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// settled reports whether w has n deliveries, none pending.
func settled(t *testing.T, s clientele.Store, w clientele.Webhook, n int) func() bool {
	return func() bool {
		ds := deliveries(t, s, w)
		if len(ds) != n {
			return false
		}
		for _, d := range ds {
			if d.Status == clientele.DeliveryPending {
				return false
			}
		}
		return true
	}
}

// field reads a top-level key of a JSON body.
func field(t *testing.T, body []byte, key string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %s", body)
	}
	return m[key]
}

func hasPrefix(s, p string) bool { return strings.HasPrefix(s, p) }
