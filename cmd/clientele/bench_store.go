package main

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/benchgen"
)

// storeResult is what one workload measured on the store alone.
type storeResult struct {
	Workload  string  `json:"workload"`
	Profiles  int     `json:"profiles"`
	Seconds   float64 `json:"seconds"` // in ApplyChunk only
	PerSecond float64 `json:"profiles_per_second"`
	Created   int     `json:"created"`
	Updated   int     `json:"updated"`
	Unchanged int     `json:"unchanged"`
}

// runStoreAlone applies w's items to s through Store.ApplyChunk, one
// chunk of ChunkSize at a time, as one worker would but without HTTP, the
// queue's JSON or a second worker: the store's own share of the cost.
// Staging each chunk (storing it as a batch, claiming it, decoding and
// normalising its items) is outside the timer, as in the stores'
// BenchmarkApplyChunk, so the figures compare.
func runStoreAlone(ctx context.Context, s clientele.Store, gen benchgen.Generator, w benchWorkload, phoneRegion string) (storeResult, error) {
	res := storeResult{Workload: w.label(), Profiles: w.n}
	next := w.items()
	raw := make([][]byte, 0, clientele.ChunkSize)
	var spent time.Duration
	for done := 0; done < w.n; done += len(raw) {
		raw = raw[:0]
		for range min(clientele.ChunkSize, w.n-done) {
			it := next()
			raw = append(raw, gen.AppendProfile(nil, it.Index, it.Rev))
		}
		l, c, err := benchgen.StageChunk(ctx, s, raw, phoneRegion, time.Now().UTC())
		if err != nil {
			return res, fmt.Errorf("store alone, %s: %w", w.label(), err)
		}
		runtime.GC() // the staging's garbage is not ApplyChunk's cost
		start := time.Now()
		_, err = s.ApplyChunk(ctx, l, c, time.Minute)
		spent += time.Since(start)
		if err != nil {
			return res, fmt.Errorf("store alone, %s: %w", w.label(), err)
		}
		b, err := s.Batch(ctx, l.BatchID)
		if err != nil {
			return res, fmt.Errorf("store alone, %s: %w", w.label(), err)
		}
		if b.FailedCount > 0 || b.Status != clientele.BatchCompleted {
			return res, fmt.Errorf("store alone, %s: chunk ended %s with %d failed items", w.label(), b.Status, b.FailedCount)
		}
		res.Created += b.CreatedCount
		res.Updated += b.UpdatedCount
		res.Unchanged += b.UnchangedCount
	}
	if res.Created != w.created() {
		return res, fmt.Errorf("store alone, %s: %d created, want %d", w.label(), res.Created, w.created())
	}
	res.Seconds = spent.Seconds()
	res.PerSecond = float64(w.n) / spent.Seconds()
	return res, nil
}
