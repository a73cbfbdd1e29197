package api

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/wire"
)

// The write routes of a profile's parts (spec §7.1, §8, §9.1, §9.2). A body
// is parsed as the one element of its part in a profile input
// (clientele.ParsePartRequest) and applied by Store.ChangeProfile, so it
// obeys the batch path's validation, merge and key rules. What the input
// cannot say (remove this child; the child this path names must exist) is
// the change's Edit, which runs inside the store's transaction on the
// profile as stored.

// partWrite is one write of a part: the parsed body (of part) and the edit.
type partWrite struct {
	profileID string
	part      string
	in        *clientele.ProfileInput
	edit      func(p *clientele.Profile, now time.Time) (bool, error)
}

// applyPart runs the write and returns the profile as stored. A key the
// write would take from another profile is a 422 keyed as in the body.
func (s *server) applyPart(r *http.Request, pw partWrite) (*clientele.Profile, error) {
	res, err := s.store.ChangeProfile(r.Context(), clientele.ProfileChange{ID: pw.profileID, Input: pw.in,
		Edit: pw.edit, Origin: originOf(r), Now: s.now()})
	if err != nil {
		return nil, clientele.PartErrors(err, pw.part)
	}
	return &res.Profile, nil
}

// partBody reads the request body and parses it as pr.
func (s *server) partBody(w http.ResponseWriter, r *http.Request, pr clientele.PartRequest) (*clientele.ProfileInput, error) {
	return s.profileBody(w, r, func(b []byte) (*clientele.ProfileInput, error) {
		return clientele.ParsePartRequest(b, pr, s.region)
	})
}

// pathProfileID is the profile id of the path; 404 when it is not a UUID.
func pathProfileID(r *http.Request) (string, error) {
	id, ok := profileID(r.PathValue("id"))
	if !ok {
		return "", notFound("profile")
	}
	return id, nil
}

// partTarget is the profile id of the path and the integer id at name of
// the child (what) it names: an address, a date, a linked region.
func partTarget(r *http.Request, name, what string) (string, int64, error) {
	id, err := pathProfileID(r)
	if err != nil {
		return "", 0, err
	}
	n, err := pathIntID(r, name, what)
	return id, n, err
}

// mustHave is an Edit that changes nothing and fails with 404 unless the
// profile has a child that has() finds: a PUT may not create what its
// path names.
func mustHave(what string, has func(p *clientele.Profile) bool) func(*clientele.Profile, time.Time) (bool, error) {
	return func(p *clientele.Profile, _ time.Time) (bool, error) {
		if !has(p) {
			return false, notFound(what)
		}
		return false, nil
	}
}

// removing is an Edit that deletes the children drop() selects, and fails
// with 404 when there are none.
func removing[T any](what string, list func(p *clientele.Profile) *[]T, drop func(T) bool) func(*clientele.Profile, time.Time) (bool, error) {
	return func(p *clientele.Profile, _ time.Time) (bool, error) {
		l := list(p)
		n := len(*l)
		*l = slices.DeleteFunc(*l, drop)
		if len(*l) == n {
			return false, notFound(what)
		}
		return true, nil
	}
}

