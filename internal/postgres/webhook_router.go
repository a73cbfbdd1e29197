package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele/clientele"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The webhook router's side of the store: the cursor over the events
// outbox, held by one router at a time under a lease. Event ids come from
// an identity column, so with several nodes an id can commit after a
// larger one: the cursor keeps the ids it passed before they were visible
// (clientele.RouterCursor.Gaps) and looks for them again on every read,
// rather than relying on xmin/xmax or snapshots (DESIGN §4: portable SQL).

// lostRouter is the error of a router whose lease is gone.
func lostRouter(l clientele.RouterLease) error {
	return clientele.Errorf(clientele.ECONFLICT, "router lease of %s lost", l.Owner)
}

// ClaimRouter implements clientele.Store. Two claims at once serialise on
// the row; the second re-checks the condition against the first's lease
// and fails.
func (s *Store) ClaimRouter(ctx context.Context, owner string, now time.Time, ttl time.Duration) (clientele.RouterLease, error) {
	l := clientele.RouterLease{Owner: owner, Token: uuid.NewString(), ExpiresAt: now.Add(ttl)}
	tag, err := s.pool.Exec(ctx, `UPDATE webhook_router SET lease_owner = $1, lease_token = $2,
		lease_expires_at = $3 WHERE id = 1 AND (lease_token IS NULL OR lease_expires_at <= $4 OR lease_owner = $1)`,
		owner, l.Token, l.ExpiresAt, now)
	if err != nil {
		return clientele.RouterLease{}, fmt.Errorf("postgres: claim router: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return clientele.RouterLease{}, clientele.Errorf(clientele.ECONFLICT, "another node routes webhooks")
	}
	return l, nil
}

// eventColumns are an event's columns; its origin is its own, else its
// batch's.
const eventColumns = `e.id, e.type, e.profile_id, coalesce(e.batch_id, ''), e.version,
	coalesce(nullif(e.origin, ''), b.origin, ''), e.created_at`

// eventsFrom is the outbox joined with the batches that wrote it.
const eventsFrom = ` FROM events e LEFT JOIN batches b ON b.id = e.batch_id`

func queryEvents(ctx context.Context, tx pgx.Tx, sql string, args ...any) ([]clientele.Event, error) {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (clientele.Event, error) {
		var e clientele.Event
		err := row.Scan(&e.ID, &e.Type, &e.ProfileID, &e.BatchID, &e.Version, &e.Origin, &e.CreatedAt)
		e.CreatedAt = utc(e.CreatedAt)
		return e, err
	})
}

