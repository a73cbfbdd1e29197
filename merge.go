package clientele

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Merge applies validated, normalised input (ValidateProfileInput, then
// NormalizeInput) to old and returns the resulting profile and whether
// anything changed, timestamps aside. old == nil creates a profile: names
// default to "Unknown", profile_type to "active", and changed is true.
//
// Merge never mutates old or anything reachable from it: the result is a
// deep copy, so a caller that keeps old (Resolve's before-image, a failed
// item's unchanged profile) can trust it.
//
// Semantics are those of a partial PUT (spec §4.1): absent fields are left
// as they are; null, or a blank string, clears a nullable field; tags and
// statuses replace the set; identities, custom attributes, dates, addresses
// and regions are upserted by their keys (merge_children.go); comms and
// appearance merge the keys sent (comms_attributes first, then
// attributes.comms, so the latter wins on a key sent in both).
//
// Timestamps: the profile's CreatedAt and UpdatedAt are now on create;
// UpdatedAt becomes now only when something changed (spec §13 E2). New
// children get CreatedAt = UpdatedAt = now and ID 0 (the store assigns
// ids); changed children get UpdatedAt = now. New identities take the
// profile's ID as ProfileID; on create that is "", so the caller must give
// the profile its id with SetID, which also fills in the identities
// (Resolve does this). Version is not touched: Resolve sets it.
func Merge(old *Profile, in *ProfileInput, now time.Time) (*Profile, bool) {
	var p *Profile
	if old == nil {
		p = &Profile{FirstName: "Unknown", LastName: "Unknown", ProfileType: "active", CreatedAt: now}
	} else {
		p = cloneProfile(old)
	}
	m := &merger{p: p, now: now}
	m.scalars(in)
	m.extras(in)
	m.tags(in.Tags)
	m.statuses(in.Statuses)
	m.identities(in.Identities)
	m.customAttributes(in.CustomAttributes)
	m.dates(in.DatesAttributes)
	m.addresses(in.Addresses)
	m.regions(in.Regions)
	if in.CommsAttributes.Set && !in.CommsAttributes.Null && !in.CommsAttributes.Bad {
		m.comms(in.CommsAttributes)
	}
	if in.AppearanceAttributes.Set && !in.AppearanceAttributes.Null && !in.AppearanceAttributes.Bad {
		m.appearance(in.AppearanceAttributes)
	}
	m.attributes(in.Attributes)

	changed := m.changed || old == nil
	if changed {
		p.UpdatedAt = now
	}
	return p, changed
}

// SetID gives a new profile its id, and its identities their ProfileID.
func (p *Profile) SetID(id string) {
	p.ID = id
	for i := range p.Identities {
		p.Identities[i].ProfileID = id
	}
}

// merger carries one Merge: the profile being built and whether anything
// differed from what it was.
type merger struct {
	p       *Profile
	now     time.Time
	changed bool
}

func (m *merger) scalars(in *ProfileInput) {
	p := m.p
	for _, f := range []struct {
		dst *string
		s   Str
	}{{&p.FirstName, in.FirstName}, {&p.LastName, in.LastName}, {&p.ProfileType, in.ProfileType}} {
		// Validation refuses null and blank for these, so a value is a value.
		if v, ok := f.s.Value(); ok && strings.TrimSpace(v) != "" {
			if f.dst == &p.ProfileType {
				v = strings.TrimSpace(v)
			}
			m.set(f.dst, v)
		}
	}
	trim := strings.TrimSpace
	upper := func(s string) string { return strings.ToUpper(trim(s)) }
	dateTime := func(s string) string {
		if c, ok := CanonicalDateTime(s); ok {
			return c
		}
		return trim(s) // unreachable for validated input
	}
	for _, f := range []struct {
		dst   **string
		s     Str
		canon func(string) string
	}{
		{&p.Email, in.Email, NormalizeEmail},
		{&p.Title, in.Title, nil},
		{&p.Gender, in.Gender, canonicalGender},
		{&p.Currency, in.Currency, upper},
		{&p.JoinedAt, in.JoinedAt, dateTime},
		{&p.MobilePhone, in.MobilePhone, trim},
		{&p.SecondaryPhone, in.SecondaryPhone, trim},
		{&p.Company, in.Company, nil},
		{&p.Occupation, in.Occupation, nil},
		{&p.AvatarURL, in.AvatarURL, trim},
	} {
		if v, set := optStr(f.s, f.canon); set {
			m.changed = setPtr(f.dst, v) || m.changed
		}
	}
	for _, f := range []struct {
		dst **int
		n   Int
	}{{&p.BirthDay, in.BirthDay}, {&p.BirthMonth, in.BirthMonth}, {&p.BirthYear, in.BirthYear}} {
		if v, set := optInt(f.n); set {
			var iv *int
			if v != nil {
				x := int(*v)
				iv = &x
			}
			m.changed = setPtr(f.dst, iv) || m.changed
		}
	}
	for _, f := range []struct {
		dst **int64
		n   Int
	}{{&p.JoinedLocationID, in.JoinedLocationID}, {&p.PreferredLocationID, in.PreferredLocationID}} {
		if v, set := optInt(f.n); set {
			m.changed = setPtr(f.dst, v) || m.changed
		}
	}
}

// extras keeps in Profile.Extra the accepted input the Profile has no field
// for. Strings are stored as JSON strings, region_id as a number, and
// organisations as a canonical array (the list replaces the previous one:
// it is opaque to clientele, so there is no key to upsert on).
func (m *merger) extras(in *ProfileInput) {
	for _, f := range []struct {
		key string
		s   Str
	}{
		{"joined_location_external_id", in.JoinedLocationExternalID},
		{"joined_location_external_code", in.JoinedLocationExternalCode},
		{"preferred_location_external_id", in.PreferredLocationExternalID},
		{"preferred_location_external_code", in.PreferredLocationExternalCode},
		{"region", in.Region}, {"region_country", in.RegionCountry}, {"region_state", in.RegionState},
	} {
		if v, set := optStr(f.s, nil); set {
			var raw json.RawMessage
			if v != nil {
				raw = marshalString(*v)
			}
			m.extra(f.key, raw)
		}
	}
	if v, set := optInt(in.RegionID); set {
		var raw json.RawMessage
		if v != nil {
			raw = json.RawMessage(strconv.FormatInt(*v, 10))
		}
		m.extra("region_id", raw)
	}
	if l := in.Organisations; l.Set && !l.Bad {
		var raw json.RawMessage
		if !l.Null {
			raw = organisationsJSON(l.V)
		}
		m.extra("organisations", raw)
	}
}

// extra sets (or, for nil, deletes) one Extra key.
func (m *merger) extra(key string, raw json.RawMessage) {
	old, had := m.p.Extra[key]
	switch {
	case raw == nil && !had, raw != nil && had && jsonEqual(old, raw):
		return
	case raw == nil:
		delete(m.p.Extra, key)
		if len(m.p.Extra) == 0 {
			m.p.Extra = nil
		}
	default:
		if m.p.Extra == nil {
			m.p.Extra = map[string]json.RawMessage{}
		}
		m.p.Extra[key] = raw
	}
	m.changed = true
}

// organisationsJSON renders the organisations sent, each with the keys sent,
// expires_at in canonical form.
func organisationsJSON(l []OrganisationInput) json.RawMessage {
	type org struct {
		ID               *int64  `json:"id,omitempty"`
		RoleDefinitionID *int64  `json:"role_definition_id,omitempty"`
		ExpiresAt        *string `json:"expires_at,omitempty"`
		IsActive         *bool   `json:"is_active,omitempty"`
	}
	out := make([]org, 0, len(l))
	for _, x := range l {
		var o org
		o.ID, _ = optInt(x.ID)
		o.RoleDefinitionID, _ = optInt(x.RoleDefinitionID)
		o.ExpiresAt, _ = optStr(x.ExpiresAt, func(s string) string { c, _ := CanonicalDateTime(s); return c })
		if x.IsActive.Set && !x.IsActive.Null && !x.IsActive.Bad {
			b := x.IsActive.V
			o.IsActive = &b
		}
		out = append(out, o)
	}
	b, _ := json.Marshal(out) // plain values always encode
	return b
}

func (m *merger) tags(l List[Str]) {
	if !l.Set || l.Bad {
		return
	}
	m.replaceSet(&m.p.Tags, l.V, func(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), " ", "-") })
}

