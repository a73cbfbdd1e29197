package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele/clientele"
	"github.com/jackc/pgx/v5"
)

// The single-profile writes of the profile routes. A change locks its
// profile (FOR UPDATE) before reading it, so concurrent changes of one
// profile, from any node, are applied one after the other, each reading
// what the last one committed: none is lost. It then goes through the
// apply path's lookup (which locks the owners of its keys) and writes, so
// a profile written here is stored exactly as a batch would store it, and
// a race for a key ends the same way: a unique violation, retried from a
// fresh read, which then sees the other profile and answers 422.

// ChangeProfile implements clientele.Store.
func (s *Store) ChangeProfile(ctx context.Context, ch clientele.ProfileChange) (clientele.ProfileChanged, error) {
	var out clientele.ProfileChanged
	err := s.withRetries(ctx, func(int) error {
		return s.inTx(ctx, func(tx pgx.Tx) error {
			var old *clientele.Profile
			if ch.ID != "" {
				ps, err := queryProfiles(ctx, tx, `SELECT `+profileColumns+` FROM profiles
					WHERE id = $1 AND removed_at IS NULL FOR UPDATE`, ch.ID)
				if err != nil {
					return fmt.Errorf("postgres: change profile: %w", err)
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
			lk, stored, err := lookup(ctx, tx, clientele.ChangeKeys(next), nil)
			if err != nil {
				return fmt.Errorf("postgres: change profile lookup: %w", err)
			}
			if err := clientele.ChangeConflicts(next, ch.Input, lk); err != nil {
				return err
			}
			if old != nil && stored[old.ID] == nil {
				// The change gave up every key old held, so the lookup did
				// not load it; the writes diff against what was stored.
				stored[old.ID] = snapshot(old)
			}
			writes := []clientele.ProfileWrite{{Profile: next, Before: old}}
			if err := reserveIDs(ctx, tx, writes); err != nil {
				return err
			}
			var w chunkWrite
			if err := w.profiles(writes, stored); err != nil {
				return err
			}
			w.pl.Queue(insertProfileEvent, clientele.EventFor(out.Outcome), next.ID, next.Version, ch.Now, ch.Origin)
			if err := w.send(ctx, tx); err != nil {
				return err
			}
			out.Profile = *next
			return nil
		})
	})
	return out, err
}

// insertProfileEvent writes the outbox event of a change no batch made:
// $1 type, $2 profile id, $3 version, $4 time, $5 origin.
const insertProfileEvent = `INSERT INTO events (type, profile_id, batch_id, version, created_at, origin)
	VALUES ($1, $2, NULL, $3, $4, $5)`

// snapshot is the stored state of p that the writes diff against.
func snapshot(p *clientele.Profile) *storedProfile {
	st := &storedProfile{version: p.Version, identities: make(map[int64]clientele.Identity, len(p.Identities))}
	st.email, st.mobile = deref(p.Email), deref(p.MobilePhone)
	st.firstName, st.lastName, st.ptype = p.FirstName, p.LastName, p.ProfileType
	for _, id := range p.Identities {
		st.identities[id.ID] = id
	}
	return st
}

// RemoveProfile implements clientele.Store. The row stays (marked removed,
// typed "deleted"); its identities go, from the table, which frees them,
// and from the row, and the partial unique indexes stop counting its email
// and mobile.
func (s *Store) RemoveProfile(ctx context.Context, id, origin string, now time.Time) error {
	return s.withRetries(ctx, func(int) error { return s.removeProfile(ctx, id, origin, now) })
}

func (s *Store) removeProfile(ctx context.Context, id, origin string, now time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		// The row is locked and read first for the identities it names,
		// which the update clears.
		var doc []byte
		err := tx.QueryRow(ctx, `SELECT identities FROM profiles WHERE id = $1 AND removed_at IS NULL FOR UPDATE`,
			id).Scan(&doc)
		if errors.Is(err, pgx.ErrNoRows) {
			return clientele.Errorf(clientele.ENOTFOUND, "profile %s not found", id)
		}
		if err != nil {
			return fmt.Errorf("postgres: remove profile: %w", err)
		}
		var version int64
		if err := tx.QueryRow(ctx, `UPDATE profiles SET removed_at = $1, updated_at = $1, profile_type = 'deleted',
			identities = NULL, version = version + 1 WHERE id = $2 RETURNING version`, now, id).Scan(&version); err != nil {
			return fmt.Errorf("postgres: remove profile: %w", err)
		}
		if err := deleteIdentitiesOf(ctx, tx, id, doc); err != nil {
			return fmt.Errorf("postgres: remove profile identities: %w", err)
		}
		if _, err := tx.Exec(ctx, insertProfileEvent, clientele.EventProfileDeleted, id, version, now, origin); err != nil {
			return fmt.Errorf("postgres: remove profile event: %w", err)
		}
		return nil
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
	return s.withRetries(ctx, func(int) error { return s.purgeProfile(ctx, id, origin, now) })
}

func (s *Store) purgeProfile(ctx context.Context, id, origin string, now time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		var (
			version int64
			removed *time.Time
			doc     []byte // its identities, none if it was removed
		)
		err := tx.QueryRow(ctx, `DELETE FROM profiles WHERE id = $1 RETURNING version, removed_at, identities`, id).
			Scan(&version, &removed, &doc)
		if errors.Is(err, pgx.ErrNoRows) {
			return clientele.Errorf(clientele.ENOTFOUND, "profile %s not found", id)
		}
		if err != nil {
			return fmt.Errorf("postgres: purge profile: %w", err)
		}
		if err := deleteIdentitiesOf(ctx, tx, id, doc); err != nil {
			return fmt.Errorf("postgres: purge profile: %w", err)
		}
		if _, err := tx.Exec(ctx, `DELETE FROM webhook_deliveries WHERE id IN (SELECT d.id FROM webhook_deliveries d
			JOIN events e ON e.id = d.event_id WHERE e.profile_id = $1)`, id); err != nil {
			return fmt.Errorf("postgres: purge profile: %w", err)
		}
		if removed != nil {
			return nil // subscribers heard of its removal already
		}
		if _, err := tx.Exec(ctx, insertProfileEvent, clientele.EventProfileDeleted, id, version+1, now, origin); err != nil {
			return fmt.Errorf("postgres: purge profile event: %w", err)
		}
		return nil
	})
}
