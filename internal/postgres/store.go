// Package postgres is the scale-out clientele.Store: PostgreSQL through a
// pgx connection pool, shared by any number of clientele nodes.
//
// Nodes coordinate only through the database. Batches are claimed with
// FOR UPDATE SKIP LOCKED and fenced by their lease token; an apply
// transaction locks the profiles it reads (in id order), so that no node
// loses another's update, and relies on the unique indexes to refuse a key
// that another node created after its lookup, in which case it retries the
// whole chunk (apply.go). Transactions run at READ COMMITTED; SQLSTATE
// 40001 and 40P01 are retried too, so that the SQL also runs on
// PostgreSQL-compatible databases that serialise (DESIGN §4).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/clientele/clientele"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the PostgreSQL implementation of clientele.Store.
type Store struct {
	pool *pgxpool.Pool

	// analyzer runs the ANALYZE policy (analyze.go) in the background.
	analyzer analyzer

	// hookAfterLookup, when set (tests only), runs inside every apply
	// transaction after its lookup, with the attempt number from 1, so
	// that a test can line up two transactions between lookup and write.
	hookAfterLookup func(attempt int)
	// hookAfterEmailLocks, when set (tests only), runs inside every apply
	// transaction between lookup's lock of the emails' owners and its
	// search for the other keys' owners.
	hookAfterEmailLocks func(attempt int)
	// retries counts chunk attempts that were retried, for tests.
	retries atomic.Int64
}

var _ clientele.Store = (*Store)(nil)

// Open connects to the database that dsn (a postgres:// URL or a key=value
// connection string, as pgx reads them) names and migrates it to the
// latest schema. The schema is the connection's search_path: add
// search_path=NAME to the DSN to keep clientele's tables in a schema of
// their own. pool_max_conns sets the pool size.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx's message quotes the DSN, and its redaction of the password
		// is best effort; only the underlying cause is passed on.
		if cause := errors.Unwrap(err); cause != nil {
			return nil, fmt.Errorf("postgres: invalid connection string: %w", cause)
		}
		return nil, errors.New("postgres: invalid connection string")
	}
	if !strings.Contains(dsn, "pool_max_conns") {
		// Each worker holds a connection for a chunk, and the API needs a few
		// beside them; pgxpool's default (4 on this 2-core machine) queues
		// the accept path behind the workers.
		cfg.MaxConns = int32(max(8, 4*runtime.GOMAXPROCS(0)))
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx, cfg.ConnConfig); err != nil {
		pool.Close()
		return nil, err
	}
	s.analyzer.start(pool)
	return s, nil
}

// migrate applies the embedded migrations the schema lacks. goose needs a
// database/sql handle, so it gets one of its own, closed afterwards. Nodes
// that start together take turns through a session advisory lock whose id
// is derived from the schema, so that migrations of different schemas
// (parallel tests) do not wait for each other; the lock orders migrations
// and has no part in the correctness of the data path.
func (s *Store) migrate(ctx context.Context, cc *pgx.ConnConfig) error {
	db := stdlib.OpenDB(*cc)
	defer db.Close()
	var schema string
	if err := db.QueryRowContext(ctx, `SELECT coalesce(current_schema(), '')`).Scan(&schema); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if schema == "" {
		return errors.New("postgres: migrate: no schema: the search_path names none that exists")
	}
	h := fnv.New64a()
	h.Write([]byte("clientele migrations " + schema))
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(int64(h.Sum64()>>1)),
		lock.WithLockTimeout(1, 120), // retry every second, for up to two minutes
	)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, sub, goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("postgres: migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	current, known, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	if err := clientele.CheckSchema(current, known); err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}

// Close stops the background work and closes the pool.
func (s *Store) Close() error {
	s.analyzer.stop()
	s.pool.Close()
	return nil
}

// inTx runs fn in a READ COMMITTED transaction and commits it if fn
// succeeds.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// read runs fn in a read-only REPEATABLE READ transaction, so that its
// queries see one snapshot (a page and its total agree).
func (s *Store) read(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	return fn(tx)
}

// pgCode is the SQLSTATE of err, or "".
func pgCode(err error) string {
	var e *pgconn.PgError
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// deleteByID deletes the row of table with id, a what: ENOTFOUND when
// there is none.
func (s *Store) deleteByID(ctx context.Context, table, what string, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM `+table+` WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres: delete %s: %w", what, err)
	}
	if tag.RowsAffected() == 0 {
		return clientele.Errorf(clientele.ENOTFOUND, "%s %d not found", what, id)
	}
	return nil
}

// isUnique reports whether err is a unique violation.
func isUnique(err error) bool { return pgCode(err) == "23505" }

// utc is a stored time as UTC: pgx returns timestamptz in the local zone.
func utc(t time.Time) time.Time { return t.UTC() }

// utcPtr is a nullable stored time as *time.Time in UTC.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
