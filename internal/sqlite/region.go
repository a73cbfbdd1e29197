package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/clientele/clientele"
)

var _ clientele.RegionStore = (*Store)(nil)

const regionColumns = `id, name, handle, is_default, created_at, updated_at`

// scanRegion scans one row of regionColumns; Countries is left empty.
func scanRegion(row interface{ Scan(...any) error }) (clientele.Region, error) {
	var (
		r                clientele.Region
		isDefault        sql.NullBool
		created, updated int64
	)
	if err := row.Scan(&r.ID, &r.Name, &r.Handle, &isDefault, &created, &updated); err != nil {
		return clientele.Region{}, err
	}
	if isDefault.Valid {
		r.IsDefault = &isDefault.Bool
	}
	r.Countries = []clientele.Country{}
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	return r, nil
}

// regionArgs are r's stored values from name to updated_at, in the order
// of the INSERT below.
func regionArgs(r clientele.Region) []any {
	var isDefault sql.NullBool
	if r.IsDefault != nil {
		isDefault = sql.NullBool{Bool: *r.IsDefault, Valid: true}
	}
	return []any{r.Name, r.Handle, strings.ToLower(r.Name), strings.ToLower(r.Handle), isDefault,
		micros(r.CreatedAt), micros(r.UpdatedAt)}
}

// queryRegions reads the regions a query of regionColumns returns, in row
// order, with their countries.
func queryRegions(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]clientele.Region, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	out := []clientele.Region{}
	for rows.Next() {
		r, err := scanRegion(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, loadCountries(ctx, tx, out)
}

// loadCountries fills in the countries of rs, in the order they were sent.
func loadCountries(ctx context.Context, tx *sql.Tx, rs []clientele.Region) error {
	if len(rs) == 0 {
		return nil
	}
	byID := make(map[int64]*clientele.Region, len(rs))
	ids := make([]int64, len(rs))
	for i := range rs {
		byID[rs[i].ID] = &rs[i]
		ids[i] = rs[i].ID
	}
	list, _ := json.Marshal(ids) // integers always encode
	rows, err := tx.QueryContext(ctx, `SELECT rc.region_id, c.id, c.iso_2, c.name, c.iso_3, c.iso_numeric,
		c.sort_order, c.created_at, c.updated_at
		FROM region_countries rc JOIN countries c ON c.id = rc.country_id
		WHERE rc.region_id IN (SELECT value FROM json_each(?))
		ORDER BY rc.region_id, rc.position`, string(list))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			regionID         int64
			c                clientele.Country
			name, iso3, num  sql.NullString
			sortOrder        sql.NullInt64
			created, updated int64
		)
		if err := rows.Scan(&regionID, &c.ID, &c.ISO2, &name, &iso3, &num, &sortOrder, &created, &updated); err != nil {
			return err
		}
		c.Name, c.ISO3, c.ISONumeric = fromNullString(name), fromNullString(iso3), fromNullString(num)
		if sortOrder.Valid {
			n := int(sortOrder.Int64)
			c.SortOrder = &n
		}
		c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
		r := byID[regionID]
		r.Countries = append(r.Countries, c)
	}
	return rows.Err()
}

// linkCountries makes r's country links those of r.Countries, by ISO2,
// creating the countries no region has named before (dated r.UpdatedAt).
// Links carry nothing but their position, so replacing them all is the
// same as keeping the ones sent again.
func linkCountries(ctx context.Context, tx *sql.Tx, r clientele.Region) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM region_countries WHERE region_id = ?`, r.ID); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, c := range r.Countries {
		if seen[c.ISO2] {
			continue
		}
		seen[c.ISO2] = true
		if _, err := tx.ExecContext(ctx, `INSERT INTO countries (iso_2, created_at, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (iso_2) DO NOTHING`, c.ISO2, micros(r.UpdatedAt), micros(r.UpdatedAt)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO region_countries (region_id, country_id, position)
			SELECT ?, id, ? FROM countries WHERE iso_2 = ?`, r.ID, len(seen), c.ISO2); err != nil {
			return err
		}
	}
	return nil
}

