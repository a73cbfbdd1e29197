package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/storetest"
)

// newStore opens a store on a new file of the test's temporary directory.
func newStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "c.db"))
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
	storetest.Run(t, func(t *testing.T) clientele.Store { return newStore(t) })
}

// TestPragmas checks the settings the queue's durability rests on: an
// acknowledged batch must survive kill -9 (DESIGN §4).
func TestPragmas(t *testing.T) {
	s := newStore(t)
	for pragma, want := range map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
		"busy_timeout": "10000",
	} {
		for name, db := range map[string]*sql.DB{"writer": s.w, "reader": s.r} {
			var got string
			if err := db.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s: PRAGMA %s = %s, want %s", name, pragma, got, want)
			}
		}
	}
}

// TestReopen checks that a store reopens its file, migrations and all, and
// finds what it stored.
func TestReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.db")
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	tok, secret := clientele.NewToken("t", []string{"*"}, 1, time.Now())
	if err := s.CreateToken(t.Context(), tok); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = Open(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.TokenByHash(t.Context(), clientele.HashToken(secret)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(t.Context(), path+"?mode=ro"); err == nil {
		t.Error("Open accepted a path with a query")
	}
}
