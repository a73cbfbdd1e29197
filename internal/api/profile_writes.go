package api

import (
	"net/http"

	"github.com/clientele/clientele"
)

// The profile write routes (spec §5.2, §5.4–§5.7). Every write goes through
// Store.ChangeProfile, which applies the batch path's Merge, conflict rule
// and versioning, and writes the outbox event with the token's name as
// its origin.

// createProfile answers POST /profiles (spec §5.2): 201 with the profile.
func (s *server) createProfile(w http.ResponseWriter, r *http.Request) error {
	in, err := s.profileBody(w, r, func(b []byte) (*clientele.ProfileInput, error) {
		return clientele.ParseProfileRequest(b, clientele.ModeCreate, s.region)
	})
	if err != nil {
		return err
	}
	return s.changeAndRender(w, r, http.StatusCreated, clientele.ProfileChange{Input: in})
}

// updateProfile answers PUT /profiles/{id} (spec §5.4): a partial update
// with the collection semantics of §4.1.
func (s *server) updateProfile(w http.ResponseWriter, r *http.Request) error {
	return s.updateWith(w, r, func(b []byte) (*clientele.ProfileInput, error) {
		return clientele.ParseProfileRequest(b, clientele.ModeUpdate, s.region)
	})
}

// updateProfileType answers PUT /profiles/{id}/update-type (spec §5.7):
// profile_type is required and is the only field read.
func (s *server) updateProfileType(w http.ResponseWriter, r *http.Request) error {
	return s.updateWith(w, r, clientele.ParseProfileTypeRequest)
}

// updateWith applies the body, read by parse, to the path's profile and
// answers 200 with it.
func (s *server) updateWith(w http.ResponseWriter, r *http.Request, parse func([]byte) (*clientele.ProfileInput, error)) error {
	id, err := pathProfileID(r)
	if err != nil {
		return err
	}
	in, err := s.profileBody(w, r, parse)
	if err != nil {
		return err
	}
	return s.changeAndRender(w, r, http.StatusOK, clientele.ProfileChange{ID: id, Input: in})
}

// profileBody reads the request body and parses it with parse. A body
// refused on a route whose profile does not exist is that profile's 404,
// as Laravel binds the route's model before it validates.
func (s *server) profileBody(w http.ResponseWriter, r *http.Request, parse func([]byte) (*clientele.ProfileInput, error)) (*clientele.ProfileInput, error) {
	body, release, err := s.readJSONBody(w, r)
	if err != nil {
		return nil, err
	}
	defer release()
	in, err := parse(body)
	if err != nil {
		return nil, s.profileFirst(r, err)
	}
	return in, nil
}

// profileFirst is err, unless the path names a profile that does not
// exist: then that 404. It reads the store only on this error path.
func (s *server) profileFirst(r *http.Request, err error) error {
	if r.PathValue("id") == "" {
		return err
	}
	if _, perr := s.profileByID(r.Context(), r.PathValue("id")); clientele.ErrorCode(perr) == clientele.ENOTFOUND {
		return perr
	}
	return err
}

// changeAndRender applies ch (with the request's origin and time) and
// answers status with the profile.
func (s *server) changeAndRender(w http.ResponseWriter, r *http.Request, status int, ch clientele.ProfileChange) error {
	ch.Origin, ch.Now = originOf(r), s.now()
	res, err := s.store.ChangeProfile(r.Context(), ch)
	if err != nil {
		return err
	}
	return s.writeProfile(w, r, status, &res.Profile)
}

// deleteProfile answers DELETE /profiles/{id} (spec §5.5): 204, and the
// profile is gone from every read; a second DELETE is a 404.
func (s *server) deleteProfile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathProfileID(r)
	if err != nil {
		return err
	}
	if err := s.store.RemoveProfile(r.Context(), id, originOf(r), s.now()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// purgeProfile answers DELETE and POST /profiles/{id}/purge (spec §5.6):
// 204, and the profile, removed or not, is erased.
func (s *server) purgeProfile(w http.ResponseWriter, r *http.Request) error {
	id, err := pathProfileID(r)
	if err != nil {
		return err
	}
	if err := s.store.PurgeProfile(r.Context(), id, originOf(r), s.now()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
