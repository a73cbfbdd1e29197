package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/clientele/clientele"
	"github.com/jackc/pgx/v5"
)

// The write half of ApplyChunk. Each kind of row goes out as one statement
// for the chunk, not one per row: updates and deletes over arrays (UPDATE
// … FROM unnest, DELETE … USING unnest), queued in a pipeline and sent in
// one round trip; new rows by COPY, one per table. COPY took half the time
// of INSERT … SELECT FROM unnest for a chunk's profiles (the server forms
// the rows directly, in multi-row WAL records, with no arrays to decode and
// no function scan), and on this side it streams in 64 KB pieces, where the
// driver encoded a statement's arrays (0.7 MB for 500 profiles) into a
// buffer grown from 256 bytes for every statement. The pipeline goes first,
// so that keys released there are free for the rows copied after it.

// writeStats counts what a chunk wrote, for the ANALYZE policy.
type writeStats struct {
	insertedProfiles, insertedIdentities int
}

// chunkWrite is the pipeline of one chunk's writes, with the checks its
// results must pass.
type chunkWrite struct {
	pl     pgx.Batch
	checks []func(rowsAffected) error // by statement; nil for none
	copies []*copyRows                // after the pipeline, in order
	after  pgx.Batch                  // after the copies
	stats  writeStats
}

// copyRows is one COPY: n rows of a table, whose values row(i, dst) writes
// into dst (one per column). It is the driver's CopyFromSource.
type copyRows struct {
	table string
	cols  []string
	n     int
	row   func(i int, dst []any)
	next  int
	vals  []any
}

// copyRows queues a COPY of n rows into table.
func (w *chunkWrite) copyRows(table string, cols []string, n int, row func(i int, dst []any)) {
	if n > 0 {
		w.copies = append(w.copies, &copyRows{table: table, cols: cols, n: n, row: row, vals: make([]any, len(cols))})
	}
}

func (r *copyRows) Next() bool {
	if r.next >= r.n {
		return false
	}
	r.row(r.next, r.vals)
	r.next++
	return true
}

func (r *copyRows) Values() ([]any, error) { return r.vals, nil }
func (r *copyRows) Err() error             { return nil }

// rowsAffected is what a statement of the pipeline reports.
type rowsAffected = int64

// profileRows are the columns of profiles rows, one array per column.
// identities are the rows' identities docs, a nil doc (none) being NULL.
type profileRows struct {
	id, first, last, firstFold, lastFold, ptype, data []string
	identities                                        [][]byte
	email, mobile                                     []*string
	created, updated                                  []time.Time
	version, oldVersion                               []int64
}

func (r *profileRows) add(p *clientele.Profile, data, identities []byte, oldVersion int64) {
	r.id = append(r.id, p.ID)
	r.email = append(r.email, p.Email)
	r.mobile = append(r.mobile, p.MobilePhone)
	r.first = append(r.first, p.FirstName)
	r.last = append(r.last, p.LastName)
	r.firstFold = append(r.firstFold, strings.ToLower(p.FirstName))
	r.lastFold = append(r.lastFold, strings.ToLower(p.LastName))
	r.ptype = append(r.ptype, p.ProfileType)
	r.created = append(r.created, p.CreatedAt)
	r.updated = append(r.updated, p.UpdatedAt)
	r.version = append(r.version, p.Version)
	r.data = append(r.data, string(data))
	r.identities = append(r.identities, identities)
	r.oldVersion = append(r.oldVersion, oldVersion)
}

// identityRows are the columns of identities rows.
type identityRows struct {
	id                            []int64
	profileID, handle, identifier []string
	active, primary               []bool
	created, updated              []time.Time
	// the keys to delete, each with the profile it is deleted from
	delProfile, delHandle, delIdentifier []string
}

func (r *identityRows) add(id clientele.Identity) {
	r.id = append(r.id, id.ID)
	r.profileID = append(r.profileID, id.ProfileID)
	r.handle = append(r.handle, id.Handle)
	r.identifier = append(r.identifier, id.Identifier)
	r.active = append(r.active, id.IsActive)
	r.primary = append(r.primary, id.IsPrimary)
	r.created = append(r.created, id.CreatedAt)
	r.updated = append(r.updated, id.UpdatedAt)
}

// del deletes identity id of profile profileID.
func (r *identityRows) del(profileID string, id clientele.Identity) {
	r.delProfile = append(r.delProfile, profileID)
	r.delHandle = append(r.delHandle, id.Handle)
	r.delIdentifier = append(r.delIdentifier, id.Identifier)
}

