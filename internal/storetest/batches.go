package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/google/uuid"
)

func testBatchCreateAndRead(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	id := uuid.NewString()
	b := newBatch(id, clientele.MatchEmail, t0, 3)
	job := int64(42)
	b.ImportJobID = &job
	items := newItems(t, clientele.MatchEmail, []string{emailItem("a@x.com", "A"), emailItem("b@x.com", "B"), `{"first_name":"C"}`})
	_, err := s.CreateBatch(ctx, b, items, clientele.Idempotency{})
	ok(t, err)

	got, err := s.Batch(ctx, id)
	ok(t, err)
	if got.ID != id || got.ImportJobID == nil || *got.ImportJobID != 42 || got.MatchCriteria != clientele.MatchEmail ||
		got.Status != clientele.BatchPending || got.TotalCount != 3 ||
		!got.CreatedAt.Equal(t0) || !got.UpdatedAt.Equal(t0) || got.StartedAt != nil || got.CompletedAt != nil {
		t.Errorf("Batch = %+v", got)
	}
	wantCounts(t, got, 0, 0, 0, 0, 0, 0)

	_, err = s.CreateBatch(ctx, b, items, clientele.Idempotency{})
	wantCode(t, err, clientele.ECONFLICT)
	_, err = s.CreateBatch(ctx, newBatch(uuid.NewString(), clientele.MatchEmail, t0, 0), clientele.NewBatchItems{}, clientele.Idempotency{})
	wantCode(t, err, clientele.EINVALID)
	_, err = s.Batch(ctx, uuid.NewString())
	wantCode(t, err, clientele.ENOTFOUND)

	// A batch without an import job.
	other := submit(t, s, "shopify", t0, `{"identities":[{"handle":"shopify","identifier":"S1"}]}`)
	got, err = s.Batch(ctx, other)
	ok(t, err)
	if got.ImportJobID != nil || got.MatchCriteria != "shopify" || got.TotalCount != 1 {
		t.Errorf("Batch = %+v", got)
	}
}

func testBatchItemsPending(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	var raw []string
	for i := range 7 {
		if i == 3 {
			raw = append(raw, `{"first_name":"no email"}`)
			continue
		}
		raw = append(raw, emailItem(fmt.Sprintf(" User%d@X.com", i), "U"))
	}
	id := submit(t, s, clientele.MatchEmail, t0, raw...)

	items := allItems(t, s, id)
	if len(items) != 7 {
		t.Fatalf("%d items, want 7", len(items))
	}
	for i, it := range items {
		want := ptr(fmt.Sprintf("user%d@x.com", i))
		if i == 3 {
			want = nil
		}
		if it.Index != i || it.Status != clientele.ItemPending || it.Outcome != "" || it.EntityID != nil ||
			str(it.MatchValue) != str(want) || it.Errors != nil || it.ConflictProfileID != nil ||
			!it.CreatedAt.Equal(t0) || !it.UpdatedAt.Equal(t0) {
			t.Errorf("item %d = %+v (match value %s, want %s)", i, it, str(it.MatchValue), str(want))
		}
	}

	page := func(f clientele.BatchItemFilter, wantIdx []int, wantTotal int) {
		t.Helper()
		items, total, err := s.BatchItems(ctx, id, f)
		ok(t, err)
		var got []int
		for _, it := range items {
			got = append(got, it.Index)
		}
		if fmt.Sprint(got) != fmt.Sprint(wantIdx) || total != wantTotal {
			t.Errorf("BatchItems(%+v) = %v total %d, want %v total %d", f, got, total, wantIdx, wantTotal)
		}
	}
	page(clientele.BatchItemFilter{Offset: 2, Limit: 3}, []int{2, 3, 4}, 7)
	page(clientele.BatchItemFilter{Offset: 6, Limit: 5}, []int{6}, 7)
	page(clientele.BatchItemFilter{Offset: 10, Limit: 5}, nil, 7)
	page(clientele.BatchItemFilter{Status: clientele.ItemPending, Offset: 5}, []int{5, 6}, 7)
	page(clientele.BatchItemFilter{Status: clientele.ItemSuccess}, nil, 0)
	page(clientele.BatchItemFilter{Status: clientele.ItemFailed}, nil, 0)

	_, _, err := s.BatchItems(ctx, uuid.NewString(), clientele.BatchItemFilter{})
	wantCode(t, err, clientele.ENOTFOUND)

	// A handle's match value is the identifier of the item's identity with
	// that handle.
	hid := submit(t, s, "shopify", t0,
		`{"identities":[{"handle":"pos","identifier":"P1"},{"handle":"shopify","identifier":"S1"}]}`,
		`{"identities":[{"handle":"pos","identifier":"P2"}]}`)
	items = allItems(t, s, hid)
	if len(items) != 2 || str(items[0].MatchValue) != `"S1"` || items[1].MatchValue != nil {
		t.Errorf("identity match values: %s, %s", str(items[0].MatchValue), str(items[1].MatchValue))
	}
}

