package sqlite

import (
	"context"
	"testing"
	"time"
)

// waitQueued waits until the gate has n waiters at prio.
func waitQueued(t *testing.T, g *writeGate, prio, n int) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; {
		g.mu.Lock()
		got := len(g.waiting[prio])
		g.mu.Unlock()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d waiters at priority %d, want %d", got, prio, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// A client transaction that queues after background ones still goes
// first; waiters of one priority go in arrival order.
func TestWriteGateOrder(t *testing.T) {
	var g writeGate
	ctx := context.Background()
	if err := g.lock(ctx, prioBackground); err != nil {
		t.Fatal(err)
	}
	order := make(chan string, 3)
	queue := func(name string, prio, ahead int) {
		go func() {
			g.lock(ctx, prio)
			order <- name
			g.unlock()
		}()
		waitQueued(t, &g, prio, ahead+1)
	}
	queue("background 1", prioBackground, 0)
	queue("background 2", prioBackground, 1)
	queue("client", prioClient, 0)
	g.unlock()
	for _, want := range []string{"client", "background 1", "background 2"} {
		if got := <-order; got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	}
	// Everyone left: the gate is free.
	if err := g.lock(ctx, prioBackground); err != nil {
		t.Fatal(err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.waiting[prioClient])+len(g.waiting[prioBackground]) != 0 {
		t.Errorf("waiters left: %v", g.waiting)
	}
}

// A waiter whose context ends leaves the queue without the gate, and the
// gate still passes to the next.
func TestWriteGateCancel(t *testing.T) {
	var g writeGate
	if err := g.lock(context.Background(), prioClient); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error)
	go func() { errc <- g.lock(ctx, prioClient) }()
	waitQueued(t, &g, prioClient, 1)
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("lock succeeded after its context ended")
	}
	waitQueued(t, &g, prioClient, 0)
	g.unlock()
	got := make(chan error)
	go func() { got <- g.lock(context.Background(), prioBackground) }()
	select {
	case err := <-got:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the gate did not pass on")
	}
}

// A steady stream of requests does not keep background work out: it gets
// the writer after at most maxPassed requests went ahead of it.
func TestWriteGateNoStarvation(t *testing.T) {
	var g writeGate
	ctx := context.Background()
	if err := g.lock(ctx, prioClient); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 2*maxPassed+2)
	go func() {
		g.lock(ctx, prioBackground)
		got <- "background"
		g.unlock()
	}()
	waitQueued(t, &g, prioBackground, 1)
	// Requests keep coming: one always waits when the gate is handed on.
	for i := range 2 * maxPassed {
		go func() {
			g.lock(ctx, prioClient)
			got <- "client"
			g.unlock()
		}()
		waitQueued(t, &g, prioClient, i+1)
	}
	g.unlock()
	for i := range maxPassed + 1 {
		if w := <-got; w == "background" {
			if i < maxPassed {
				t.Fatalf("background went after %d requests, want %d (the bound, not sooner)", i, maxPassed)
			}
			return
		}
	}
	t.Fatalf("background still waits after %d requests", maxPassed+1)
}
