package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/clientele/clientele"
)

const insertToken = `INSERT INTO tokens
	(id, user_id, client_id, name, scopes, revoked, hash, created_at, updated_at, expires_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// tokenArgs are t's values in insertToken's order.
func tokenArgs(t clientele.Token) ([]any, error) {
	scopes := t.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	sc, err := json.Marshal(scopes)
	if err != nil {
		return nil, fmt.Errorf("sqlite: token scopes: %w", err)
	}
	return []any{t.ID, t.UserID, t.ClientID, t.Name, string(sc), t.Revoked, t.Hash[:],
		micros(t.CreatedAt), micros(t.UpdatedAt), micros(t.ExpiresAt)}, nil
}

// CreateToken implements clientele.Store.
func (s *Store) CreateToken(ctx context.Context, t clientele.Token) error {
	args, err := tokenArgs(t)
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, insertToken, args...)
	switch {
	case isUnique(err):
		return clientele.Errorf(clientele.ECONFLICT, "token already exists")
	case err != nil:
		return fmt.Errorf("sqlite: create token: %w", err)
	}
	return nil
}

// EnsureToken implements clientele.Store.
func (s *Store) EnsureToken(ctx context.Context, t clientele.Token) (bool, error) {
	args, err := tokenArgs(t)
	if err != nil {
		return false, err
	}
	res, err := s.w.ExecContext(ctx, insertToken+` ON CONFLICT (hash) DO NOTHING`, args...)
	switch {
	case isUnique(err): // the id, not the hash
		return false, clientele.Errorf(clientele.ECONFLICT, "token already exists")
	case err != nil:
		return false, fmt.Errorf("sqlite: ensure token: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: ensure token: %w", err)
	}
	return n == 1, nil
}

const tokenColumns = `id, user_id, client_id, name, scopes, revoked, hash, created_at, updated_at, expires_at`

// scanToken scans one row of tokenColumns.
func scanToken(row interface{ Scan(...any) error }) (clientele.Token, error) {
	var (
		t                   clientele.Token
		scopes              string
		h                   []byte
		created, upd, expis int64
	)
	if err := row.Scan(&t.ID, &t.UserID, &t.ClientID, &t.Name, &scopes, &t.Revoked, &h, &created, &upd, &expis); err != nil {
		return clientele.Token{}, err
	}
	if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
		return clientele.Token{}, fmt.Errorf("sqlite: token scopes: %w", err)
	}
	copy(t.Hash[:], h)
	t.CreatedAt, t.UpdatedAt, t.ExpiresAt = fromMicros(created), fromMicros(upd), fromMicros(expis)
	return t, nil
}

// TokenByHash implements clientele.Store.
func (s *Store) TokenByHash(ctx context.Context, hash [32]byte) (clientele.Token, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM tokens WHERE hash = ?`, hash[:]))
	if errors.Is(err, sql.ErrNoRows) {
		return clientele.Token{}, clientele.Errorf(clientele.ENOTFOUND, "token not found")
	}
	if err != nil {
		return clientele.Token{}, fmt.Errorf("sqlite: token: %w", err)
	}
	return t, nil
}

// ListTokens implements clientele.Store.
func (s *Store) ListTokens(ctx context.Context, userID int64) ([]clientele.Token, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+tokenColumns+` FROM tokens
		WHERE user_id = ? ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list tokens: %w", err)
	}
	defer rows.Close()
	out := []clientele.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list tokens: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken implements clientele.Store. One statement revokes the token;
// the owner's other tokens and other users' tokens are never touched.
func (s *Store) RevokeToken(ctx context.Context, userID int64, id string, now time.Time) error {
	var one int
	err := s.w.QueryRowContext(ctx, `UPDATE tokens SET
			updated_at = CASE WHEN revoked THEN updated_at ELSE ? END, revoked = 1
		WHERE id = ? AND user_id = ? RETURNING 1`, micros(now), id, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return clientele.Errorf(clientele.ENOTFOUND, "token not found")
	}
	if err != nil {
		return fmt.Errorf("sqlite: revoke token: %w", err)
	}
	return nil
}

// CountTokens implements clientele.Store.
func (s *Store) CountTokens(ctx context.Context) (int, error) {
	var n int
	if err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM tokens`).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count tokens: %w", err)
	}
	return n, nil
}