func testBatchItemsAcrossChunks(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	const n = 2*clientele.ChunkSize + 203
	raw := make([]string, n)
	for i := range raw {
		raw[i] = fmt.Sprintf(`{"email":"u%04d@x.com","first_name":"U","tags":["t%d"]}`, i, i)
	}
	id := submit(t, s, clientele.MatchEmail, t0, raw...)
	l := claim(t, s, t0)
	if l.BatchID != id || l.Cursor != 0 || l.Total != n || l.MatchCriteria != clientele.MatchEmail {
		t.Fatalf("lease %+v", l)
	}

	leased := func(from, want int) {
		t.Helper()
		items, err := s.LeasedItems(ctx, l, from)
		ok(t, err)
		if len(items) != want {
			t.Fatalf("LeasedItems(%d): %d items, want %d", from, len(items), want)
		}
		for i, it := range items {
			if it.Index != from+i || !jsonEqual(t, it.JSON, []byte(raw[from+i])) {
				t.Fatalf("LeasedItems(%d)[%d] = %d %s, want %d %s", from, i, it.Index, it.JSON, from+i, raw[from+i])
			}
		}
	}
	leased(0, clientele.ChunkSize)
	leased(clientele.ChunkSize, clientele.ChunkSize)
	leased(2*clientele.ChunkSize, 203)
	leased(3, clientele.ChunkSize) // spans two stored chunks
	leased(n-1, 1)
	leased(n, 0)

	page := func(f clientele.BatchItemFilter, from, count, total int, status string) {
		t.Helper()
		items, gotTotal, err := s.BatchItems(ctx, id, f)
		ok(t, err)
		if len(items) != count || gotTotal != total {
			t.Fatalf("BatchItems(%+v): %d items total %d, want %d total %d", f, len(items), gotTotal, count, total)
		}
		for i, it := range items {
			st := status
			if st == "" { // applied up to the first chunk's end
				st = clientele.ItemPending
				if it.Index < clientele.ChunkSize {
					st = clientele.ItemSuccess
				}
			}
			mv := fmt.Sprintf("u%04d@x.com", from+i)
			if it.Index != from+i || it.Status != st || str(it.MatchValue) != str(&mv) {
				t.Errorf("BatchItems(%+v)[%d] = index %d status %s match %s", f, i, it.Index, it.Status, str(it.MatchValue))
			}
		}
	}
	page(clientele.BatchItemFilter{Offset: 495, Limit: 10}, 495, 10, n, clientele.ItemPending)

	applyNext(t, s, l, 0, at(time.Second))
	page(clientele.BatchItemFilter{Offset: 495, Limit: 10}, 495, 10, n, "")
	page(clientele.BatchItemFilter{Offset: 1195, Limit: 100}, 1195, 8, n, clientele.ItemPending)
	page(clientele.BatchItemFilter{Status: clientele.ItemSuccess, Offset: 498, Limit: 5}, 498, 2, clientele.ChunkSize, clientele.ItemSuccess)
	page(clientele.BatchItemFilter{Status: clientele.ItemPending, Limit: 2}, clientele.ChunkSize, 2, n-clientele.ChunkSize, clientele.ItemPending)
	page(clientele.BatchItemFilter{Status: clientele.ItemPending, Offset: 700, Limit: 10}, clientele.ChunkSize+700, 3, n-clientele.ChunkSize, clientele.ItemPending)
	page(clientele.BatchItemFilter{Status: clientele.ItemFailed}, 0, 0, 0, clientele.ItemFailed)

	items, _, err := s.BatchItems(ctx, id, clientele.BatchItemFilter{Offset: 499, Limit: 2})
	ok(t, err)
	wantItem(t, items[0], clientele.OutcomeCreated, items[0].EntityID)
	if items[0].EntityID == nil || !items[0].UpdatedAt.Equal(at(time.Second)) || !items[0].CreatedAt.Equal(t0) {
		t.Errorf("applied item %+v", items[0])
	}
	wantItem(t, items[1], "", nil)
}

