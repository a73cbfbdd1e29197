package sqlite

import (
	"context"
	"sync"
)

// writeGate orders the one writer's transactions by who waits for them. A
// client waits for its batch to be accepted (202 only after the commit) or
// its profile write; nobody waits for a chunk of a queued batch or for the
// webhook machinery's bookkeeping. Without the gate, database/sql hands
// the connection over first come, first served, and an accept queued
// behind both workers' chunk transactions (30–40 ms each) and the other
// accepts took 80–230 ms; with it, an accept waits for at most the one
// transaction in progress and the accepts ahead of it. Short single
// statements (claims, lease renewals, token writes) use the writer
// directly and are not ordered by the gate; the webhook dispatcher's
// bookkeeping transactions go through it at background priority.
type writeGate struct {
	mu   sync.Mutex
	held bool
	// waiting holds each waiter's wake-up channel, by priority.
	waiting [2][]chan struct{}
	// passed counts the client grants in a row made while background
	// work waited; at maxPassed, background goes next, so that a steady
	// stream of requests cannot stall batches and webhooks for good.
	passed int
}

// maxPassed is how many request transactions may go ahead of waiting
// background work in a row: a chunk waits for at most this many short
// request transactions, an accept for at most one chunk.
const maxPassed = 4

// Priorities, most urgent first.
const (
	prioClient     = 0 // a request waits for this transaction
	prioBackground = 1 // the worker, the webhook router and dispatcher
)

// lock takes the gate at priority prio. It fails only when ctx ends first.
func (g *writeGate) lock(ctx context.Context, prio int) error {
	g.mu.Lock()
	if !g.held {
		g.held = true
		g.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	g.waiting[prio] = append(g.waiting[prio], ch)
	g.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		g.mu.Lock()
		for i, c := range g.waiting[prio] {
			if c == ch {
				g.waiting[prio] = append(g.waiting[prio][:i], g.waiting[prio][i+1:]...)
				g.mu.Unlock()
				return ctx.Err()
			}
		}
		g.mu.Unlock()
		// unlock handed the gate over as ctx ended: pass it on.
		g.unlock()
		return ctx.Err()
	}
}

// unlock hands the gate to the first waiter of the most urgent priority
// (but to background work after maxPassed requests went ahead of it), or
// frees it.
func (g *writeGate) unlock() {
	g.mu.Lock()
	defer g.mu.Unlock()
	order := []int{prioClient, prioBackground}
	if len(g.waiting[prioBackground]) == 0 {
		g.passed = 0
	} else if g.passed >= maxPassed {
		order = []int{prioBackground, prioClient}
	}
	for _, p := range order {
		if len(g.waiting[p]) > 0 {
			ch := g.waiting[p][0]
			g.waiting[p] = g.waiting[p][1:]
			if p == prioClient && len(g.waiting[prioBackground]) > 0 {
				g.passed++
			} else {
				g.passed = 0
			}
			close(ch)
			return
		}
	}
	g.held = false
}