// profiles queues the writes of the final state of every profile the chunk
// touched. The final states are consistent with each other but not with
// the rows in between (an earlier profile may take a key that a later one
// gives up), and PostgreSQL checks a unique index row by row, so the keys
// that change hands inside the chunk are released first: the profiles
// giving up an email or mobile that another write takes have both set to
// null, and identities that go away or change key are deleted; then the
// profiles are updated and inserted, then the identities.
//
// A profile's identities are written twice: to its row, as an identities
// doc in the statement that writes the row (which is what profile reads
// take them from, migration 00009), and to the identities table, which
// keeps the pairs unique and finds an owner by key.
func (w *chunkWrite) profiles(writes []clientele.ProfileWrite, stored map[string]*storedProfile) error {
	if len(writes) == 0 {
		return nil
	}
	// The keys that some write gives a profile that did not hold them.
	taken := map[string]bool{}
	for _, wr := range writes {
		p, st := wr.Profile, stored[wr.Profile.ID]
		var was storedProfile
		if wr.Before != nil && st != nil {
			was = *st
		}
		if p.Email != nil && *p.Email != was.email {
			taken["e"+*p.Email] = true
		}
		if p.MobilePhone != nil && *p.MobilePhone != was.mobile {
			taken["m"+*p.MobilePhone] = true
		}
	}
	var (
		release                   []string
		inserts, updates, docOnly profileRows
		ins, upd                  identityRows
	)
	for _, wr := range writes {
		p := wr.Profile
		data, err := clientele.MarshalProfileDoc(p)
		if err != nil {
			return fmt.Errorf("postgres: profile %s doc: %w", p.ID, err)
		}
		// Every identity has its id here (reserveIDs), which the doc keeps.
		ids := clientele.MarshalIdentitiesDoc(p.Identities)
		st := stored[p.ID]
		if wr.Before == nil || st == nil {
			inserts.add(p, data, ids, 0)
			for _, id := range p.Identities {
				id.ProfileID = p.ID
				ins.add(id)
			}
			continue
		}
		if st.keepsColumns(p) {
			docOnly.add(p, data, ids, st.version)
		} else {
			updates.add(p, data, ids, st.version)
		}
		if (st.email != "" && st.email != deref(p.Email) && taken["e"+st.email]) ||
			(st.mobile != "" && st.mobile != deref(p.MobilePhone) && taken["m"+st.mobile]) {
			release = append(release, p.ID)
		}
		keep := make(map[int64]bool, len(p.Identities))
		for _, id := range p.Identities {
			id.ProfileID = p.ID
			keep[id.ID] = true
			prev, ok := st.identities[id.ID]
			switch {
			case !ok:
				ins.add(id)
			case prev.Handle != id.Handle || prev.Identifier != id.Identifier:
				upd.del(p.ID, prev)
				ins.add(id)
			case !sameIdentity(prev, id):
				upd.add(id)
			}
		}
		for id, x := range st.identities {
			if !keep[id] {
				upd.del(p.ID, x)
			}
		}
	}

	if len(release) > 0 {
		w.pl.Queue(`UPDATE profiles SET email = NULL, mobile_phone = NULL WHERE id = ANY($1::text[])`, release)
	}
	if len(upd.delHandle) > 0 {
		w.pl.Queue(deleteIdentities, upd.delProfile, upd.delHandle, upd.delIdentifier)
	}
	if n := len(updates.id); n > 0 {
		// The version fence is a second guard: the rows are locked, so every
		// one must match.
		w.queueCheck(`UPDATE profiles p SET email = u.email, mobile_phone = u.mobile_phone,
				first_name = u.first_name, last_name = u.last_name,
				first_name_fold = u.first_name_fold, last_name_fold = u.last_name_fold,
				profile_type = u.profile_type, updated_at = u.updated_at, version = u.version, data = u.data,
				identities = u.identities
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
				$8::text[], $9::timestamptz[], $10::bigint[], $11::text[], $12::text[], $13::bigint[])
				AS u(id, email, mobile_phone, first_name, last_name, first_name_fold, last_name_fold,
				profile_type, updated_at, version, data, identities, old_version)
			WHERE p.id = u.id AND p.version = u.old_version AND p.removed_at IS NULL`,
			allUpdated(n),
			updates.id, updates.email, updates.mobile, updates.first, updates.last, updates.firstFold,
			updates.lastFold, updates.ptype, updates.updated, updates.version, updates.data, updates.identities,
			updates.oldVersion)
	}
	if n := len(docOnly.id); n > 0 {
		// Most updates of a load change a profile's documents and nothing
		// it is found or sorted by: six arrays instead of thirteen.
		w.queueCheck(`UPDATE profiles p SET updated_at = u.updated_at, version = u.version, data = u.data,
				identities = u.identities
			FROM unnest($1::text[], $2::timestamptz[], $3::bigint[], $4::text[], $5::text[], $6::bigint[])
				AS u(id, updated_at, version, data, identities, old_version)
			WHERE p.id = u.id AND p.version = u.old_version AND p.removed_at IS NULL`,
			allUpdated(n),
			docOnly.id, docOnly.updated, docOnly.version, docOnly.data, docOnly.identities, docOnly.oldVersion)
	}
	w.copyRows("profiles", []string{"id", "email", "mobile_phone", "first_name", "last_name", "first_name_fold",
		"last_name_fold", "profile_type", "created_at", "updated_at", "version", "data", "identities"}, len(inserts.id),
		func(i int, v []any) {
			r := &inserts
			v[0], v[1], v[2], v[3], v[4], v[5] = r.id[i], r.email[i], r.mobile[i], r.first[i], r.last[i], r.firstFold[i]
			v[6], v[7], v[8], v[9], v[10], v[11] = r.lastFold[i], r.ptype[i], r.created[i], r.updated[i], r.version[i], r.data[i]
			v[12] = r.identities[i]
		})
	if len(upd.id) > 0 {
		w.pl.Queue(`UPDATE identities i SET is_active = u.is_active, is_primary = u.is_primary,
				created_at = u.created_at, updated_at = u.updated_at
			FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bool[], $5::bool[], $6::timestamptz[],
				$7::timestamptz[]) AS u(handle, identifier, id, is_active, is_primary, created_at, updated_at)
			WHERE i.handle = u.handle AND i.identifier = u.identifier AND i.id = u.id`,
			upd.handle, upd.identifier, upd.id, upd.active, upd.primary, upd.created, upd.updated)
	}
	w.copyRows("identities", []string{"id", "profile_id", "handle", "identifier", "is_active", "is_primary",
		"created_at", "updated_at"}, len(ins.id),
		func(i int, v []any) {
			v[0], v[1], v[2], v[3] = ins.id[i], ins.profileID[i], ins.handle[i], ins.identifier[i]
			v[4], v[5], v[6], v[7] = ins.active[i], ins.primary[i], ins.created[i], ins.updated[i]
		})
	w.stats.insertedProfiles, w.stats.insertedIdentities = len(inserts.id), len(ins.id)
	return nil
}

