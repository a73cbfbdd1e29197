package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/clientele/clientele"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// The apply path. One chunk is one READ COMMITTED transaction:
//
//  1. lock the batch row and check the lease token and the cursor;
//  2. lock and load the live profiles that own the chunk's emails, with
//     their identities, which their rows hold (SELECT … ORDER BY id FOR
//     UPDATE); find the owners of the other keys those do not hold (one
//     statement, no locks), then lock and load them the same way (lookup);
//  3. resolve the items in order in Go (clientele.Resolve);
//  4. write everything with set-based statements (unnest arrays) sent as
//     one pipeline: profiles (with their identities doc), the identities
//     table, item results, outbox events, and the counters and cursor,
//     fenced by the lease token.
//
// Concurrency. Everything Resolve concludes from a key's owner comes from a
// row this transaction has locked, so it still holds at commit, and no
// other node can change those profiles (or their identities) meanwhile.
// Everything it concludes from a key having no owner ends in a write of
// that key, which the unique indexes check against every other
// transaction, committed or not. So when another node created or took a
// key after the lookup, a write fails with a unique violation (after
// waiting for the other transaction to commit), and the whole chunk is
// retried from a fresh lookup, which sees the other node's profile: the
// item becomes an update (or unchanged), never a failed item. Each lock
// statement takes its rows in id order, so two chunks that lock the same
// profiles by email do not deadlock on them; lookup's second statement and
// waits on each other's uncommitted keys still can, and PostgreSQL breaks
// those with 40P01, which is retried like 40001.

// maxAttempts bounds the tries of one chunk. Past it the chunk fails with
// an error; the worker logs it, and the batch resumes when its lease
// expires.
const maxAttempts = 10

// storedProfile is what the database held for a profile the chunk loaded,
// copied at load time. The writes diff against it rather than against
// ProfileWrite.Before, so they stay right whatever Merge shares between the
// old and the new profile.
type storedProfile struct {
	version                    int64
	email, mobile              string // "" for null
	firstName, lastName, ptype string
	identities                 map[int64]clientele.Identity
}

// keepsColumns reports whether p has the stored keys, names and type, so
// that only its document, version and time need writing.
func (st *storedProfile) keepsColumns(p *clientele.Profile) bool {
	return deref(p.Email) == st.email && deref(p.MobilePhone) == st.mobile && p.FirstName == st.firstName &&
		p.LastName == st.lastName && p.ProfileType == st.ptype
}

// errRetry marks a failure that a new attempt of the chunk can cure.
var errRetry = errors.New("postgres: concurrent change")

