package sqlite

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestWriteSyncsAfterRelease checks writeAt's durability bookkeeping:
// every write that returned is counted as synced, concurrent writes share
// syncs, a failed transaction takes none, and the writer is back at
// synchronous=FULL for the statements that use it directly.
func TestWriteSyncsAfterRelease(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	if err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE t (n INTEGER)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				if err := s.writeAt(ctx, w%2, func(tx *sql.Tx) error {
					_, err := tx.ExecContext(ctx, `INSERT INTO t VALUES (?)`, i)
					return err
				}); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	if err := s.write(ctx, func(*sql.Tx) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("failed transaction: %v", err)
	}

	s.wal.mu.Lock()
	commits, synced, syncs := s.wal.commits.Load(), s.wal.synced, s.wal.syncs
	s.wal.mu.Unlock()
	if want := uint64(1 + writers*each); commits != want {
		t.Errorf("%d commits counted, want %d", commits, want)
	}
	if synced != commits {
		t.Errorf("synced up to commit %d of %d", synced, commits)
	}
	if syncs < 1 || syncs > int64(commits) {
		t.Errorf("%d syncs for %d commits", syncs, commits)
	}
	t.Logf("%d commits, %d syncs", commits, syncs)

	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "2" {
		t.Errorf("writer left at synchronous=%s, want 2 (FULL)", mode)
	}
}

// TestWALSyncReopens checks that a WAL replaced under the syncer (removed
// and made again) is opened anew and synced, and that a missing one is an
// error rather than a silent success.
func TestWALSyncReopens(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	write := func() {
		if err := os.WriteFile(db+"-wal", []byte("frames"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write()
	w := newWALSync(db)
	defer w.close()
	if err := w.sync(w.committed()); err != nil {
		t.Fatal(err)
	}
	first := w.f
	if err := os.Remove(db + "-wal"); err != nil {
		t.Fatal(err)
	}
	write()
	if err := w.sync(w.committed()); err != nil {
		t.Fatal(err)
	}
	held, err := w.f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	named, err := os.Stat(db + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if w.f == first || !os.SameFile(held, named) {
		t.Error("the syncer kept the removed file")
	}
	if err := os.Remove(db + "-wal"); err != nil {
		t.Fatal(err)
	}
	if err := w.sync(w.committed()); err == nil {
		t.Error("sync of a missing WAL succeeded")
	}
}

// TestWALSyncFollowsLinks opens a store through a symbolic link: SQLite
// puts the WAL beside the file the link names, and the syncer must sync
// that one, not a file beside the link.
func TestWALSyncFollowsLinks(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(filepath.Join(dir, "data", "real.db"), link); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), link)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.write(t.Context(), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(t.Context(), `CREATE TABLE t (n INTEGER)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "data", "real.db-wal"); s.wal.path != want {
		t.Errorf("syncing %s, want %s", s.wal.path, want)
	}
}

// TestWALSyncFailureSticks checks that after a failed sync every later one
// fails, even one whose commit an earlier sync covered, and that a closed
// syncer refuses to sync.
func TestWALSyncFailureSticks(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	if err := os.WriteFile(db+"-wal", []byte("frames"), 0o600); err != nil {
		t.Fatal(err)
	}
	w := newWALSync(db)
	first := w.committed()
	if err := w.sync(first); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(db + "-wal"); err != nil {
		t.Fatal(err)
	}
	if err := w.sync(w.committed()); err == nil {
		t.Fatal("sync of a missing WAL succeeded")
	}
	if err := os.WriteFile(db+"-wal", []byte("frames"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, n := range []uint64{first, w.committed()} {
		if err := w.sync(n); err == nil {
			t.Errorf("sync(%d) succeeded after a failed sync", n)
		}
	}
	w2 := newWALSync(db)
	if err := w2.close(); err != nil {
		t.Fatal(err)
	}
	if err := w2.sync(w2.committed()); err == nil {
		t.Error("a closed syncer synced")
	}
}
