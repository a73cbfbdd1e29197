package api

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clientele/clientele"
)

// Backpressure on batch submission (spec §13 E11): the queue of accepted
// but unapplied items is bounded by --queue-limit, and the bodies being
// read and parsed at once by a byte budget, so that clients submitting
// faster than the workers drain get 429 and a Retry-After instead of
// growing the database or this process without bound.

// DefaultQueueLimit is the queued items above which new batches get 429
// when Deps.QueueLimit is zero: about a minute of work for one node at the
// measured 15-24k profiles/s, a few hundred MB of stored payload.
const DefaultQueueLimit = 1_000_000

// assumedDrainRate is the items per second the Retry-After of a full queue
// assumes the workers apply. It is conservative (the measured rate is
// 15-24k/s on two cores), so a client told to wait finds room more often
// than not.
const assumedDrainRate = 2000

// maxRetryAfter bounds any Retry-After: past a minute a client is better
// off asking again than trusting an estimate.
const maxRetryAfter = 60 * time.Second

// queueRefresh is how stale the queue count may be. Between reads this node
// counts what it accepts itself, so only the workers' progress and other
// nodes' accepts go unseen for this long.
const queueRefresh = 250 * time.Millisecond

// queueGate admits batches while the queue is below its limit. It reads
// the queue (Store.QueuedItems) at most every queueRefresh, and adds the
// items this node has accepted since and is accepting now, so that a burst
// of submissions on one node cannot overshoot the limit between reads.
// The estimate errs high (an item accepted while a read runs may be counted
// twice), which refuses slightly early rather than late.
type queueGate struct {
	limit int
	store clientele.BatchStore

	mu       sync.Mutex
	queued   int       // the last count read
	read     time.Time // when it was read (wall clock: not Deps.Now)
	since    int       // items stored by this node since the last read began
	carried  int       // while a read runs: what since was when it began
	inflight int       // items admitted whose CreateBatch has not returned
	reading  bool
}

// newQueueGate returns a gate of limit items, or nil when limit <= 0 (no
// limit).
func newQueueGate(store clientele.BatchStore, limit int) *queueGate {
	if limit <= 0 {
		return nil
	}
	return &queueGate{limit: limit, store: store}
}

// check refuses a new batch before its body is read, when the queue has
// reached the limit.
func (g *queueGate) check(ctx context.Context) error {
	if g == nil {
		return nil
	}
	est, err := g.estimate(ctx)
	if err != nil {
		return err
	}
	if est >= g.limit {
		return g.refuse(est + 1)
	}
	return nil
}

// admit reserves room for a parsed batch of n items, refusing it when it
// would take the queue past the limit. A batch larger than the whole limit
// is still admitted into an empty queue, so that no valid batch is
// refused forever. The caller must call done with whether the batch was
// stored.
func (g *queueGate) admit(ctx context.Context, n int) (done func(stored bool), err error) {
	if g == nil {
		return func(bool) {}, nil
	}
	if _, err := g.estimate(ctx); err != nil {
		return nil, err
	}
	g.mu.Lock()
	est := g.sum()
	if est > 0 && est+n > g.limit {
		g.mu.Unlock()
		return nil, g.refuse(est + n)
	}
	g.inflight += n
	g.mu.Unlock()
	var once sync.Once
	return func(stored bool) {
		once.Do(func() {
			g.mu.Lock()
			g.inflight -= n
			if stored {
				g.since += n
			}
			g.mu.Unlock()
		})
	}, nil
}

// estimate returns the queue as this node sees it, reading the store when
// the last read is stale. One request reads at a time; the others use the
// previous count meanwhile rather than queue behind the read.
func (g *queueGate) estimate(ctx context.Context) (int, error) {
	g.mu.Lock()
	if g.reading || time.Since(g.read) < queueRefresh {
		est := g.sum()
		g.mu.Unlock()
		return est, nil
	}
	// Items stored from here on may or may not be in the count being
	// read, so they are counted in since as well: counted twice at worst.
	g.reading = true
	g.carried, g.since = g.since, 0
	g.mu.Unlock()

	q, err := g.store.QueuedItems(ctx)

	g.mu.Lock()
	defer g.mu.Unlock()
	g.reading = false
	if err != nil {
		// Keep counting from the old read.
		g.since += g.carried
		g.carried = 0
		return 0, err
	}
	g.queued, g.read, g.carried = q, time.Now(), 0
	return g.sum(), nil
}

// sum is the estimate: the last read, what this node stored since (and,
// while a read runs, before it), and what it is storing now. g.mu is held.
func (g *queueGate) sum() int {
	return g.queued + g.carried + g.since + g.inflight
}

// refuse is the 429 for a queue that would hold want items: Retry-After is
// the time the workers need, at assumedDrainRate, to make the excess room.
func (g *queueGate) refuse(want int) error {
	excess := max(want-g.limit, 1)
	wait := time.Duration(float64(excess) / assumedDrainRate * float64(time.Second))
	return &tooManyError{retryAfter: min(wait, maxRetryAfter)}
}

// bodyBudget bounds the request bytes that batch submissions hold in
// memory at once: each reserves its declared length (or the body limit,
// when the length is unknown) before reading, and a request that does not
// fit is refused with 429 at once instead of waiting in memory. Parsing
// holds a few copies of a body, so the process's memory for submissions
// stays within a small multiple of the budget whatever the clients do.
type bodyBudget struct {
	max  int64
	used atomic.Int64
}

// bodyBudgetBodies is the budget in bodies of the largest allowed size.
const bodyBudgetBodies = 4

// minBodyBudget keeps the budget useful when the body limit is small: many
// ordinary batches (a 500-profile batch is about 250 KB) must fit at once.
const minBodyBudget = 64 << 20

func newBodyBudget(maxBody int64) *bodyBudget {
	return &bodyBudget{max: max(bodyBudgetBodies*maxBody, minBodyBudget)}
}

// reserve reserves room for r's body of at most maxBody bytes and returns
// the function that gives it back.
func (b *bodyBudget) reserve(r *http.Request, maxBody int64) (release func(), err error) {
	n := maxBody
	if r.ContentLength >= 0 && r.ContentLength < maxBody {
		n = r.ContentLength
	}
	for {
		used := b.used.Load()
		if used > 0 && used+n > b.max {
			return nil, &tooManyError{retryAfter: time.Second}
		}
		if b.used.CompareAndSwap(used, used+n) {
			break
		}
	}
	var once sync.Once
	return func() { once.Do(func() { b.used.Add(-n) }) }, nil
}
