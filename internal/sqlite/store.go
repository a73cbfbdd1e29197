// Package sqlite is the embedded clientele.Store: one SQLite file, written
// through a single connection, read through a pool, and checkpointed in the
// background by a connection of its own.
//
// One writer serialises every write (claims, chunks, accepts), so claims
// need no SKIP LOCKED and an apply transaction never meets a concurrent
// change; WAL lets the readers run beside it. Every write returns only
// once its commit is on disk (synchronous=FULL, or a sync of the WAL right
// after the writer is released: walsync.go), so that a committed
// transaction (an accepted batch above all) survives power loss and kill -9
// (DESIGN §4).
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/clientele/clientele"
	"github.com/pressly/goose/v3"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite implementation of clientele.Store.
type Store struct {
	w  *sql.DB // the one writer: MaxOpenConns(1)
	st *stmts  // prepared on w
	r  *sql.DB // read-only pool
	cp *checkpointer
	// wal makes writeAt's commits durable after the writer is released.
	wal *walSync
	// gate orders the writer's transactions (writegate.go).
	gate writeGate
	// changes logs the writer's commits that touch profiles, for chunks
	// resolved ahead of the writer (changes.go).
	changes changeLog
	// lookups are the apply path's lookup statements prepared on r, for
	// resolving ahead.
	lookups [lookupStmts]*sql.Stmt
	// resolvedAhead and resolvedAgain count the chunks whose ahead
	// resolution was used and those resolved again in the writer.
	resolvedAhead, resolvedAgain atomic.Int64
	// hookAfterAhead, when set (by tests), runs between resolveAhead and
	// the writer transaction of every chunk.
	hookAfterAhead func()
}

var _ clientele.Store = (*Store)(nil)

