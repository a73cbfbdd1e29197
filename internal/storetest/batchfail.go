package storetest

import (
	"testing"
	"time"

	"github.com/clientele/clientele"
)

// A batch counts its claims, and one that is failed under its lease ends:
// status failed, never claimed again, no longer queued, unapplied items
// still pending, and a batch.failed event in the outbox.
func testBatchClaimsAndFail(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	id := submit(t, s, clientele.MatchEmail, t0, emailItem("a@x.com", "A"), emailItem("b@x.com", "B"))
	l1, err := s.ClaimBatch(ctx, "w1", t0, ttl)
	ok(t, err)
	l2, err := s.ClaimBatch(ctx, "w2", at(ttl+time.Second), ttl)
	ok(t, err)
	if l1.Claims != 1 || l2.Claims != 2 {
		t.Fatalf("claims = %d then %d, want 1 then 2", l1.Claims, l2.Claims)
	}
	wantCode(t, s.FailBatch(ctx, l1, at(ttl+2*time.Second)), clientele.ECONFLICT)
	ok(t, s.FailBatch(ctx, l2, at(ttl+2*time.Second)))

	b, err := s.Batch(ctx, id)
	ok(t, err)
	if b.Status != clientele.BatchFailed || b.ProcessedCount != 0 {
		t.Fatalf("failed batch = %+v", b)
	}
	wantTime(t, "CompletedAt", b.CompletedAt, at(ttl+2*time.Second))
	_, err = s.ClaimBatch(ctx, "w3", at(10*ttl), ttl)
	wantCode(t, err, clientele.ENOTFOUND)
	wantCode(t, s.FailBatch(ctx, l2, at(10*ttl)), clientele.ECONFLICT)
	n, err := s.QueuedItems(ctx)
	ok(t, err)
	if n != 0 {
		t.Fatalf("QueuedItems = %d after the batch failed, want 0", n)
	}
	items, _, err := s.BatchItems(ctx, id, clientele.BatchItemFilter{Status: clientele.ItemPending})
	ok(t, err)
	if len(items) != 2 {
		t.Fatalf("pending items = %+v", items)
	}

	r := claimRouter(t, s, "router", at(10*ttl))
	page, err := s.NextEvents(ctx, r, 100, at(10*ttl))
	ok(t, err)
	if len(page.Events) != 1 || page.Events[0].Type != clientele.EventBatchFailed || page.Events[0].BatchID != id {
		t.Fatalf("events = %+v, want one batch.failed", page.Events)
	}
}
