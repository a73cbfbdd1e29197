package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/clientele/clientele"
	"github.com/jackc/pgx/v5"
)

var _ clientele.WebhookStore = (*Store)(nil)

const webhookColumns = `id, trigger, url, namespace, user_id, is_active, retry_hourly, retry_daily,
	queue, condition, created_at, updated_at`

// scanWebhook scans one row of webhookColumns.
func scanWebhook(row pgx.Row) (clientele.Webhook, error) {
	var (
		w    clientele.Webhook
		cond *string
	)
	if err := row.Scan(&w.ID, &w.Trigger, &w.URL, &w.Namespace, &w.UserID, &w.IsActive, &w.RetryHourly,
		&w.RetryDaily, &w.Queue, &cond, &w.CreatedAt, &w.UpdatedAt); err != nil {
		return clientele.Webhook{}, err
	}
	if cond != nil {
		w.Condition = []byte(*cond)
	}
	w.CreatedAt, w.UpdatedAt = utc(w.CreatedAt), utc(w.UpdatedAt)
	return w, nil
}

// condArg is the stored condition: text, or null.
func condArg(w clientele.Webhook) *string {
	if w.Condition == nil {
		return nil
	}
	s := string(w.Condition)
	return &s
}

// CreateWebhook implements clientele.Store.
func (s *Store) CreateWebhook(ctx context.Context, w clientele.Webhook) (clientele.Webhook, error) {
	out, err := scanWebhook(s.pool.QueryRow(ctx, `INSERT INTO webhooks (trigger, url, namespace, user_id,
		is_active, retry_hourly, retry_daily, queue, condition, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING `+webhookColumns,
		w.Trigger, w.URL, w.Namespace, w.UserID, w.IsActive, w.RetryHourly, w.RetryDaily, w.Queue,
		condArg(w), w.CreatedAt, w.UpdatedAt))
	switch {
	case isUnique(err):
		return clientele.Webhook{}, clientele.ErrWebhookURLTaken()
	case err != nil:
		return clientele.Webhook{}, fmt.Errorf("postgres: create webhook: %w", err)
	}
	return out, nil
}

// Webhook implements clientele.Store.
func (s *Store) Webhook(ctx context.Context, id int64) (clientele.Webhook, error) {
	w, err := scanWebhook(s.pool.QueryRow(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return clientele.Webhook{}, clientele.Errorf(clientele.ENOTFOUND, "webhook %d not found", id)
	}
	if err != nil {
		return clientele.Webhook{}, fmt.Errorf("postgres: webhook: %w", err)
	}
	return w, nil
}

// ListWebhooks implements clientele.Store.
func (s *Store) ListWebhooks(ctx context.Context, f clientele.WebhookFilter) ([]clientele.Webhook, int, error) {
	var (
		conds []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.IsActive != nil {
		conds = append(conds, "is_active = "+arg(*f.IsActive))
	}
	if f.Trigger != nil {
		conds = append(conds, "trigger = "+arg(*f.Trigger))
	}
	if f.Namespace != nil {
		conds = append(conds, "namespace = "+arg(*f.Namespace))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	page := " ORDER BY id OFFSET " + arg(max(f.Offset, 0))
	if f.Limit > 0 {
		page += " LIMIT " + arg(f.Limit)
	}
	out := []clientele.Webhook{}
	var total int
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhooks`+where, args[:len(conds)]...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks`+where+page, args...)
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
		return nil, 0, fmt.Errorf("postgres: list webhooks: %w", err)
	}
	return out, total, nil
}

// UpdateWebhook implements clientele.Store.
func (s *Store) UpdateWebhook(ctx context.Context, w clientele.Webhook) (clientele.Webhook, error) {
	out, err := scanWebhook(s.pool.QueryRow(ctx, `UPDATE webhooks SET trigger = $1, url = $2, namespace = $3,
		is_active = $4, retry_hourly = $5, retry_daily = $6, queue = $7, condition = $8, updated_at = $9
		WHERE id = $10 RETURNING `+webhookColumns,
		w.Trigger, w.URL, w.Namespace, w.IsActive, w.RetryHourly, w.RetryDaily, w.Queue, condArg(w),
		w.UpdatedAt, w.ID))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return clientele.Webhook{}, clientele.Errorf(clientele.ENOTFOUND, "webhook %d not found", w.ID)
	case isUnique(err):
		return clientele.Webhook{}, clientele.ErrWebhookURLTaken()
	case err != nil:
		return clientele.Webhook{}, fmt.Errorf("postgres: update webhook: %w", err)
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

// EnsureWebhookSecret implements clientele.Store. Nodes that start at once
// race to insert; the loser's insert waits for the winner's commit and does
// nothing, and its read, a statement of its own, sees the winner's value.
func (s *Store) EnsureWebhookSecret(ctx context.Context, candidate string) (string, error) {
	if candidate == "" {
		return "", clientele.Errorf(clientele.EINVALID, "empty webhook secret")
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`,
		settingWebhookSecret, candidate); err != nil {
		return "", fmt.Errorf("postgres: webhook secret: %w", err)
	}
	var secret string
	if err := s.pool.QueryRow(ctx, `SELECT value FROM settings WHERE key = $1`, settingWebhookSecret).
		Scan(&secret); err != nil {
		return "", fmt.Errorf("postgres: webhook secret: %w", err)
	}
	return secret, nil
}
