package api

import (
	"context"
	"net/http"

	"github.com/clientele/clientele"
)

// phoneFilter normalises a queried phone number to the stored E.164 form;
// one that does not parse is kept as sent, so it matches nothing.
func (s *server) phoneFilter(v *string) *string {
	if v == nil {
		return nil
	}
	if e164, ok := clientele.NormalizePhone(*v, s.region); ok {
		return &e164
	}
	return v
}

// availabilityOut is one key's answer: available is false when a live
// profile already holds the value (spec §5.9).
type availabilityOut struct {
	Available bool             `json:"available"`
	Profile   *availableHolder `json:"profile"`
}

type availableHolder struct {
	ID       string `json:"id"`
	FullName string `json:"full_name"`
}

// availability answers POST /profiles/availability (spec §5.9): for each
// of email and mobile_phone that was sent, whether a live profile holds it.
func (s *server) availability(w http.ResponseWriter, r *http.Request) error {
	body, release, err := s.readJSONBody(w, r)
	if err != nil {
		return err
	}
	defer release()
	req, err := clientele.ParseAvailabilityRequest(body)
	if err != nil {
		return err
	}
	out := map[string]availabilityOut{}
	if req.Email != nil {
		if out["email"], err = s.holder(r.Context(), clientele.ProfileFilter{Email: req.Email}); err != nil {
			return err
		}
	}
	if req.MobilePhone != nil {
		if out["mobile_phone"], err = s.holder(r.Context(), clientele.ProfileFilter{MobilePhone: s.phoneFilter(req.MobilePhone)}); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, dataBody{out})
	return nil
}

// holder looks up the live profile f selects; keys are unique, so there
// is at most one.
func (s *server) holder(ctx context.Context, f clientele.ProfileFilter) (availabilityOut, error) {
	f.Limit = 1
	ps, _, err := s.store.ListProfiles(ctx, f)
	if err != nil || len(ps) == 0 {
		return availabilityOut{Available: true}, err
	}
	return availabilityOut{Profile: &availableHolder{ID: ps[0].ID, FullName: ps[0].FullName()}}, nil
}

// syncProfiles answers POST /profiles/sync (spec §5.10) with its exact
// message. No downstream system is synced yet, so after validating
// updated_at there is nothing to queue: the spec's decision is a no-op.
func (s *server) syncProfiles(w http.ResponseWriter, r *http.Request) error {
	body, release, err := s.readJSONBody(w, r)
	if err != nil {
		return err
	}
	defer release()
	if err := clientele.ValidateSyncRequest(body); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, dataBody{map[string]string{"message": "Profiles queued for sync."}})
	return nil
}