// removePart applies an Edit that removes a child (removing) and answers
// 204.
func (s *server) removePart(w http.ResponseWriter, r *http.Request, id string,
	edit func(*clientele.Profile, time.Time) (bool, error)) error {
	if _, err := s.applyPart(r, partWrite{profileID: id, edit: edit}); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// --- identities (spec §7.1) ---

// identityTarget finds the identity the path names: by id
// (/identities/id/{identityId}) or the newest with the handle
// (/identities/{handle}). It reads the profile outside the write, so the
// write's Edit checks again that the identity is still there.
func (s *server) identityTarget(r *http.Request) (string, int64, error) {
	id, err := pathProfileID(r)
	if err != nil {
		return "", 0, err
	}
	if r.PathValue("identityId") != "" {
		n, err := pathIntID(r, "identityId", "identity")
		return id, n, err
	}
	p, err := s.store.Profile(r.Context(), id)
	if err != nil {
		return "", 0, err
	}
	i := newestIdentity(&p, r.PathValue("handle"))
	if i < 0 {
		return "", 0, notFound("identity")
	}
	return id, p.Identities[i].ID, nil
}

func hasIdentity(target int64) func(p *clientele.Profile) bool {
	return func(p *clientele.Profile) bool {
		return slices.ContainsFunc(p.Identities, func(x clientele.Identity) bool { return x.ID == target })
	}
}

// createIdentity answers POST /profiles/{id}/identities: 201 with the
// identity (an upsert by handle and identifier).
func (s *server) createIdentity(w http.ResponseWriter, r *http.Request) error {
	id, err := pathProfileID(r)
	if err != nil {
		return err
	}
	in, err := s.partBody(w, r, clientele.PartRequest{Part: clientele.PartIdentity})
	if err != nil {
		return err
	}
	// The pair must be new to the profile too (spec §4.2): another
	// profile's is refused by the store's key rule, this one's here.
	p, err := s.applyPart(r, partWrite{profileID: id, part: clientele.PartIdentity, in: in,
		edit: func(p *clientele.Profile, _ time.Time) (bool, error) {
			if _, held := clientele.WrittenIdentity(p, in); held {
				return false, clientele.FieldErrors{"identifier": {"The identifier has already been taken."}}.Err()
			}
			return false, nil
		}})
	if err != nil {
		return err
	}
	x, _ := clientele.WrittenIdentity(p, in)
	writeJSON(w, http.StatusCreated, dataBody{wire.RenderIdentity(x)})
	return nil
}

// updateIdentity answers PUT /profiles/{id}/identities/{handle} and
// …/identities/id/{identityId}: a partial update that may rename the
// identity; it keeps its id.
func (s *server) updateIdentity(w http.ResponseWriter, r *http.Request) error {
	id, target, err := s.identityTarget(r)
	if err != nil {
		return err
	}
	in, err := s.partBody(w, r, clientele.PartRequest{Part: clientele.PartIdentity, Target: target})
	if err != nil {
		return err
	}
	p, err := s.applyPart(r, partWrite{profileID: id, part: clientele.PartIdentity, in: in, edit: mustHave("identity", hasIdentity(target))})
	if err != nil {
		return err
	}
	x, _ := clientele.WrittenIdentity(p, in)
	writeJSON(w, http.StatusOK, dataBody{wire.RenderIdentity(x)})
	return nil
}

// deleteIdentity answers DELETE /profiles/{id}/identities/{handle} and
// …/identities/id/{identityId}: 204, and the pair is free again.
func (s *server) deleteIdentity(w http.ResponseWriter, r *http.Request) error {
	id, target, err := s.identityTarget(r)
	if err != nil {
		return err
	}
	return s.removePart(w, r, id, removing("identity",
		func(p *clientele.Profile) *[]clientele.Identity { return &p.Identities },
		func(x clientele.Identity) bool { return x.ID == target }))
}

// --- custom attributes (spec §8.1) ---

// attributePath splits the {ns}:{handle} segment on its first colon.
func attributePath(r *http.Request) (ns, handle string, err error) {
	ns, handle, ok := strings.Cut(r.PathValue("attribute"), ":")
	if !ok {
		return "", "", notFound("custom attribute")
	}
	return ns, handle, nil
}

// putCustomAttribute answers PUT /profiles/{id}/attributes/custom/{ns}:{handle}:
// an upsert; namespace and handle come from the path, whatever the body
// says.
func (s *server) putCustomAttribute(w http.ResponseWriter, r *http.Request) error {
	id, err := pathProfileID(r)
	if err != nil {
		return err
	}
	ns, handle, err := attributePath(r)
	if err != nil {
		return err
	}
	in, err := s.partBody(w, r, clientele.PartRequest{Part: clientele.PartCustom, Fix: func(in *clientele.ProfileInput) {
		x := &in.CustomAttributes.V[0]
		x.Namespace = clientele.Str{Set: true, V: ns}
		x.Handle = clientele.Str{Set: true, V: handle}
	}})
	if err != nil {
		return err
	}
	// The body is {type?, value} (spec §8.1): a PUT without a value would
	// store null, which no client means.
	if v := in.CustomAttributes.V[0].Value; !v.Set || v.Null {
		return s.profileFirst(r, clientele.FieldErrors{"value": {"The value field is required."}}.Err())
	}
	p, err := s.applyPart(r, partWrite{profileID: id, part: clientele.PartCustom, in: in})
	if err != nil {
		return err
	}
	for _, ca := range p.CustomAttributes {
		if ca.Namespace == ns && ca.Handle == handle {
			writeJSON(w, http.StatusOK, dataBody{wire.RenderCustomAttribute(p.ID, ca)})
			return nil
		}
	}
	return notFound("custom attribute")
}

// deleteCustomAttribute answers DELETE /profiles/{id}/attributes/custom/{ns}:{handle}.
func (s *server) deleteCustomAttribute(w http.ResponseWriter, r *http.Request) error {
	id, err := pathProfileID(r)
	if err != nil {
		return err
	}
	ns, handle, err := attributePath(r)
	if err != nil {
		return err
	}
	return s.removePart(w, r, id, removing("custom attribute",
		func(p *clientele.Profile) *[]clientele.CustomAttribute { return &p.CustomAttributes },
		func(ca clientele.CustomAttribute) bool { return ca.Namespace == ns && ca.Handle == handle }))
}

// --- dates (spec §8.2) ---

// putDate answers PUT /profiles/{id}/attributes/dates: an upsert by
// (handle, relationship) answering the one date (not the list).
func (s *server) putDate(w http.ResponseWriter, r *http.Request) error {
	id, err := pathProfileID(r)
	if err != nil {
		return err
	}
	in, err := s.partBody(w, r, clientele.PartRequest{Part: clientele.PartDate})
	if err != nil {
		return err
	}
	p, err := s.applyPart(r, partWrite{profileID: id, part: clientele.PartDate, in: in})
	if err != nil {
		return err
	}
	d, _ := clientele.WrittenDate(p, in)
	writeJSON(w, http.StatusOK, dataBody{wire.RenderDate(p.ID, d)})
	return nil
}

// deleteDate answers DELETE /profiles/{id}/attributes/dates/{dateId}: 200
// with the dates that remain (spec §8.2, §11.1: the one DELETE with a
// body).
func (s *server) deleteDate(w http.ResponseWriter, r *http.Request) error {
	id, target, err := partTarget(r, "dateId", "date")
	if err != nil {
		return err
	}
	p, err := s.applyPart(r, partWrite{profileID: id, edit: removing("date",
		func(p *clientele.Profile) *[]clientele.DateAttribute { return &p.Dates },
		func(d clientele.DateAttribute) bool { return d.ID == target })})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataBody{wire.RenderProfile(p, s.now()).Attributes.Dates})
	return nil
}

