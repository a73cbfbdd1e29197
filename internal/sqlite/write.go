package sqlite

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/clientele/clientele"
)

// The write half of ApplyChunk. New rows go out as multi-row INSERTs (the
// driver's cost per statement is paid once per group) and updates set only
// the indexed columns that changed.

// inserter queues the rows of one groupInsert and inserts them a group at a
// time.
type inserter struct {
	t    *chunkTx
	g    groupInsert
	args []any
}

func (t *chunkTx) inserter(g groupInsert) *inserter {
	return &inserter{t: t, g: g, args: make([]any, 0, g.ncol*insertGroup)}
}

// add queues one row, and inserts a full group.
func (in *inserter) add(vals ...any) error {
	in.args = append(in.args, vals...)
	if len(in.args) < in.g.ncol*insertGroup {
		return nil
	}
	_, err := in.t.exec(in.g.full, in.args...)
	in.args = in.args[:0]
	return err
}

// flush inserts the queued rows.
func (in *inserter) flush() error {
	for i := 0; i < len(in.args); i += in.g.ncol {
		if _, err := in.t.exec(in.g.one, in.args[i:i+in.g.ncol]...); err != nil {
			return err
		}
	}
	in.args = in.args[:0]
	return nil
}

// reserveIDs gives every new child record (ID 0) of the writes an id from
// one block of the sequence.
func (t *chunkTx) reserveIDs(writes []clientele.ProfileWrite) error {
	var fresh []*int64
	for _, w := range writes {
		p := w.Profile
		for i := range p.Identities {
			fresh = appendZero(fresh, &p.Identities[i].ID)
		}
		for i := range p.CustomAttributes {
			fresh = appendZero(fresh, &p.CustomAttributes[i].ID)
		}
		for i := range p.Dates {
			fresh = appendZero(fresh, &p.Dates[i].ID)
		}
		for i := range p.Addresses {
			fresh = appendZero(fresh, &p.Addresses[i].ID)
		}
	}
	if len(fresh) == 0 {
		return nil
	}
	var next int64
	if err := t.stmt(t.st.reserveIDs).QueryRowContext(t.ctx, len(fresh)).Scan(&next); err != nil {
		return fmt.Errorf("sqlite: reserve ids: %w", err)
	}
	id := next - int64(len(fresh))
	for _, dst := range fresh {
		*dst = id
		id++
	}
	return nil
}

func appendZero(ids []*int64, id *int64) []*int64 {
	if *id == 0 {
		return append(ids, id)
	}
	return ids
}

// changedKeys is the mask of p's indexed columns that differ from st.
func changedKeys(p *clientele.Profile, st *storedProfile) int {
	m := 0
	if deref(p.Email) != st.email {
		m |= setEmail
	}
	if deref(p.MobilePhone) != st.mobile {
		m |= setMobile
	}
	if p.FirstName != st.firstName {
		m |= setFirstName
	}
	if p.LastName != st.lastName {
		m |= setLastName
	}
	if p.ProfileType != st.profileType {
		m |= setProfileType
	}
	return m
}

