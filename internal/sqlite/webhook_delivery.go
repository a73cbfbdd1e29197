package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/clientele/clientele"
	"github.com/google/uuid"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The dispatcher's side of the store. Claims go through the single writer,
// so two dispatchers (of one process or of several sharing the file) never
// claim one delivery at once.

// isForeignKey reports whether err is a FOREIGN KEY violation.
func isForeignKey(err error) bool {
	var e *sqlite.Error
	return errors.As(err, &e) && e.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// deliveryColumns are a delivery's columns without its body.
const deliveryColumns = `d.id, d.webhook_id, d.event_id, d.event_type, d.message_id, d.status, d.attempts,
	d.retry_base, d.last_status_code, d.last_error, d.next_attempt_at, d.delivered_at, d.created_at, d.updated_at`

// deliveryFields are the scan targets of deliveryColumns for d.
func deliveryFields(d *clientele.Delivery, code *sql.NullInt64, lastErr *sql.NullString,
	next, delivered *sql.NullInt64, created, updated *int64) []any {
	return []any{&d.ID, &d.WebhookID, &d.EventID, &d.EventType, &d.MessageID, &d.Status, &d.Attempts,
		&d.RetryBase, code, lastErr, next, delivered, created, updated}
}

// scanDelivery scans deliveryColumns, then extra.
func scanDelivery(row interface{ Scan(...any) error }, extra ...any) (clientele.Delivery, error) {
	var (
		d                clientele.Delivery
		code             sql.NullInt64
		lastErr          sql.NullString
		next, delivered  sql.NullInt64
		created, updated int64
	)
	if err := row.Scan(append(deliveryFields(&d, &code, &lastErr, &next, &delivered, &created, &updated), extra...)...); err != nil {
		return clientele.Delivery{}, err
	}
	if code.Valid {
		c := int(code.Int64)
		d.LastStatusCode = &c
	}
	d.LastError = fromNullString(lastErr)
	d.NextAttemptAt, d.DeliveredAt = fromNullMicros(next), fromNullMicros(delivered)
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return d, nil
}

// hasDue reports, on a reader, whether any delivery may be claimable at
// now, so that an idle dispatcher polls without taking the writer.
func (s *Store) hasDue(ctx context.Context, now time.Time) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM webhook_deliveries
		WHERE status = 'pending' AND next_attempt_at <= ? LIMIT 1`, micros(now)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// scanIDs reads a column of ids as the JSON array json_each takes.
func scanIDs(rows *sql.Rows) (string, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return "", err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil || len(ids) == 0 {
		return "", err
	}
	b, err := json.Marshal(ids)
	return string(b), err
}

// ClaimDeliveries implements clientele.Store.
func (s *Store) ClaimDeliveries(ctx context.Context, owner string, now time.Time, ttl time.Duration,
	limit int) ([]clientele.Delivery, error) {
	out := []clientele.Delivery{}
	if limit <= 0 {
		return out, nil
	}
	if due, err := s.hasDue(ctx, now); err != nil || !due {
		if err != nil {
			return nil, fmt.Errorf("sqlite: claim deliveries: %w", err)
		}
		return out, nil
	}
	token := uuid.NewString()
	err := s.writeUnsynced(ctx, func(tx *sql.Tx) error {
		res, err := tx.QueryContext(ctx, `UPDATE webhook_deliveries SET lease_owner = ?, lease_token = ?,
			lease_expires_at = ? WHERE id IN (
				SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
				WHERE d.status = 'pending' AND d.next_attempt_at <= ?
					AND (d.lease_expires_at IS NULL OR d.lease_expires_at <= ?) AND w.is_active
				ORDER BY d.next_attempt_at, d.id LIMIT ?) RETURNING id`,
			owner, token, micros(now.Add(ttl)), micros(now), micros(now), limit)
		if err != nil {
			return err
		}
		ids, err := scanIDs(res)
		if err != nil || len(ids) == 0 {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+deliveryColumns+`, p.body, w.url, w.trigger,
			w.retry_hourly, w.retry_daily FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
			JOIN webhook_payloads p ON p.delivery_id = d.id WHERE d.id IN (SELECT value FROM json_each(?)) ORDER BY d.next_attempt_at, d.id`, ids)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				body  []byte
				daily sql.NullBool
				d     clientele.Delivery
			)
			var w struct {
				url, trigger string
				hourly       bool
			}
			if d, err = scanDelivery(rows, &body, &w.url, &w.trigger, &w.hourly, &daily); err != nil {
				return err
			}
			d.Body, d.URL, d.Trigger, d.RetryHourly, d.LeaseToken = body, w.url, w.trigger, w.hourly, token
			if daily.Valid {
				d.RetryDaily = &daily.Bool
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim deliveries: %w", err)
	}
	return out, nil
}

// RenewClaims implements clientele.Store.
func (s *Store) RenewClaims(ctx context.Context, ds []clientele.Delivery, now time.Time, ttl time.Duration) error {
	if len(ds) == 0 {
		return nil
	}
	err := s.writeUnsynced(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE webhook_deliveries SET lease_expires_at = ?
			WHERE id = ? AND lease_token = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		until := micros(now.Add(ttl))
		for _, d := range ds {
			if _, err := stmt.ExecContext(ctx, until, d.ID, d.LeaseToken); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sqlite: renew claims: %w", err)
	}
	return nil
}

// attemptArgs are the stored values of an attempt's outcome: the status,
// next_attempt_at, delivered_at, last_status_code, updated_at.
func attemptArgs(a clientele.DeliveryAttempt) (status string, next, delivered, code any, end int64) {
	status = clientele.DeliveryFailed
	end = micros(a.StartedAt.Add(a.Duration))
	switch {
	case a.Delivered:
		status, delivered = clientele.DeliveryDelivered, end
	case a.RetryAt != nil:
		status, next = clientele.DeliveryPending, micros(*a.RetryAt)
	}
	if a.StatusCode != nil {
		code = *a.StatusCode
	}
	return status, next, delivered, code, end
}

// RecordAttempts implements clientele.Store: one writer transaction, two
// prepared statements, whatever the number of attempts.
func (s *Store) RecordAttempts(ctx context.Context, as []clientele.ClaimedAttempt) ([]int64, error) {
	lost := []int64{}
	if len(as) == 0 {
		return lost, nil
	}
	err := s.writeUnsynced(ctx, func(tx *sql.Tx) error {
		lost = lost[:0]
		move, err := tx.PrepareContext(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1,
			last_status_code = ?, last_error = ?, next_attempt_at = ?, delivered_at = ?, lease_owner = NULL,
			lease_token = NULL, lease_expires_at = NULL, updated_at = ?
			WHERE id = ? AND lease_token = ? RETURNING attempts`)
		if err != nil {
			return err
		}
		defer move.Close()
		log, err := tx.PrepareContext(ctx, `INSERT INTO webhook_attempts (delivery_id, number, started_at,
			duration_us, status_code, error) VALUES (?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer log.Close()
		for _, ca := range as {
			d, a := ca.Delivery, ca.Attempt
			status, next, delivered, code, end := attemptArgs(a)
			var number int
			err := move.QueryRowContext(ctx, status, code, nullString(a.Error), next, delivered, end,
				d.ID, d.LeaseToken).Scan(&number)
			if errors.Is(err, sql.ErrNoRows) {
				lost = append(lost, d.ID)
				continue
			}
			if err != nil {
				return err
			}
			if _, err := log.ExecContext(ctx, d.ID, number, micros(a.StartedAt), a.Duration.Microseconds(),
				code, nullString(a.Error)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite: record attempts: %w", err)
	}
	return lost, nil
}

// Deliveries implements clientele.Store.
func (s *Store) Deliveries(ctx context.Context, webhookID int64, f clientele.DeliveryFilter) ([]clientele.Delivery, int, error) {
	out := []clientele.Delivery{}
	var total int
	err := s.read(ctx, func(tx *sql.Tx) error {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM webhooks WHERE id = ?`, webhookID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return clientele.Errorf(clientele.ENOTFOUND, "webhook %d not found", webhookID)
		}
		if err != nil {
			return err
		}
		where, args := ` WHERE d.webhook_id = ?`, []any{webhookID}
		if f.Status != "" {
			where, args = where+` AND d.status = ?`, append(args, f.Status)
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM webhook_deliveries d`+where, args...).Scan(&total); err != nil {
			return err
		}
		limit := f.Limit
		if limit <= 0 {
			limit = -1
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d`+where+
			` ORDER BY d.id DESC LIMIT ? OFFSET ?`, append(args, limit, max(f.Offset, 0))...)
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
		return nil, 0, fmt.Errorf("sqlite: deliveries: %w", err)
	}
	return out, total, nil
}

