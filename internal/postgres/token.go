package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/clientele/clientele"
	"github.com/jackc/pgx/v5"
)

const insertToken = `INSERT INTO tokens
	(id, user_id, client_id, name, scopes, revoked, hash, created_at, updated_at, expires_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`

// tokenArgs are t's values in insertToken's order.
func tokenArgs(t clientele.Token) []any {
	scopes := t.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return []any{t.ID, t.UserID, t.ClientID, t.Name, scopes, t.Revoked, t.Hash[:],
		t.CreatedAt, t.UpdatedAt, t.ExpiresAt}
}

// CreateToken implements clientele.Store.
func (s *Store) CreateToken(ctx context.Context, t clientele.Token) error {
	_, err := s.pool.Exec(ctx, insertToken, tokenArgs(t)...)
	switch {
	case isUnique(err):
		return clientele.Errorf(clientele.ECONFLICT, "token already exists")
	case err != nil:
		return fmt.Errorf("postgres: create token: %w", err)
	}
	return nil
}

// EnsureToken implements clientele.Store. Only a clash of hashes is
// ignored: a clash of ids is a conflict, as in CreateToken.
func (s *Store) EnsureToken(ctx context.Context, t clientele.Token) (bool, error) {
	tag, err := s.pool.Exec(ctx, insertToken+` ON CONFLICT (hash) DO NOTHING`, tokenArgs(t)...)
	switch {
	case isUnique(err):
		return false, clientele.Errorf(clientele.ECONFLICT, "token already exists")
	case err != nil:
		return false, fmt.Errorf("postgres: ensure token: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

// TokenByHash implements clientele.Store.
func (s *Store) TokenByHash(ctx context.Context, hash [32]byte) (clientele.Token, error) {
	var (
		t clientele.Token
		h []byte
	)
	err := s.pool.QueryRow(ctx, `SELECT id, user_id, client_id, name, scopes, revoked, hash,
		created_at, updated_at, expires_at FROM tokens WHERE hash = $1`, hash[:]).
		Scan(&t.ID, &t.UserID, &t.ClientID, &t.Name, &t.Scopes, &t.Revoked, &h,
			&t.CreatedAt, &t.UpdatedAt, &t.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return clientele.Token{}, clientele.Errorf(clientele.ENOTFOUND, "token not found")
	}
	if err != nil {
		return clientele.Token{}, fmt.Errorf("postgres: token: %w", err)
	}
	copy(t.Hash[:], h)
	t.CreatedAt, t.UpdatedAt, t.ExpiresAt = utc(t.CreatedAt), utc(t.UpdatedAt), utc(t.ExpiresAt)
	return t, nil
}

// CountTokens implements clientele.Store.
func (s *Store) CountTokens(ctx context.Context) (int, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM tokens`).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count tokens: %w", err)
	}
	return n, nil
}
