package api

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/wire"
)

// The read routes of a profile's parts (spec §7.1, §8, §9.1, §9.2) answer
// with pieces of the very Profile object GET /profiles/{id} renders, so a
// part reads the same from either place. The writes are in
// profile_part_writes.go.

// profileParts loads the live profile the path names and renders it.
func (s *server) profileParts(r *http.Request) (*clientele.Profile, wire.Profile, error) {
	p, err := s.profileByID(r.Context(), r.PathValue("id"))
	if err != nil {
		return nil, wire.Profile{}, err
	}
	out, err := s.renderProfile(r.Context(), &p)
	return &p, out, err
}

func notFound(what string) error { return clientele.Errorf(clientele.ENOTFOUND, "%s not found", what) }

// pathIntID reads the integer id the path holds at name (a webhook, a
// region, a profile's address…): anything but a positive integer names no
// what (404).
func pathIntID(r *http.Request, name, what string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n < 1 {
		return 0, notFound(what)
	}
	return n, nil
}

// listIdentities answers GET /profiles/{id}/identities: a plain list.
func (s *server) listIdentities(w http.ResponseWriter, r *http.Request) error {
	_, out, err := s.profileParts(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataBody{out.Identities})
	return nil
}

// getIdentityByHandle answers GET /profiles/{id}/identities/{handle}: a
// profile may hold several identities with one handle, and the route acts
// on the most recently created (spec §4.2, decision #23).
func (s *server) getIdentityByHandle(w http.ResponseWriter, r *http.Request) error {
	p, out, err := s.profileParts(r)
	if err != nil {
		return err
	}
	best := newestIdentity(p, r.PathValue("handle"))
	if best < 0 {
		return notFound("identity")
	}
	writeJSON(w, http.StatusOK, dataBody{out.Identities[best]})
	return nil
}

// newestIdentity is the index of p's most recently created identity with
// this handle (the larger id on a tie), -1 if none: the one the
// /identities/{handle} routes act on.
func newestIdentity(p *clientele.Profile, handle string) int {
	best := -1
	for i, id := range p.Identities {
		if id.Handle != handle {
			continue
		}
		if best < 0 || id.CreatedAt.After(p.Identities[best].CreatedAt) ||
			(id.CreatedAt.Equal(p.Identities[best].CreatedAt) && id.ID > p.Identities[best].ID) {
			best = i
		}
	}
	return best
}

// getIdentityByID answers GET /profiles/{id}/identities/id/{identityId};
// an identity of another profile is not found here (spec §7.1).
func (s *server) getIdentityByID(w http.ResponseWriter, r *http.Request) error {
	_, out, err := s.profileParts(r)
	if err != nil {
		return err
	}
	want, err := pathIntID(r, "identityId", "identity")
	if err != nil {
		return err
	}
	for _, id := range out.Identities {
		if id.ID == want {
			writeJSON(w, http.StatusOK, dataBody{id})
			return nil
		}
	}
	return notFound("identity")
}

// listCustomAttributes answers GET /profiles/{id}/attributes/custom: an
// array of attribute objects, unlike the map on the Profile (spec §11.2).
func (s *server) listCustomAttributes(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.profileParts(r)
	if err != nil {
		return err
	}
	data := make([]wire.CustomAttribute, 0, len(p.CustomAttributes))
	for _, ca := range p.CustomAttributes {
		data = append(data, wire.RenderCustomAttribute(p.ID, ca))
	}
	writeJSON(w, http.StatusOK, dataBody{data})
	return nil
}

// getCustomAttribute answers GET /profiles/{id}/attributes/custom/{ns}:{handle}.
// The segment splits on its first ":"; one without ":" names nothing (spec §1).
func (s *server) getCustomAttribute(w http.ResponseWriter, r *http.Request) error {
	p, _, err := s.profileParts(r)
	if err != nil {
		return err
	}
	ns, handle, ok := strings.Cut(r.PathValue("attribute"), ":")
	if !ok {
		return notFound("custom attribute")
	}
	for _, ca := range p.CustomAttributes {
		if ca.Namespace == ns && ca.Handle == handle {
			writeJSON(w, http.StatusOK, dataBody{wire.RenderCustomAttribute(p.ID, ca)})
			return nil
		}
	}
	return notFound("custom attribute")
}

// listDates answers GET /profiles/{id}/attributes/dates.
func (s *server) listDates(w http.ResponseWriter, r *http.Request) error {
	_, out, err := s.profileParts(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataBody{out.Attributes.Dates})
	return nil
}

// getComms answers GET /profiles/{id}/attributes/comms (spec §8.3).
func (s *server) getComms(w http.ResponseWriter, r *http.Request) error {
	_, out, err := s.profileParts(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataBody{out.Attributes.Comms})
	return nil
}

// getAppearance answers GET /profiles/{id}/attributes/appearance.
func (s *server) getAppearance(w http.ResponseWriter, r *http.Request) error {
	_, out, err := s.profileParts(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataBody{out.Attributes.Appearance})
	return nil
}

// listAddresses answers GET /profiles/{id}/addresses (spec §9.1).
func (s *server) listAddresses(w http.ResponseWriter, r *http.Request) error {
	_, out, err := s.profileParts(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataBody{out.Addresses})
	return nil
}

// getAddress answers GET /profiles/{id}/addresses/{addressId}.
func (s *server) getAddress(w http.ResponseWriter, r *http.Request) error {
	_, out, err := s.profileParts(r)
	if err != nil {
		return err
	}
	want, err := pathIntID(r, "addressId", "address")
	if err != nil {
		return err
	}
	for _, a := range out.Addresses {
		if a.ID == want {
			writeJSON(w, http.StatusOK, dataBody{a})
			return nil
		}
	}
	return notFound("address")
}

// listProfileRegions answers GET /profiles/{id}/regions (spec §9.2): the
// profile form, whose id is the global region id.
func (s *server) listProfileRegions(w http.ResponseWriter, r *http.Request) error {
	_, out, err := s.profileParts(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataBody{out.Regions})
	return nil
}
