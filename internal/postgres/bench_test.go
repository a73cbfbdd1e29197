package postgres

import (
	"testing"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/storetest"
)

// BenchmarkApplyChunk is storetest's store benchmark on a fresh schema of
// CLIENTELE_TEST_POSTGRES.
//
//	CLIENTELE_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./internal/postgres -run '^$' -bench ApplyChunk -benchtime=40x
func BenchmarkApplyChunk(b *testing.B) {
	storetest.BenchApplyChunk(b, func(b *testing.B) clientele.Store { return newStore(b) })
}