// ApplyChunk implements clientele.Store.
func (s *Store) ApplyChunk(ctx context.Context, l clientele.Lease, c clientele.Chunk, ttl time.Duration) (int, error) {
	for i, it := range c.Items {
		if it.Index != c.From+i {
			return 0, fmt.Errorf("postgres: apply chunk: item %d has index %d, want %d", i, it.Index, c.From+i)
		}
	}
	keys := clientele.Keys(c)
	var (
		cursor int
		stats  writeStats
	)
	err := s.withRetries(ctx, func(attempt int) (err error) {
		cursor, stats, err = s.applyOnce(ctx, l, c, keys, ttl, attempt)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("postgres: apply chunk: %w", err)
	}
	s.analyzer.note(stats)
	return cursor, nil
}

// retryable reports whether a new attempt of the chunk may succeed: a
// serialisation failure, a deadlock, a key another transaction took first,
// or a version fence that failed.
func retryable(err error) bool {
	if errors.Is(err, errRetry) {
		return true
	}
	var e *pgconn.PgError
	if !errors.As(err, &e) {
		return false
	}
	switch e.Code {
	case "40001", "40P01":
		return true
	case "23505":
		// Only the keys of profiles and identities: a clash anywhere else
		// (an item result written twice) is a bug that retrying would hide.
		return e.TableName == "profiles" || e.TableName == "identities"
	}
	return false
}

// withRetries runs fn (given its attempt number, from 1) until it
// succeeds, fails for good, or has failed maxAttempts times with errors a
// new attempt can cure (retryable).
func (s *Store) withRetries(ctx context.Context, fn func(attempt int) error) error {
	for attempt := 1; ; attempt++ {
		err := fn(attempt)
		if err == nil || !retryable(err) {
			return err
		}
		if attempt == maxAttempts {
			return fmt.Errorf("postgres: gave up after %d attempts: %w", attempt, err)
		}
		s.retries.Add(1)
		// Full jitter, so that writers that collided do not collide again.
		backoff := time.Duration(rand.Int64N(int64(min(2*time.Millisecond<<attempt, 250*time.Millisecond))))
		select {
		case <-ctx.Done():
			return fmt.Errorf("postgres: %w", ctx.Err())
		case <-time.After(backoff):
		}
	}
}

// applyOnce is one attempt at the chunk: one transaction.
func (s *Store) applyOnce(ctx context.Context, l clientele.Lease, c clientele.Chunk, keys clientele.ChunkKeys,
	ttl time.Duration, attempt int) (int, writeStats, error) {
	var (
		cursor int
		stats  writeStats
	)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var (
			seq       int64
			at, total int
			match     string
		)
		// The row lock keeps the lease from changing hands until commit (a
		// claim skips locked rows), so the fence at the end cannot fail for
		// a lease that was good here.
		err := tx.QueryRow(ctx, `SELECT seq, cursor, total_count, match_criteria FROM batches
			WHERE id = $1 AND lease_token = $2 FOR UPDATE`, l.BatchID, l.Token).Scan(&seq, &at, &total, &match)
		if errors.Is(err, pgx.ErrNoRows) {
			return lostLease(l)
		}
		if err != nil {
			return fmt.Errorf("postgres: apply chunk: %w", err)
		}
		if c.From != at {
			// The worker's view is stale; applying would skip or repeat items.
			return clientele.Errorf(clientele.ECONFLICT, "chunk starts at item %d but batch %s is at %d", c.From, l.BatchID, at)
		}
		if at+len(c.Items) > total {
			return clientele.Errorf(clientele.EINVALID, "chunk ends past batch %s's %d items", l.BatchID, total)
		}
		var afterEmails func()
		if s.hookAfterEmailLocks != nil {
			afterEmails = func() { s.hookAfterEmailLocks(attempt) }
		}
		lk, stored, err := lookup(ctx, tx, keys, afterEmails)
		if err != nil {
			return fmt.Errorf("postgres: apply chunk lookup: %w", err)
		}
		if s.hookAfterLookup != nil {
			s.hookAfterLookup(attempt)
		}
		res := clientele.Resolve(match, c, lk, clientele.NewProfileID)
		if err := reserveIDs(ctx, tx, res.Writes); err != nil {
			return err
		}
		var w chunkWrite
		if err := w.profiles(res.Writes, stored); err != nil {
			return err
		}
		w.results(seq, l.BatchID, res.Items, c.Now)
		cursor = at + len(c.Items)
		w.finish(seq, l, res.Items, cursor, cursor == total, c.Now, ttl)
		stats = w.stats
		return w.send(ctx, tx)
	})
	return cursor, stats, err
}