// Open opens (creating if need be) the database file at path and migrates
// it to the latest schema.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.ContainsAny(path, "?#") || strings.HasPrefix(path, "file:") {
		// The driver reads the query after '?' as its own parameters.
		return nil, fmt.Errorf("sqlite: invalid database path %q", path)
	}
	w, err := sql.Open("sqlite", dsn(path, connWrite))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	// SQLite makes the WAL beside the file it opened, links resolved.
	var file string
	if err := w.QueryRowContext(ctx, `SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&file); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	s := &Store{w: w, wal: newWALSync(file)}
	if err := s.Migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if s.st, err = prepareStmts(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	if err := s.noteWriter(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn(path, connRead))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open: %w", err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	s.r = r
	for i, q := range lookupSQL {
		if s.lookups[i], err = r.PrepareContext(ctx, q); err != nil {
			s.Close()
			return nil, fmt.Errorf("sqlite: prepare lookup: %w", err)
		}
	}
	if s.cp, err = startCheckpointer(path); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// The connections a store opens.
const (
	connWrite      = iota // the one writer
	connRead              // the read pool
	connCheckpoint        // the background checkpointer
)

// walBackstop is the WAL size, in frames (pages), past which the writer
// checkpoints after each commit, before it serves the next transaction.
// Under load that backstop is what restarts the WAL: the checkpointer
// (checkpoint.go) copies the frames as they come, but a restart needs a
// moment with no reader on the WAL and no commit since the copy, and only
// the backstop's stall, with no commits, makes one. It copies what the
// checkpointer has not yet and syncs the file, and at a million profiles
// those pages lie all over it: 100–200 ms in which nothing is written.
// 100,000 frames make that a fifth as often as 20,000 did: matched
// updates at a million profiles cost 67 µs a profile instead of 80, loads
// no less (docs/performance-history.md, eighth stop). The WAL then grows
// to about 400 MB under load (more if a reader holds a checkpoint short
// of its end), keeps that size on disk while the store is open, and after
// a crash is read whole to recover.
const walBackstop = 100000

// dsn is the driver's data source name for a connection of kind to path.
// The writer begins every transaction IMMEDIATE, taking the write lock up
// front, so that a transaction that reads before it writes cannot fail to
// upgrade its lock (SQLITE_BUSY) when another process writes the same file.
// It leaves checkpoints to the checkpointer (see checkpoint.go) unless the
// WAL grows past its backstop. Readers are query_only, so a write through
// them is a bug that fails loudly.
func dsn(path string, kind int) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	// Multi-row statements keep a statement journal (to undo a failing
	// statement alone); in memory it costs a copy, not a file write.
	q.Add("_pragma", "temp_store(MEMORY)")
	switch kind {
	case connWrite:
		q.Set("_txlock", "immediate")
		q.Add("_pragma", "wal_autocheckpoint("+strconv.Itoa(walBackstop)+")")
		// A large page cache keeps the indexes every chunk probes in
		// memory as the store grows (the default is 2 MB).
		q.Add("_pragma", "cache_size(-65536)")
	case connRead:
		q.Add("_pragma", "query_only(1)")
		// A reader's cache is emptied whenever it begins a transaction
		// after a commit (SQLite's rule in WAL mode), which under load is
		// every time, so it only serves pages read twice in one
		// transaction: the index pages above the leaves, which a chunk's
		// lookup (apply.go: resolveAhead) reads for every key. Emptying
		// it frees every page it holds (this build of SQLite has no
		// per-connection bulk to keep them in), and the allocator hands
		// freed memory past a few MiB back to the kernel, to fault it in
		// again at the next transaction: at a million profiles, where a
		// lookup fills the cache, that cost 3.6–5.5 µs a matched profile with
		// 4 MB caches and 1.5 with 2 MB (SQLite's default).
		q.Add("_pragma", "cache_size(-2000)")
	}
	return path + "?" + q.Encode()
}

// noteWriter gives the change log the writer connection and its
// data_version to compare the first transaction's with (changes.go).
func (s *Store) noteWriter(ctx context.Context) error {
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: writer: %w", err)
	}
	defer conn.Close()
	dv, err := dataVersion(ctx, conn)
	if err != nil {
		return err
	}
	s.changes.external(driverConn(conn), dv)
	return nil
}

// driverConn is the driver's connection under conn, which names it for
// the change log: a different one is a new connection.
func driverConn(conn *sql.Conn) any {
	var dc any
	_ = conn.Raw(func(c any) error { dc = c; return nil })
	return dc
}

// dataVersion is PRAGMA data_version on the writer's connection, through
// q (the connection, or a transaction on it): it moves when another
// connection commits.
func dataVersion(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (int64, error) {
	var dv int64
	if err := q.QueryRowContext(ctx, "PRAGMA data_version").Scan(&dv); err != nil {
		return 0, fmt.Errorf("sqlite: data version: %w", err)
	}
	return dv, nil
}

// Migrate applies the embedded migrations that the database lacks. Open
// calls it, so a caller needs it only to migrate again explicitly.
func (s *Store) Migrate(ctx context.Context) error {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.w, sub)
	if err != nil {
		return fmt.Errorf("sqlite: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	current, known, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	if err := clientele.CheckSchema(current, known); err != nil {
		return fmt.Errorf("sqlite: %w", err)
	}
	return nil
}

// Close stops the checkpointer and closes the pools.
func (s *Store) Close() error {
	var errs []error
	if s.cp != nil {
		errs = append(errs, s.cp.close())
	}
	if s.st != nil {
		errs = append(errs, s.st.close())
	}
	for _, st := range s.lookups {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.wal.close())
	return errors.Join(append(errs, s.w.Close())...)
}

// write runs fn in a transaction of the writer, ahead of background
// work, and commits it if fn succeeds: for what a request waits on.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.writeAt(ctx, prioClient, fn)
}

// writeBackground is write for what no request waits on.
func (s *Store) writeBackground(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.writeAt(ctx, prioBackground, fn)
}

// writeAt runs fn in a transaction of the writer, taken through the gate
// at priority prio, and returns once the commit is on disk: it commits
// without syncing and syncs after releasing the writer (walsync.go).
func (s *Store) writeAt(ctx context.Context, prio int, fn func(tx *sql.Tx) error) error {
	return s.writeLogged(ctx, prio, fn, nil)
}

// writeLogged is writeAt for a transaction that can change profiles:
// logged, when fn succeeds, runs after the commit while the writer is still
// held, to log the change (changes.go), and before fn runs, commits by
// other processes are looked for. nil logged is writeAt.
func (s *Store) writeLogged(ctx context.Context, prio int, fn func(tx *sql.Tx) error, logged func()) error {
	n, err := s.commitUnsynced(ctx, prio, fn, logged)
	if err != nil {
		return err
	}
	return s.wal.sync(n)
}

// commitUnsynced runs fn in a transaction of the writer and commits it
// with synchronous=NORMAL: the commit reaches the WAL but not the disk
// until a sync (walSync). It returns the commit's number for walSync.sync.
// The connection is set back to synchronous=FULL, the writer's default
// for the single statements that use it directly, before anyone else can
// use it; if that fails it is discarded, so that nothing else ever
// commits unsynced by mistake. The reset is deferred before the pragma
// runs, and neither runs with ctx: the driver reports a cancelled ctx even
// for a statement that took effect, which left the writer at NORMAL.
func (s *Store) commitUnsynced(ctx context.Context, prio int, fn func(tx *sql.Tx) error, logged func()) (uint64, error) {
	if err := s.gate.lock(ctx, prio); err != nil {
		return 0, fmt.Errorf("sqlite: begin: %w", err)
	}
	defer s.gate.unlock()
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("sqlite: writer: %w", err)
	}
	defer conn.Close()
	pragmaCtx := context.WithoutCancel(ctx)
	defer func() {
		if _, err := conn.ExecContext(pragmaCtx, "PRAGMA synchronous=FULL"); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	if _, err := conn.ExecContext(pragmaCtx, "PRAGMA synchronous=NORMAL"); err != nil {
		return 0, fmt.Errorf("sqlite: relax sync: %w", err)
	}
	var dc any
	if logged != nil {
		dc = driverConn(conn)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("sqlite: begin: %w", err)
	}
	if logged != nil {
		// Inside the transaction, which holds the file's write lock, so
		// that no other process can commit between the check and fn.
		dv, err := dataVersion(ctx, tx)
		if err != nil {
			tx.Rollback()
			return 0, err
		}
		s.changes.external(dc, dv)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return 0, err
	}
	err = tx.Commit()
	if logged != nil {
		// Even when Commit reports an error: an entry too many only makes
		// a chunk resolve again, one too few could let it write on a stale
		// reading.
		logged()
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: commit: %w", err)
	}
	s.cp.kick()
	return s.wal.committed(), nil
}

// read runs fn in a read transaction, so that its queries see one snapshot
// (a page and its total agree).
func (s *Store) read(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// deleteByID deletes the row of table with id, a what: ENOTFOUND when
// there is none. It takes the writer as a request's write does.
func (s *Store) deleteByID(ctx context.Context, table, what string, id int64) error {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE id = ?`, id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("sqlite: delete %s: %w", what, err)
	}
	if n == 0 {
		return clientele.Errorf(clientele.ENOTFOUND, "%s %d not found", what, id)
	}
	return nil
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	var e *sqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// micros is t as stored: UTC unix microseconds.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros is a stored time as a UTC time.Time.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// nullMicros is a nullable stored time.
func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

// fromNullMicros is a nullable stored time as *time.Time.
func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// fromNullString is a nullable text column as *string.
func fromNullString(v sql.NullString) *string {
	if !v.Valid {
		return nil
	}
	s := v.String
	return &s
}

// placeholders is "?,?,…" with n marks.
func placeholders(n int) string {
	if n == 0 {
		return ""
	}
	return strings.Repeat("?,", n-1) + "?"
}
