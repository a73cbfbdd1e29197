package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/wire"
)

// identityOut is an identity of the global list, with its profile when
// the request asks for include=profile (spec §7.2).
type identityOut struct {
	wire.Identity
	Profile *wire.Profile `json:"profile,omitempty"`
}

// listAllIdentities answers GET /identities (spec §7.2): paginated,
// filtered exactly on handle, identifier, profile_id and is_active, and
// leaving out the identities of removed profiles.
func (s *server) listAllIdentities(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	page, err := parsePage(q)
	if err != nil {
		return err
	}
	f := clientele.IdentityFilter{
		Handle:     nonEmpty(q, "filter[handle]"),
		Identifier: nonEmpty(q, "filter[identifier]"),
		ProfileID:  nonEmpty(q, "filter[profile_id]"),
		Offset:     page.offset(),
		Limit:      page.Size,
	}
	// GET /identities/search?handle=&identifier= (the dev guide's alias,
	// spec §7.2): the bare names filter too.
	if f.Handle == nil {
		f.Handle = nonEmpty(q, "handle")
	}
	if f.Identifier == nil {
		f.Identifier = nonEmpty(q, "identifier")
	}
	if f.IsActive, err = boolFilter(r, "filter[is_active]"); err != nil {
		return err
	}
	ids, total, err := s.store.ListIdentities(r.Context(), f)
	if err != nil {
		return err
	}
	var profiles map[string]*wire.Profile
	if slices.Contains(strings.Split(q.Get("include"), ","), "profile") {
		if profiles, err = s.renderOwners(r, ids); err != nil {
			return err
		}
	}
	data := make([]identityOut, 0, len(ids))
	for _, id := range ids {
		data = append(data, identityOut{Identity: wire.RenderIdentity(id), Profile: profiles[id.ProfileID]})
	}
	writeJSON(w, http.StatusOK, newPage(r, page, total, len(data), data))
	return nil
}

// renderOwners renders, once each, the profiles that own ids.
func (s *server) renderOwners(r *http.Request, ids []clientele.Identity) (map[string]*wire.Profile, error) {
	var owners []string
	for _, id := range ids {
		if !slices.Contains(owners, id.ProfileID) {
			owners = append(owners, id.ProfileID)
		}
	}
	ps, err := s.store.ProfilesByID(r.Context(), owners)
	if err != nil {
		return nil, err
	}
	rendered, err := s.renderProfiles(r.Context(), ps)
	if err != nil {
		return nil, err
	}
	out := make(map[string]*wire.Profile, len(ps))
	for i := range rendered {
		out[ps[i].ID] = &rendered[i]
	}
	return out, nil
}

// searchProfilesByIdentifier answers GET /identities/search-profile/{identifier}
// (spec §7.3): the live profiles holding an identity with this identifier
// under any handle, as a plain list ([] when none).
func (s *server) searchProfilesByIdentifier(w http.ResponseWriter, r *http.Request) error {
	identifier := r.PathValue("identifier")
	ids, _, err := s.store.ListIdentities(r.Context(), clientele.IdentityFilter{Identifier: &identifier})
	if err != nil {
		return err
	}
	owners, err := s.renderOwners(r, ids)
	if err != nil {
		return err
	}
	data := make([]*wire.Profile, 0, len(owners))
	seen := map[string]bool{}
	for _, id := range ids {
		if p := owners[id.ProfileID]; p != nil && !seen[id.ProfileID] {
			seen[id.ProfileID] = true
			data = append(data, p)
		}
	}
	writeJSON(w, http.StatusOK, dataBody{data})
	return nil
}
