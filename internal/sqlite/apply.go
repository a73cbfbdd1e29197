package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/clientele/clientele"
)

// ApplyChunk implements clientele.Store. The writes happen in one writer
// transaction: check the lease, write the profiles, identities, item
// results, outbox events and counters. The lease check comes first, so a
// lost lease writes nothing.
//
// What to write is decided before the writer is taken, when it can be: the
// chunk's keys are looked up on a reader's snapshot and the items resolved
// in Go (resolveAhead), while the writer serves the other worker's chunk
// and the accepts. That was 45% of the writer's time, which every
// other write waited for. In the writer, the change log (changes.go) tells
// whether a commit since the snapshot touched what the chunk read; if one
// did, the lookup and the resolution run again in the writer, on what is
// current.
func (s *Store) ApplyChunk(ctx context.Context, l clientele.Lease, c clientele.Chunk, ttl time.Duration) (int, error) {
	for i, it := range c.Items {
		if it.Index != c.From+i {
			return 0, fmt.Errorf("sqlite: apply chunk: item %d has index %d, want %d", i, it.Index, c.From+i)
		}
	}
	keys := clientele.Keys(c)
	ahead := s.resolveAhead(ctx, l, c, keys)
	if s.hookAfterAhead != nil {
		s.hookAfterAhead()
	}
	var (
		cursor int
		logged map[string]struct{}
	)
	err := s.writeLogged(ctx, prioBackground, func(tx *sql.Tx) error {
		// The chunk runs hundreds of statements. With a context that can
		// end, the driver arms an interrupt watcher for each one; the
		// transaction already watches ctx (database/sql rolls it back when
		// ctx ends, failing the next statement), so the statements need not.
		t := &chunkTx{ctx: context.WithoutCancel(ctx), tx: tx, st: s.st, bound: map[*sql.Stmt]*sql.Stmt{}}
		var (
			seq       int64
			at, total int
			match     string
		)
		err := t.stmt(s.st.lease).QueryRowContext(t.ctx, l.BatchID, l.Token).Scan(&seq, &at, &total, &match)
		if errNoRows(err) {
			return lostLease(l)
		}
		if err != nil {
			return fmt.Errorf("sqlite: apply chunk: %w", err)
		}
		if c.From != at {
			// The worker's view is stale; applying would skip or repeat items.
			return clientele.Errorf(clientele.ECONFLICT, "chunk starts at item %d but batch %s is at %d", c.From, l.BatchID, at)
		}
		if at+len(c.Items) > total {
			return clientele.Errorf(clientele.EINVALID, "chunk ends past batch %s's %d items", l.BatchID, total)
		}
		r := ahead
		if r == nil || r.match != match || !s.changes.untouched(r.mark, r.read) {
			s.resolvedAgain.Add(1)
			lk, stored, err := lookup(t.lookupRows, keys)
			if err != nil {
				return fmt.Errorf("sqlite: apply chunk lookup: %w", err)
			}
			r = newResolution(match, c, lk, stored, keys)
		} else {
			s.resolvedAhead.Add(1)
		}
		if err := t.writeProfiles(r.res.Writes, r.stored); err != nil {
			return err
		}
		if err := t.writeResults(seq, l.BatchID, r.res.Items, c.Now); err != nil {
			return err
		}
		cursor = at + len(c.Items)
		if err := t.finish(seq, l, r.res.Items, cursor, cursor == total, c.Now, ttl); err != nil {
			return err
		}
		logged = r.touched
		return nil
	}, func() { s.changes.log(logged, false) })
	if err != nil {
		return 0, err
	}
	return cursor, nil
}

// resolution is what a chunk writes, decided from a lookup.
type resolution struct {
	res    clientele.ChunkResult
	stored map[string]*storedProfile
	match  string // the batch's match criteria
	// touched is the change log entry of the chunk's commit, made before
	// the writes (which clear the keys a stored profile releases).
	touched map[string]struct{}
	// For a resolution made ahead of the writer: the change log's mark
	// before the snapshot, and the keys whose change would make it stale
	// (the chunk's keys and the loaded profiles' ids).
	mark uint64
	read []string
}

// newResolution resolves the chunk c of a batch matched by match against
// what a lookup of its keys found.
func newResolution(match string, c clientele.Chunk, lk *clientele.ChunkLookup, stored map[string]*storedProfile,
	keys clientele.ChunkKeys) *resolution {
	looked := chunkKeys(keys)
	res := clientele.Resolve(match, c, lk, clientele.NewProfileID)
	return &resolution{res: res, stored: stored, match: match, touched: touched(looked, stored, res.Writes),
		read: looked}
}

// resolveAhead looks the chunk's keys up on a reader's snapshot and
// resolves the items, for ApplyChunk to use if nothing they read has
// changed by the time it has the writer. It is nil when it could not be
// made (the lease is gone, a read failed): the writer then does it all,
// and meets the same condition with the writer's error.
func (s *Store) resolveAhead(ctx context.Context, l clientele.Lease, c clientele.Chunk, keys clientele.ChunkKeys) *resolution {
	mark := s.changes.mark() // before the snapshot: see changes.go
	tx, err := s.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil
	}
	defer tx.Rollback()
	var match string
	if err := tx.QueryRowContext(ctx, `SELECT match_criteria FROM batches WHERE id = ? AND lease_token = ?`,
		l.BatchID, l.Token).Scan(&match); err != nil {
		return nil
	}
	lk, stored, err := lookup(func(i int, args ...any) (*sql.Rows, error) {
		return tx.StmtContext(ctx, s.lookups[i]).QueryContext(ctx, args...)
	}, keys)
	if err != nil {
		return nil
	}
	r := newResolution(match, c, lk, stored, keys)
	r.mark = mark
	for id := range stored {
		r.read = append(r.read, profileKey(id))
	}
	return r
}

