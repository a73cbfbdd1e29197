package clientele

import "strconv"

// Event types written to the outbox.
const (
	EventProfileCreated = "profile.created"
	EventProfileUpdated = "profile.updated"
)

// ChunkKeys is every key a chunk names: the store looks them all up in one
// go before Resolve runs.
type ChunkKeys struct {
	Emails     []string
	Mobiles    []string
	Identities []IdentityKey
}

// ChunkLookup is what the store found for a chunk's keys among live
// profiles: who owns each key, and the owners themselves, fully loaded.
// Resolve updates it as items create and change profiles, so a later item of
// the same chunk sees the earlier ones.
type ChunkLookup struct {
	Profiles   map[string]*Profile
	ByEmail    map[string]string
	ByMobile   map[string]string
	ByIdentity map[IdentityKey]string
}

// UnheldKeys is what a store still has to search for once a lookup holds
// the owners of a chunk's emails (both stores load those first): the
// chunk's mobiles and identities that none of them holds, the identities
// grouped by handle, so that each handle's search uses the (handle,
// identifier) key. A key one of them holds needs no search: keys are
// unique among live profiles.
type UnheldKeys struct {
	Mobiles  []string
	Handles  []string            // in the order the chunk first names them
	ByHandle map[string][]string // each handle's identifiers
}

// Unheld is keys' mobiles and identities that no profile of lk holds.
func (lk *ChunkLookup) Unheld(keys ChunkKeys) UnheldKeys {
	u := UnheldKeys{ByHandle: map[string][]string{}}
	for _, m := range keys.Mobiles {
		if _, ok := lk.ByMobile[m]; !ok {
			u.Mobiles = append(u.Mobiles, m)
		}
	}
	for _, k := range keys.Identities {
		if _, ok := lk.ByIdentity[k]; ok {
			continue
		}
		if _, ok := u.ByHandle[k.Handle]; !ok {
			u.Handles = append(u.Handles, k.Handle)
		}
		u.ByHandle[k.Handle] = append(u.ByHandle[k.Handle], k.Identifier)
	}
	return u
}

// NewChunkLookup returns an empty lookup ready to fill.
func NewChunkLookup() *ChunkLookup {
	return &ChunkLookup{
		Profiles:   map[string]*Profile{},
		ByEmail:    map[string]string{},
		ByMobile:   map[string]string{},
		ByIdentity: map[IdentityKey]string{},
	}
}

// Add records p and every key it owns.
func (lk *ChunkLookup) Add(p *Profile) {
	lk.Profiles[p.ID] = p
	if p.Email != nil {
		lk.ByEmail[*p.Email] = p.ID
	}
	if p.MobilePhone != nil {
		lk.ByMobile[*p.MobilePhone] = p.ID
	}
	for _, id := range p.Identities {
		lk.ByIdentity[IdentityKey{id.Handle, id.Identifier}] = p.ID
	}
}

// remove forgets the keys p holds, so that a key p gives up is free for the
// items after it.
func (lk *ChunkLookup) remove(p *Profile) {
	if p.Email != nil {
		delete(lk.ByEmail, *p.Email)
	}
	if p.MobilePhone != nil {
		delete(lk.ByMobile, *p.MobilePhone)
	}
	for _, id := range p.Identities {
		delete(lk.ByIdentity, IdentityKey{id.Handle, id.Identifier})
	}
}

// Keys lists the keys of every item of c that can match or conflict. The
// items must be normalised (NormalizeInput), so that the keys are in their
// stored form.
func Keys(c Chunk) ChunkKeys {
	var k ChunkKeys
	seenEmail, seenMobile, seenIdentity := map[string]bool{}, map[string]bool{}, map[IdentityKey]bool{}
	for _, it := range c.Items {
		if len(it.Errors) > 0 || it.Input == nil {
			continue
		}
		in := it.Input
		if v, ok := in.Email.Value(); ok && v != "" && !seenEmail[v] {
			seenEmail[v] = true
			k.Emails = append(k.Emails, v)
		}
		if v, ok := in.MobilePhone.Value(); ok && v != "" && !seenMobile[v] {
			seenMobile[v] = true
			k.Mobiles = append(k.Mobiles, v)
		}
		for _, id := range in.Identities.V {
			h, _ := id.Handle.Value()
			i, _ := id.Identifier.Value()
			key := IdentityKey{h, i}
			if h != "" && i != "" && !seenIdentity[key] {
				seenIdentity[key] = true
				k.Identities = append(k.Identities, key)
			}
		}
	}
	return k
}

// ItemResult is what became of one item.
type ItemResult struct {
	Index             int
	Outcome           string // created, updated, unchanged or failed
	ProfileID         *string
	MatchValue        *string
	Errors            FieldErrors
	ConflictProfileID *string
	Event             string // outbox event type, "" for none
	Version           int64  // the profile's version after this item
}

// ProfileWrite is the final state of one profile a chunk touched. Before is
// nil when the chunk created it.
type ProfileWrite struct {
	Profile *Profile
	Before  *Profile
}

// ChunkResult is a resolved chunk: one result per item in order, and one
// write per touched profile in the order first touched.
type ChunkResult struct {
	Items  []ItemResult
	Writes []ProfileWrite
}