// Delivery implements clientele.Store.
func (s *Store) Delivery(ctx context.Context, webhookID, id int64) (clientele.Delivery, []clientele.DeliveryAttemptRecord, error) {
	var (
		d        clientele.Delivery
		attempts = []clientele.DeliveryAttemptRecord{}
	)
	err := s.read(ctx, func(tx *sql.Tx) error {
		var body []byte
		var err error
		d, err = scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+`, p.body FROM webhook_deliveries d
			JOIN webhook_payloads p ON p.delivery_id = d.id WHERE d.id = ? AND d.webhook_id = ?`, id, webhookID), &body)
		if errors.Is(err, sql.ErrNoRows) {
			return clientele.Errorf(clientele.ENOTFOUND, "delivery %d of webhook %d not found", id, webhookID)
		}
		if err != nil {
			return err
		}
		d.Body = body
		rows, err := tx.QueryContext(ctx, `SELECT number, started_at, duration_us, status_code, error
			FROM webhook_attempts WHERE delivery_id = ? ORDER BY number`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				a            clientele.DeliveryAttemptRecord
				started, dur int64
				code         sql.NullInt64
				msg          sql.NullString
			)
			if err := rows.Scan(&a.Number, &started, &dur, &code, &msg); err != nil {
				return err
			}
			a.StartedAt, a.Duration, a.Error = fromMicros(started), time.Duration(dur)*time.Microsecond, fromNullString(msg)
			if code.Valid {
				c := int(code.Int64)
				a.StatusCode = &c
			}
			attempts = append(attempts, a)
		}
		return rows.Err()
	})
	if err != nil {
		if clientele.ErrorCode(err) == clientele.ENOTFOUND {
			return clientele.Delivery{}, nil, err
		}
		return clientele.Delivery{}, nil, fmt.Errorf("sqlite: delivery: %w", err)
	}
	return d, attempts, nil
}

