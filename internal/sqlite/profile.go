package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/clientele/clientele"
)

const profileColumns = `id, email, mobile_phone, first_name, last_name, profile_type,
	created_at, updated_at, version, data, identities`

// scanProfiles reads rows of profileColumns into profiles, in row order.
func scanProfiles(rows *sql.Rows, err error) ([]*clientele.Profile, error) {
	if err != nil {
		return nil, err
	}
	return scanRows(rows, nil)
}

// scanRows reads rows of profileColumns, keeping only the profiles keep
// accepts (all when keep is nil), so that a reader of many candidates
// holds only the ones it wants.
func scanRows(rows *sql.Rows, keep func(*clientele.Profile) bool) ([]*clientele.Profile, error) {
	defer rows.Close()
	var out []*clientele.Profile
	for rows.Next() {
		p, err := scanProfile(rows)
		if err != nil {
			return nil, err
		}
		if keep != nil && !keep(p) {
			continue
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// scanProfile reads the current row: the columns lead points into, then
// profileColumns.
func scanProfile(rows *sql.Rows, lead ...any) (*clientele.Profile, error) {
	var (
		p                clientele.Profile
		email, mobile    sql.NullString
		created, updated int64
		data, ids        sql.RawBytes
	)
	dest := append(lead, &p.ID, &email, &mobile, &p.FirstName, &p.LastName, &p.ProfileType,
		&created, &updated, &p.Version, &data, &ids)
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	p.Email, p.MobilePhone = fromNullString(email), fromNullString(mobile)
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	if err := clientele.UnmarshalProfileDoc(data, &p); err != nil {
		return nil, fmt.Errorf("profile %s: %w", p.ID, err)
	}
	var err error
	if p.Identities, err = clientele.UnmarshalIdentitiesDoc(ids, p.ID); err != nil {
		return nil, fmt.Errorf("profile %s: %w", p.ID, err)
	}
	return &p, nil
}

// Profile implements clientele.Store.
func (s *Store) Profile(ctx context.Context, id string) (clientele.Profile, error) {
	return s.oneProfile(ctx, `id = ?`, id)
}

// ProfileByIdentity implements clientele.Store.
func (s *Store) ProfileByIdentity(ctx context.Context, k clientele.IdentityKey) (clientele.Profile, error) {
	return s.oneProfile(ctx, `id = (SELECT profile_id FROM identities WHERE handle = ? AND identifier = ?)`,
		k.Handle, k.Identifier)
}

// oneProfile reads the live profile that where selects, with its
// identities, in one read transaction.
func (s *Store) oneProfile(ctx context.Context, where string, args ...any) (clientele.Profile, error) {
	var p *clientele.Profile
	err := s.read(ctx, func(tx *sql.Tx) error {
		ps, err := scanProfiles(tx.QueryContext(ctx, `SELECT `+profileColumns+` FROM profiles
			WHERE `+where+` AND removed_at IS NULL`, args...))
		if err != nil {
			return fmt.Errorf("sqlite: profile: %w", err)
		}
		if len(ps) == 0 {
			return clientele.Errorf(clientele.ENOTFOUND, "profile not found")
		}
		p = ps[0]
		return nil
	})
	if err != nil {
		return clientele.Profile{}, err
	}
	return *p, nil
}

// sortColumns maps the sortable fields to columns. Names sort by their
// folded form, so that the order ignores case as their filters do.
var sortColumns = map[string]string{
	"created_at": "created_at",
	"updated_at": "updated_at",
	"first_name": "first_name_fold",
	"last_name":  "last_name_fold",
	"email":      "email",
}

// profileWhere is the WHERE clause and arguments of f.
func profileWhere(f clientele.ProfileFilter) (string, []any) {
	where := []string{"removed_at IS NULL"}
	var args []any
	if f.Email != nil {
		where = append(where, "email = ?")
		args = append(args, clientele.NormalizeEmail(*f.Email))
	}
	if f.MobilePhone != nil {
		where = append(where, "mobile_phone = ?")
		args = append(args, *f.MobilePhone)
	}
	if f.FirstName != nil {
		where = append(where, "first_name_fold = ?")
		args = append(args, strings.ToLower(*f.FirstName))
	}
	if f.LastName != nil {
		where = append(where, "last_name_fold = ?")
		args = append(args, strings.ToLower(*f.LastName))
	}
	if len(f.ProfileTypes) > 0 {
		where = append(where, "profile_type IN ("+placeholders(len(f.ProfileTypes))+")")
		for _, t := range f.ProfileTypes {
			args = append(args, t)
		}
	}
	if len(f.IDs) > 0 {
		where, args = inList(where, args, "id", f.IDs, nil)
	}
	if len(f.EmailIn) > 0 {
		where, args = inList(where, args, "email", f.EmailIn, clientele.NormalizeEmail)
	}
	if len(f.MobilePhoneIn) > 0 {
		where, args = inList(where, args, "mobile_phone", f.MobilePhoneIn, nil)
	}
	if len(f.FirstNameIn) > 0 {
		where, args = inList(where, args, "first_name_fold", f.FirstNameIn, strings.ToLower)
	}
	if len(f.LastNameIn) > 0 {
		where, args = inList(where, args, "last_name_fold", f.LastNameIn, strings.ToLower)
	}
	for _, tc := range []struct {
		col   string
		conds []clientele.TimeCond
	}{{"created_at", f.CreatedAt}, {"updated_at", f.UpdatedAt}} {
		for _, c := range tc.conds {
			var alts []string
			for _, r := range c.Ranges {
				var both []string
				if r.From != nil {
					both, args = append(both, tc.col+" >= ?"), append(args, micros(*r.From))
				}
				if r.Until != nil {
					both, args = append(both, tc.col+" < ?"), append(args, micros(*r.Until))
				}
				if len(both) == 0 {
					both = []string{"1"}
				}
				alts = append(alts, "("+strings.Join(both, " AND ")+")")
			}
			if len(alts) == 0 {
				alts = []string{"0"}
			}
			where = append(where, "("+strings.Join(alts, " OR ")+")")
		}
	}
	// Doc conditions (profilefilter.go): LIKE narrows the candidates, and
	// ListProfiles checks them exactly. SQLite's LIKE ignores ASCII case,
	// which FoldCase patterns need and the others tolerate. The doc is
	// written as a BLOB, which LIKE never matches: hence the cast.
	for _, p := range f.DocPatterns() {
		var alts []string
		for _, pat := range p.Any {
			alts, args = append(alts, "CAST(data AS TEXT) LIKE ?"), append(args, pat)
		}
		where = append(where, "("+strings.Join(alts, " OR ")+")")
	}
	if f.Search != "" {
		// instr, not LIKE: the needle's % and _ are plain characters.
		needle := strings.ToLower(f.Search)
		where = append(where, `(instr(first_name_fold, ?) > 0 OR instr(last_name_fold, ?) > 0
			OR instr(email, ?) > 0 OR instr(mobile_phone, ?) > 0)`)
		args = append(args, needle, needle, needle, needle)
	}
	return strings.Join(where, " AND "), args
}

// inList adds "col IN (…)" for vals, each mapped by norm when it is set.
func inList(where []string, args []any, col string, vals []string, norm func(string) string) ([]string, []any) {
	for _, v := range vals {
		if norm != nil {
			v = norm(v)
		}
		args = append(args, v)
	}
	return append(where, col+" IN ("+placeholders(len(vals))+")"), args
}

// profileOrder is the ORDER BY clause of sort. Unknown fields are ignored
// (spec §1.3); no sort means created_at ascending. id breaks ties, in the
// direction of the last key so that an index on (key, id) serves the
// order. A null email sorts first ascending and last descending, which is
// SQLite's default (PostgreSQL must say NULLS FIRST/LAST).
func profileOrder(sort []clientele.SortField) string {
	var keys []string
	desc := false
	seen := map[string]bool{}
	for _, sf := range sort {
		col, ok := sortColumns[sf.Field]
		if !ok || seen[col] {
			continue
		}
		seen[col] = true
		dir := " ASC"
		if sf.Desc {
			dir = " DESC"
		}
		keys = append(keys, col+dir)
		desc = sf.Desc
	}
	if len(keys) == 0 {
		keys = append(keys, "created_at ASC")
	}
	if desc {
		keys = append(keys, "id DESC")
	} else {
		keys = append(keys, "id ASC")
	}
	return strings.Join(keys, ", ")
}

// ListProfiles implements clientele.Store. The page and the total come
// from one snapshot. A Limit of 0 or less means no limit.
func (s *Store) ListProfiles(ctx context.Context, f clientele.ProfileFilter) ([]clientele.Profile, int, error) {
	where, args := profileWhere(f)
	limit := f.Limit
	if limit <= 0 {
		limit = -1
	}
	var (
		out   []clientele.Profile
		total int
	)
	err := s.read(ctx, func(tx *sql.Tx) error {
		var ps []*clientele.Profile
		var err error
		if f.HasDocConds() {
			// The doc conditions are checked in Go, so SQL can neither count
			// nor page: read every candidate in order, keep the page.
			page := f.NewDocPage()
			var rows *sql.Rows
			if rows, err = tx.QueryContext(ctx, `SELECT `+profileColumns+` FROM profiles WHERE `+where+
				` ORDER BY `+profileOrder(f.Sort), args...); err == nil {
				ps, err = scanRows(rows, page.Keep)
				total = page.Matched
			}
		} else {
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM profiles WHERE `+where, args...).Scan(&total); err != nil {
				return fmt.Errorf("sqlite: count profiles: %w", err)
			}
			ps, err = scanProfiles(tx.QueryContext(ctx, `SELECT `+profileColumns+` FROM profiles WHERE `+where+
				` ORDER BY `+profileOrder(f.Sort)+` LIMIT ? OFFSET ?`, append(args, limit, max(f.Offset, 0))...))
		}
		if err != nil {
			return fmt.Errorf("sqlite: list profiles: %w", err)
		}
		out = make([]clientele.Profile, len(ps))
		for i, p := range ps {
			out[i] = *p
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// errNoRows reports whether err is sql.ErrNoRows.
func errNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
