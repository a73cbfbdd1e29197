package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/clientele/clientele"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// querier is what the loaders need of a transaction or the pool.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

const profileColumns = `id, email, mobile_phone, first_name, last_name, profile_type,
	created_at, updated_at, version, data, identities`

// queryProfiles runs a query selecting profileColumns and returns the
// profiles, in row order.
func queryProfiles(ctx context.Context, q querier, sql string, args ...any) ([]*clientele.Profile, error) {
	return queryProfilesKept(ctx, q, nil, sql, args...)
}

// queryProfilesKept is queryProfiles keeping only the profiles keep
// accepts (all when keep is nil), so that a reader of many candidates
// holds only the ones it wants. A profile's identities come from its row
// (migration 00009), not from the identities table.
func queryProfilesKept(ctx context.Context, q querier, keep func(*clientele.Profile) bool, sql string, args ...any) ([]*clientele.Profile, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*clientele.Profile
	for rows.Next() {
		var p clientele.Profile
		// The docs are decoded straight from the driver's buffer, not a
		// copy: the decoders copy what they keep. A NULL identities doc
		// scans as nil, which is none.
		var data, ids pgtype.DriverBytes
		if err := rows.Scan(&p.ID, &p.Email, &p.MobilePhone, &p.FirstName, &p.LastName, &p.ProfileType,
			&p.CreatedAt, &p.UpdatedAt, &p.Version, &data, &ids); err != nil {
			return nil, err
		}
		p.CreatedAt, p.UpdatedAt = utc(p.CreatedAt), utc(p.UpdatedAt)
		if err := clientele.UnmarshalProfileDoc(data, &p); err != nil {
			return nil, fmt.Errorf("profile %s: %w", p.ID, err)
		}
		if keep != nil && !keep(&p) {
			continue
		}
		if p.Identities, err = clientele.UnmarshalIdentitiesDoc(ids, p.ID); err != nil {
			return nil, fmt.Errorf("profile %s: %w", p.ID, err)
		}
		out = append(out, &p)
	}
	return out, rows.Err()
}

// Profile implements clientele.Store.
func (s *Store) Profile(ctx context.Context, id string) (clientele.Profile, error) {
	return s.oneProfile(ctx, `id = $1`, id)
}

// ProfileByIdentity implements clientele.Store.
func (s *Store) ProfileByIdentity(ctx context.Context, k clientele.IdentityKey) (clientele.Profile, error) {
	return s.oneProfile(ctx, `id = (SELECT profile_id FROM identities WHERE handle = $1 AND identifier = $2)`,
		k.Handle, k.Identifier)
}

