package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/sqlite"
)

// TestLoadBackpressure submits batches from many clients for a few seconds,
// faster than one worker drains them, to the API and workers wired as
// `clientele serve` wires them with a small --queue-limit (spec §13 E11).
// Every answer must be 202 or 429 (with a sane Retry-After), never a 5xx;
// the queue must stay within the limit and the heap bounded while it runs;
// and every batch that got 202 must complete with all its items applied:
// none lost.
func TestLoadBackpressure(t *testing.T) {
	const (
		queueLimit = 2000
		batchSize  = 250
		clients    = 12
		duration   = 3 * time.Second
		// The heap may hold the clients' bodies, the parsed batches in
		// flight and the workers' chunks: a few tens of MB. Far below
		// this bound; an unbounded queue in memory would cross it.
		maxHeap = 512 << 20
	)
	ctx := t.Context()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "load.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	tok, secret := clientele.NewToken("load", []string{clientele.ScopeAll}, 1, time.Now())
	if err := store.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	cfg, err := parseServeFlags([]string{"--workers", "1", "--queue-limit", strconv.Itoa(queueLimit)},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	handler, pool := newService(store, cfg, slog.New(slog.DiscardHandler))
	workCtx, stopWork := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	workers.Go(func() { pool.Run(workCtx) })
	defer func() { stopWork(); workers.Wait() }()
	srv := httptest.NewServer(handler)
	defer srv.Close()

	// Watch the queue and the heap while the load runs.
	var (
		maxQueued, peakHeap atomic.Int64
		watchDone           = make(chan struct{})
		stopWatch           = make(chan struct{})
	)
	go func() {
		defer close(watchDone)
		var ms runtime.MemStats
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(20 * time.Millisecond):
			}
			if n, err := store.QueuedItems(ctx); err == nil && int64(n) > maxQueued.Load() {
				maxQueued.Store(int64(n))
			}
			runtime.ReadMemStats(&ms)
			if int64(ms.HeapAlloc) > peakHeap.Load() {
				peakHeap.Store(int64(ms.HeapAlloc))
			}
		}
	}()

	var (
		mu       sync.Mutex
		accepted = map[string]int{} // batch id -> items
		statuses = map[int]int{}
		badRetry []string
		seq      atomic.Int64
	)
	deadline := time.Now().Add(duration)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				first := int(seq.Add(batchSize)) - batchSize
				profiles := make([]any, batchSize)
				for i := range profiles {
					profiles[i] = obj{"email": fmt.Sprintf("load%07d@example.com", first+i), "first_name": "Load"}
				}
				body, _ := json.Marshal(obj{"match_criteria": "email", "profiles": profiles})
				req, _ := http.NewRequest("POST", srv.URL+"/api/v3/profiles/batch", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+secret)
				req.Header.Set("Content-Type", "application/json")
				resp, err := srv.Client().Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				mu.Lock()
				statuses[resp.StatusCode]++
				switch resp.StatusCode {
				case http.StatusAccepted:
					var out struct {
						Data struct {
							BatchID string `json:"batch_id"`
						}
					}
					if json.Unmarshal(raw, &out) != nil || out.Data.BatchID == "" {
						t.Errorf("202 without a batch id: %s", raw)
					}
					accepted[out.Data.BatchID] = batchSize
				case http.StatusTooManyRequests:
					ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
					if err != nil || ra < 1 || ra > 60 || string(raw) != `{"message":"Too Many Attempts."}` {
						badRetry = append(badRetry, fmt.Sprintf("Retry-After %q body %s", resp.Header.Get("Retry-After"), raw))
					}
				}
				mu.Unlock()
				if resp.StatusCode == http.StatusTooManyRequests {
					// A well-behaved client backs off, briefly here so
					// that the load keeps pressing.
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	close(stopWatch)
	<-watchDone
	t.Logf("answers %v; %d batches accepted; queue peaked at %d items; heap peaked at %d MB",
		statuses, len(accepted), maxQueued.Load(), peakHeap.Load()>>20)

	for code, n := range statuses {
		if code != http.StatusAccepted && code != http.StatusTooManyRequests {
			t.Errorf("%d answers with status %d, want only 202 and 429", n, code)
		}
	}
	if statuses[http.StatusAccepted] == 0 || statuses[http.StatusTooManyRequests] == 0 {
		t.Errorf("answers %v: want both 202s and 429s (the load must outpace the worker)", statuses)
	}
	if len(badRetry) > 0 {
		t.Errorf("%d bad 429s, e.g. %s", len(badRetry), badRetry[0])
	}
	// One node counts what it admits, so the queue never passes the limit.
	if q := maxQueued.Load(); q > queueLimit {
		t.Errorf("queue reached %d items, limit %d", q, queueLimit)
	}
	if h := peakHeap.Load(); h > maxHeap {
		t.Errorf("heap reached %d MB", h>>20)
	}

	// No batch lost: every accepted batch completes with all its items.
	drainBy := time.Now().Add(2 * time.Minute)
	for {
		n, err := store.QueuedItems(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		if time.Now().After(drainBy) {
			t.Fatalf("%d items still queued", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	items := 0
	for id, n := range accepted {
		b, err := store.Batch(ctx, id)
		if err != nil {
			t.Fatalf("accepted batch %s: %v", id, err)
		}
		if b.Status != clientele.BatchCompleted || b.TotalCount != n || b.CreatedCount != n {
			t.Errorf("batch %s: status %s, %d of %d items created", id, b.Status, b.CreatedCount, n)
		}
		items += n
	}
	_, total, err := store.ListProfiles(ctx, clientele.ProfileFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if total != items {
		t.Errorf("%d profiles, want %d (one per accepted item)", total, items)
	}
}
