package postgres

import (
	"testing"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/postgres/pgtest"
	"github.com/clientele/clientele/internal/storetest"
)

// newStore opens a store on a new schema of the test database.
func newStore(t testing.TB) *Store {
	t.Helper()
	return openStore(t, pgtest.Schema(t, pgtest.DSN(t)))
}

// openStore opens a store on dsn and closes it when the test ends.
func openStore(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func TestStore(t *testing.T) {
	pgtest.DSN(t)
	storetest.Run(t, func(t *testing.T) clientele.Store { return newStore(t) })
}