// oneProfile reads the live profile that where selects, with its
// identities, in one read transaction.
func (s *Store) oneProfile(ctx context.Context, where string, args ...any) (clientele.Profile, error) {
	var p *clientele.Profile
	err := s.read(ctx, func(tx pgx.Tx) error {
		ps, err := queryProfiles(ctx, tx, `SELECT `+profileColumns+` FROM profiles
			WHERE `+where+` AND removed_at IS NULL`, args...)
		if err != nil {
			return fmt.Errorf("postgres: profile: %w", err)
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

// whereBuilder collects the conditions and arguments of a query.
type whereBuilder struct {
	conds []string
	args  []any
}

// arg adds v and returns its placeholder.
func (w *whereBuilder) arg(v any) string {
	w.args = append(w.args, v)
	return "$" + strconv.Itoa(len(w.args))
}

// profileWhere is the WHERE clause of f, and its arguments.
func profileWhere(f clientele.ProfileFilter) *whereBuilder {
	w := &whereBuilder{conds: []string{"removed_at IS NULL"}}
	if f.Email != nil {
		w.conds = append(w.conds, "email = "+w.arg(clientele.NormalizeEmail(*f.Email)))
	}
	if f.MobilePhone != nil {
		w.conds = append(w.conds, "mobile_phone = "+w.arg(*f.MobilePhone))
	}
	if f.FirstName != nil {
		w.conds = append(w.conds, "first_name_fold = "+w.arg(strings.ToLower(*f.FirstName)))
	}
	if f.LastName != nil {
		w.conds = append(w.conds, "last_name_fold = "+w.arg(strings.ToLower(*f.LastName)))
	}
	if len(f.ProfileTypes) > 0 {
		w.conds = append(w.conds, "profile_type = ANY("+w.arg(f.ProfileTypes)+"::text[])")
	}
	if len(f.IDs) > 0 {
		w.conds = append(w.conds, "id = ANY("+w.arg(f.IDs)+"::text[])")
	}
	for _, in := range []struct {
		col  string
		vals []string
		norm func(string) string
	}{
		{"email", f.EmailIn, clientele.NormalizeEmail},
		{"mobile_phone", f.MobilePhoneIn, nil},
		{"first_name_fold", f.FirstNameIn, strings.ToLower},
		{"last_name_fold", f.LastNameIn, strings.ToLower},
	} {
		if len(in.vals) == 0 {
			continue
		}
		vals := in.vals
		if in.norm != nil {
			vals = make([]string, len(in.vals))
			for i, v := range in.vals {
				vals[i] = in.norm(v)
			}
		}
		w.conds = append(w.conds, in.col+" = ANY("+w.arg(vals)+"::text[])")
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
					both = append(both, tc.col+" >= "+w.arg(*r.From))
				}
				if r.Until != nil {
					both = append(both, tc.col+" < "+w.arg(*r.Until))
				}
				if len(both) == 0 {
					both = []string{"true"}
				}
				alts = append(alts, "("+strings.Join(both, " AND ")+")")
			}
			if len(alts) == 0 {
				alts = []string{"false"}
			}
			w.conds = append(w.conds, "("+strings.Join(alts, " OR ")+")")
		}
	}
	// Doc conditions (profilefilter.go): LIKE narrows the candidates, and
	// ListProfiles checks them exactly. The patterns hold no backslash, so
	// LIKE's default escape character changes nothing.
	for _, p := range f.DocPatterns() {
		op := " LIKE "
		if p.FoldCase {
			op = " ILIKE "
		}
		var alts []string
		for _, pat := range p.Any {
			alts = append(alts, "data"+op+w.arg(pat))
		}
		w.conds = append(w.conds, "("+strings.Join(alts, " OR ")+")")
	}
	if f.Search != "" {
		// strpos, not LIKE: the needle's % and _ are plain characters.
		n := w.arg(strings.ToLower(f.Search))
		w.conds = append(w.conds, `(strpos(first_name_fold, `+n+`) > 0 OR strpos(last_name_fold, `+n+`) > 0
			OR strpos(email, `+n+`) > 0 OR strpos(mobile_phone, `+n+`) > 0)`)
	}
	return w
}

// profileOrder is the ORDER BY clause of sort. Unknown fields are ignored
// (spec §1.3); no sort means created_at ascending. id breaks ties, in the
// direction of the last key so that an index on (key, id) serves the
// order. A null email sorts first ascending and last descending, as in
// SQLite; PostgreSQL's default is the opposite, hence NULLS FIRST/LAST.
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
		if col == "email" {
			if sf.Desc {
				dir += " NULLS LAST"
			} else {
				dir += " NULLS FIRST"
			}
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
	w := profileWhere(f)
	where := strings.Join(w.conds, " AND ")
	var limit *int
	if f.Limit > 0 {
		limit = &f.Limit
	}
	var (
		out   []clientele.Profile
		total int
	)
	err := s.read(ctx, func(tx pgx.Tx) error {
		var ps []*clientele.Profile
		var err error
		if f.HasDocConds() {
			// The doc conditions are checked in Go, so SQL can neither count
			// nor page: read every candidate in order, keep the page.
			page := f.NewDocPage()
			ps, err = queryProfilesKept(ctx, tx, page.Keep, `SELECT `+profileColumns+` FROM profiles WHERE `+where+
				` ORDER BY `+profileOrder(f.Sort), w.args...)
			total = page.Matched
		} else {
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM profiles WHERE `+where, w.args...).Scan(&total); err != nil {
				return fmt.Errorf("postgres: count profiles: %w", err)
			}
			page := `SELECT ` + profileColumns + ` FROM profiles WHERE ` + where +
				` ORDER BY ` + profileOrder(f.Sort) + ` LIMIT ` + w.arg(limit) + `::bigint OFFSET ` + w.arg(max(f.Offset, 0))
			ps, err = queryProfiles(ctx, tx, page, w.args...)
		}
		if err != nil {
			return fmt.Errorf("postgres: list profiles: %w", err)
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
