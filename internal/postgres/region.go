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

var _ clientele.RegionStore = (*Store)(nil)

const regionColumns = `id, name, handle, is_default, created_at, updated_at`

// scanRegion scans one row of regionColumns; Countries is left empty.
func scanRegion(row pgx.Row) (clientele.Region, error) {
	var r clientele.Region
	if err := row.Scan(&r.ID, &r.Name, &r.Handle, &r.IsDefault, &r.CreatedAt, &r.UpdatedAt); err != nil {
		return clientele.Region{}, err
	}
	r.Countries = []clientele.Country{}
	r.CreatedAt, r.UpdatedAt = utc(r.CreatedAt), utc(r.UpdatedAt)
	return r, nil
}

// queryRegions reads the regions a query of regionColumns returns, in row
// order, with their countries.
func queryRegions(ctx context.Context, tx pgx.Tx, query string, args ...any) ([]clientele.Region, error) {
	rows, err := tx.Query(ctx, query, args...)
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
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, loadCountries(ctx, tx, out)
}

// loadCountries fills in the countries of rs, in the order they were sent.
func loadCountries(ctx context.Context, tx pgx.Tx, rs []clientele.Region) error {
	if len(rs) == 0 {
		return nil
	}
	byID := make(map[int64]*clientele.Region, len(rs))
	ids := make([]int64, len(rs))
	for i := range rs {
		byID[rs[i].ID] = &rs[i]
		ids[i] = rs[i].ID
	}
	rows, err := tx.Query(ctx, `SELECT rc.region_id, c.id, c.iso_2, c.name, c.iso_3, c.iso_numeric,
		c.sort_order, c.created_at, c.updated_at
		FROM region_countries rc JOIN countries c ON c.id = rc.country_id
		WHERE rc.region_id = ANY($1)
		ORDER BY rc.region_id, rc.position`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			regionID int64
			c        clientele.Country
		)
		if err := rows.Scan(&regionID, &c.ID, &c.ISO2, &c.Name, &c.ISO3, &c.ISONumeric, &c.SortOrder,
			&c.CreatedAt, &c.UpdatedAt); err != nil {
			return err
		}
		c.CreatedAt, c.UpdatedAt = utc(c.CreatedAt), utc(c.UpdatedAt)
		r := byID[regionID]
		r.Countries = append(r.Countries, c)
	}
	return rows.Err()
}

// linkCountries makes r's country links those of r.Countries, by ISO2,
// creating the countries no region has named before (dated r.UpdatedAt).
// Links carry nothing but their position, so replacing them all is the
// same as keeping the ones sent again. Two statements per country, not
// one set-based statement: a country created by a concurrent transaction
// after this statement's snapshot would be invisible to a join in the
// same statement, and regions name a handful of countries.
func linkCountries(ctx context.Context, tx pgx.Tx, r clientele.Region) error {
	if _, err := tx.Exec(ctx, `DELETE FROM region_countries WHERE region_id = $1`, r.ID); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, c := range r.Countries {
		if seen[c.ISO2] {
			continue
		}
		seen[c.ISO2] = true
		if _, err := tx.Exec(ctx, `INSERT INTO countries (iso_2, created_at, updated_at) VALUES ($1, $2, $2)
			ON CONFLICT (iso_2) DO NOTHING`, c.ISO2, r.UpdatedAt); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO region_countries (region_id, country_id, position)
			SELECT $1, id, $2 FROM countries WHERE iso_2 = $3`, r.ID, len(seen), c.ISO2); err != nil {
			return err
		}
	}
	return nil
}

// oneRegion reads region id in tx. ENOTFOUND if unknown.
func oneRegion(ctx context.Context, tx pgx.Tx, id int64) (clientele.Region, error) {
	rs, err := queryRegions(ctx, tx, `SELECT `+regionColumns+` FROM regions WHERE id = $1`, id)
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
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// CreateRegion implements clientele.Store.
func (s *Store) CreateRegion(ctx context.Context, r clientele.Region) (clientele.Region, error) {
	var out clientele.Region
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO regions (name, handle, name_fold, handle_fold, is_default,
			created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			r.Name, r.Handle, strings.ToLower(r.Name), strings.ToLower(r.Handle), r.IsDefault,
			r.CreatedAt, r.UpdatedAt).Scan(&r.ID)
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

// Region implements clientele.Store.
func (s *Store) Region(ctx context.Context, id int64) (clientele.Region, error) {
	var out clientele.Region
	err := s.read(ctx, func(tx pgx.Tx) error {
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
	var found []clientele.Region
	err := s.read(ctx, func(tx pgx.Tx) error {
		var err error
		found, err = queryRegions(ctx, tx, `SELECT `+regionColumns+` FROM regions WHERE id = ANY($1)`, ids)
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
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.Handle != nil {
		conds = append(conds, "handle_fold = "+arg(strings.ToLower(*f.Handle)))
	}
	if f.Name != nil {
		conds = append(conds, "name_fold = "+arg(strings.ToLower(*f.Name)))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}
	page := " ORDER BY id OFFSET " + arg(max(f.Offset, 0))
	if f.Limit > 0 {
		page += " LIMIT " + arg(f.Limit)
	}
	var (
		out   []clientele.Region
		total int
	)
	err := s.read(ctx, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM regions`+where, args[:len(conds)]...).Scan(&total); err != nil {
			return err
		}
		var err error
		out, err = queryRegions(ctx, tx, `SELECT `+regionColumns+` FROM regions`+where+page, args...)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: list regions: %w", err)
	}
	return out, total, nil
}

// UpdateRegion implements clientele.Store.
func (s *Store) UpdateRegion(ctx context.Context, r clientele.Region) (clientele.Region, error) {
	var out clientele.Region
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE regions SET name = $1, handle = $2, name_fold = $3, handle_fold = $4,
			is_default = $5, updated_at = $6 WHERE id = $7`,
			r.Name, r.Handle, strings.ToLower(r.Name), strings.ToLower(r.Handle), r.IsDefault, r.UpdatedAt, r.ID)
		if isUnique(err) {
			return clientele.ErrRegionHandleTaken()
		}
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
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