// writeProfiles writes the final state of every profile the chunk touched.
// The final states are consistent with each other but not with the rows in
// between (an earlier profile may take a key that a later one gives up),
// and SQLite checks uniqueness per statement, so the keys a profile gives
// up are released first: changed emails and mobiles are cleared and dropped
// identities deleted; then the profiles are written, then their identities.
func (t *chunkTx) writeProfiles(writes []clientele.ProfileWrite, stored map[string]*storedProfile) error {
	if len(writes) == 0 {
		return nil
	}
	if err := t.reserveIDs(writes); err != nil {
		return err
	}
	for _, w := range writes {
		p, st := w.Profile, stored[w.Profile.ID]
		if w.Before == nil || st == nil {
			continue
		}
		if changedKeys(p, st)&(setEmail|setMobile) != 0 {
			if _, err := t.exec(t.st.releaseKeys, p.ID); err != nil {
				return fmt.Errorf("sqlite: release keys: %w", err)
			}
			st.email, st.mobile = "", "" // so that the update sets them again
		}
		keep := make(map[int64]bool, len(p.Identities))
		for _, id := range p.Identities {
			keep[id.ID] = true
		}
		for id := range st.identities {
			if !keep[id] {
				if _, err := t.exec(t.st.deleteIdentity, p.ID, id); err != nil {
					return fmt.Errorf("sqlite: delete identity: %w", err)
				}
			}
		}
	}

	inserts := t.inserter(t.st.insertProfiles)
	for _, w := range writes {
		p := w.Profile
		data, err := clientele.MarshalProfileDoc(p)
		if err != nil {
			return fmt.Errorf("sqlite: profile %s doc: %w", p.ID, err)
		}
		ids := identitiesDoc(p.Identities)
		st := stored[p.ID]
		if w.Before == nil || st == nil {
			err := inserts.add(p.ID, nullString(p.Email), nullString(p.MobilePhone), p.FirstName, p.LastName,
				strings.ToLower(p.FirstName), strings.ToLower(p.LastName), p.ProfileType,
				micros(p.CreatedAt), micros(p.UpdatedAt), p.Version, data, ids)
			if err != nil {
				return fmt.Errorf("sqlite: insert profiles: %w", err)
			}
			continue
		}
		mask := changedKeys(p, st)
		args := []any{micros(p.UpdatedAt), p.Version, data, ids}
		if mask&setEmail != 0 {
			args = append(args, nullString(p.Email))
		}
		if mask&setMobile != 0 {
			args = append(args, nullString(p.MobilePhone))
		}
		if mask&setFirstName != 0 {
			args = append(args, p.FirstName, strings.ToLower(p.FirstName))
		}
		if mask&setLastName != 0 {
			args = append(args, p.LastName, strings.ToLower(p.LastName))
		}
		if mask&setProfileType != 0 {
			args = append(args, p.ProfileType)
		}
		res, err := t.exec(t.st.update[mask], append(args, st.rowid, p.ID, st.version)...)
		if err != nil {
			return fmt.Errorf("sqlite: update profile %s: %w", p.ID, err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			// The single writer read this version in this transaction.
			return fmt.Errorf("sqlite: update profile %s: version %d is gone", p.ID, st.version)
		}
	}
	if err := inserts.flush(); err != nil {
		return fmt.Errorf("sqlite: insert profiles: %w", err)
	}
	return t.writeIdentities(writes, stored)
}

// writeIdentities inserts the new identities of the writes and updates the
// changed ones.
func (t *chunkTx) writeIdentities(writes []clientele.ProfileWrite, stored map[string]*storedProfile) error {
	inserts := t.inserter(t.st.insertIdentities)
	for _, w := range writes {
		p := w.Profile
		var old map[int64]clientele.Identity
		if st := stored[p.ID]; st != nil && w.Before != nil {
			old = st.identities
		}
		for i := range p.Identities {
			id := &p.Identities[i]
			id.ProfileID = p.ID
			prev, ok := old[id.ID]
			switch {
			case !ok:
				if err := inserts.add(id.ID, p.ID, id.Handle, id.Identifier, id.IsActive, id.IsPrimary,
					micros(id.CreatedAt), micros(id.UpdatedAt)); err != nil {
					return fmt.Errorf("sqlite: insert identities: %w", err)
				}
			case !sameIdentity(prev, *id):
				if _, err := t.exec(t.st.updateIdentity, id.Handle, id.Identifier, id.IsActive, id.IsPrimary,
					micros(id.CreatedAt), micros(id.UpdatedAt), p.ID, id.ID); err != nil {
					return fmt.Errorf("sqlite: update identity %d of %s: %w", id.ID, p.ID, err)
				}
			}
		}
	}
	if err := inserts.flush(); err != nil {
		return fmt.Errorf("sqlite: insert identities: %w", err)
	}
	return nil
}

func sameIdentity(a, b clientele.Identity) bool {
	return a.Handle == b.Handle && a.Identifier == b.Identifier && a.IsActive == b.IsActive &&
		a.IsPrimary == b.IsPrimary && micros(a.CreatedAt) == micros(b.CreatedAt) &&
		micros(a.UpdatedAt) == micros(b.UpdatedAt)
}

// identitiesDoc is the identities column of a profile with ids (their ids
// reserved): NULL for none.
func identitiesDoc(ids []clientele.Identity) sql.NullString {
	b := clientele.MarshalIdentitiesDoc(ids)
	return sql.NullString{String: string(b), Valid: b != nil}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func nullString(s *string) sql.NullString {
	if s == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: *s, Valid: true}
}

// writeResults records every item's result and an outbox event for every
// change.
func (t *chunkTx) writeResults(seq int64, batchID string, items []clientele.ItemResult, now time.Time) error {
	results, events := t.inserter(t.st.insertItems), t.inserter(t.st.insertEvents)
	at := micros(now)
	for _, r := range items {
		var errs sql.NullString
		if len(r.Errors) > 0 {
			b, err := json.Marshal(r.Errors)
			if err != nil {
				return fmt.Errorf("sqlite: item %d errors: %w", r.Index, err)
			}
			errs = sql.NullString{String: string(b), Valid: true}
		}
		if err := results.add(seq, r.Index, r.Outcome, nullString(r.ProfileID), nullString(r.MatchValue),
			errs, nullString(r.ConflictProfileID), at); err != nil {
			return fmt.Errorf("sqlite: insert items: %w", err)
		}
		if r.Event != "" && r.ProfileID != nil {
			if err := events.add(r.Event, *r.ProfileID, batchID, r.Version, at); err != nil {
				return fmt.Errorf("sqlite: insert events: %w", err)
			}
		}
	}
	if err := results.flush(); err != nil {
		return fmt.Errorf("sqlite: insert items: %w", err)
	}
	if err := events.flush(); err != nil {
		return fmt.Errorf("sqlite: insert events: %w", err)
	}
	return nil
}