// CreateRegion implements clientele.Store.
func (s *Store) CreateRegion(ctx context.Context, r clientele.Region) (clientele.Region, error) {
	var out clientele.Region
	err := s.write(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO regions (name, handle, name_fold, handle_fold, is_default,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, regionArgs(r)...).Scan(&r.ID)
		if isUnique(err) {
			return clientele.ErrRegionHandleTaken()
		}
		if err != nil {
			return err
		}
		if err := linkCountries(ctx, tx, r); err != nil {
			return err
		}
		out, err = oneRegion(ctx, tx, r.ID)
		return err
	})
	if err != nil {
		return clientele.Region{}, regionErr("create region", err)
	}
	return out, nil
}

// oneRegion reads region id in tx. ENOTFOUND if unknown.
func oneRegion(ctx context.Context, tx *sql.Tx, id int64) (clientele.Region, error) {
	rs, err := queryRegions(ctx, tx, `SELECT `+regionColumns+` FROM regions WHERE id = ?`, id)
	if err != nil {
		return clientele.Region{}, err
	}
	if len(rs) == 0 {
		return clientele.Region{}, clientele.Errorf(clientele.ENOTFOUND, "region %d not found", id)
	}
	return rs[0], nil
}

// regionErr wraps err unless it is already a domain error.
func regionErr(op string, err error) error {
	var de *clientele.Error
	if errors.As(err, &de) {
		return err
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// Region implements clientele.Store.
func (s *Store) Region(ctx context.Context, id int64) (clientele.Region, error) {
	var out clientele.Region
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = oneRegion(ctx, tx, id)
		return err
	})
	if err != nil {
		return clientele.Region{}, regionErr("region", err)
	}
	return out, nil
}

// RegionsByIDs implements clientele.Store.
func (s *Store) RegionsByIDs(ctx context.Context, ids []int64) ([]clientele.Region, error) {
	if len(ids) == 0 {
		return []clientele.Region{}, nil
	}
	list, _ := json.Marshal(ids)
	var found []clientele.Region
	err := s.read(ctx, func(tx *sql.Tx) error {
		var err error
		found, err = queryRegions(ctx, tx, `SELECT `+regionColumns+` FROM regions
			WHERE id IN (SELECT value FROM json_each(?))`, string(list))
		return err
	})
	if err != nil {
		return nil, regionErr("regions by id", err)
	}
	return clientele.RegionsInIDOrder(found, ids), nil
}

// ListRegions implements clientele.Store.
func (s *Store) ListRegions(ctx context.Context, f clientele.RegionFilter) ([]clientele.Region, int, error) {
	var (
		conds []string
		args  []any
	)
	if f.Handle != nil {
		conds, args = append(conds, "handle_fold = ?"), append(args, strings.ToLower(*f.Handle))
	}
	if f.Name != nil {
		conds, args = append(conds, "name_fold = ?"), append(args, strings.ToLower(*f.Name))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	var (
		out   []clientele.Region
		total int
	)
	err := s.read(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM regions`+where, args...).Scan(&total); err != nil {
			return err
		}
		var err error
		out, err = queryRegions(ctx, tx, `SELECT `+regionColumns+` FROM regions`+where+
			` ORDER BY id LIMIT ? OFFSET ?`, append(args, limit, max(f.Offset, 0))...)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: list regions: %w", err)
	}
	return out, total, nil
}

// UpdateRegion implements clientele.Store.
func (s *Store) UpdateRegion(ctx context.Context, r clientele.Region) (clientele.Region, error) {
	var out clientele.Region
	err := s.write(ctx, func(tx *sql.Tx) error {
		args := regionArgs(r)
		// Every column but created_at (args[5]).
		args = append(append(args[:5:5], args[6]), r.ID)
		res, err := tx.ExecContext(ctx, `UPDATE regions SET name = ?, handle = ?, name_fold = ?, handle_fold = ?,
			is_default = ?, updated_at = ? WHERE id = ?`, args...)
		if isUnique(err) {
			return clientele.ErrRegionHandleTaken()
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return clientele.Errorf(clientele.ENOTFOUND, "region %d not found", r.ID)
		}
		if err := linkCountries(ctx, tx, r); err != nil {
			return err
		}
		out, err = oneRegion(ctx, tx, r.ID)
		return err
	})
	if err != nil {
		return clientele.Region{}, regionErr("update region", err)
	}
	return out, nil
}

// DeleteRegion implements clientele.Store. Its country links go with it
// (ON DELETE CASCADE).
//
// Profiles' links to it live in their docs; the API drops them first, as
// profile changes (internal/api, unlinkRegionEverywhere).
func (s *Store) DeleteRegion(ctx context.Context, id int64) error {
	return s.deleteByID(ctx, "regions", "region", id)
}
