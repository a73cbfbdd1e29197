package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/clientele/clientele"
)

// ListIdentities implements clientele.Store. The EXISTS leaves out the
// identities of removed profiles, one primary-key probe per identity.
func (s *Store) ListIdentities(ctx context.Context, f clientele.IdentityFilter) ([]clientele.Identity, int, error) {
	where := []string{"EXISTS (SELECT 1 FROM profiles p WHERE p.id = identities.profile_id AND p.removed_at IS NULL)"}
	var args []any
	for _, c := range []struct {
		col string
		v   *string
	}{{"handle", f.Handle}, {"identifier", f.Identifier}, {"profile_id", f.ProfileID}} {
		if c.v != nil {
			where, args = append(where, c.col+" = ?"), append(args, *c.v)
		}
	}
	if f.IsActive != nil {
		where, args = append(where, "is_active = ?"), append(args, *f.IsActive)
	}
	from := ` FROM identities WHERE ` + strings.Join(where, " AND ")
	var (
		out   []clientele.Identity
		total int
	)
	err := s.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*)`+from, args...).Scan(&total); err != nil {
			return err
		}
		q := `SELECT ` + identityColumns + from + ` ORDER BY id`
		if f.Limit > 0 {
			q += fmt.Sprintf(` LIMIT %d OFFSET %d`, f.Limit, max(f.Offset, 0))
		}
		rows, err := tx.QueryContext(ctx, q, args...)
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
		return nil, 0, fmt.Errorf("sqlite: list identities: %w", err)
	}
	return out, total, nil
}

// scanIdentity reads one identity row of identityColumns.
func scanIdentity(rows *sql.Rows) (clientele.Identity, error) {
	var (
		id               clientele.Identity
		created, updated int64
	)
	err := rows.Scan(&id.ID, &id.ProfileID, &id.Handle, &id.Identifier, &id.IsActive, &id.IsPrimary, &created, &updated)
	id.CreatedAt, id.UpdatedAt = fromMicros(created), fromMicros(updated)
	return id, err
}