func testClaimFIFO(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	_, err := s.ClaimBatch(ctx, "w", t0, ttl)
	wantCode(t, err, clientele.ENOTFOUND)

	// Same creation time: the order is the order of submission.
	var batches []string
	for i := range 3 {
		batches = append(batches, submit(t, s, clientele.MatchEmail, t0, emailItem(fmt.Sprintf("b%d@x.com", i), "B"), emailItem("c@x.com", "C")))
	}
	tokens := map[string]bool{}
	for i, want := range batches {
		now := at(time.Duration(i) * time.Second)
		l, err := s.ClaimBatch(ctx, fmt.Sprintf("w%d", i), now, ttl)
		ok(t, err)
		if l.BatchID != want || l.Owner != fmt.Sprintf("w%d", i) || l.Token == "" || tokens[l.Token] ||
			l.MatchCriteria != clientele.MatchEmail || l.Cursor != 0 || l.Total != 2 {
			t.Errorf("claim %d = %+v, want batch %s", i, l, want)
		}
		tokens[l.Token] = true
		b, err := s.Batch(ctx, want)
		ok(t, err)
		if b.Status != clientele.BatchProcessing {
			t.Errorf("claimed batch status %q", b.Status)
		}
		wantTime(t, "StartedAt", b.StartedAt, now)
	}
	_, err = s.ClaimBatch(ctx, "w", at(time.Minute/2), ttl)
	wantCode(t, err, clientele.ENOTFOUND)
}

func testLeaseExpiryAndRenewal(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	id := submit(t, s, clientele.MatchEmail, t0, emailItem("a@x.com", "A"))
	l1, err := s.ClaimBatch(ctx, "w1", t0, ttl)
	ok(t, err)

	_, err = s.ClaimBatch(ctx, "w2", at(ttl-time.Second), ttl)
	wantCode(t, err, clientele.ENOTFOUND)

	l2, err := s.ClaimBatch(ctx, "w2", at(ttl+time.Second), ttl) // l1 expired
	ok(t, err)
	if l2.BatchID != id || l2.Token == l1.Token || l2.Owner != "w2" {
		t.Fatalf("reclaim = %+v", l2)
	}
	b, err := s.Batch(ctx, id)
	ok(t, err)
	wantTime(t, "StartedAt after a reclaim", b.StartedAt, t0)

	wantCode(t, s.RenewLease(ctx, l1, at(ttl+2*time.Second), ttl), clientele.ECONFLICT)

	// l2 runs until ttl+1s+ttl; renewed at 100s it runs until 160s.
	ok(t, s.RenewLease(ctx, l2, at(100*time.Second), ttl))
	_, err = s.ClaimBatch(ctx, "w3", at(130*time.Second), ttl)
	wantCode(t, err, clientele.ENOTFOUND)
	l3, err := s.ClaimBatch(ctx, "w3", at(161*time.Second), ttl)
	ok(t, err)
	if l3.BatchID != id || l3.Token == l2.Token {
		t.Fatalf("claim after the renewed lease expired = %+v", l3)
	}
	wantCode(t, s.RenewLease(ctx, l2, at(162*time.Second), ttl), clientele.ECONFLICT)
}

func testLeasedItemsLostLease(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	submit(t, s, clientele.MatchEmail, t0, emailItem("a@x.com", "A"), emailItem("b@x.com", "B"))
	l1 := claim(t, s, t0)
	items, err := s.LeasedItems(ctx, l1, 1)
	ok(t, err)
	if len(items) != 1 || items[0].Index != 1 {
		t.Fatalf("LeasedItems(1) = %+v", items)
	}
	claim(t, s, at(2*ttl))
	_, err = s.LeasedItems(ctx, l1, 0)
	wantCode(t, err, clientele.ECONFLICT)
	_, err = s.LeasedItems(ctx, clientele.Lease{BatchID: uuid.NewString(), Token: l1.Token}, 0)
	wantCode(t, err, clientele.ECONFLICT)
}

func testQueuedItems(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	queued := func(want int) {
		t.Helper()
		n, err := s.QueuedItems(ctx)
		ok(t, err)
		if n != want {
			t.Errorf("QueuedItems = %d, want %d", n, want)
		}
	}
	queued(0)
	small := submit(t, s, clientele.MatchEmail, t0, emailItem("a@x.com", "A"), emailItem("b@x.com", "B"), emailItem("c@x.com", "C"))
	raw := make([]string, clientele.ChunkSize+100)
	for i := range raw {
		raw[i] = emailItem(fmt.Sprintf("q%d@x.com", i), "Q")
	}
	big := submit(t, s, clientele.MatchEmail, t0, raw...)
	queued(3 + clientele.ChunkSize + 100)

	applyAll(t, s, small, at(time.Second))
	queued(clientele.ChunkSize + 100)

	l := claim(t, s, at(2*time.Second))
	if l.BatchID != big {
		t.Fatalf("claimed %s, want %s", l.BatchID, big)
	}
	queued(clientele.ChunkSize + 100) // claimed but not applied
	cursor := applyNext(t, s, l, 0, at(2*time.Second))
	queued(100)
	applyNext(t, s, l, cursor, at(3*time.Second))
	queued(0)
}
