package clientele_test

import (
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/benchgen"
	"github.com/clientele/clientele/internal/worker"
)

// BenchmarkResolve resolves a chunk of 500 generated profiles against the
// stored profiles they match (revision 1 over revision 0, as the bench's
// matched workload does): the merge of every field and child.
func BenchmarkResolve(b *testing.B) {
	gen := benchgen.Generator{Seed: 1}
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	chunk := func(rev int) clientele.Chunk {
		raw := make([]clientele.RawItem, clientele.ChunkSize)
		for i := range raw {
			raw[i] = clientele.RawItem{Index: i, JSON: gen.AppendProfile(nil, i, rev)}
		}
		return worker.Prepare(raw, "AU", now)
	}
	created, matched := chunk(0), chunk(1)
	stored := func() *clientele.ChunkLookup {
		res := clientele.Resolve(clientele.MatchEmail, created, clientele.NewChunkLookup(), clientele.NewProfileID)
		lk := clientele.NewChunkLookup()
		for _, w := range res.Writes {
			lk.Add(w.Profile)
		}
		return lk
	}
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		lk := stored() // fresh profiles: a merge may change the old ones'
		b.StartTimer()
		res := clientele.Resolve(clientele.MatchEmail, matched, lk, clientele.NewProfileID)
		if len(res.Writes) != clientele.ChunkSize {
			b.Fatalf("%d writes, want %d", len(res.Writes), clientele.ChunkSize)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*clientele.ChunkSize)/1000, "µs/profile")
}
