package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/storetest"
	sqlite3 "modernc.org/sqlite/lib"
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

// TestPageCacheBulk checks that every connection takes its page cache in
// one block it keeps (pagecache.go), and that a reader's cache is no larger
// than the block, so that the cache it empties at every transaction is
// never freed and faulted in again.
func TestPageCacheBulk(t *testing.T) {
	s := newStore(t)
	if pageCacheRC != sqlite3.SQLITE_OK {
		t.Fatalf("sqlite3_config(SQLITE_CONFIG_PAGECACHE) = %d, want SQLITE_OK: a connection was opened before it", pageCacheRC)
	}
	plain, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "plain.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	for name, db := range map[string]*sql.DB{"default": plain, "reader": s.r} {
		var got int
		if err := db.QueryRowContext(t.Context(), "PRAGMA cache_size").Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != -defaultCacheKiB {
			t.Errorf("%s: cache_size %d, want %d (the bulk's bound)", name, got, -defaultCacheKiB)
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
