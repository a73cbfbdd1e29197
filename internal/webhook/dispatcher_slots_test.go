package webhook

import (
	"context"
	"testing"
)

// The per-host slots bound concurrency per host and are forgotten once a
// host is idle, so the map does not grow with every host ever used.
func TestHostSlotsBoundAndForget(t *testing.T) {
	d := &Dispatcher{perHost: 2, hosts: map[string]*hostSlots{}}
	ctx := context.Background()
	r1, err := d.hostSlot(ctx, "a.example")
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := d.hostSlot(ctx, "a.example")
	full, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.hostSlot(full, "a.example"); err == nil {
		t.Fatal("a third slot for a host limited to 2 was granted")
	}
	r1()
	r2()
	if len(d.hosts) != 0 {
		t.Fatalf("idle hosts kept: %v", d.hosts)
	}
}