// chunkTx is one apply transaction and the writer's statements, bound to
// it on first use.
type chunkTx struct {
	ctx   context.Context
	tx    *sql.Tx
	st    *stmts
	bound map[*sql.Stmt]*sql.Stmt
}

// stmt is s bound to the transaction.
func (t *chunkTx) stmt(s *sql.Stmt) *sql.Stmt {
	b, ok := t.bound[s]
	if !ok {
		b = t.tx.StmtContext(t.ctx, s)
		t.bound[s] = b
	}
	return b
}

// lookupRows runs the writer's lookup statement i (lookupSQL) with args.
func (t *chunkTx) lookupRows(i int, args ...any) (*sql.Rows, error) {
	return t.query(t.st.lookup[i], args...)
}

// query runs s with args and returns its rows.
func (t *chunkTx) query(s *sql.Stmt, args ...any) (*sql.Rows, error) {
	return t.stmt(s).QueryContext(t.ctx, args...)
}

// exec runs s with args.
func (t *chunkTx) exec(s *sql.Stmt, args ...any) (sql.Result, error) {
	return t.stmt(s).ExecContext(t.ctx, args...)
}

// storedProfile is what the database held for a profile the chunk loaded,
// copied at load time. The writes diff against it rather than against
// ProfileWrite.Before, so that they stay right whatever Merge shares
// between the old and the new profile.
type storedProfile struct {
	rowid, version                   int64
	email, mobile                    string // "" for null
	firstName, lastName, profileType string
	identities                       map[int64]clientele.Identity
}

// rowids maps the ids of the profiles the writer loaded to their rowids.
type rowids map[string]int64

// scan reads rows of rowid and profileColumns (the writer's profile
// lookups) into profiles, noting each one's rowid.
func (r rowids) scan(rows *sql.Rows, err error) ([]*clientele.Profile, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*clientele.Profile
	for rows.Next() {
		var rowid int64
		p, err := scanProfile(rows, &rowid)
		if err != nil {
			return nil, err
		}
		r[p.ID] = rowid
		out = append(out, p)
	}
	return out, rows.Err()
}

// jsonList is vals as the JSON array the lookups bind.
func jsonList(vals []string) string {
	b, _ := json.Marshal(vals) // strings always encode
	return string(b)
}

// lookup finds the live owners of keys and loads them fully (identities
// from the row), with a copy of their stored state for the writes to diff
// against. Owners by email (the usual match key) are loaded first; a mobile
// or identity that one of them holds needs no lookup, since its owner is
// unique. The owners of the other keys are found by id and then loaded, so
// that no profile is loaded (and its doc decoded) twice.
func lookup(rows func(i int, args ...any) (*sql.Rows, error), keys clientele.ChunkKeys) (*clientele.ChunkLookup,
	map[string]*storedProfile, error) {
	var owners []*clientele.Profile
	rowidOf := rowids{}
	if len(keys.Emails) > 0 {
		ps, err := rowidOf.scan(rows(lookupByEmail, jsonList(keys.Emails)))
		if err != nil {
			return nil, nil, err
		}
		owners = ps
	}
	known := clientele.NewChunkLookup()
	for _, p := range owners {
		known.Add(p)
	}

	var ids []string
	seen := map[string]bool{}
	more := func(rows *sql.Rows, err error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			if _, ok := known.Profiles[id]; !ok && !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		return rows.Err()
	}
	unheld := known.Unheld(keys)
	if len(unheld.Mobiles) > 0 {
		if err := more(rows(lookupIDsByMobile, jsonList(unheld.Mobiles))); err != nil {
			return nil, nil, err
		}
	}
	// One query per handle; a chunk rarely names more than a few.
	for _, h := range unheld.Handles {
		if err := more(rows(lookupIDsByIdentity, h, jsonList(unheld.ByHandle[h]))); err != nil {
			return nil, nil, err
		}
	}
	if len(ids) > 0 {
		ps, err := rowidOf.scan(rows(lookupByID, jsonList(ids)))
		if err != nil {
			return nil, nil, err
		}
		owners = append(owners, ps...)
	}

	lk := clientele.NewChunkLookup()
	stored := make(map[string]*storedProfile, len(owners))
	for _, p := range owners {
		stored[p.ID] = snapshot(p, rowidOf[p.ID])
		lk.Add(p)
	}
	return lk, stored, nil
}

// finish moves the batch's counters and cursor, extends the lease, and
// completes the batch (ending the lease) at the last item. It is fenced by
// the lease token, though the single writer already checked it.
func (t *chunkTx) finish(seq int64, l clientele.Lease, items []clientele.ItemResult,
	cursor int, done bool, now time.Time, ttl time.Duration) error {
	var success, failed, created, updated, unchanged int
	for _, r := range items {
		switch r.Outcome {
		case clientele.OutcomeFailed:
			failed++
		case clientele.OutcomeCreated:
			success++
			created++
		case clientele.OutcomeUpdated:
			success++
			updated++
		case clientele.OutcomeUnchanged:
			success++
			unchanged++
		}
	}
	st, last := t.st.finish, micros(now.Add(ttl))
	if done {
		st, last = t.st.complete, micros(now)
	}
	res, err := t.exec(st, len(items), success, failed, created, updated, unchanged, cursor, micros(now),
		last, seq, l.Token)
	if err != nil {
		return fmt.Errorf("sqlite: finish chunk: %w", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return lostLease(l)
	}
	if done {
		return t.batchEvent(seq, clientele.EventBatchCompleted, now)
	}
	return nil
}
