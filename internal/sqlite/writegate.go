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
// transaction in progress and the accepts ahead of it.
type writeGate struct {
	mu   sync.Mutex
	held bool
	// waiting holds each waiter's wake-up channel, by priority.
	waiting [2][]chan struct{}
}

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

// unlock hands the gate to the first waiter of the most urgent priority,
// or frees it.
func (g *writeGate) unlock() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for p := range g.waiting {
		if len(g.waiting[p]) > 0 {
			ch := g.waiting[p][0]
			g.waiting[p] = g.waiting[p][1:]
			close(ch)
			return
		}
	}
	g.held = false
}
