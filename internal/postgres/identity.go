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

// ListIdentities implements clientele.Store. The EXISTS leaves out the
// identities of removed profiles, one primary-key probe per identity.
// One profile's identities are found by the pairs its row names, through
// the primary key: identities has no index on profile_id (migration
// 00010).
func (s *Store) ListIdentities(ctx context.Context, f clientele.IdentityFilter) ([]clientele.Identity, int, error) {
	var (
		out   []clientele.Identity
		total int
	)
	err := s.read(ctx, func(tx pgx.Tx) error {
		where := []string{"EXISTS (SELECT 1 FROM profiles p WHERE p.id = identities.profile_id AND p.removed_at IS NULL)"}
		var args []any
		arg := func(v any) string {
			args = append(args, v)
			return "$" + strconv.Itoa(len(args))
		}
		add := func(col string, v any) { where = append(where, col+" = "+arg(v)) }
		if f.Handle != nil {
			add("handle", *f.Handle)
		}
		if f.Identifier != nil {
			add("identifier", *f.Identifier)
		}
		if f.ProfileID != nil {
			var doc []byte
			err := tx.QueryRow(ctx, `SELECT identities FROM profiles WHERE id = $1 AND removed_at IS NULL`,
				*f.ProfileID).Scan(&doc)
			if err != nil && !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
			handles, identifiers, err := identityPairs(doc, *f.ProfileID)
			if err != nil {
				return err
			}
			where = append(where, "(handle, identifier) IN (SELECT * FROM unnest("+arg(handles)+"::text[], "+
				arg(identifiers)+"::text[]))")
			add("profile_id", *f.ProfileID)
		}
		if f.IsActive != nil {
			add("is_active", *f.IsActive)
		}
		from := ` FROM identities WHERE ` + strings.Join(where, " AND ")
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

// identityPairs are the handles and identifiers of the identities that
// doc, the identities doc of profile id's row, names (none for nil), as
// the arrays the statements unnest.
func identityPairs(doc []byte, id string) (handles, identifiers []string, err error) {
	ids, err := clientele.UnmarshalIdentitiesDoc(doc, id)
	if err != nil {
		return nil, nil, fmt.Errorf("profile %s: %w", id, err)
	}
	for _, i := range ids {
		handles = append(handles, i.Handle)
		identifiers = append(identifiers, i.Identifier)
	}
	return handles, identifiers, nil
}

// deleteIdentitiesOf deletes the identities of profile id that doc, its
// row's identities doc as it was, names: found by their pairs through the
// primary key, since identities has no index on profile_id.
func deleteIdentitiesOf(ctx context.Context, tx pgx.Tx, id string, doc []byte) error {
	handles, identifiers, err := identityPairs(doc, id)
	if err != nil || len(handles) == 0 {
		return err
	}
	owners := make([]string, len(handles))
	for i := range owners {
		owners[i] = id
	}
	_, err = tx.Exec(ctx, deleteIdentities, owners, handles, identifiers)
	return err
}

// deleteIdentities deletes identities by key, given three arrays: the
// profile each is deleted from, its handle and its identifier. The keys
// find the rows through the primary key; the profile makes sure that a
// key another profile holds now is left to it, whatever the doc it was
// read from said.
const deleteIdentities = `DELETE FROM identities i
	USING unnest($1::text[], $2::text[], $3::text[]) AS d(profile_id, handle, identifier)
	WHERE i.handle = d.handle AND i.identifier = d.identifier AND i.profile_id = d.profile_id`

// identityColumns are the columns scanIdentity reads, in its order.
const identityColumns = `id, profile_id, handle, identifier, is_active, is_primary, created_at, updated_at`

// scanIdentity reads one identity row of identityColumns.
func scanIdentity(rows pgx.Rows) (clientele.Identity, error) {
	var id clientele.Identity
	err := rows.Scan(&id.ID, &id.ProfileID, &id.Handle, &id.Identifier, &id.IsActive, &id.IsPrimary, &id.CreatedAt, &id.UpdatedAt)
	id.CreatedAt, id.UpdatedAt = utc(id.CreatedAt), utc(id.UpdatedAt)
	return id, err
}
