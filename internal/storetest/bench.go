package storetest

import (
	"runtime"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/benchgen"
)

// benchGen makes the profiles every benchmark of clientele loads, so that
// a store's figures here compare with `clientele bench`'s.
var benchGen = benchgen.Generator{Seed: 1, National: true}

// benchChunk stores a batch of profiles i0…i0+ChunkSize-1 in revision rev
// (a later revision updates every profile), claims it and prepares its one
// chunk as the worker would.
func benchChunk(b *testing.B, s clientele.Store, i0, rev int) (clientele.Lease, clientele.Chunk) {
	b.Helper()
	raw := make([][]byte, clientele.ChunkSize)
	for k := range raw {
		raw[k] = benchGen.AppendProfile(nil, i0+k, rev)
	}
	l, c, err := benchgen.StageChunk(b.Context(), s, raw, "AU", time.Now().UTC())
	if err != nil {
		b.Fatal(err)
	}
	return l, c
}

// benchApply applies c. It leaves the timer as it finds it.
func benchApply(b *testing.B, s clientele.Store, l clientele.Lease, c clientele.Chunk) {
	b.Helper()
	if _, err := s.ApplyChunk(b.Context(), l, c, time.Minute); err != nil {
		b.Fatal(err)
	}
}

// benchCheck fails unless every item of the lease's batch had outcome want.
func benchCheck(b *testing.B, s clientele.Store, l clientele.Lease, want string) {
	b.Helper()
	bt, err := s.Batch(b.Context(), l.BatchID)
	if err != nil {
		b.Fatal(err)
	}
	got := map[string]int{clientele.OutcomeCreated: bt.CreatedCount, clientele.OutcomeUpdated: bt.UpdatedCount}
	if got[want] != clientele.ChunkSize || bt.FailedCount != 0 || bt.Status != clientele.BatchCompleted {
		b.Fatalf("batch %+v: want %d %s", bt, clientele.ChunkSize, want)
	}
}

// BenchApplyChunk measures ApplyChunk alone (the worker's decode and
// phone parsing are outside the timer) on chunks of ChunkSize profiles:
// "new" creates every profile, "matched" updates existing ones, matched by
// email. Every store runs this same benchmark, item for item, so that
// their figures compare.
func BenchApplyChunk(b *testing.B, newStore func(b *testing.B) clientele.Store) {
	b.Run("new", func(b *testing.B) {
		s := newStore(b)
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			l, c := benchChunk(b, s, i*clientele.ChunkSize, 0)
			runtime.GC() // the setup's garbage is not ApplyChunk's cost
			b.StartTimer()
			benchApply(b, s, l, c)
			b.StopTimer()
			benchCheck(b, s, l, clientele.OutcomeCreated)
			b.StartTimer()
		}
		b.ReportMetric(float64(b.N*clientele.ChunkSize)/b.Elapsed().Seconds(), "profiles/s")
	})
	b.Run("matched", func(b *testing.B) {
		s := newStore(b)
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			l, c := benchChunk(b, s, i*clientele.ChunkSize, 0)
			benchApply(b, s, l, c)
			benchCheck(b, s, l, clientele.OutcomeCreated)
			l, c = benchChunk(b, s, i*clientele.ChunkSize, 1)
			runtime.GC()
			b.StartTimer()
			benchApply(b, s, l, c)
			b.StopTimer()
			benchCheck(b, s, l, clientele.OutcomeUpdated)
			b.StartTimer()
		}
		b.ReportMetric(float64(b.N*clientele.ChunkSize)/b.Elapsed().Seconds(), "profiles/s")
	})
}
