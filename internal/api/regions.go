package api

import (
	"net/http"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/wire"
)

// listRegions answers GET /regions (spec §9.3): paginated, in id order,
// with filter[handle] and filter[name], equalities that ignore case (§1.3).
func (s *server) listRegions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, err := parsePage(q)
	if err != nil {
		return err
	}
	f := clientele.RegionFilter{
		Handle: nonEmpty(q, "filter[handle]"),
		Name:   nonEmpty(q, "filter[name]"),
		Offset: page.offset(),
		Limit:  page.Size,
	}
	regions, total, err := s.store.ListRegions(r.Context(), f)
	if err != nil {
		return err
	}
	data := make([]wire.GlobalRegion, 0, len(regions))
	for _, reg := range regions {
		data = append(data, wire.RenderRegion(reg))
	}
	writeJSON(w, http.StatusOK, newPage(r, page, total, len(data), data))
	return nil
}

// createRegion answers POST /regions (spec §9.3): 201 with the region;
// is_default stays null unless sent.
func (s *server) createRegion(w http.ResponseWriter, r *http.Request) error {
	body, release, err := s.readJSONBody(w, r)
	if err != nil {
		return err
	}
	defer release()
	in, err := clientele.ParseRegionInput(body, true)
	if err != nil {
		return err
	}
	reg := in.NewRegion()
	reg.CreatedAt = s.now().UTC()
	reg.UpdatedAt = reg.CreatedAt
	if reg, err = s.store.CreateRegion(r.Context(), reg); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, dataBody{wire.RenderRegion(reg)})
	return nil
}

// getRegion answers GET /regions/{id}.
func (s *server) getRegion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIntID(r, "id", "region")
	if err != nil {
		return err
	}
	reg, err := s.store.Region(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataBody{wire.RenderRegion(reg)})
	return nil
}

// updateRegion answers PUT /regions/{id} (spec §9.3): a partial update;
// sent countries replace the linked set, matched by iso_2.
func (s *server) updateRegion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIntID(r, "id", "region")
	if err != nil {
		return err
	}
	body, release, err := s.readJSONBody(w, r)
	if err != nil {
		return err
	}
	defer release()
	reg, err := s.store.Region(r.Context(), id)
	if err != nil {
		return err
	}
	in, err := clientele.ParseRegionInput(body, false)
	if err != nil {
		return err
	}
	in.Apply(&reg)
	reg.UpdatedAt = s.now().UTC()
	if reg, err = s.store.UpdateRegion(r.Context(), reg); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataBody{wire.RenderRegion(reg)})
	return nil
}

// deleteRegion answers DELETE /regions/{id}: 204 with no body.
func (s *server) deleteRegion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathIntID(r, "id", "region")
	if err != nil {
		return err
	}
	if _, err := s.store.Region(r.Context(), id); err != nil {
		return err
	}
	if err := s.unlinkRegionEverywhere(r, id); err != nil {
		return err
	}
	if err := s.store.DeleteRegion(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// unlinkRegionEverywhere drops every profile's link to region id (spec
// §9.3: deleting a region drops its links), each a profile change with its
// version and profile.updated event. It runs before the region goes, so a
// DELETE cut short leaves the region in place and its retry finishes the
// work; a link made while it runs can outlive the region, and then shows
// as a link to a region that no longer exists.
func (s *server) unlinkRegionEverywhere(r *http.Request, id int64) error {
	// The same Edit as DELETE /profiles/{id}/regions/{id}; its 404 (the
	// link went meanwhile) is skipped below, as a profile removed is.
	unlink := removing("region",
		func(p *clientele.Profile) *[]clientele.ProfileRegion { return &p.Regions },
		func(x clientele.ProfileRegion) bool { return x.RegionID == id })
	for {
		// Each pass unlinks what it finds, so the next starts at the top.
		// Each pass reads every candidate (the filter is on the doc), so
		// passes are few and large.
		ps, _, err := s.store.ListProfiles(r.Context(), clientele.ProfileFilter{RegionIDs: []int64{id}, Limit: 1000})
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			return nil
		}
		for _, p := range ps {
			_, err := s.store.ChangeProfile(r.Context(), clientele.ProfileChange{ID: p.ID, Edit: unlink,
				Origin: originOf(r), Now: s.now()})
			if err != nil && clientele.ErrorCode(err) != clientele.ENOTFOUND { // gone meanwhile
				return err
			}
		}
	}
}