// --- comms and appearance (spec §8.3) ---

// putComms answers PUT /profiles/{id}/attributes/comms with the Comms
// object, and its alias PUT /profiles/{id}/comms with that object in a
// one-element array (the SDK reads data[0]).
func (s *server) putComms(w http.ResponseWriter, r *http.Request) error {
	p, err := s.putObjectPart(w, r, clientele.PartComms)
	if err != nil {
		return err
	}
	comms := wire.RenderProfile(p, s.now()).Attributes.Comms
	if strings.HasSuffix(r.URL.Path, "/attributes/comms") {
		writeJSON(w, http.StatusOK, dataBody{comms})
	} else {
		writeJSON(w, http.StatusOK, dataBody{[]any{comms}})
	}
	return nil
}

// putAppearance answers PUT /profiles/{id}/attributes/appearance.
func (s *server) putAppearance(w http.ResponseWriter, r *http.Request) error {
	p, err := s.putObjectPart(w, r, clientele.PartAppearance)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataBody{wire.RenderProfile(p, s.now()).Attributes.Appearance})
	return nil
}

// putObjectPart merges the keys of the body into comms or appearance.
func (s *server) putObjectPart(w http.ResponseWriter, r *http.Request, part string) (*clientele.Profile, error) {
	id, err := pathProfileID(r)
	if err != nil {
		return nil, err
	}
	in, err := s.partBody(w, r, clientele.PartRequest{Part: part})
	if err != nil {
		return nil, err
	}
	return s.applyPart(r, partWrite{profileID: id, part: part, in: in})
}

// --- addresses (spec §9.1) ---

// createAddress answers POST /profiles/{id}/addresses: 201 with a new
// address, or 200 when external_id matched one of the profile's, which it
// updates.
func (s *server) createAddress(w http.ResponseWriter, r *http.Request) error {
	id, err := pathProfileID(r)
	if err != nil {
		return err
	}
	in, err := s.partBody(w, r, clientele.PartRequest{Part: clientele.PartAddress})
	if err != nil {
		return err
	}
	var existed bool
	p, err := s.applyPart(r, partWrite{profileID: id, part: clientele.PartAddress, in: in, edit: func(p *clientele.Profile, _ time.Time) (bool, error) {
		_, existed = clientele.MatchedAddress(p, in)
		return false, nil
	}})
	if err != nil {
		return err
	}
	a, _ := clientele.WrittenAddress(p, in)
	status := http.StatusCreated
	if existed {
		status = http.StatusOK
	}
	writeJSON(w, status, dataBody{wire.RenderAddress(p.ID, &a)})
	return nil
}

