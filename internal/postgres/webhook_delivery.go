package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/clientele/clientele"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// The dispatcher's side of the store. Claims take rows with FOR UPDATE SKIP
// LOCKED, so the dispatchers of many nodes share the due deliveries without
// waiting on each other or taking one twice.

// deliveryColumns are a delivery's columns without its body.
const deliveryColumns = `d.id, d.webhook_id, d.event_id, d.event_type, d.message_id, d.status, d.attempts,
	d.retry_base, d.last_status_code, d.last_error, d.next_attempt_at, d.delivered_at, d.created_at, d.updated_at`

// scanDelivery scans deliveryColumns, then extra.
func scanDelivery(row pgx.Row, extra ...any) (clientele.Delivery, error) {
	var d clientele.Delivery
	err := row.Scan(append([]any{&d.ID, &d.WebhookID, &d.EventID, &d.EventType, &d.MessageID, &d.Status,
		&d.Attempts, &d.RetryBase, &d.LastStatusCode, &d.LastError, &d.NextAttemptAt, &d.DeliveredAt,
		&d.CreatedAt, &d.UpdatedAt}, extra...)...)
	if err != nil {
		return clientele.Delivery{}, err
	}
	d.NextAttemptAt, d.DeliveredAt = utcPtr(d.NextAttemptAt), utcPtr(d.DeliveredAt)
	d.CreatedAt, d.UpdatedAt = utc(d.CreatedAt), utc(d.UpdatedAt)
	return d, nil
}

// ClaimDeliveries implements clientele.Store.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, now time.Time, ttl time.Duration,
	limit int) ([]clientele.Delivery, error) {
	out := []clientele.Delivery{}
	if limit <= 0 {
		return out, nil
	}
	token := uuid.NewString()
	rows, err := s.pool.Query(ctx, `WITH due AS (
			SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
			WHERE d.status = 'pending' AND d.next_attempt_at <= $1
				AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= $1) AND w.is_active
			ORDER BY d.next_attempt_at, d.id LIMIT $2
			FOR UPDATE OF d SKIP LOCKED)
		UPDATE webhook_deliveries d SET lease_owner = $3, lease_token = $4, lease_expires_at = $5
		FROM due, webhooks w, webhook_payloads p
		WHERE d.id = due.id AND w.id = d.webhook_id AND p.delivery_id = d.id
		RETURNING `+deliveryColumns+`, p.body, w.url, w.trigger, w.retry_hourly, w.retry_daily`,
		now, limit, owner, token, now.Add(ttl))
	if err != nil {
		return nil, fmt.Errorf("postgres: claim deliveries: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			body, url, trigger string
			hourly             bool
			daily              *bool
		)
		d, err := scanDelivery(rows, &body, &url, &trigger, &hourly, &daily)
		if err != nil {
			return nil, fmt.Errorf("postgres: claim deliveries: %w", err)
		}
		d.Body, d.URL, d.Trigger, d.RetryHourly, d.RetryDaily = []byte(body), url, trigger, hourly, daily
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: claim deliveries: %w", err)
	}
	slices.SortFunc(out, func(a, b clientele.Delivery) int {
		return cmp.Or(a.NextAttemptAt.Compare(*b.NextAttemptAt), cmp.Compare(a.ID, b.ID))
	})
	for i := range out {
		out[i].LeaseToken = token
	}
	return out, nil
}

// RenewClaims implements clientele.Store.
func (s *Store) RenewClaims(ctx context.Context, ds []clientele.Delivery, now time.Time, ttl time.Duration) error {
	if len(ds) == 0 {
		return nil
	}
	ids, tokens := make([]int64, len(ds)), make([]string, len(ds))
	for i, d := range ds {
		ids[i], tokens[i] = d.ID, d.LeaseToken
	}
	if _, err := s.pool.Exec(ctx, `UPDATE webhook_deliveries d SET lease_expires_at = $1
		FROM unnest($2::bigint[], $3::text[]) AS u(id, token) WHERE d.id = u.id AND d.lease_token = u.token`,
		now.Add(ttl), ids, tokens); err != nil {
		return fmt.Errorf("postgres: renew claims: %w", err)
	}
	return nil
}