// NextEvents implements clientele.Store.
func (s *Store) NextEvents(ctx context.Context, l clientele.RouterLease, limit int, now time.Time) (clientele.EventPage, error) {
	var page clientele.EventPage
	err := s.read(ctx, func(tx pgx.Tx) error {
		var (
			cur  clientele.RouterCursor
			gaps string
		)
		err := tx.QueryRow(ctx, `SELECT position, gaps FROM webhook_router WHERE id = 1 AND lease_token = $1`,
			l.Token).Scan(&cur.Position, &gaps)
		if errors.Is(err, pgx.ErrNoRows) {
			return lostRouter(l)
		}
		if err != nil {
			return err
		}
		if cur.Gaps, err = clientele.UnmarshalEventGaps(gaps); err != nil {
			return err
		}
		ahead, err := queryEvents(ctx, tx, `SELECT `+eventColumns+eventsFrom+
			` WHERE e.id > $1 ORDER BY e.id LIMIT $2`, cur.Position, limit)
		if err != nil {
			return err
		}
		var late []clientele.Event
		if len(cur.Gaps) > 0 {
			if late, err = queryEvents(ctx, tx, `SELECT `+eventColumns+eventsFrom+
				` WHERE e.id = ANY($1) ORDER BY e.id`, cur.GapIDs()); err != nil {
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
		return clientele.EventPage{}, fmt.Errorf("postgres: next events: %w", err)
	}
	return page, nil
}

// RouteEvents implements clientele.Store. Deliveries get their ids in the
// order given (ORDER BY the array position), which is the order the
// dispatcher sends what is due at once. A delivery to a webhook deleted
// since the router read it is dropped: the insert joins the live webhooks.
// A deletion that commits between that join and the foreign-key check
// fails the statement, and the transaction is tried again.
func (s *Store) RouteEvents(ctx context.Context, l clientele.RouterLease, p clientele.EventPage,
	ds []clientele.NewDelivery, now time.Time, ttl time.Duration) error {
	gaps, err := clientele.MarshalEventGaps(p.Next.Gaps)
	if err != nil {
		return fmt.Errorf("postgres: route events: %w", err)
	}
	var (
		webhookIDs, eventIDs []int64
		types, messages      []string
		bodies               []string
	)
	for _, d := range ds {
		webhookIDs = append(webhookIDs, d.WebhookID)
		eventIDs = append(eventIDs, d.EventID)
		types = append(types, d.EventType)
		messages = append(messages, d.MessageID)
		bodies = append(bodies, string(d.Body))
	}
	for attempt := 1; ; attempt++ {
		err = s.inTx(ctx, func(tx pgx.Tx) error {
			if err := moveCursor(ctx, tx, l, p.Next.Position, gaps, now, ttl); err != nil {
				return err
			}
			if len(ds) == 0 {
				return nil
			}
			// A profile purged or removed since the router rendered it must
			// not go out (spec §5.6). Its row is share-locked first, so a
			// purge that comes now waits for this commit and then deletes
			// these deliveries with the rest; the insert skips the events
			// of profiles already gone.
			if _, err := tx.Exec(ctx, `SELECT 1 FROM profiles WHERE id IN
				(SELECT profile_id FROM events WHERE id = ANY($1::bigint[]))
				ORDER BY id FOR KEY SHARE`, eventIDs); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `WITH u AS (
					SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[])
						WITH ORDINALITY AS u(webhook_id, event_id, event_type, message_id, body, n)),
				d AS (
					INSERT INTO webhook_deliveries (webhook_id, event_id, event_type, message_id, status,
						next_attempt_at, created_at, updated_at)
					SELECT u.webhook_id, u.event_id, u.event_type, u.message_id, 'pending', $6, $6, $6
					FROM u JOIN webhooks w ON w.id = u.webhook_id LEFT JOIN events e ON e.id = u.event_id
					WHERE e.id IS NULL OR e.profile_id = '' OR e.type = 'profile.deleted' OR EXISTS
						(SELECT 1 FROM profiles p WHERE p.id = e.profile_id AND p.removed_at IS NULL)
					ORDER BY u.n
					ON CONFLICT (event_id, webhook_id) DO NOTHING
					RETURNING id, event_id, webhook_id)
				INSERT INTO webhook_payloads (delivery_id, body)
				SELECT d.id, u.body FROM d JOIN u ON u.event_id = d.event_id AND u.webhook_id = d.webhook_id`,
				webhookIDs, eventIDs, types, messages, bodies, now)
			return err
		})
		if pgCode(err) != "23503" || attempt == 3 {
			break
		}
	}
	if err != nil && clientele.ErrorCode(err) != clientele.ECONFLICT {
		return fmt.Errorf("postgres: route events: %w", err)
	}
	return err
}

// moveCursor saves the cursor and extends the lease, fenced by its token.
func moveCursor(ctx context.Context, tx pgx.Tx, l clientele.RouterLease, position int64, gaps string,
	now time.Time, ttl time.Duration) error {
	tag, err := tx.Exec(ctx, `UPDATE webhook_router SET position = $1, gaps = $2, lease_expires_at = $3
		WHERE id = 1 AND lease_token = $4`, position, gaps, now.Add(ttl), l.Token)
	if err != nil {
		return err
	}
	if tag.RowsAffected() != 1 {
		return lostRouter(l)
	}
	return nil
}

// SkipEvents implements clientele.Store.
func (s *Store) SkipEvents(ctx context.Context, l clientele.RouterLease, now time.Time, ttl time.Duration) error {
	tag, err := s.pool.Exec(ctx, `UPDATE webhook_router SET
			position = CASE WHEN EXISTS (SELECT 1 FROM webhooks WHERE is_active) THEN position
				ELSE (SELECT coalesce(max(id), 0) FROM events) END,
			gaps = CASE WHEN EXISTS (SELECT 1 FROM webhooks WHERE is_active) THEN gaps ELSE '[]' END,
			lease_expires_at = $1
		WHERE id = 1 AND lease_token = $2`, now.Add(ttl), l.Token)
	if err != nil {
		return fmt.Errorf("postgres: skip events: %w", err)
	}
	if tag.RowsAffected() != 1 {
		return lostRouter(l)
	}
	return nil
}

// ProfilesByID implements clientele.Store.
func (s *Store) ProfilesByID(ctx context.Context, ids []string) ([]clientele.Profile, error) {
	if len(ids) == 0 {
		return []clientele.Profile{}, nil
	}
	var ps []*clientele.Profile
	err := s.read(ctx, func(tx pgx.Tx) error {
		var err error
		ps, err = queryProfiles(ctx, tx, `SELECT `+profileColumns+` FROM profiles
			WHERE id = ANY($1::text[]) AND removed_at IS NULL`, ids)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: profiles by id: %w", err)
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

// batchEvent queues the outbox event of the batch's end (spec §13 E7) in
// the chunk transaction that ends it, so that the event exists exactly
// when the batch has ended. It goes after the copies, so that its id
// follows those of the last chunk's profile events.
func (w *chunkWrite) batchEvent(seq int64, typ string, now time.Time) {
	w.after.Queue(insertBatchEvent, typ, now, seq)
}

// insertBatchEvent writes a batch's end event: $1 type, $2 time, $3 seq.
const insertBatchEvent = `INSERT INTO events (type, profile_id, batch_id, version, created_at)
	SELECT $1, '', id, 0, $2 FROM batches WHERE seq = $3`
