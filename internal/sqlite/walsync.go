package sqlite

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// walSync makes the writer's transactions durable after the writer is
// released. With synchronous=FULL SQLite syncs the WAL inside COMMIT,
// holding the one writer for the whole sync: 2–15 ms for a chunk's WAL on
// this project's machines, a third of a chunk's time, during which no
// other batch could be accepted or applied. writeAt instead commits with
// synchronous=NORMAL (frames written to the WAL, not synced), releases the
// writer, and calls sync before it returns, so a caller still hears of
// success only once its commit is on disk.
//
// Why syncing the WAL file afterwards is enough: a commit is its frames in
// the WAL, and fsync writes out everything written to the file before it
// was called. Frames are overwritten only when a writer restarts the WAL,
// which needs every frame backfilled (nBackfill == mxFrame); only a
// complete checkpoint sets that, and it syncs the database file first (at
// NORMAL as at FULL). So a commit's frames are on disk in one file or the
// other once sync returns.
//
// What differs from FULL: other connections see a commit before it is
// synced. For those few milliseconds a reader may see a batch's progress,
// and the webhook router may route its events, that a power cut (not a
// crash of the process: the WAL is in the OS's cache) would then undo;
// its caller has not yet heard of success, and what is lost is always a
// suffix of the commits, since the WAL is written in order. And an error
// from sync means the commit is in the database but may not be on disk:
// after a failed fsync the kernel may have dropped the pages it could not
// write, so the first failure is kept and every later write fails too,
// until the store is reopened (as PostgreSQL does with
// data_sync_retry=off).
//
// Syncs are grouped: a caller whose commit a sync that started after it
// already covered returns without syncing again.
type walSync struct {
	path    string
	commits atomic.Uint64 // commits made, numbered from 1

	mu     sync.Mutex // serialises syncs
	f      *os.File   // the WAL, opened on first use
	synced uint64     // commits known to be on disk
	failed error      // the first failed sync: every later one fails too
	closed bool
	syncs  int64 // fsync calls made, for tests
}

// newWALSync syncs the WAL of the database file at dbPath, which must be
// the path SQLite opened (symbolic links resolved: the WAL is made beside
// the file they point to).
func newWALSync(dbPath string) *walSync { return &walSync{path: dbPath + "-wal"} }

// committed numbers a commit that has just returned; sync takes the number.
func (w *walSync) committed() uint64 { return w.commits.Add(1) }

// sync returns once commit n is on disk.
func (w *walSync) sync(n uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case w.failed != nil:
		return w.failed
	case w.closed:
		return fmt.Errorf("sqlite: sync WAL: the store is closed")
	case w.synced >= n:
		return nil
	}
	upTo := w.commits.Load() // every commit numbered so far is in the file
	if err := w.syncFile(); err != nil {
		w.failed = fmt.Errorf("sqlite: sync WAL (reopen the store): %w", err)
		return w.failed
	}
	w.synced = upTo
	return nil
}

// syncFile fsyncs the WAL through a descriptor of its own. SQLite keeps
// the file while any connection is open, and the store holds its writer
// open, so the descriptor stays good; should the file have been replaced
// anyway (removed with the last connection of some other process, then
// made again), the new one is opened and synced.
func (w *walSync) syncFile() error {
	for range 2 {
		if w.f == nil {
			f, err := os.OpenFile(w.path, os.O_RDWR, 0)
			if err != nil {
				return err
			}
			w.f = f
		}
		w.syncs++
		if err := w.f.Sync(); err != nil {
			return err
		}
		held, err1 := w.f.Stat()
		named, err2 := os.Stat(w.path)
		if err1 == nil && err2 == nil && os.SameFile(held, named) {
			return nil
		}
		w.f.Close()
		w.f = nil
	}
	return fmt.Errorf("%s keeps being replaced", w.path)
}

func (w *walSync) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}