// updateAddress answers PUT /profiles/{id}/addresses/{addressId}: a partial
// update.
func (s *server) updateAddress(w http.ResponseWriter, r *http.Request) error {
	id, target, err := partTarget(r, "addressId", "address")
	if err != nil {
		return err
	}
	in, err := s.partBody(w, r, clientele.PartRequest{Part: clientele.PartAddress, Target: target})
	if err != nil {
		return err
	}
	p, err := s.applyPart(r, partWrite{profileID: id, part: clientele.PartAddress, in: in, edit: mustHave("address", func(p *clientele.Profile) bool {
		return slices.ContainsFunc(p.Addresses, func(a clientele.Address) bool { return a.ID == target })
	})})
	if err != nil {
		return err
	}
	a, _ := clientele.WrittenAddress(p, in)
	writeJSON(w, http.StatusOK, dataBody{wire.RenderAddress(p.ID, &a)})
	return nil
}

// deleteAddress answers DELETE /profiles/{id}/addresses/{addressId}.
func (s *server) deleteAddress(w http.ResponseWriter, r *http.Request) error {
	id, target, err := partTarget(r, "addressId", "address")
	if err != nil {
		return err
	}
	return s.removePart(w, r, id, removing("address",
		func(p *clientele.Profile) *[]clientele.Address { return &p.Addresses },
		func(a clientele.Address) bool { return a.ID == target }))
}

// --- profile regions (spec §9.2) ---

// linkRegion answers POST /profiles/{id}/regions: links the global region
// region_id (422 unless it exists), or updates the link when there is one;
// 200 with the profile's whole region list.
func (s *server) linkRegion(w http.ResponseWriter, r *http.Request) error {
	id, err := pathProfileID(r)
	if err != nil {
		return err
	}
	in, err := s.partBody(w, r, clientele.PartRequest{Part: clientele.PartRegion})
	if err != nil {
		return err
	}
	regionID := in.Regions.V[0].RegionID.V
	known, err := s.store.RegionsByIDs(r.Context(), []int64{regionID})
	if err != nil {
		return err
	}
	if len(known) == 0 {
		return s.profileFirst(r, clientele.FieldErrors{"region_id": {"The selected region id is invalid."}}.Err())
	}
	return s.writeRegions(w, r, partWrite{profileID: id, part: clientele.PartRegion, in: in})
}

// updateRegionLink answers PUT /profiles/{id}/regions/{regionId}: a partial
// update of the link (region_id in the body is ignored); 404 unless the
// profile is linked to that region; 200 with the whole list.
func (s *server) updateRegionLink(w http.ResponseWriter, r *http.Request) error {
	id, target, err := partTarget(r, "regionId", "region")
	if err != nil {
		return err
	}
	in, err := s.partBody(w, r, clientele.PartRequest{Part: clientele.PartRegion, Fix: func(in *clientele.ProfileInput) {
		in.Regions.V[0].RegionID = clientele.Int{Set: true, V: target}
	}})
	if err != nil {
		return err
	}
	return s.writeRegions(w, r, partWrite{profileID: id, part: clientele.PartRegion, in: in, edit: mustHave("region", func(p *clientele.Profile) bool {
		return slices.ContainsFunc(p.Regions, func(x clientele.ProfileRegion) bool { return x.RegionID == target })
	})})
}

// unlinkRegion answers DELETE /profiles/{id}/regions/{regionId}: 204.
func (s *server) unlinkRegion(w http.ResponseWriter, r *http.Request) error {
	id, target, err := partTarget(r, "regionId", "region")
	if err != nil {
		return err
	}
	return s.removePart(w, r, id, removing("region",
		func(p *clientele.Profile) *[]clientele.ProfileRegion { return &p.Regions },
		func(x clientele.ProfileRegion) bool { return x.RegionID == target }))
}

// writeRegions applies pw and answers with the profile's region list.
func (s *server) writeRegions(w http.ResponseWriter, r *http.Request, pw partWrite) error {
	p, err := s.applyPart(r, pw)
	if err != nil {
		return err
	}
	out, err := s.renderProfile(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, dataBody{out.Regions})
	return nil
}
