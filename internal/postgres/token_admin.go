package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/clientele/clientele"
	"github.com/jackc/pgx/v5"
)

// ListTokens implements clientele.Store.
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]clientele.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, user_id, client_id, name, scopes, revoked, hash,
		created_at, updated_at, expires_at FROM tokens WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("postgres: list tokens: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (clientele.Token, error) {
		var (
			t clientele.Token
			h []byte
		)
		err := row.Scan(&t.ID, &t.UserID, &t.ClientID, &t.Name, &t.Scopes, &t.Revoked, &h,
			&t.CreatedAt, &t.UpdatedAt, &t.ExpiresAt)
		copy(t.Hash[:], h)
		t.CreatedAt, t.UpdatedAt, t.ExpiresAt = utc(t.CreatedAt), utc(t.UpdatedAt), utc(t.ExpiresAt)
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("postgres: list tokens: %w", err)
	}
	if out == nil {
		out = []clientele.Token{}
	}
	return out, nil
}

// RevokeToken implements clientele.Store. Authentication reads the token
// row on every request (TokenByHash), so the commit of this one statement
// is when every node stops accepting the token.
func (s *Store) RevokeToken(ctx context.Context, userID int64, id string, now time.Time) error {
	var one int
	err := s.pool.QueryRow(ctx, `UPDATE tokens SET
			updated_at = CASE WHEN revoked THEN updated_at ELSE $1 END, revoked = true
		WHERE id = $2 AND user_id = $3 RETURNING 1`, now, id, userID).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return clientele.Errorf(clientele.ENOTFOUND, "token not found")
	}
	if err != nil {
		return fmt.Errorf("postgres: revoke token: %w", err)
	}
	return nil
}
