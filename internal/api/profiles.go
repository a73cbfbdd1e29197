package api

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/clientele/clientele"
	"github.com/google/uuid"
)

// getProfile answers GET /profiles/{id} (spec §5.3). With
// ?identity[handle]=H the path segment is an identifier of that handle,
// not a profile id. An id that is not a UUID cannot name a profile, so it
// is a 404 without a query (spec §1).
func (s *server) getProfile(w http.ResponseWriter, r *http.Request) error {
	var p clientele.Profile
	var err error
	if handle := r.URL.Query().Get("identity[handle]"); handle != "" {
		p, err = s.store.ProfileByIdentity(r.Context(), clientele.IdentityKey{Handle: handle, Identifier: r.PathValue("id")})
	} else {
		p, err = s.profileByID(r.Context(), r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	return s.writeProfile(w, r, http.StatusOK, &p)
}

// searchProfileID answers POST /profiles/search-id (spec §5.8): type
// "profile_id" looks the profile up by its id; any other type is an
// identity handle and id that identity's identifier.
func (s *server) searchProfileID(w http.ResponseWriter, r *http.Request) error {
	body, release, err := s.readJSONBody(w, r)
	if err != nil {
		return err
	}
	defer release()
	req, err := clientele.ParseSearchIDRequest(body)
	if err != nil {
		return err
	}
	var p clientele.Profile
	if req.Type == clientele.SearchByProfileID {
		p, err = s.profileByID(r.Context(), req.ID)
	} else {
		p, err = s.store.ProfileByIdentity(r.Context(), clientele.IdentityKey{Handle: req.Type, Identifier: req.ID})
	}
	if err != nil {
		return err
	}
	return s.writeProfile(w, r, http.StatusOK, &p)
}

// profileByID reads the live profile with this id; a string that is not
// a UUID names none.
func (s *server) profileByID(ctx context.Context, raw string) (clientele.Profile, error) {
	id, ok := profileID(raw)
	if !ok {
		return clientele.Profile{}, clientele.Errorf(clientele.ENOTFOUND, "profile id is not a UUID")
	}
	return s.store.Profile(ctx, id)
}

// profileID accepts only the canonical 36-character UUID form (uuid.Parse
// also takes braces, URNs and bare hex), lower-cased as ids are stored.
func profileID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	if _, err := uuid.Parse(s); err != nil {
		return "", false
	}
	return strings.ToLower(s), true
}

// listProfiles answers GET /profiles (spec §5.1): the filters of
// profileFilter, a free-text search, sorting and pagination.
func (s *server) listProfiles(w http.ResponseWriter, r *http.Request) error {
	return s.profilePage(w, r, false)
}

// findProfilesByAttributes answers GET /profiles/attributes/custom (spec
// §8.1): profiles whose custom attributes satisfy every
// attributes[i] condition (at least one is required), paged and sorted as
// /profiles, whose filters it takes too.
func (s *server) findProfilesByAttributes(w http.ResponseWriter, r *http.Request) error {
	return s.profilePage(w, r, true)
}

// profilePage answers a profile list; needAttributes makes at least one
// attributes[i] condition required.
func (s *server) profilePage(w http.ResponseWriter, r *http.Request, needAttributes bool) error {
	q := r.URL.Query()
	page, err := parsePage(q)
	if err != nil {
		return err
	}
	f, err := s.profileFilter(q, page)
	if err != nil {
		return err
	}
	if needAttributes && len(f.Attributes) == 0 {
		return invalid("attributes", "The attributes field is required.")
	}
	profiles, total, err := s.store.ListProfiles(r.Context(), f)
	if err != nil {
		return err
	}
	data, err := s.renderProfiles(r.Context(), profiles)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, newPage(r, page, total, len(data), data))
	return nil
}

// nonEmpty returns the parameter's value, or nil when it is absent or empty:
// an empty filter[x]= is "no filter", as Laravel's query builder treats it.
func nonEmpty(q url.Values, key string) *string {
	v := q.Get(key)
	if v == "" {
		return nil
	}
	return &v
}

// parseSort reads sort=field[,-field]; unknown fields are skipped (§1.3).
func parseSort(s string) []clientele.SortField {
	var out []clientele.SortField
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		desc := strings.HasPrefix(part, "-")
		part = strings.TrimPrefix(part, "-")
		if slices.Contains(clientele.ProfileSortFields, part) {
			out = append(out, clientele.SortField{Field: part, Desc: desc})
		}
	}
	return out
}
