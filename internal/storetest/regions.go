package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/clientele/clientele"
)

// The global regions (spec §9.3) and the countries they name.

// region stores a region created at t0 with countries by ISO2.
func region(t *testing.T, s clientele.Store, name, handle string, countries ...string) clientele.Region {
	t.Helper()
	r := clientele.Region{Name: name, Handle: handle, CreatedAt: t0, UpdatedAt: t0}
	for _, c := range countries {
		r.Countries = append(r.Countries, clientele.Country{ISO2: c})
	}
	out, err := s.CreateRegion(t.Context(), r)
	ok(t, err)
	return out
}

// wantRegion checks got against want: fields, times, and countries by id
// and code, in order.
func wantRegion(t *testing.T, got, want clientele.Region) {
	t.Helper()
	if got.ID != want.ID || got.Name != want.Name || got.Handle != want.Handle ||
		str(boolStr(got.IsDefault)) != str(boolStr(want.IsDefault)) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) ||
		!slices.Equal(countryKeys(got), countryKeys(want)) || got.Countries == nil {
		t.Errorf("region\n got %+v\nwant %+v", got, want)
	}
}

// countryKey identifies a linked country: its id and code.
type countryKey struct {
	ID   int64
	ISO2 string
}

func countryKeys(r clientele.Region) []countryKey {
	out := []countryKey{}
	for _, c := range r.Countries {
		out = append(out, countryKey{c.ID, c.ISO2})
	}
	return out
}

func testRegionCRUD(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	r := region(t, s, "Australia & NZ", "anz", "AU", "NZ")
	if r.ID == 0 || r.IsDefault != nil || len(r.Countries) != 2 {
		t.Fatalf("created %+v", r)
	}
	au, nz := r.Countries[0], r.Countries[1]
	if au.ISO2 != "AU" || nz.ISO2 != "NZ" || au.ID == 0 || nz.ID == 0 || au.ID == nz.ID {
		t.Fatalf("countries %+v", r.Countries)
	}
	// Nothing describes a country yet but its code (spec: fill what you can).
	if au.Name != nil || au.ISO3 != nil || au.ISONumeric != nil || au.SortOrder != nil || !au.CreatedAt.Equal(t0) {
		t.Errorf("country %+v", au)
	}
	got, err := s.Region(ctx, r.ID)
	ok(t, err)
	wantRegion(t, got, r)

	// A region without countries has an empty list, not nil.
	bare := region(t, s, "Europe", "eu")
	got, err = s.Region(ctx, bare.ID)
	ok(t, err)
	wantRegion(t, got, clientele.Region{ID: bare.ID, Name: "Europe", Handle: "eu", CreatedAt: t0, UpdatedAt: t0})

	// The update replaces the fields and the country set, matched by code:
	// AU keeps its id, NZ is unlinked, US is new (in the order sent).
	def := false
	r.Name, r.IsDefault, r.UpdatedAt = "Oceania and US", &def, at(time.Hour)
	r.Countries = []clientele.Country{{ISO2: "US"}, {ISO2: "AU"}}
	upd, err := s.UpdateRegion(ctx, r)
	ok(t, err)
	if len(upd.Countries) != 2 || upd.Countries[1] != au || upd.Countries[0].ID == 0 || upd.Countries[0].ID == nz.ID ||
		!upd.Countries[0].CreatedAt.Equal(at(time.Hour)) {
		t.Errorf("updated countries %+v (AU was %+v, NZ %+v)", upd.Countries, au, nz)
	}
	r.Countries = upd.Countries
	wantRegion(t, upd, r)
	got, err = s.Region(ctx, r.ID)
	ok(t, err)
	wantRegion(t, got, r)

	// A country has one id across regions; is_default comes back as set.
	yes := true
	other, err := s.CreateRegion(ctx, clientele.Region{Name: "NZ only", Handle: "nz", IsDefault: &yes,
		Countries: []clientele.Country{{ISO2: "NZ"}}, CreatedAt: t0, UpdatedAt: t0})
	ok(t, err)
	if len(other.Countries) != 1 || other.Countries[0] != nz || other.IsDefault == nil || !*other.IsDefault {
		t.Errorf("second region %+v, want NZ as %+v", other, nz)
	}

	// Clearing: no countries, is_default back to null.
	r.Countries, r.IsDefault = nil, nil
	upd, err = s.UpdateRegion(ctx, r)
	ok(t, err)
	r.Countries = []clientele.Country{}
	wantRegion(t, upd, r)

	ok(t, s.DeleteRegion(ctx, r.ID))
	_, err = s.Region(ctx, r.ID)
	wantCode(t, err, clientele.ENOTFOUND)
	wantCode(t, s.DeleteRegion(ctx, r.ID), clientele.ENOTFOUND)
	_, err = s.UpdateRegion(ctx, r)
	wantCode(t, err, clientele.ENOTFOUND)
	_, err = s.Region(ctx, 999999)
	wantCode(t, err, clientele.ENOTFOUND)

	// Deleting a region leaves the countries other regions name.
	got, err = s.Region(ctx, other.ID)
	ok(t, err)
	wantRegion(t, got, other)
}

