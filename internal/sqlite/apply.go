package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/clientele/clientele"
)

// ApplyChunk implements clientele.Store. Everything happens in one writer
// transaction: check the lease, look up every key of the chunk, resolve the
// items in Go, write the profiles, identities, item results, outbox events
// and counters. The lease check comes first, so a lost lease writes
// nothing.
func (s *Store) ApplyChunk(ctx context.Context, l clientele.Lease, c clientele.Chunk, ttl time.Duration) (int, error) {
	for i, it := range c.Items {
		if it.Index != c.From+i {
			return 0, fmt.Errorf("sqlite: apply chunk: item %d has index %d, want %d", i, it.Index, c.From+i)
		}
	}
	keys := clientele.Keys(c)
	var cursor int
	err := s.writeBackground(ctx, func(tx *sql.Tx) error {
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
		lk, stored, err := t.lookup(keys)
		if err != nil {
			return fmt.Errorf("sqlite: apply chunk lookup: %w", err)
		}
		res := clientele.Resolve(match, c, lk, clientele.NewProfileID)
		if err := t.writeProfiles(res.Writes, stored); err != nil {
			return err
		}
		if err := t.writeResults(seq, l.BatchID, res.Items, c.Now); err != nil {
			return err
		}
		cursor = at + len(c.Items)
		return t.finish(seq, l, res.Items, cursor, cursor == total, c.Now, ttl)
	})
	if err != nil {
		return 0, err
	}
	return cursor, nil
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
func (t *chunkTx) lookup(keys clientele.ChunkKeys) (*clientele.ChunkLookup, map[string]*storedProfile, error) {
	var owners []*clientele.Profile
	rowidOf := rowids{}
	if len(keys.Emails) > 0 {
		ps, err := rowidOf.scan(t.query(t.st.byEmail, jsonList(keys.Emails)))
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
	var mobiles []string
	for _, m := range keys.Mobiles {
		if _, ok := known.ByMobile[m]; !ok {
			mobiles = append(mobiles, m)
		}
	}
	if len(mobiles) > 0 {
		if err := more(t.query(t.st.idsByMobile, jsonList(mobiles))); err != nil {
			return nil, nil, err
		}
	}
	// One query per handle, so that each uses the (handle, identifier) key;
	// a chunk rarely names more than a few handles.
	byHandle := map[string][]string{}
	var handles []string
	for _, k := range keys.Identities {
		if _, ok := known.ByIdentity[k]; ok {
			continue
		}
		if _, ok := byHandle[k.Handle]; !ok {
			handles = append(handles, k.Handle)
		}
		byHandle[k.Handle] = append(byHandle[k.Handle], k.Identifier)
	}
	for _, h := range handles {
		if err := more(t.query(t.st.idsByIdentity, h, jsonList(byHandle[h]))); err != nil {
			return nil, nil, err
		}
	}
	if len(ids) > 0 {
		ps, err := rowidOf.scan(t.query(t.st.byID, jsonList(ids)))
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
