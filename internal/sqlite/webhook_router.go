package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/clientele/clientele"
	"github.com/google/uuid"
)

// The webhook router's side of the store: the cursor over the events
// outbox, held by one router at a time under a lease. The single writer
// commits events in id order, so on SQLite the cursor never passes an id
// that is yet to appear; the gap bookkeeping (clientele.RouterCursor) is
// there for PostgreSQL and costs nothing here.

// lostRouter is the error of a router whose lease is gone.
func lostRouter(l clientele.RouterLease) error {
	return clientele.Errorf(clientele.ECONFLICT, "router lease of %s lost", l.Owner)
}

// ClaimRouter implements clientele.Store.
func (s *Store) ClaimRouter(ctx context.Context, owner string, now time.Time, ttl time.Duration) (clientele.RouterLease, error) {
	l := clientele.RouterLease{Owner: owner, Token: uuid.NewString(), ExpiresAt: now.Add(ttl)}
	var n int64
	err := s.writeBackground(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_router SET lease_owner = ?, lease_token = ?,
			lease_expires_at = ? WHERE id = 1 AND (lease_token IS NULL OR lease_expires_at <= ? OR lease_owner = ?)`,
			owner, l.Token, micros(l.ExpiresAt), micros(now), owner)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return clientele.RouterLease{}, fmt.Errorf("sqlite: claim router: %w", err)
	}
	if n == 0 {
		return clientele.RouterLease{}, clientele.Errorf(clientele.ECONFLICT, "another node routes webhooks")
	}
	return l, nil
}

// eventColumns are an event's columns; its origin is its own, else its
// batch's.
const eventColumns = `e.id, e.type, e.profile_id, coalesce(e.batch_id, ''), e.version,
	coalesce(nullif(e.origin, ''), b.origin, ''), e.created_at`

// scanEvents reads rows of eventColumns.
func scanEvents(rows *sql.Rows, err error) ([]clientele.Event, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []clientele.Event
	for rows.Next() {
		var (
			e  clientele.Event
			at int64
		)
		if err := rows.Scan(&e.ID, &e.Type, &e.ProfileID, &e.BatchID, &e.Version, &e.Origin, &at); err != nil {
			return nil, err
		}
		e.CreatedAt = fromMicros(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// NextEvents implements clientele.Store. It runs on a reader: routing a
// page takes the writer only to store its result.
func (s *Store) NextEvents(ctx context.Context, l clientele.RouterLease, limit int, now time.Time) (clientele.EventPage, error) {
	var page clientele.EventPage
	err := s.read(ctx, func(tx *sql.Tx) error {
		var (
			cur  clientele.RouterCursor
			gaps string
		)
		err := tx.QueryRowContext(ctx, `SELECT position, gaps FROM webhook_router WHERE id = 1 AND lease_token = ?`,
			l.Token).Scan(&cur.Position, &gaps)
		if errors.Is(err, sql.ErrNoRows) {
			return lostRouter(l)
		}
		if err != nil {
			return err
		}
		if cur.Gaps, err = clientele.UnmarshalEventGaps(gaps); err != nil {
			return err
		}
		const from = ` FROM events e LEFT JOIN batches b ON b.id = e.batch_id`
		ahead, err := scanEvents(tx.QueryContext(ctx, `SELECT `+eventColumns+from+
			` WHERE e.id > ? ORDER BY e.id LIMIT ?`, cur.Position, limit))
		if err != nil {
			return err
		}
		var late []clientele.Event
		if len(cur.Gaps) > 0 {
			ids, _ := json.Marshal(cur.GapIDs())
			if late, err = scanEvents(tx.QueryContext(ctx, `SELECT `+eventColumns+from+
				` WHERE e.id IN (SELECT value FROM json_each(?)) ORDER BY e.id`, string(ids))); err != nil {
				return err
			}
		}
		page.Next = cur.Advance(clientele.EventIDs(ahead), clientele.EventIDs(late), now)
		page.Events = append(late, ahead...)
		return nil
	})
	if err != nil {
		if clientele.ErrorCode(err) == clientele.ECONFLICT {
			return clientele.EventPage{}, err
		}
		return clientele.EventPage{}, fmt.Errorf("sqlite: next events: %w", err)
	}
	return page, nil
}

// RouteEvents implements clientele.Store.
func (s *Store) RouteEvents(ctx context.Context, l clientele.RouterLease, p clientele.EventPage,
	ds []clientele.NewDelivery, now time.Time, ttl time.Duration) error {
	gaps, err := clientele.MarshalEventGaps(p.Next.Gaps)
	if err != nil {
		return fmt.Errorf("sqlite: route events: %w", err)
	}
	err = s.writeBackground(ctx, func(tx *sql.Tx) error {
		if err := moveCursor(ctx, tx, l, p.Next.Position, gaps, now, ttl); err != nil {
			return err
		}
		if len(ds) == 0 {
			return nil
		}
		gone, err := goneProfileEvents(ctx, tx, ds)
		if err != nil {
			return err
		}
		insert, err := tx.PrepareContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, event_type,
			message_id, status, next_attempt_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'pending', ?, ?, ?) ON CONFLICT (event_id, webhook_id) DO NOTHING RETURNING id`)
		if err != nil {
			return err
		}
		defer insert.Close()
		payload, err := tx.PrepareContext(ctx, `INSERT INTO webhook_payloads (delivery_id, body) VALUES (?, ?)`)
		if err != nil {
			return err
		}
		defer payload.Close()
		at := micros(now)
		for _, d := range ds {
			if gone[d.EventID] {
				continue
			}
			var id int64
			err := insert.QueryRowContext(ctx, d.WebhookID, d.EventID, d.EventType, d.MessageID, at, at, at).Scan(&id)
			switch {
			case errors.Is(err, sql.ErrNoRows):
				continue // routed before
			case isForeignKey(err):
				// A webhook deleted since the router read it: its delivery
				// has nowhere to go.
				continue
			case err != nil:
				return err
			}
			if _, err := payload.ExecContext(ctx, id, d.Body); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && clientele.ErrorCode(err) != clientele.ECONFLICT {
		return fmt.Errorf("sqlite: route events: %w", err)
	}
	return err
}

// moveCursor saves the cursor and extends the lease, fenced by its token.
func moveCursor(ctx context.Context, tx *sql.Tx, l clientele.RouterLease, position int64, gaps string,
	now time.Time, ttl time.Duration) error {
	res, err := tx.ExecContext(ctx, `UPDATE webhook_router SET position = ?, gaps = ?, lease_expires_at = ?
		WHERE id = 1 AND lease_token = ?`, position, gaps, micros(now.Add(ttl)), l.Token)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return lostRouter(l)
	}
	return nil
}