func (m *merger) statuses(l List[Str]) {
	if !l.Set || l.Bad {
		return
	}
	m.replaceSet(&m.p.Statuses, l.V, strings.TrimSpace)
}

// replaceSet replaces *dst by the values sent, canonicalised and without
// duplicates (the first occurrence keeps its place). A null list (nil)
// clears the set.
func (m *merger) replaceSet(dst *[]string, l []Str, canon func(string) string) {
	var next []string
	for _, s := range l {
		if v := canon(s.V); v != "" && !slices.Contains(next, v) {
			next = append(next, v)
		}
	}
	if !slices.Equal(*dst, next) {
		*dst = next
		m.changed = true
	}
}

// set sets a non-nullable string.
func (m *merger) set(dst *string, v string) {
	if *dst != v {
		*dst = v
		m.changed = true
	}
}

// optStr is what a nullable string input asks for: set reports whether it
// was sent; v is nil for null or blank, else canon(value) (canon nil keeps
// the value as sent). Wrongly typed values (refused by validation) count as
// not sent.
func optStr(s Str, canon func(string) string) (v *string, set bool) {
	if !s.Set || s.Bad {
		return nil, false
	}
	if s.Null || strings.TrimSpace(s.V) == "" {
		return nil, true
	}
	c := s.V
	if canon != nil {
		c = canon(c)
	}
	return &c, true
}

