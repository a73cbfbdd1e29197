package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/clientele/clientele"
	"github.com/jackc/pgx/v5"
)

// ListIdentities implements clientele.Store. The EXISTS leaves out the
// identities of removed profiles, one primary-key probe per identity.
func (s *Store) ListIdentities(ctx context.Context, f clientele.IdentityFilter) ([]clientele.Identity, int, error) {
	where := []string{"EXISTS (SELECT 1 FROM profiles p WHERE p.id = identities.profile_id AND p.removed_at IS NULL)"}
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, cond+" = $"+strconv.Itoa(len(args)))
	}
	if f.Handle != nil {
		add("handle", *f.Handle)
	}
	if f.Identifier != nil {
		add("identifier", *f.Identifier)
	}
	if f.ProfileID != nil {
		add("profile_id", *f.ProfileID)
	}
	if f.IsActive != nil {
		add("is_active", *f.IsActive)
	}
	from := ` FROM identities WHERE ` + strings.Join(where, " AND ")
	var (
		out   []clientele.Identity
		total int
	)
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*)`+from, args...).Scan(&total); err != nil {
			return err
		}
		q := `SELECT ` + identityColumns + from + ` ORDER BY id`
		if f.Limit > 0 {
			q += fmt.Sprintf(` LIMIT %d OFFSET %d`, f.Limit, max(f.Offset, 0))
		}
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			id, err := scanIdentity(rows)
			if err != nil {
				return err
			}
			out = append(out, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: list identities: %w", err)
	}
	return out, total, nil
}

// identityColumns are the columns scanIdentity reads, in its order.
const identityColumns = `id, profile_id, handle, identifier, is_active, is_primary, created_at, updated_at`

// scanIdentity reads one identity row of identityColumns.
func scanIdentity(rows pgx.Rows) (clientele.Identity, error) {
	var id clientele.Identity
	err := rows.Scan(&id.ID, &id.ProfileID, &id.Handle, &id.Identifier, &id.IsActive, &id.IsPrimary, &id.CreatedAt, &id.UpdatedAt)
	id.CreatedAt, id.UpdatedAt = utc(id.CreatedAt), utc(id.UpdatedAt)
	return id, err
}
