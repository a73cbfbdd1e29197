package clientele

import "context"

// RegionStore keeps the global regions (spec §9.3) and the countries they
// name. Profiles link to regions by id inside their own records
// (Profile.Regions); RegionsByIDs is how a profile write checks the ids it
// is given.
type RegionStore interface {
	// CreateRegion stores r with a new ID and its Countries (by ISO2; a
	// country first named here is created), and returns it as stored.
	// EINVALID (field handle, "The handle has already been taken.") if a
	// region with the same Handle, ignoring case, exists.
	CreateRegion(ctx context.Context, r Region) (Region, error)
	// Region returns one region with its countries. ENOTFOUND if unknown.
	Region(ctx context.Context, id int64) (Region, error)
	// RegionsByIDs returns the regions among ids, with their countries, in
	// the order of ids, each once; unknown ids are left out (an empty
	// slice, not an error, when none is known).
	RegionsByIDs(ctx context.Context, ids []int64) ([]Region, error)
	// ListRegions returns one page of regions in id order, with their
	// countries, and the number matching f.
	ListRegions(ctx context.Context, f RegionFilter) ([]Region, int, error)
	// UpdateRegion replaces the Name, Handle, IsDefault, UpdatedAt and
	// country set of region r.ID and returns it as stored. Countries are
	// matched by ISO2: one already linked keeps its link, the others are
	// linked (created if new), the rest unlinked. ENOTFOUND if unknown;
	// EINVALID (field handle) if another region has the same Handle,
	// ignoring case.
	UpdateRegion(ctx context.Context, r Region) (Region, error)
	// DeleteRegion deletes a region and its country links (the countries
	// stay). ENOTFOUND if unknown. Spec §9.3 also drops the region's
	// profile links; that is not done yet (TODO in both stores).
	DeleteRegion(ctx context.Context, id int64) error
}
