package clientele

// Finding, after a write, the child that a sub-resource body wrote: by the
// same keys the merge rules upsert by (identityMatches, dateMatches,
// addressMatches in merge_children.go), so the route answers with exactly the child the
// merge touched.

// WrittenIdentity is the identity of p that in (a ParsePartRequest of
// PartIdentity) wrote: the targeted one, else the one with its pair.
func WrittenIdentity(p *Profile, in *ProfileInput) (Identity, bool) {
	x := in.Identities.V[0]
	for _, id := range p.Identities {
		if identityMatches(id, x) {
			return id, true
		}
	}
	return Identity{}, false
}

// WrittenDate is the date of p that in (PartDate) upserted: the one with
// its (handle, relationship).
func WrittenDate(p *Profile, in *ProfileInput) (DateAttribute, bool) {
	x := in.DatesAttributes.V[0]
	for _, d := range p.Dates {
		if dateMatches(d, x) {
			return d, true
		}
	}
	return DateAttribute{}, false
}

// WrittenAddress is the address of p that in (PartAddress) wrote: the
// one it matched (MatchedAddress), else the newest (a new address is
// appended).
func WrittenAddress(p *Profile, in *ProfileInput) (Address, bool) {
	if a, ok := MatchedAddress(p, in); ok {
		return a, true
	}
	if len(p.Addresses) > 0 {
		return p.Addresses[len(p.Addresses)-1], true
	}
	return Address{}, false
}

// MatchedAddress is the address of p that in (PartAddress) updates rather
// than adds: the targeted one, or the one with its (non-blank)
// external_id; ok is false when in adds an address.
func MatchedAddress(p *Profile, in *ProfileInput) (Address, bool) {
	x := in.Addresses.V[0]
	for _, a := range p.Addresses {
		if addressMatches(a, x) {
			return a, true
		}
	}
	return Address{}, false
}
