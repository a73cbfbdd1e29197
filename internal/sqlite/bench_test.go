package sqlite

import (
	"testing"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/storetest"
)

// BenchmarkApplyChunk is storetest's store benchmark on SQLite.
//
//	go test ./internal/sqlite -run '^$' -bench ApplyChunk -benchtime=40x
func BenchmarkApplyChunk(b *testing.B) {
	storetest.BenchApplyChunk(b, func(b *testing.B) clientele.Store { return newStore(b) })
}