// Resolve applies the items of c in order against lk (spec §6.3): each item
// finds its match by matchCriteria, merges into it or creates a profile, and
// fails if a unique key it would hold belongs to another live profile.
// newID makes profile ids. Resolve is pure: the store writes the result.
func Resolve(matchCriteria string, c Chunk, lk *ChunkLookup, newID func() string) ChunkResult {
	var res ChunkResult
	before := map[string]*Profile{} // state before the chunk, for touched profiles
	writeAt := map[string]int{}     // profile id -> index in res.Writes
	for _, it := range c.Items {
		r := ItemResult{Index: it.Index}
		if it.Input != nil {
			r.MatchValue = matchValue(matchCriteria, it.Input)
		}
		if len(it.Errors) > 0 {
			r.Outcome, r.Errors = OutcomeFailed, it.Errors
			res.Items = append(res.Items, r)
			continue
		}
		in := it.Input
		var old *Profile
		switch {
		case matchCriteria == MatchEmail && r.MatchValue == nil:
			r.Outcome = OutcomeFailed
			r.Errors = FieldErrors{"email": {"The email field is required."}}
			res.Items = append(res.Items, r)
			continue
		case matchCriteria == MatchEmail:
			old = lk.Profiles[lk.ByEmail[*r.MatchValue]]
		case r.MatchValue != nil:
			old = lk.Profiles[lk.ByIdentity[IdentityKey{matchCriteria, *r.MatchValue}]]
		}

		// PlanChange is Merge plus the id and version rules, shared with the
		// profile routes; with no Edit it cannot fail.
		next, outcome, _ := PlanChange(old, ProfileChange{Input: in, Now: c.Now}, newID)
		if errs, owner := conflicts(next, in, lk); errs != nil {
			r.Outcome, r.Errors, r.ConflictProfileID = OutcomeFailed, errs, &owner
			if old != nil {
				r.ProfileID = &old.ID
			}
			res.Items = append(res.Items, r)
			continue
		}
		id := next.ID
		r.ProfileID = &id
		r.Outcome, r.Event = outcome, EventFor(outcome)
		r.Version = next.Version
		res.Items = append(res.Items, r)
		if outcome == OutcomeUnchanged {
			continue
		}
		if old != nil {
			lk.remove(old)
			if _, touched := before[id]; !touched {
				before[id] = old
			}
		}
		lk.Add(next)
		if i, ok := writeAt[id]; ok {
			res.Writes[i].Profile = next
		} else {
			writeAt[id] = len(res.Writes)
			res.Writes = append(res.Writes, ProfileWrite{Profile: next, Before: before[id]})
		}
	}
	return res
}

// matchValue is the item's value of the match key: its normalised email, or
// the identifier of its first identity with the match handle.
func matchValue(matchCriteria string, in *ProfileInput) *string {
	if matchCriteria == MatchEmail {
		if v, ok := in.Email.Value(); ok && v != "" {
			return &v
		}
		return nil
	}
	for _, id := range in.Identities.V {
		if h, _ := id.Handle.Value(); h == matchCriteria {
			if v, ok := id.Identifier.Value(); ok {
				return &v
			}
		}
	}
	return nil
}

// MatchValue is the match value shown for a pending item before it is
// applied: the trimmed, lower-cased email or the identifier.
func MatchValue(matchCriteria string, in *ProfileInput) string {
	if matchCriteria == MatchEmail {
		v, _ := in.Email.Value()
		return NormalizeEmail(v)
	}
	if v := matchValue(matchCriteria, in); v != nil {
		return *v
	}
	return ""
}

// conflicts reports the first unique key of p that another live profile
// owns, as Laravel field errors (spec §13 E3), and that owner's id.
func conflicts(p *Profile, in *ProfileInput, lk *ChunkLookup) (FieldErrors, string) {
	if p.Email != nil {
		if owner, ok := lk.ByEmail[*p.Email]; ok && owner != p.ID {
			return FieldErrors{"email": {"The email has already been taken."}}, owner
		}
	}
	if p.MobilePhone != nil {
		if owner, ok := lk.ByMobile[*p.MobilePhone]; ok && owner != p.ID {
			return FieldErrors{"mobile_phone": {"The phone number exists"}}, owner
		}
	}
	for i, id := range in.Identities.V {
		h, _ := id.Handle.Value()
		v, _ := id.Identifier.Value()
		if owner, ok := lk.ByIdentity[IdentityKey{h, v}]; ok && owner != p.ID {
			return FieldErrors{"identities." + strconv.Itoa(i) + ".identifier": {"The identifier has already been taken."}}, owner
		}
	}
	// An identity that the input did not name but the profile holds: one
	// an Edit renamed (PUT /profiles/{id}/identities/{handle}). Those the
	// profile already held are its own, so in a batch this finds nothing.
	taken := FieldErrors{"identifier": {"The identifier has already been taken."}}
	for i, id := range p.Identities {
		if owner, ok := lk.ByIdentity[IdentityKey{id.Handle, id.Identifier}]; ok && owner != p.ID {
			return taken, owner
		}
		// A rename onto a key the profile itself holds.
		for _, prev := range p.Identities[:i] {
			if prev.Handle == id.Handle && prev.Identifier == id.Identifier {
				return taken, p.ID
			}
		}
	}
	return nil, ""
}
