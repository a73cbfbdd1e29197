package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/clientele/clientele"
	"github.com/jackc/pgx/v5"
)

// ListIdentities implements clientele.Store. The join leaves out the
// identities of removed profiles.
func (s *Store) ListIdentities(ctx context.Context, f clientele.IdentityFilter) ([]clientele.Identity, int, error) {
	where := []string{"p.removed_at IS NULL"}
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+" = $"+strconv.Itoa(len(args)))
	}
	if f.Handle != nil {
		add("i.handle", *f.Handle)
	}
	if f.Identifier != nil {
		add("i.identifier", *f.Identifier)
	}
	if f.ProfileID != nil {
		add("i.profile_id", *f.ProfileID)
	}
	if f.IsActive != nil {
		add("i.is_active", *f.IsActive)
	}
	from := ` FROM identities i JOIN profiles p ON p.id = i.profile_id WHERE ` + strings.Join(where, " AND ")
	var (
		out   []clientele.Identity
		total int
	)
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*)`+from, args...).Scan(&total); err != nil {
			return err
		}
		q := `SELECT i.id, i.profile_id, i.handle, i.identifier, i.is_active, i.is_primary, i.created_at, i.updated_at` +
			from + ` ORDER BY i.id`
		if f.Limit > 0 {
			q += fmt.Sprintf(` LIMIT %d OFFSET %d`, f.Limit, max(f.Offset, 0))
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id clientele.Identity
			if err := rows.Scan(&id.ID, &id.ProfileID, &id.Handle, &id.Identifier, &id.IsActive, &id.IsPrimary,
				&id.CreatedAt, &id.UpdatedAt); err != nil {
				return err
			}
			id.CreatedAt, id.UpdatedAt = utc(id.CreatedAt), utc(id.UpdatedAt)
			out = append(out, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: list identities: %w", err)
	}
	return out, total, nil
}