// RecordAttempts implements clientele.Store: one statement moves every
// delivery whose claim still holds and records its attempt; the ones it
// did not return were lost.
func (s *Store) RecordAttempts(ctx context.Context, as []clientele.ClaimedAttempt) ([]int64, error) {
	lost := []int64{}
	if len(as) == 0 {
		return lost, nil
	}
	var (
		ids, durs        []int64
		tokens, statuses []string
		codes            []*int32
		errs             []*string
		next, delivered  []*time.Time
		updated, started []time.Time
	)
	for _, ca := range as {
		d, a := ca.Delivery, ca.Attempt
		end := a.StartedAt.Add(a.Duration)
		status := clientele.DeliveryFailed
		var nx, dl *time.Time
		switch {
		case a.Delivered:
			status, dl = clientele.DeliveryDelivered, &end
		case a.RetryAt != nil:
			status, nx = clientele.DeliveryPending, a.RetryAt
		}
		var code *int32
		if a.StatusCode != nil {
			c := int32(*a.StatusCode)
			code = &c
		}
		ids, tokens, statuses = append(ids, d.ID), append(tokens, d.LeaseToken), append(statuses, status)
		codes, errs, next, delivered = append(codes, code), append(errs, a.Error), append(next, nx), append(delivered, dl)
		updated, started, durs = append(updated, end), append(started, a.StartedAt), append(durs, a.Duration.Microseconds())
	}
	rows, err := s.pool.Query(ctx, `WITH u AS (
			SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[], $5::text[], $6::timestamptz[],
				$7::timestamptz[], $8::timestamptz[], $9::timestamptz[], $10::bigint[])
				AS u(id, token, status, code, err, next, delivered, updated, started, dur)),
		moved AS (
			UPDATE webhook_deliveries d SET status = u.status, attempts = d.attempts + 1, last_status_code = u.code,
				last_error = u.err, next_attempt_at = u.next, delivered_at = u.delivered, lease_owner = NULL,
				lease_token = NULL, lease_expires_at = NULL, updated_at = u.updated
			FROM u WHERE d.id = u.id AND d.lease_token = u.token
			RETURNING d.id, d.attempts, u.started, u.dur, u.code, u.err)
		INSERT INTO webhook_attempts (delivery_id, number, started_at, duration_us, status_code, error)
		SELECT id, attempts, started, dur, code, err FROM moved
		RETURNING delivery_id`,
		ids, tokens, statuses, codes, errs, next, delivered, updated, started, durs)
	if err != nil {
		return nil, fmt.Errorf("postgres: record attempts: %w", err)
	}
	moved, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("postgres: record attempts: %w", err)
	}
	done := make(map[int64]bool, len(moved))
	for _, id := range moved {
		done[id] = true
	}
	for _, id := range ids {
		if !done[id] {
			lost = append(lost, id)
		}
	}
	return lost, nil
}

// Deliveries implements clientele.Store.
func (s *Store) Deliveries(ctx context.Context, webhookID int64, f clientele.DeliveryFilter) ([]clientele.Delivery, int, error) {
	out := []clientele.Delivery{}
	var total int
	err := s.read(ctx, func(tx pgx.Tx) error {
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM webhooks WHERE id = $1`, webhookID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return clientele.Errorf(clientele.ENOTFOUND, "webhook %d not found", webhookID)
		}
		if err != nil {
			return err
		}
		where := ` WHERE d.webhook_id = $1 AND ($2 = '' OR d.status = $2)`
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhook_deliveries d`+where, webhookID, f.Status).
			Scan(&total); err != nil {
			return err
		}
		var limit *int
		if f.Limit > 0 {
			limit = &f.Limit
		}
		rows, err := tx.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d`+where+
			` ORDER BY d.id DESC LIMIT $3 OFFSET $4`, webhookID, f.Status, limit, max(f.Offset, 0))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		if clientele.ErrorCode(err) == clientele.ENOTFOUND {
			return nil, 0, err
		}
		return nil, 0, fmt.Errorf("postgres: deliveries: %w", err)
	}
	return out, total, nil
}

// Delivery implements clientele.Store.
func (s *Store) Delivery(ctx context.Context, webhookID, id int64) (clientele.Delivery, []clientele.DeliveryAttemptRecord, error) {
	var (
		d        clientele.Delivery
		attempts = []clientele.DeliveryAttemptRecord{}
	)
	err := s.read(ctx, func(tx pgx.Tx) error {
		var body string
		var err error
		d, err = scanDelivery(tx.QueryRow(ctx, `SELECT `+deliveryColumns+`, p.body FROM webhook_deliveries d
			JOIN webhook_payloads p ON p.delivery_id = d.id WHERE d.id = $1 AND d.webhook_id = $2`, id, webhookID), &body)
		if errors.Is(err, pgx.ErrNoRows) {
			return clientele.Errorf(clientele.ENOTFOUND, "delivery %d of webhook %d not found", id, webhookID)
		}
		if err != nil {
			return err
		}
		d.Body = []byte(body)
		rows, err := tx.Query(ctx, `SELECT number, started_at, duration_us, status_code, error
			FROM webhook_attempts WHERE delivery_id = $1 ORDER BY number`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				a   clientele.DeliveryAttemptRecord
				dur int64
			)
			if err := rows.Scan(&a.Number, &a.StartedAt, &dur, &a.StatusCode, &a.Error); err != nil {
				return err
			}
			a.StartedAt, a.Duration = utc(a.StartedAt), time.Duration(dur)*time.Microsecond
			attempts = append(attempts, a)
		}
		return rows.Err()
	})
	if err != nil {
		if clientele.ErrorCode(err) == clientele.ENOTFOUND {
			return clientele.Delivery{}, nil, err
		}
		return clientele.Delivery{}, nil, fmt.Errorf("postgres: delivery: %w", err)
	}
	return d, attempts, nil
}

// RetryDelivery implements clientele.Store.
func (s *Store) RetryDelivery(ctx context.Context, webhookID, id int64, now time.Time) (clientele.Delivery, error) {
	d, err := scanDelivery(s.pool.QueryRow(ctx, `UPDATE webhook_deliveries SET status = 'pending',
		retry_base = attempts, next_attempt_at = $1, lease_owner = NULL, lease_token = NULL,
		lease_expires_at = NULL, updated_at = $1 WHERE id = $2 AND webhook_id = $3
		RETURNING `+strings.ReplaceAll(deliveryColumns, "d.", ""), now, id, webhookID))
	if errors.Is(err, pgx.ErrNoRows) {
		return clientele.Delivery{}, clientele.Errorf(clientele.ENOTFOUND, "delivery %d of webhook %d not found", id, webhookID)
	}
	if err != nil {
		return clientele.Delivery{}, fmt.Errorf("postgres: retry delivery: %w", err)
	}
	return d, nil
}