// lookup finds the live owners of keys, locks them, and loads them fully
// (identities from the row), with a copy of their stored state for the
// writes to diff against.
//
// Owners by email (the usual match key) are locked and loaded first; a
// mobile or identity one of them holds needs no probe, since its owner is
// unique and locked. That spares a matched profile four of its index
// probes (its mobile and three identities), which at a million profiles
// are random pages mostly outside shared_buffers. The owners of the other
// keys are then found without locks and locked by primary key. A chunk
// that matches nothing (a load of new profiles) takes no lock.
//
// Each statement locks in id order, but the two sets are locked one after
// the other, so two chunks can each hold a profile the other's second
// statement wants (two profiles named by each other's batches under
// different keys); PostgreSQL breaks that with 40P01 after its
// deadlock_timeout (1 s by default), and the chunk is retried. A batch
// whose items name a profile by email and the same profile by another key
// never crosses: the email's owner holds the other key.
//
// afterEmails, when not nil (tests), runs between the two.
func lookup(ctx context.Context, tx pgx.Tx, keys clientele.ChunkKeys, afterEmails func()) (*clientele.ChunkLookup,
	map[string]*storedProfile, error) {
	var owners []*clientele.Profile
	if len(keys.Emails) > 0 {
		ps, err := lockProfiles(ctx, tx, `email = ANY($1::text[])`, keys.Emails)
		if err != nil {
			return nil, nil, err
		}
		owners = ps
	}
	if afterEmails != nil {
		afterEmails()
	}
	known := clientele.NewChunkLookup()
	for _, p := range owners {
		known.Add(p)
	}

	var (
		parts []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	unheld := known.Unheld(keys)
	if len(unheld.Mobiles) > 0 {
		parts = append(parts, `SELECT id FROM profiles WHERE mobile_phone = ANY(`+arg(unheld.Mobiles)+`::text[]) AND removed_at IS NULL`)
	}
	// One branch per handle; a chunk rarely names more than a few.
	for _, h := range unheld.Handles {
		parts = append(parts, `SELECT profile_id FROM identities WHERE handle = `+arg(h)+
			` AND identifier = ANY(`+arg(unheld.ByHandle[h])+`::text[])`)
	}
	if len(parts) > 0 {
		rows, err := tx.Query(ctx, strings.Join(parts, " UNION "), args...)
		if err != nil {
			return nil, nil, err
		}
		found, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return nil, nil, err
		}
		var ids []string
		for _, id := range found {
			if _, ok := known.Profiles[id]; !ok {
				ids = append(ids, id)
			}
		}
		if len(ids) > 0 {
			ps, err := lockProfiles(ctx, tx, `id = ANY($1::text[])`, ids)
			if err != nil {
				return nil, nil, err
			}
			owners = append(owners, ps...)
		}
	}

	lk := clientele.NewChunkLookup()
	stored := make(map[string]*storedProfile, len(owners))
	for _, p := range owners {
		stored[p.ID] = snapshot(p)
		lk.Add(p)
	}
	return lk, stored, nil
}

// lockProfiles locks the live profiles where cond holds of arg ($1), in id
// order, and loads them with their identities (from the row). The rows are
// read after each lock is granted, so what loads is the latest committed
// state, which no one else can change until the transaction ends.
func lockProfiles(ctx context.Context, tx pgx.Tx, cond string, arg []string) ([]*clientele.Profile, error) {
	return queryProfiles(ctx, tx, `SELECT `+profileColumns+` FROM profiles
		WHERE `+cond+` AND removed_at IS NULL ORDER BY id FOR UPDATE`, arg)
}

// reserveIDs gives every new child record (ID 0) of the writes an id, all
// taken from the sequence by one statement.
func reserveIDs(ctx context.Context, tx pgx.Tx, writes []clientele.ProfileWrite) error {
	n := 0
	for _, w := range writes {
		p := w.Profile
		for i := range p.Identities {
			n += b2i(p.Identities[i].ID == 0)
		}
		for i := range p.CustomAttributes {
			n += b2i(p.CustomAttributes[i].ID == 0)
		}
		for i := range p.Dates {
			n += b2i(p.Dates[i].ID == 0)
		}
		for i := range p.Addresses {
			n += b2i(p.Addresses[i].ID == 0)
		}
	}
	if n == 0 {
		return nil
	}
	var ids []int64
	if err := tx.QueryRow(ctx, `SELECT array(SELECT nextval('profile_child_ids') FROM generate_series(1, $1))`, n).
		Scan(&ids); err != nil {
		return fmt.Errorf("postgres: reserve ids: %w", err)
	}
	if len(ids) != n {
		return fmt.Errorf("postgres: reserve ids: got %d, want %d", len(ids), n)
	}
	take := func(dst *int64) {
		if *dst == 0 {
			*dst, ids = ids[0], ids[1:]
		}
	}
	for _, w := range writes {
		p := w.Profile
		for i := range p.Identities {
			take(&p.Identities[i].ID)
		}
		for i := range p.CustomAttributes {
			take(&p.CustomAttributes[i].ID)
		}
		for i := range p.Dates {
			take(&p.Dates[i].ID)
		}
		for i := range p.Addresses {
			take(&p.Addresses[i].ID)
		}
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
