package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele"
)

// TestRateLimiterForgetsIdleTokens: the limiter holds a bucket only for
// tokens used lately, so its memory is bounded by the active tokens, not
// by every token ever seen; a forgotten bucket was full anyway.
func TestRateLimiterForgetsIdleTokens(t *testing.T) {
	rl := newRateLimiter(10)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10_000 {
		if err := rl.allow(fmt.Sprint("token-", i), t0, http.Header{}); err != nil {
			t.Fatalf("first request of a token refused: %v", err)
		}
	}
	if n := rl.size(); n != 10_000 {
		t.Fatalf("%d buckets, want 10000", n)
	}
	// One token stays busy; the sweep runs once sweepEvery has passed.
	later := t0.Add(rl.sweepEvery)
	rl.allow("busy", later.Add(-time.Millisecond), http.Header{})
	rl.allow("busy", later, http.Header{})
	if n := rl.size(); n != 1 {
		t.Errorf("%d buckets after the idle ones expired, want 1", n)
	}
}

// TestRateLimiterOff: no limit, no limiter.
func TestRateLimiterOff(t *testing.T) {
	for _, rps := range []float64{0, -1} {
		if newRateLimiter(rps) != nil {
			t.Errorf("newRateLimiter(%v) is not nil", rps)
		}
	}
}

// TestBodyBudget: requests reserve their declared length (or the body
// limit, when unknown) and are refused with 429 once the budget is spent;
// released bytes are reusable, and a release twice returns them once.
func TestBodyBudget(t *testing.T) {
	b := &bodyBudget{max: 100}
	req := func(n int64) *http.Request {
		r := httptest.NewRequest("POST", "/", strings.NewReader(""))
		r.ContentLength = n
		return r
	}
	rel1, err := b.reserve(req(60), 80)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.reserve(req(50), 80); !isTooMany(err) {
		t.Fatalf("over budget: %v, want 429", err)
	}
	rel2, err := b.reserve(req(40), 80)
	if err != nil {
		t.Fatal(err)
	}
	rel1()
	rel1()
	if got := b.used.Load(); got != 40 {
		t.Errorf("used = %d after a double release, want 40", got)
	}
	// Unknown length: the body limit is reserved.
	if _, err := b.reserve(req(-1), 80); !isTooMany(err) {
		t.Errorf("chunked request over budget: %v", err)
	}
	rel2()
	// Alone, a request always fits, even one larger than the budget.
	rel3, err := b.reserve(req(-1), 500)
	if err != nil {
		t.Errorf("a lone request was refused: %v", err)
	}
	rel3()
}

func isTooMany(err error) bool {
	var tm *tooManyError
	return errors.As(err, &tm)
}

// countingStore counts QueuedItems calls and answers a set value.
type countingStore struct {
	clientele.BatchStore
	queued int
	calls  int
}

func (s *countingStore) QueuedItems(context.Context) (int, error) {
	s.calls++
	return s.queued, nil
}

// TestQueueGateEstimate: between reads of the store the gate counts what
// this node admits, so a burst cannot overshoot the limit; a refused
// batch's Retry-After grows with the excess, up to a minute.
func TestQueueGateEstimate(t *testing.T) {
	st := &countingStore{queued: 90}
	g := newQueueGate(st, 100)
	ctx := t.Context()
	if err := g.check(ctx); err != nil {
		t.Fatal(err)
	}
	done, err := g.admit(ctx, 8)
	if err != nil {
		t.Fatal(err)
	}
	// 98 counted (8 in flight): 3 more do not fit, 2 do.
	if _, err := g.admit(ctx, 3); !isTooMany(err) {
		t.Errorf("admit past the limit: %v", err)
	}
	done(true)
	done2, err := g.admit(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	done2(false) // not stored: its room is given back
	if err := g.check(ctx); err != nil {
		t.Errorf("check at 98 of 100: %v", err)
	}
	if st.calls != 1 {
		t.Errorf("%d reads of the store within the refresh interval, want 1", st.calls)
	}

	st.queued = 1_000_000
	g.read = time.Time{} // stale
	err = g.check(ctx)
	var tm *tooManyError
	if !errors.As(err, &tm) || tm.retryAfter != maxRetryAfter {
		t.Errorf("far over the limit: %v, want 429 after %v", err, maxRetryAfter)
	}
	if newQueueGate(st, 0) != nil || newQueueGate(st, -1) != nil {
		t.Error("a gate without a limit")
	}
	var none *queueGate
	if err := none.check(ctx); err != nil {
		t.Errorf("nil gate refused: %v", err)
	}
}
