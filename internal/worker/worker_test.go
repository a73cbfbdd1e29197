package worker_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/sqlite"
	"github.com/clientele/clientele/internal/worker"
	"github.com/google/uuid"
)

func openStore(t *testing.T) clientele.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// queue stores a batch the way the API does and returns its id.
func queue(t *testing.T, s clientele.Store, body string, now time.Time) string {
	t.Helper()
	req, err := clientele.ParseBatchRequest([]byte(body), clientele.MaxMaxBatchSize)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	b := clientele.Batch{
		ID: uuid.NewString(), MatchCriteria: req.MatchCriteria, Status: clientele.BatchPending,
		TotalCount: len(req.Items.Raw), CreatedAt: now, UpdatedAt: now,
	}
	if _, err := s.CreateBatch(context.Background(), b, req.Items, clientele.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	return b.ID
}

// runUntilDone runs the pool until the batch completes or 20 s pass.
func runUntilDone(t *testing.T, s clientele.Store, p *worker.Pool, id string) clientele.Batch {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for {
		b, err := s.Batch(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status == clientele.BatchCompleted {
			return b
		}
		if ctx.Err() != nil {
			t.Fatalf("batch not completed in time: %+v", b)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPoolAppliesBatchInOrder(t *testing.T) {
	s := openStore(t)
	now := time.Now().UTC()
	id := queue(t, s, `{"match_criteria":"email","profiles":[
		{"email":"a@example.com","first_name":"A1"},
		{"email":" A@Example.com ","first_name":"A2"},
		{"email":"b@example.com","mobile_phone":"0404 123 123"},
		{"email":"c@example.com","mobile_phone":"+1 555"},
		{"first_name":"no email"}
	]}`, now)
	p := worker.New(worker.Config{Store: s, Workers: 2, PollInterval: 10 * time.Millisecond, PhoneRegion: "AU"})
	b := runUntilDone(t, s, p, id)

	if b.ProcessedCount != 5 || b.CreatedCount != 2 || b.UpdatedCount != 1 || b.FailedCount != 2 {
		t.Fatalf("counts: %+v", b)
	}
	items, _, err := s.BatchItems(context.Background(), id, clientele.BatchItemFilter{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{clientele.OutcomeCreated, clientele.OutcomeUpdated, clientele.OutcomeCreated, clientele.OutcomeFailed, clientele.OutcomeFailed}
	for i, it := range items {
		if it.Outcome != want[i] {
			t.Errorf("item %d outcome %q, want %q (errors %v)", i, it.Outcome, want[i], it.Errors)
		}
	}
	if got := items[3].Errors["mobile_phone"]; len(got) == 0 {
		t.Errorf("item 3: want a mobile_phone error from normalisation, got %v", items[3].Errors)
	}
	if got := items[4].Errors["email"]; len(got) != 1 || got[0] != "The email field is required." {
		t.Errorf("item 4 errors %v", items[4].Errors)
	}
	a, err := s.Profile(context.Background(), *items[0].EntityID)
	if err != nil {
		t.Fatal(err)
	}
	if a.FirstName != "A2" || a.Version != 2 {
		t.Errorf("profile a: first_name %q version %d, want A2 and 2", a.FirstName, a.Version)
	}
	bp, err := s.Profile(context.Background(), *items[2].EntityID)
	if err != nil {
		t.Fatal(err)
	}
	if bp.MobilePhone == nil || *bp.MobilePhone != "+61404123123" {
		t.Errorf("mobile not normalised with --phone-region: %v", bp.MobilePhone)
	}
}

// A batch whose worker died mid-way is resumed by another worker once the
// lease expires: the clock is injected, so no test waits out a real TTL.
func TestPoolResumesExpiredLease(t *testing.T) {
	s := openStore(t)
	t0 := time.Now().UTC()
	id := queue(t, s, `{"match_criteria":"email","profiles":[{"email":"x@example.com"}]}`, t0)
	dead, err := s.ClaimBatch(context.Background(), "dead-node", t0, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if dead.BatchID != id {
		t.Fatalf("claimed %s, want %s", dead.BatchID, id)
	}
	p := worker.New(worker.Config{
		Store: s, PollInterval: 10 * time.Millisecond,
		Now: func() time.Time { return t0.Add(2 * time.Minute) },
	})
	b := runUntilDone(t, s, p, id)
	if b.CreatedCount != 1 {
		t.Fatalf("counts: %+v", b)
	}
	// The dead worker's late write is fenced off by the new lease.
	if _, err := s.ApplyChunk(context.Background(), dead, clientele.Chunk{Now: t0}, time.Minute); clientele.ErrorCode(err) != clientele.ECONFLICT {
		t.Fatalf("stale lease apply: got %v, want ECONFLICT", err)
	}
}

// A batch that has been claimed MaxBatchClaims times without completing is
// ended as failed on its next claim rather than retried forever.
func TestPoolFailsABatchThatNeverCompletes(t *testing.T) {
	s := openStore(t)
	t0 := time.Now().UTC()
	id := queue(t, s, `{"match_criteria":"email","profiles":[{"email":"x@example.com"}]}`, t0)
	now := t0
	for range clientele.MaxBatchClaims {
		if _, err := s.ClaimBatch(context.Background(), "crashing-node", now, time.Minute); err != nil {
			t.Fatal(err)
		}
		now = now.Add(2 * time.Minute) // each lease expires unfinished
	}
	p := worker.New(worker.Config{Store: s, PollInterval: 10 * time.Millisecond, Now: func() time.Time { return now }})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	for {
		b, err := s.Batch(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if b.Status == clientele.BatchFailed {
			if b.ProcessedCount != 0 {
				t.Fatalf("a failed batch applied items: %+v", b)
			}
			return
		}
		if b.Status == clientele.BatchCompleted || ctx.Err() != nil {
			t.Fatalf("batch %s, want failed", b.Status)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// flakyStore fails the first ApplyChunk as a database would on a restart.
type flakyStore struct {
	clientele.Store
	failures atomic.Int32
}

func (f *flakyStore) ApplyChunk(ctx context.Context, l clientele.Lease, c clientele.Chunk, ttl time.Duration) (int, error) {
	if f.failures.Add(1) == 1 {
		return 0, errors.New("database restarting")
	}
	return f.Store.ApplyChunk(ctx, l, c, ttl)
}

// A chunk that fails once is tried again at once, not after the lease
// expires: with an hour-long lease the batch still completes, on its first
// claim.
func TestPoolRetriesAFailedChunk(t *testing.T) {
	real := openStore(t)
	s := &flakyStore{Store: real}
	id := queue(t, real, `{"match_criteria":"email","profiles":[{"email":"x@example.com"}]}`, time.Now().UTC())
	p := worker.New(worker.Config{Store: s, PollInterval: 10 * time.Millisecond, LeaseTTL: time.Hour})
	b := runUntilDone(t, real, p, id)
	if b.CreatedCount != 1 || s.failures.Load() != 2 {
		t.Fatalf("batch %+v after %d ApplyChunk calls", b, s.failures.Load())
	}
}

// recordingStore records where each chunk ApplyChunk is given starts and
// how many items it has.
type recordingStore struct {
	clientele.Store
	mu     sync.Mutex
	chunks [][2]int
}

func (r *recordingStore) ApplyChunk(ctx context.Context, l clientele.Lease, c clientele.Chunk, ttl time.Duration) (int, error) {
	r.mu.Lock()
	r.chunks = append(r.chunks, [2]int{c.From, len(c.Items)})
	r.mu.Unlock()
	return r.Store.ApplyChunk(ctx, l, c, ttl)
}

// With ApplySize, a chunk is applied in parts, in order, each seeing what
// the one before wrote: items 249 and 250 (and 499 and 500, across
// chunks) name the same email, so the second of each pair updates the
// profile the first created.
func TestPoolAppliesInParts(t *testing.T) {
	real := openStore(t)
	s := &recordingStore{Store: real}
	var b strings.Builder
	b.WriteString(`{"match_criteria":"email","profiles":[`)
	for i := range 600 {
		if i > 0 {
			b.WriteByte(',')
		}
		email := i
		if i == 250 || i == 500 {
			email = i - 1
		}
		fmt.Fprintf(&b, `{"email":"p%d@example.com","first_name":"N%d"}`, email, i)
	}
	b.WriteString(`]}`)
	id := queue(t, real, b.String(), time.Now().UTC())
	p := worker.New(worker.Config{Store: s, PollInterval: 10 * time.Millisecond, ApplySize: 250})
	got := runUntilDone(t, real, p, id)
	if got.CreatedCount != 598 || got.UpdatedCount != 2 || got.ProcessedCount != 600 {
		t.Fatalf("counts: %+v", got)
	}
	want := [][2]int{{0, 250}, {250, 250}, {500, 100}}
	if !slices.Equal(s.chunks, want) {
		t.Errorf("chunks applied (from, items): %v, want %v", s.chunks, want)
	}
}

// lateFailStore commits the first chunk it is given and then reports an
// error, as a store whose sync fails after the commit would.
type lateFailStore struct {
	clientele.Store
	calls atomic.Int32
}

func (f *lateFailStore) ApplyChunk(ctx context.Context, l clientele.Lease, c clientele.Chunk, ttl time.Duration) (int, error) {
	n, err := f.Store.ApplyChunk(ctx, l, c, ttl)
	if f.calls.Add(1) == 1 && err == nil {
		return 0, errors.New("sync failed after the commit")
	}
	return n, err
}

// A chunk whose failed attempt had committed is not applied twice, and
// its batch goes on at once: the retry's conflict is seen to be the
// cursor past the chunk, not a lost lease waited out (an hour here).
func TestPoolGoesOnAfterACommittedFailure(t *testing.T) {
	real := openStore(t)
	s := &lateFailStore{Store: real}
	id := queue(t, real, `{"match_criteria":"email","profiles":[{"email":"x@example.com"},{"email":"y@example.com"}]}`,
		time.Now().UTC())
	p := worker.New(worker.Config{Store: s, PollInterval: 10 * time.Millisecond, LeaseTTL: time.Hour, ApplySize: 1})
	b := runUntilDone(t, real, p, id)
	if b.CreatedCount != 2 || b.ProcessedCount != 2 {
		t.Fatalf("batch %+v after %d ApplyChunk calls", b, s.calls.Load())
	}
}
