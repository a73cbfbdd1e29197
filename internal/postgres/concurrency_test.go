package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/postgres/pgtest"
	"github.com/clientele/clientele/internal/worker"
	"github.com/google/uuid"
)

// These tests run several stores on one schema, as several nodes share one
// database: each store has its own pool, so their transactions really run
// side by side.

// submitItems stores a batch of items matched by match and returns its id.
func submitItems(t *testing.T, s *Store, match string, items []string) string {
	t.Helper()
	var ni clientele.NewBatchItems
	for _, it := range items {
		in, err := clientele.DecodeProfileInput([]byte(it))
		if err != nil {
			t.Fatal(err)
		}
		ni.Raw = append(ni.Raw, json.RawMessage(it))
		ni.MatchValues = append(ni.MatchValues, clientele.MatchValue(match, in))
	}
	id := uuid.NewString()
	now := time.Now().UTC()
	if _, err := s.CreateBatch(t.Context(), clientele.Batch{ID: id, MatchCriteria: match, CreatedAt: now}, ni, clientele.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	return id
}

// applyBatch claims the oldest batch and applies it to the end.
func applyBatch(t *testing.T, s *Store) string {
	t.Helper()
	ctx := t.Context()
	l, err := s.ClaimBatch(ctx, "test", time.Now(), time.Minute)
	if err != nil {
		t.Error(err)
		return ""
	}
	for cursor := l.Cursor; cursor < l.Total; {
		raw, err := s.LeasedItems(ctx, l, cursor)
		if err != nil {
			t.Error(err)
			return ""
		}
		if cursor, err = s.ApplyChunk(ctx, l, worker.Prepare(raw, "AU", time.Now()), time.Minute); err != nil {
			t.Error(err)
			return ""
		}
	}
	return l.BatchID
}

// barrier lets n goroutines wait for each other once.
type barrier struct {
	mu      sync.Mutex
	waiting int
	open    chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{waiting: n, open: make(chan struct{})} }

func (b *barrier) wait(t *testing.T) {
	b.mu.Lock()
	b.waiting--
	if b.waiting == 0 {
		close(b.open)
	}
	b.mu.Unlock()
	select {
	case <-b.open:
	case <-time.After(10 * time.Second):
		t.Error("barrier: the other transaction never arrived")
	}
}

// TestConcurrentCreatesOfOneKey: two nodes create profiles for the same new
// emails at the same moment. Both look up before either writes (the hook
// holds them there), so both resolve every item as a create; one commits,
// the other's insert hits the unique index and its chunk is retried, now as
// updates. Each email ends with one profile, one created and one updated
// item, and no failed item (issue 3, requirement 5).
func TestConcurrentCreatesOfOneKey(t *testing.T) {
	dsn := pgtest.Schema(t, pgtest.DSN(t))
	a, b := openStore(t, dsn), openStore(t, dsn)
	meet := newBarrier(2)
	hook := func(attempt int) {
		if attempt == 1 {
			meet.wait(t)
		}
	}
	a.hookAfterLookup, b.hookAfterLookup = hook, hook

	const n = 50
	batch := func(first string) []string {
		items := make([]string, n)
		for i := range items {
			items[i] = fmt.Sprintf(`{"email":"same%d@x.com","first_name":%q,"identities":[{"handle":"shopify","identifier":"S%d"}]}`, i, first, i)
		}
		return items
	}
	submitItems(t, a, clientele.MatchEmail, batch("A"))
	submitItems(t, b, clientele.MatchEmail, batch("B"))
	var wg sync.WaitGroup
	var ids [2]string
	wg.Go(func() { ids[0] = applyBatch(t, a) })
	wg.Go(func() { ids[1] = applyBatch(t, b) })
	wg.Wait()
	if t.Failed() {
		return
	}
	if r := a.retries.Load() + b.retries.Load(); r == 0 {
		t.Error("no chunk was retried: the two transactions did not collide")
	}

	created, updated := 0, 0
	owner := map[string]string{} // email -> profile id
	for _, id := range ids {
		bt, err := a.Batch(t.Context(), id)
		ok(t, err)
		if bt.Status != clientele.BatchCompleted || bt.FailedCount != 0 {
			t.Errorf("batch %+v", bt)
		}
		created += bt.CreatedCount
		updated += bt.UpdatedCount
		items, _, err := a.BatchItems(t.Context(), id, clientele.BatchItemFilter{})
		ok(t, err)
		for _, it := range items {
			if it.EntityID == nil {
				t.Fatalf("item %d: no entity (%v)", it.Index, it.Errors)
			}
			email := *it.MatchValue
			if o, seen := owner[email]; seen && o != *it.EntityID {
				t.Errorf("%s: items name profiles %s and %s", email, o, *it.EntityID)
			}
			owner[email] = *it.EntityID
		}
	}
	if created != n || updated != n {
		t.Errorf("created %d updated %d, want %d each", created, updated, n)
	}
	_, total, err := a.ListProfiles(t.Context(), clientele.ProfileFilter{})
	ok(t, err)
	if total != n {
		t.Errorf("%d profiles, want %d", total, n)
	}
	for email, id := range owner {
		p, err := b.Profile(t.Context(), id)
		ok(t, err)
		if p.Version != 2 || len(p.Identities) != 1 || str(p.Email) != email {
			t.Errorf("%s: version %d email %s identities %+v", id, p.Version, str(p.Email), p.Identities)
		}
	}
}

// TestCrossedLocksAreRetried: lookup locks the owners of a chunk's emails
// first and the owners of its other keys after. Two chunks that each lock
// by email a profile the other then needs by mobile wait for each other;
// PostgreSQL breaks the deadlock (40P01) and the chunk it aborted is
// retried, so both batches complete with every item's outcome.
func TestCrossedLocksAreRetried(t *testing.T) {
	dsn := pgtest.Schema(t, pgtest.DSN(t))
	a, b := openStore(t, dsn), openStore(t, dsn)
	submitItems(t, a, clientele.MatchEmail, []string{
		`{"email":"pa@x.com","first_name":"A","mobile_phone":"+61400000001"}`,
		`{"email":"pb@x.com","first_name":"B","mobile_phone":"+61400000002"}`,
	})
	applyBatch(t, a)
	meet := newBarrier(2)
	hook := func(attempt int) {
		if attempt == 1 {
			meet.wait(t)
		}
	}
	a.hookAfterEmailLocks, b.hookAfterEmailLocks = hook, hook
	// Each batch updates one profile by email, then names the other's
	// mobile for a new email: a conflict that fails the item, but only
	// after its owner is locked.
	x := submitItems(t, a, clientele.MatchEmail, []string{
		`{"email":"pa@x.com","first_name":"A2"}`,
		`{"email":"nx@x.com","first_name":"X","mobile_phone":"+61400000002"}`,
	})
	y := submitItems(t, b, clientele.MatchEmail, []string{
		`{"email":"pb@x.com","first_name":"B2"}`,
		`{"email":"ny@x.com","first_name":"Y","mobile_phone":"+61400000001"}`,
	})
	var wg sync.WaitGroup
	wg.Go(func() { applyBatch(t, a) })
	wg.Go(func() { applyBatch(t, b) })
	wg.Wait()
	if t.Failed() {
		return
	}
	if r := a.retries.Load() + b.retries.Load(); r == 0 {
		t.Error("no chunk was retried: the two transactions did not cross")
	}
	for _, id := range []string{x, y} {
		bt, err := a.Batch(t.Context(), id)
		ok(t, err)
		if bt.Status != clientele.BatchCompleted || bt.UpdatedCount != 1 || bt.FailedCount != 1 {
			t.Errorf("batch %+v: want completed, one item updated and one failed", bt)
		}
	}
	ps, total, err := a.ListProfiles(t.Context(), clientele.ProfileFilter{})
	ok(t, err)
	if total != 2 {
		t.Errorf("%d profiles, want 2", total)
	}
	for _, p := range ps {
		if p.Version != 2 || len(p.FirstName) != 2 {
			t.Errorf("profile %s: version %d, first name %q: want the batch's update", str(p.Email), p.Version, p.FirstName)
		}
	}
}

// TestNodesApplyOverlappingBatchesExactlyOnce: two nodes, each with two
// workers, apply batches whose items hit the same few profiles over and
// over, by email and by identity. Every item changes its profile, so a lost
// update or an item applied twice shows in the profile's version, which
// must equal the number of items that named it, and in the outbox.
func TestNodesApplyOverlappingBatchesExactlyOnce(t *testing.T) {
	dsn := pgtest.Schema(t, pgtest.DSN(t))
	stores := []*Store{openStore(t, dsn), openStore(t, dsn)}
	const people, batches, perBatch = 60, 12, 150
	rng := rand.New(rand.NewPCG(1, 2))
	named := map[int]int{} // person -> items naming them
	var ids []string
	for bn := range batches {
		match := clientele.MatchEmail
		if bn%3 == 2 {
			match = "shopify"
		}
		items := make([]string, perBatch)
		for i := range items {
			p := rng.IntN(people)
			named[p]++
			items[i] = fmt.Sprintf(`{"email":"p%d@x.com","first_name":"b%di%d","mobile_phone":"+6140000%04d",
				"identities":[{"handle":"shopify","identifier":"S%d"}]}`, p, bn, i, p, p)
		}
		ids = append(ids, submitItems(t, stores[bn%2], match, items))
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for _, s := range stores {
		pool := worker.New(worker.Config{Store: s, Workers: 2, LeaseTTL: 5 * time.Second,
			PollInterval: 10 * time.Millisecond, PhoneRegion: "AU", Owner: fmt.Sprintf("node-%p", s)})
		wg.Go(func() { pool.Run(ctx) })
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, id := range ids {
		for {
			bt, err := stores[0].Batch(t.Context(), id)
			ok(t, err)
			if bt.Status == clientele.BatchCompleted {
				if bt.FailedCount != 0 || bt.UnchangedCount != 0 || bt.ProcessedCount != perBatch {
					t.Errorf("batch %d: %+v", len(ids), bt)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("batch %s not completed: %+v", id, bt)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	cancel()
	wg.Wait()

	ps, total, err := stores[1].ListProfiles(t.Context(), clientele.ProfileFilter{})
	ok(t, err)
	if total != len(named) {
		t.Errorf("%d profiles, want %d", total, len(named))
	}
	for _, p := range ps {
		var person int
		fmt.Sscanf(*p.Email, "p%d@x.com", &person)
		if p.Version != int64(named[person]) || len(p.Identities) != 1 {
			t.Errorf("%s: version %d, want %d (items naming it); identities %+v", *p.Email, p.Version, named[person], p.Identities)
		}
	}
	var events int
	ok(t, stores[0].pool.QueryRow(t.Context(), `SELECT count(*) FROM events WHERE type IN ('profile.created', 'profile.updated')`).Scan(&events))
	if events != batches*perBatch {
		t.Errorf("%d events, want one per item: %d", events, batches*perBatch)
	}
	t.Logf("chunk retries: %d", stores[0].retries.Load()+stores[1].retries.Load())
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func str(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

// TestAnalyzeAfterBulkLoad: a load into empty tables leaves them analysed,
// so that the planner knows their size (analyze.go).
func TestAnalyzeAfterBulkLoad(t *testing.T) {
	s := newStore(t)
	items := make([]string, 6*clientele.ChunkSize) // 6,000 rows in all: past analyzeMinRows
	for i := range items {
		items[i] = fmt.Sprintf(`{"email":"load%d@x.com","identities":[{"handle":"pos","identifier":"P%d"}]}`, i, i)
	}
	submitItems(t, s, clientele.MatchEmail, items)
	applyBatch(t, s)
	deadline := time.Now().Add(20 * time.Second)
	for {
		var analysed int
		ok(t, s.pool.QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_user_tables
			WHERE relid IN ('profiles'::regclass, 'identities'::regclass) AND last_analyze IS NOT NULL`).Scan(&analysed))
		if analysed == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of profiles and identities analysed after a load of %d (ANALYZE runs: %d)", analysed, len(items), s.analyzer.runs.Load())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var tuples float64
	ok(t, s.pool.QueryRow(t.Context(), `SELECT reltuples FROM pg_class WHERE oid = 'profiles'::regclass`).Scan(&tuples))
	if tuples < clientele.ChunkSize {
		t.Errorf("profiles analysed at %v rows; the load holds %d", tuples, len(items))
	}
}