// allUpdated checks that an update fenced by version changed all n
// profiles: they are locked, so every one must match.
func allUpdated(n int) func(rowsAffected) error {
	return func(got rowsAffected) error {
		if got != int64(n) {
			return fmt.Errorf("%w: updated %d of %d profiles", errRetry, got, n)
		}
		return nil
	}
}

// queueCheck queues a statement whose rows-affected count check must pass.
func (w *chunkWrite) queueCheck(sql string, check func(rowsAffected) error, args ...any) {
	w.pl.Queue(sql, args...)
	for len(w.checks) < w.pl.Len()-1 {
		w.checks = append(w.checks, nil)
	}
	w.checks = append(w.checks, check)
}

func sameIdentity(a, b clientele.Identity) bool {
	return a.Handle == b.Handle && a.Identifier == b.Identifier && a.IsActive == b.IsActive &&
		a.IsPrimary == b.IsPrimary && a.CreatedAt.UnixMicro() == b.CreatedAt.UnixMicro() &&
		a.UpdatedAt.UnixMicro() == b.UpdatedAt.UnixMicro()
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// results queues every item's result and an outbox event for every change.
func (w *chunkWrite) results(seq int64, batchID string, items []clientele.ItemResult, now time.Time) {
	var (
		idx                           []int32
		outcome                       []string
		entity, match, errs, conflict []*string
		evType, evProfile             []string
		evVersion                     []int64
	)
	for _, r := range items {
		var e *string
		if len(r.Errors) > 0 {
			// FieldErrors is a map of string slices: Marshal cannot fail.
			b, _ := json.Marshal(r.Errors)
			s := string(b)
			e = &s
		}
		idx = append(idx, int32(r.Index))
		outcome = append(outcome, r.Outcome)
		entity = append(entity, r.ProfileID)
		match = append(match, r.MatchValue)
		errs = append(errs, e)
		conflict = append(conflict, r.ConflictProfileID)
		if r.Event != "" && r.ProfileID != nil {
			evType = append(evType, r.Event)
			evProfile = append(evProfile, *r.ProfileID)
			evVersion = append(evVersion, r.Version)
		}
	}
	w.copyRows("batch_items", []string{"batch_seq", "idx", "outcome", "entity_id", "match_value", "errors",
		"conflict_profile_id", "updated_at"}, len(idx),
		func(i int, v []any) {
			v[0], v[1], v[2], v[3] = seq, idx[i], outcome[i], entity[i]
			v[4], v[5], v[6], v[7] = match[i], errs[i], conflict[i], now
		})
	w.copyRows("events", []string{"type", "profile_id", "batch_id", "version", "created_at"}, len(evType),
		func(i int, v []any) {
			v[0], v[1], v[2], v[3], v[4] = evType[i], evProfile[i], batchID, evVersion[i], now
		})
}

// finish queues the move of the batch's counters and cursor, the extension
// of the lease, and, at the last item, the completion of the batch (which
// ends the lease). It is fenced by the lease token.
func (w *chunkWrite) finish(seq int64, l clientele.Lease, items []clientele.ItemResult, cursor int, done bool,
	now time.Time, ttl time.Duration) {
	var n [5]int // success, failed, created, updated, unchanged
	for _, r := range items {
		switch r.Outcome {
		case clientele.OutcomeFailed:
			n[1]++
		case clientele.OutcomeCreated:
			n[0]++
			n[2]++
		case clientele.OutcomeUpdated:
			n[0]++
			n[3]++
		case clientele.OutcomeUnchanged:
			n[0]++
			n[4]++
		}
	}
	q := `UPDATE batches SET processed_count = processed_count + $1, success_count = success_count + $2,
		failed_count = failed_count + $3, created_count = created_count + $4,
		updated_count = updated_count + $5, unchanged_count = unchanged_count + $6,
		cursor = $7, updated_at = $8, `
	var end any
	if done {
		q += `status = 'completed', completed_at = $9, lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL`
		end = now
	} else {
		q += `lease_expires_at = $9`
		end = now.Add(ttl)
	}
	w.queueCheck(q+` WHERE seq = $10 AND lease_token = $11`,
		func(n rowsAffected) error {
			if n != 1 {
				return lostLease(l)
			}
			return nil
		},
		len(items), n[0], n[1], n[2], n[3], n[4], cursor, now, end, seq, l.Token)
	if done {
		w.batchEvent(seq, clientele.EventBatchCompleted, now)
	}
}

// send runs the pipeline in tx and checks its results, then the copies,
// then what comes after them.
func (w *chunkWrite) send(ctx context.Context, tx pgx.Tx) error {
	if err := sendBatch(ctx, tx, &w.pl, w.checks); err != nil {
		return err
	}
	for _, c := range w.copies {
		n, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, c)
		if err != nil {
			return fmt.Errorf("postgres: apply chunk write: copy into %s: %w", c.table, err)
		}
		if n != int64(c.n) {
			return fmt.Errorf("postgres: apply chunk write: copied %d of %d rows into %s", n, c.n, c.table)
		}
	}
	return sendBatch(ctx, tx, &w.after, nil)
}

// sendBatch runs the statements of b in tx, in one round trip, and checks
// each statement's rows affected with checks[i], where there is one.
func sendBatch(ctx context.Context, tx pgx.Tx, b *pgx.Batch, checks []func(rowsAffected) error) error {
	if b.Len() == 0 {
		return nil
	}
	br := tx.SendBatch(ctx, b)
	for i := range b.Len() {
		tag, err := br.Exec()
		if err != nil {
			br.Close()
			return fmt.Errorf("postgres: apply chunk write: %w", err)
		}
		if i < len(checks) && checks[i] != nil {
			if err := checks[i](tag.RowsAffected()); err != nil {
				br.Close()
				return err
			}
		}
	}
	if err := br.Close(); err != nil {
		return fmt.Errorf("postgres: apply chunk write: %w", err)
	}
	return nil
}