// optInt is what a nullable integer input asks for, as optStr.
func optInt(n Int) (v *int64, set bool) {
	if !n.Set || n.Bad {
		return nil, false
	}
	if n.Null {
		return nil, true
	}
	x := n.V
	return &x, true
}

// optBool reports the value of a boolean input when one was sent; null
// counts as not sent.
func optBool(b Bool) (v, set bool) { return b.V, b.Set && !b.Null && !b.Bad }

// setPtr sets *dst to v unless they hold the same value, and reports
// whether it did.
func setPtr[T comparable](dst **T, v *T) bool {
	if eqPtr(*dst, v) {
		return false
	}
	*dst = v
	return true
}

func eqPtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneRaw(b json.RawMessage) json.RawMessage {
	if b == nil {
		return nil
	}
	return append(json.RawMessage{}, b...)
}

// cloneProfile is a deep copy: no pointer, slice or map of the copy is
// shared with o.
func cloneProfile(o *Profile) *Profile {
	p := *o
	for _, f := range []**string{
		&p.Email, &p.Title, &p.Gender, &p.Currency, &p.JoinedAt, &p.MobilePhone,
		&p.SecondaryPhone, &p.Company, &p.Occupation, &p.AvatarURL,
	} {
		*f = clonePtr(*f)
	}
	p.BirthDay, p.BirthMonth, p.BirthYear = clonePtr(o.BirthDay), clonePtr(o.BirthMonth), clonePtr(o.BirthYear)
	p.JoinedLocationID, p.PreferredLocationID = clonePtr(o.JoinedLocationID), clonePtr(o.PreferredLocationID)
	p.Tags = slices.Clone(o.Tags)
	p.Statuses = slices.Clone(o.Statuses)
	p.Identities = slices.Clone(o.Identities)
	p.CustomAttributes = slices.Clone(o.CustomAttributes)
	for i := range p.CustomAttributes {
		p.CustomAttributes[i].Value = cloneRaw(p.CustomAttributes[i].Value)
	}
	p.Dates = slices.Clone(o.Dates)
	for i := range p.Dates {
		p.Dates[i] = cloneDate(p.Dates[i])
	}
	p.Addresses = slices.Clone(o.Addresses)
	for i := range p.Addresses {
		p.Addresses[i] = cloneAddress(p.Addresses[i])
	}
	p.Regions = slices.Clone(o.Regions)
	for i := range p.Regions {
		r := &p.Regions[i]
		r.Handle, r.Country, r.State = clonePtr(r.Handle), clonePtr(r.Country), clonePtr(r.State)
	}
	p.Comms = maps.Clone(o.Comms) // values are bool, string or nil: immutable
	if o.Appearance != nil {
		p.Appearance = make(map[string]*string, len(o.Appearance))
		for k, v := range o.Appearance {
			p.Appearance[k] = clonePtr(v)
		}
	}
	if o.Extra != nil {
		p.Extra = make(map[string]json.RawMessage, len(o.Extra))
		for k, v := range o.Extra {
			p.Extra[k] = cloneRaw(v)
		}
	}
	return &p
}

func cloneDate(d DateAttribute) DateAttribute {
	for _, f := range []**string{&d.Name, &d.Handle, &d.Type, &d.Relationship, &d.Role, &d.RecurringSchedule, &d.Description, &d.Note} {
		*f = clonePtr(*f)
	}
	d.Meta = cloneRaw(d.Meta)
	d.Links = slices.Clone(d.Links)
	for i := range d.Links {
		l := &d.Links[i]
		l.ProfileID, l.Relationship, l.Role = clonePtr(l.ProfileID), clonePtr(l.Relationship), clonePtr(l.Role)
	}
	return d
}

func cloneAddress(a Address) Address {
	for _, f := range []**string{&a.AddressLine2, &a.AddressLine3, &a.Company, &a.State, &a.Notes, &a.ISO, &a.ISOState, &a.ExternalID} {
		*f = clonePtr(*f)
	}
	a.Meta = cloneRaw(a.Meta)
	return a
}