// testRegionHandleUnique: handles are unique without case, on create and
// update.
func testRegionHandleUnique(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	a := region(t, s, "A", "north-east")
	b := region(t, s, "B", "south")
	for _, h := range []string{"north-east", "North-East"} {
		_, err := s.CreateRegion(ctx, clientele.Region{Name: "C", Handle: h, CreatedAt: t0, UpdatedAt: t0})
		wantCode(t, err, clientele.EINVALID)
		if fe := clientele.ErrorFields(err); len(fe) != 1 || len(fe["handle"]) != 1 || fe["handle"][0] != "The handle has already been taken." {
			t.Errorf("create %q: fields %v", h, fe)
		}
	}
	b.Handle = "NORTH-EAST"
	_, err := s.UpdateRegion(ctx, b)
	wantCode(t, err, clientele.EINVALID)
	if fe := clientele.ErrorFields(err); len(fe["handle"]) != 1 {
		t.Errorf("update: fields %v", fe)
	}
	// A refused write changes nothing; a region may keep or re-case its own handle.
	got, err := s.Region(ctx, b.ID)
	ok(t, err)
	if got.Handle != "south" {
		t.Errorf("handle after refused update = %q", got.Handle)
	}
	a.Handle = "North-East"
	_, err = s.UpdateRegion(ctx, a)
	ok(t, err)
	// A deleted region frees its handle.
	ok(t, s.DeleteRegion(ctx, a.ID))
	region(t, s, "D", "north-east")
}

func testListRegions(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	a := region(t, s, "Australia", "au", "AU")
	b := region(t, s, "Straße Nord", "nord", "DE")
	c := region(t, s, "australia", "au-2")
	list := func(f clientele.RegionFilter, total int, want ...clientele.Region) {
		t.Helper()
		got, n, err := s.ListRegions(ctx, f)
		ok(t, err)
		if n != total || len(got) != len(want) {
			t.Fatalf("ListRegions(%+v) = %d regions, total %d; want %d, total %d", f, len(got), n, len(want), total)
		}
		for i := range want {
			wantRegion(t, got[i], want[i])
		}
	}
	list(clientele.RegionFilter{}, 3, a, b, c)
	list(clientele.RegionFilter{Limit: 2}, 3, a, b)
	list(clientele.RegionFilter{Offset: 2, Limit: 2}, 3, c)
	list(clientele.RegionFilter{Offset: 5, Limit: 2}, 3)
	// Equality without case, beyond ASCII; no substring match.
	list(clientele.RegionFilter{Handle: ptr("AU")}, 1, a)
	list(clientele.RegionFilter{Handle: ptr("a")}, 0)
	list(clientele.RegionFilter{Name: ptr("AUSTRALIA")}, 2, a, c)
	list(clientele.RegionFilter{Name: ptr("STRASSE NORD")}, 0)
	list(clientele.RegionFilter{Name: ptr("STRAßE NORD")}, 1, b)
	list(clientele.RegionFilter{Name: ptr("australia"), Handle: ptr("au-2")}, 1, c)
	// After deletion the filter finds nothing (spec §9.3).
	ok(t, s.DeleteRegion(ctx, a.ID))
	list(clientele.RegionFilter{Handle: ptr("au")}, 0)
}

func testRegionsByIDs(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	a := region(t, s, "A", "a", "AU")
	b := region(t, s, "B", "b")
	c := region(t, s, "C", "c", "NZ", "AU")
	got, err := s.RegionsByIDs(ctx, []int64{c.ID, 999999, a.ID, c.ID})
	ok(t, err)
	if len(got) != 2 {
		t.Fatalf("RegionsByIDs = %+v, want C and A", got)
	}
	wantRegion(t, got[0], c)
	wantRegion(t, got[1], a)
	got, err = s.RegionsByIDs(ctx, []int64{b.ID})
	ok(t, err)
	if len(got) != 1 {
		t.Fatalf("RegionsByIDs(b) = %+v", got)
	}
	wantRegion(t, got[0], b)
	for _, ids := range [][]int64{nil, {999999}} {
		got, err = s.RegionsByIDs(ctx, ids)
		ok(t, err)
		if got == nil || len(got) != 0 {
			t.Errorf("RegionsByIDs(%v) = %#v, want an empty slice", ids, got)
		}
	}
	ok(t, s.DeleteRegion(ctx, a.ID))
	got, err = s.RegionsByIDs(ctx, []int64{a.ID, b.ID})
	ok(t, err)
	if len(got) != 1 || got[0].ID != b.ID {
		t.Errorf("after delete: %+v", got)
	}
}
