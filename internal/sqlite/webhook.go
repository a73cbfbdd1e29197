package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/clientele/clientele"
)

var _ clientele.WebhookStore = (*Store)(nil)

const webhookColumns = `id, trigger, url, namespace, user_id, is_active, retry_hourly, retry_daily,
	queue, condition, created_at, updated_at`

// scanWebhook scans one row of webhookColumns.
func scanWebhook(row interface{ Scan(...any) error }) (clientele.Webhook, error) {
	var (
		w                clientele.Webhook
		daily            sql.NullBool
		queue, cond      sql.NullString
		created, updated int64
	)
	if err := row.Scan(&w.ID, &w.Trigger, &w.URL, &w.Namespace, &w.UserID, &w.IsActive, &w.RetryHourly,
		&daily, &queue, &cond, &created, &updated); err != nil {
		return clientele.Webhook{}, err
	}
	if daily.Valid {
		w.RetryDaily = &daily.Bool
	}
	w.Queue = fromNullString(queue)
	if cond.Valid {
		w.Condition = []byte(cond.String)
	}
	w.CreatedAt, w.UpdatedAt = fromMicros(created), fromMicros(updated)
	return w, nil
}

// webhookArgs are w's stored values from trigger to updated_at, in
// webhookColumns' order.
func webhookArgs(w clientele.Webhook) []any {
	var daily sql.NullBool
	if w.RetryDaily != nil {
		daily = sql.NullBool{Bool: *w.RetryDaily, Valid: true}
	}
	var cond sql.NullString
	if w.Condition != nil {
		cond = sql.NullString{String: string(w.Condition), Valid: true}
	}
	return []any{w.Trigger, w.URL, w.Namespace, w.UserID, w.IsActive, w.RetryHourly, daily,
		nullString(w.Queue), cond, micros(w.CreatedAt), micros(w.UpdatedAt)}
}

// CreateWebhook implements clientele.Store.
func (s *Store) CreateWebhook(ctx context.Context, w clientele.Webhook) (clientele.Webhook, error) {
	var out clientele.Webhook
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = scanWebhook(tx.QueryRowContext(ctx, `INSERT INTO webhooks (trigger, url, namespace, user_id,
			is_active, retry_hourly, retry_daily, queue, condition, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+webhookColumns, webhookArgs(w)...))
		return err
	})
	switch {
	case isUnique(err):
		return clientele.Webhook{}, clientele.ErrWebhookURLTaken()
	case err != nil:
		return clientele.Webhook{}, fmt.Errorf("sqlite: create webhook: %w", err)
	}
	return out, nil
}

// Webhook implements clientele.Store.
func (s *Store) Webhook(ctx context.Context, id int64) (clientele.Webhook, error) {
	w, err := scanWebhook(s.r.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return clientele.Webhook{}, clientele.Errorf(clientele.ENOTFOUND, "webhook %d not found", id)
	}
	if err != nil {
		return clientele.Webhook{}, fmt.Errorf("sqlite: webhook: %w", err)
	}
	return w, nil
}

// ListWebhooks implements clientele.Store.
func (s *Store) ListWebhooks(ctx context.Context, f clientele.WebhookFilter) ([]clientele.Webhook, int, error) {
	var (
		conds []string
		args  []any
	)
	if f.IsActive != nil {
		conds, args = append(conds, "is_active = ?"), append(args, *f.IsActive)
	}
	if f.Trigger != nil {
		conds, args = append(conds, "trigger = ?"), append(args, *f.Trigger)
	}
	if f.Namespace != nil {
		conds, args = append(conds, "namespace = ?"), append(args, *f.Namespace)
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	out := []clientele.Webhook{}
	var total int
	err := s.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM webhooks`+where, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks`+where+
			` ORDER BY id LIMIT ? OFFSET ?`, append(args, limit, max(f.Offset, 0))...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			w, err := scanWebhook(rows)
			if err != nil {
				return err
			}
			out = append(out, w)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: list webhooks: %w", err)
	}
	return out, total, nil
}

// UpdateWebhook implements clientele.Store.
func (s *Store) UpdateWebhook(ctx context.Context, w clientele.Webhook) (clientele.Webhook, error) {
	var out clientele.Webhook
	err := s.write(ctx, func(tx *sql.Tx) error {
		args := webhookArgs(w)
		// Every column but user_id and created_at (args[3], args[9]).
		args = append(append(args[:3:3], args[4:9]...), args[10], w.ID)
		var err error
		out, err = scanWebhook(tx.QueryRowContext(ctx, `UPDATE webhooks SET trigger = ?, url = ?, namespace = ?,
			is_active = ?, retry_hourly = ?, retry_daily = ?, queue = ?, condition = ?, updated_at = ?
			WHERE id = ? RETURNING `+webhookColumns, args...))
		return err
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return clientele.Webhook{}, clientele.Errorf(clientele.ENOTFOUND, "webhook %d not found", w.ID)
	case isUnique(err):
		return clientele.Webhook{}, clientele.ErrWebhookURLTaken()
	case err != nil:
		return clientele.Webhook{}, fmt.Errorf("sqlite: update webhook: %w", err)
	}
	return out, nil
}

// DeleteWebhook implements clientele.Store. Its deliveries and their
// attempts go with it (ON DELETE CASCADE).
func (s *Store) DeleteWebhook(ctx context.Context, id int64) error {
	return s.deleteByID(ctx, "webhooks", "webhook", id)
}

// settingWebhookSecret is the settings key of the generated secret.
const settingWebhookSecret = "webhook_secret"

// EnsureWebhookSecret implements clientele.Store.
func (s *Store) EnsureWebhookSecret(ctx context.Context, candidate string) (string, error) {
	if candidate == "" {
		return "", clientele.Errorf(clientele.EINVALID, "empty webhook secret")
	}
	var secret string
	err := s.r.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, settingWebhookSecret).Scan(&secret)
	if err == nil {
		return secret, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("sqlite: webhook secret: %w", err)
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO NOTHING`, settingWebhookSecret, candidate); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, settingWebhookSecret).Scan(&secret)
	})
	if err != nil {
		return "", fmt.Errorf("sqlite: webhook secret: %w", err)
	}
	return secret, nil
}
