package worker

import (
	"sync"
	"time"

	"github.com/clientele/clientele"
)

// Handoff carries the batches this node has just accepted, already decoded
// and validated (clientele.BatchRequest.Inputs), to this node's workers.
// Decoding a queued item again was a third of the server's CPU in a load
// through PostgreSQL; with the handoff, a batch accepted and applied on one
// node (the usual case: accepting wakes the local workers) is decoded once.
//
// It is a cache, never the record: the store holds every accepted item, and
// a worker that finds nothing here (another node accepted the batch, this
// one restarted, or the batch was evicted) reads and decodes the stored
// items as before. What it takes from here is exactly what Prepare would
// make of the stored JSON, since it is the same JSON decoded and checked
// by the same functions.
type Handoff struct {
	mu      sync.Mutex
	limit   int           // most items held
	maxAge  time.Duration // how long a batch is held for a local worker
	held    int
	batches map[string][]*clientele.ProfileInput
	order   []putAt // oldest first
}

// putAt is when a batch was put.
type putAt struct {
	id string
	at time.Time
}

// handoffMaxAge is how long a batch waits for this node's workers. One
// that waits longer was claimed by another node, or sits behind a backlog
// that the store serves anyway; forgetting it keeps the room for batches
// that will be taken.
const handoffMaxAge = 30 * time.Second

// DefaultHandoffItems bounds a Handoff: 20 batches of 500, about 2 KB per
// decoded item, so 20 MB held. A deeper backlog is read from the store, as
// before.
const DefaultHandoffItems = 10000

// NewHandoff returns a Handoff that holds at most limit items.
func NewHandoff(limit int) *Handoff {
	return &Handoff{limit: limit, maxAge: handoffMaxAge, batches: map[string][]*clientele.ProfileInput{}}
}

// Put keeps a batch's validated inputs, in item order, for Take, if they
// fit. When they do not, the batch is left to the store: the batches held
// are older, so the workers (which take the oldest first) need them sooner.
func (h *Handoff) Put(batchID string, inputs []*clientele.ProfileInput) {
	if h == nil {
		return
	}
	now := time.Now()
	h.mu.Lock()
	defer h.mu.Unlock()
	for len(h.order) > 0 && now.Sub(h.order[0].at) > h.maxAge {
		h.drop(h.order[0].id)
	}
	if h.held+len(inputs) > h.limit {
		return
	}
	h.batches[batchID] = inputs
	h.order = append(h.order, putAt{batchID, now})
	h.held += len(inputs)
}

// Take returns the chunk of batchID that starts at item from, as Prepare
// would make it from the stored items [from, from+ChunkSize), and forgets
// those items; ok is false when it does not hold them. Inputs are handed
// over, not copied: each is taken once.
func (h *Handoff) Take(batchID string, from int, phoneRegion string) (items []clientele.ChunkItem, ok bool) {
	if h == nil {
		return nil, false
	}
	h.mu.Lock()
	inputs, held := h.batches[batchID]
	end := min(from+clientele.ChunkSize, len(inputs))
	if !held || from < 0 || from >= end || inputs[from] == nil {
		if held {
			h.drop(batchID) // a cursor it cannot serve: it never will
		}
		h.mu.Unlock()
		return nil, false
	}
	taken := append([]*clientele.ProfileInput(nil), inputs[from:end]...)
	for i := from; i < end; i++ {
		inputs[i] = nil // taken once; keeps the check above honest
	}
	h.held -= len(taken)
	if end == len(inputs) {
		h.drop(batchID)
	}
	h.mu.Unlock()

	// Phone numbers are parsed here, on the worker, as Prepare does, and
	// not on the accept path that a client waits on.
	items = make([]clientele.ChunkItem, len(taken))
	for i, in := range taken {
		items[i] = clientele.PrepareValidated(from+i, in, phoneRegion)
	}
	return items, true
}

// Drop forgets a batch that Put was given but that was not stored after
// all (the store failed, or an idempotent replay named another batch).
func (h *Handoff) Drop(batchID string) {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.drop(batchID)
}

// drop forgets a batch and the items it still holds.
func (h *Handoff) drop(batchID string) {
	for _, in := range h.batches[batchID] {
		if in != nil {
			h.held--
		}
	}
	delete(h.batches, batchID)
	for i, p := range h.order {
		if p.id == batchID {
			h.order = append(h.order[:i], h.order[i+1:]...)
			break
		}
	}
}
