package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/clientele/clientele"
)

// ListIdentities implements clientele.Store. The join leaves out the
// identities of removed profiles.
func (s *Store) ListIdentities(ctx context.Context, f clientele.IdentityFilter) ([]clientele.Identity, int, error) {
	where := []string{"p.removed_at IS NULL"}
	var args []any
	for _, c := range []struct {
		col string
		v   *string
	}{{"i.handle", f.Handle}, {"i.identifier", f.Identifier}, {"i.profile_id", f.ProfileID}} {
		if c.v != nil {
			where, args = append(where, c.col+" = ?"), append(args, *c.v)
		}
	}
	if f.IsActive != nil {
		where, args = append(where, "i.is_active = ?"), append(args, *f.IsActive)
	}
	from := ` FROM identities i JOIN profiles p ON p.id = i.profile_id WHERE ` + strings.Join(where, " AND ")
	var (
		out   []clientele.Identity
		total int
	)
	err := s.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*)`+from, args...).Scan(&total); err != nil {
			return err
		}
		q := `SELECT i.id, i.profile_id, i.handle, i.identifier, i.is_active, i.is_primary, i.created_at, i.updated_at` +
			from + ` ORDER BY i.id`
		if f.Limit > 0 {
			q += fmt.Sprintf(` LIMIT %d OFFSET %d`, f.Limit, max(f.Offset, 0))
		}
		rows, err := tx.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				id               clientele.Identity
				created, updated int64
			)
			if err := rows.Scan(&id.ID, &id.ProfileID, &id.Handle, &id.Identifier, &id.IsActive, &id.IsPrimary,
				&created, &updated); err != nil {
				return err
			}
			id.CreatedAt, id.UpdatedAt = fromMicros(created), fromMicros(updated)
			out = append(out, id)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: list identities: %w", err)
	}
	return out, total, nil
}
