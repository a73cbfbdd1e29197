package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/clientele/clientele"
)

// The single-profile writes of the profile routes. Each is one writer
// transaction, so concurrent changes of one profile are applied one after
// the other, each reading what the last one wrote: none is lost. They
// write through the apply path's lookup and writeProfiles, so a profile
// written here is stored exactly as a batch would store it.

// ChangeProfile implements clientele.Store.
func (s *Store) ChangeProfile(ctx context.Context, ch clientele.ProfileChange) (clientele.ProfileChanged, error) {
	var out clientele.ProfileChanged
	err := s.writeProfile(ctx, func(tx *sql.Tx) error {
		t := &chunkTx{ctx: context.WithoutCancel(ctx), tx: tx, st: s.st, bound: map[*sql.Stmt]*sql.Stmt{}}
		var old *clientele.Profile
		oldRowid := rowids{}
		if ch.ID != "" {
			ps, err := oldRowid.scan(t.query(t.st.lookup[lookupByID], jsonList([]string{ch.ID})))
			if err != nil {
				return fmt.Errorf("sqlite: change profile: %w", err)
			}
			if len(ps) == 0 {
				return clientele.Errorf(clientele.ENOTFOUND, "profile %s not found", ch.ID)
			}
			old = ps[0]
		}
		next, outcome, err := clientele.PlanChange(old, ch, clientele.NewProfileID)
		if err != nil {
			return err
		}
		out.Outcome = outcome
		if outcome == clientele.OutcomeUnchanged {
			out.Profile = *old
			return nil
		}
		lk, stored, err := lookup(t.lookupRows, clientele.ChangeKeys(next))
		if err != nil {
			return fmt.Errorf("sqlite: change profile lookup: %w", err)
		}
		if err := clientele.ChangeConflicts(next, ch.Input, lk); err != nil {
			return err
		}
		if old != nil && stored[old.ID] == nil {
			// The change gave up every key old held, so the lookup did not
			// load it; the writes diff against what was stored.
			stored[old.ID] = snapshot(old, oldRowid[old.ID])
		}
		if err := t.writeProfiles([]clientele.ProfileWrite{{Profile: next, Before: old}}, stored); err != nil {
			return err
		}
		if err := profileEvent(t, clientele.EventFor(out.Outcome), next.ID, next.Version, ch.Origin, ch.Now); err != nil {
			return err
		}
		out.Profile = *next
		return nil
	})
	return out, err
}

// writeProfile is write for a transaction that changes a profile by
// itself: it logs a change of everything (changes.go), since these writes
// are rare and their keys not worth collecting.
func (s *Store) writeProfile(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return s.writeLogged(ctx, prioClient, fn, func() { s.changes.log(nil, true) })
}

// snapshot is the stored state of p, the profile at rowid, that
// writeProfiles diffs against.
func snapshot(p *clientele.Profile, rowid int64) *storedProfile {
	st := &storedProfile{rowid: rowid, version: p.Version, firstName: p.FirstName, lastName: p.LastName,
		profileType: p.ProfileType, identities: make(map[int64]clientele.Identity, len(p.Identities))}
	st.email, st.mobile = deref(p.Email), deref(p.MobilePhone)
	for _, id := range p.Identities {
		st.identities[id.ID] = id
	}
	return st
}

// profileEvent writes the outbox event of a change no batch made.
func profileEvent(t *chunkTx, typ, profileID string, version int64, origin string, now time.Time) error {
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO events (type, profile_id, batch_id, version, created_at, origin)
		VALUES (?, ?, NULL, ?, ?, ?)`, typ, profileID, version, micros(now), origin); err != nil {
		return fmt.Errorf("sqlite: insert event: %w", err)
	}
	return nil
}

// RemoveProfile implements clientele.Store. The row stays (marked removed,
// typed "deleted") so that the removal is an update like any other; its
// identities go, which frees them, and the partial unique indexes stop
// counting its email and mobile.
func (s *Store) RemoveProfile(ctx context.Context, id, origin string, now time.Time) error {
	return s.writeProfile(ctx, func(tx *sql.Tx) error {
		var version int64
		err := tx.QueryRowContext(ctx, `UPDATE profiles SET removed_at = ?, updated_at = ?, profile_type = 'deleted',
			identities = NULL, version = version + 1 WHERE id = ? AND removed_at IS NULL RETURNING version`,
			micros(now), micros(now), id).Scan(&version)
		if errNoRows(err) {
			return clientele.Errorf(clientele.ENOTFOUND, "profile %s not found", id)
		}
		if err != nil {
			return fmt.Errorf("sqlite: remove profile: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM identities WHERE profile_id = ?`, id); err != nil {
			return fmt.Errorf("sqlite: remove profile identities: %w", err)
		}
		t := &chunkTx{ctx: ctx, tx: tx}
		return profileEvent(t, clientele.EventProfileDeleted, id, version, origin, now)
	})
}

// PurgeProfile implements clientele.Store. The outbox keeps the profile's
// events (a type, an id and a version: nothing personal); the webhook
// deliveries go, since their bodies are the profile. They are found from
// the deliveries (each joined to its event by key), not from the events,
// which are far more and have no index on profile_id: that index would
// cost every batch write for the sake of a rare erasure. The router does
// not store deliveries of a profile gone since it rendered them.
func (s *Store) PurgeProfile(ctx context.Context, id, origin string, now time.Time) error {
	return s.writeProfile(ctx, func(tx *sql.Tx) error {
		var version int64
		var removed sql.NullInt64
		err := tx.QueryRowContext(ctx, `DELETE FROM profiles WHERE id = ? RETURNING version, removed_at`, id).Scan(&version, &removed)
		if errNoRows(err) {
			return clientele.Errorf(clientele.ENOTFOUND, "profile %s not found", id)
		}
		if err != nil {
			return fmt.Errorf("sqlite: purge profile: %w", err)
		}
		for _, q := range []string{
			`DELETE FROM identities WHERE profile_id = ?`,
			`DELETE FROM webhook_deliveries WHERE id IN (SELECT d.id FROM webhook_deliveries d
				JOIN events e ON e.id = d.event_id WHERE e.profile_id = ?)`,
		} {
			if _, err := tx.ExecContext(ctx, q, id); err != nil {
				return fmt.Errorf("sqlite: purge profile: %w", err)
			}
		}
		if removed.Valid {
			return nil // subscribers heard of its removal already
		}
		t := &chunkTx{ctx: ctx, tx: tx}
		return profileEvent(t, clientele.EventProfileDeleted, id, version+1, origin, now)
	})
}