// RetryDelivery implements clientele.Store.
func (s *Store) RetryDelivery(ctx context.Context, webhookID, id int64, now time.Time) (clientele.Delivery, error) {
	var d clientele.Delivery
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		d, err = scanDelivery(tx.QueryRowContext(ctx, `UPDATE webhook_deliveries SET status = 'pending',
			retry_base = attempts, next_attempt_at = ?, lease_owner = NULL, lease_token = NULL,
			lease_expires_at = NULL, updated_at = ? WHERE id = ? AND webhook_id = ?
			RETURNING `+strings.ReplaceAll(deliveryColumns, "d.", ""), micros(now), micros(now), id, webhookID))
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return clientele.Delivery{}, clientele.Errorf(clientele.ENOTFOUND, "delivery %d of webhook %d not found", id, webhookID)
	}
	if err != nil {
		return clientele.Delivery{}, fmt.Errorf("sqlite: retry delivery: %w", err)
	}
	return d, nil
}

// writeUnsynced is writeBackground without the sync: the commit reaches
// the WAL but not the disk (commitUnsynced). It is for the dispatcher's
// bookkeeping (claims, renewals, attempts), where a commit lost to a power
// cut (never to a crash of the process: the WAL is in the OS's cache)
// undoes itself harmlessly: the delivery is claimed and sent again, with
// the same webhook-id, which at-least-once delivery allows. The next
// synced commit syncs these too, and the WAL keeps them in order, so what
// survives is always a prefix of what was committed.
func (s *Store) writeUnsynced(ctx context.Context, fn func(tx *sql.Tx) error) error {
	_, err := s.commitUnsynced(ctx, prioBackground, fn, nil)
	return err
}