// SkipEvents implements clientele.Store.
func (s *Store) SkipEvents(ctx context.Context, l clientele.RouterLease, now time.Time, ttl time.Duration) error {
	err := s.writeBackground(ctx, func(tx *sql.Tx) error {
		var active bool
		if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM webhooks WHERE is_active)`).Scan(&active); err != nil {
			return err
		}
		if active {
			// A webhook was activated since the router looked: its events
			// must be routed, not skipped. Only the lease is extended.
			res, err := tx.ExecContext(ctx, `UPDATE webhook_router SET lease_expires_at = ?
				WHERE id = 1 AND lease_token = ?`, micros(now.Add(ttl)), l.Token)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return lostRouter(l)
			}
			return nil
		}
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM events`).Scan(&last); err != nil {
			return err
		}
		return moveCursor(ctx, tx, l, last, "[]", now, ttl)
	})
	if err != nil && clientele.ErrorCode(err) != clientele.ECONFLICT {
		return fmt.Errorf("sqlite: skip events: %w", err)
	}
	return err
}

// ProfilesByID implements clientele.Store.
func (s *Store) ProfilesByID(ctx context.Context, ids []string) ([]clientele.Profile, error) {
	if len(ids) == 0 {
		return []clientele.Profile{}, nil
	}
	var ps []*clientele.Profile
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		ps, err = scanProfiles(tx.QueryContext(ctx, sqlProfilesByID, jsonList(ids)))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: profiles by id: %w", err)
	}
	byID := make(map[string]*clientele.Profile, len(ps))
	for _, p := range ps {
		byID[p.ID] = p
	}
	out := make([]clientele.Profile, 0, len(ps))
	for _, id := range ids {
		if p, ok := byID[id]; ok {
			out = append(out, *p)
			delete(byID, id) // an id named twice is returned once
		}
	}
	return out, nil
}

// batchEvent writes the outbox event of the batch's end (spec §13 E7), in
// the chunk transaction that ends it, so that the event exists exactly
// when the batch has ended.
func (t *chunkTx) batchEvent(seq int64, typ string, now time.Time) error {
	if _, err := t.tx.ExecContext(t.ctx, `INSERT INTO events (type, profile_id, batch_id, version, created_at)
		SELECT ?, '', id, 0, ? FROM batches WHERE seq = ?`, typ, micros(now), seq); err != nil {
		return fmt.Errorf("sqlite: insert batch event: %w", err)
	}
	return nil
}

// goneProfileEvents are the events among ds's whose profile was purged or
// removed since the router rendered it: their deliveries must not go out
// (spec §5.6). The writer is single, so no purge can come between this
// check and the inserts.
func goneProfileEvents(ctx context.Context, tx *sql.Tx, ds []clientele.NewDelivery) (map[int64]bool, error) {
	ids := make([]int64, len(ds))
	for i, d := range ds {
		ids[i] = d.EventID
	}
	list, _ := json.Marshal(ids) // integers always encode
	rows, err := tx.QueryContext(ctx, `SELECT e.id FROM events e
		WHERE e.id IN (SELECT value FROM json_each(?)) AND e.profile_id <> '' AND e.type <> 'profile.deleted'
		AND NOT EXISTS (SELECT 1 FROM profiles p WHERE p.id = e.profile_id AND p.removed_at IS NULL)`, string(list))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	gone := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		gone[id] = true
	}
	return gone, rows.Err()
}
