package clientele

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// The validators of list elements and nested objects. Keys name the element
// by index ("identities.0.handle") as Laravel does for nested arrays.

func (v *validator) identities(l List[IdentityInput]) {
	if !list(v, "identities", l) {
		return
	}
	for i, x := range l.V {
		v.enter("identities", i)
		if v.element(x.Obj) {
			v.reqStrUnless(x.ID != 0, "handle", x.Handle, maxStr)
			v.reqStrUnless(x.ID != 0, "identifier", x.Identifier, maxStr)
			v.bool("is_active", x.IsActive)
			v.bool("is_primary", x.IsPrimary)
		}
		v.leave()
	}
}

func (v *validator) customAttributes(l List[CustomAttributeInput]) {
	if !list(v, "custom_attributes", l) {
		return
	}
	for i, x := range l.V {
		v.enter("custom_attributes", i)
		if v.element(x.Obj) {
			v.customAttribute(x)
		}
		v.leave()
	}
}

func (v *validator) customAttribute(x CustomAttributeInput) {
	for _, f := range []struct {
		key string
		s   Str
	}{{"namespace", x.Namespace}, {"handle", x.Handle}} {
		if s, ok := v.reqStr(f.key, f.s, maxStr); ok && !validAttrName(s) {
			v.fail(f.key, "format is invalid.")
		}
	}
	typ, ok := v.str("type", x.Type, maxStr)
	if ok && !slices.Contains(CustomAttributeTypes, typ) {
		v.selected("type")
		return
	}
	if x.Type.Bad {
		return // the value cannot be checked against an unknown type
	}
	if _, msg, ok := CoerceCustomValue(typ, x.Value.V); !ok {
		v.fail("value", msg)
	}
}

func (v *validator) dates(l List[DateInput]) {
	if !list(v, "dates_attributes", l) {
		return
	}
	for i, x := range l.V {
		v.enter("dates_attributes", i)
		if v.element(x.Obj) {
			v.date(x)
		}
		v.leave()
	}
}

func (v *validator) date(x DateInput) {
	if s, ok := v.reqStr("date", x.Date, maxStr); ok {
		if _, ok := CanonicalDate(s); !ok {
			v.fail("date", "is not a valid date.")
		}
	}
	for _, f := range []struct {
		key string
		s   Str
	}{
		{"name", x.Name}, {"handle", x.Handle}, {"type", x.Type}, {"relationship", x.Relationship},
		{"role", x.Role}, {"recurring_schedule", x.RecurringSchedule},
		{"description", x.Description}, {"note", x.Note},
	} {
		v.str(f.key, f.s, maxStr)
	}
	v.bool("is_recurring", x.IsRecurring)
	if !list(v, "links", x.Links) {
		return
	}
	for j, ln := range x.Links.V {
		v.enter("links", j)
		if v.element(ln.Obj) {
			v.str("profile_id", ln.ProfileID, maxStr)
			v.str("relationship", ln.Relationship, maxStr)
			v.str("role", ln.Role, maxStr)
		}
		v.leave()
	}
}

func (v *validator) addresses(l List[AddressInput]) {
	if !list(v, "addresses", l) {
		return
	}
	for i, x := range l.V {
		v.enter("addresses", i)
		if v.element(x.Obj) {
			v.address(x)
		}
		v.leave()
	}
}

func (v *validator) address(x AddressInput) {
	v.reqStrUnless(x.ID != 0, "address_line_1", x.AddressLine1, maxStr)
	v.reqStrUnless(x.ID != 0, "city", x.City, maxStr)
	v.reqStrUnless(x.ID != 0, "postcode", x.Postcode, maxStr)
	v.reqStrUnless(x.ID != 0, "country", x.Country, maxStr)
	for _, f := range []struct {
		key string
		s   Str
	}{
		{"address_line_2", x.AddressLine2}, {"address_line_3", x.AddressLine3},
		{"company", x.Company}, {"state", x.State}, {"notes", x.Notes}, {"iso", x.ISO},
		{"iso_state", x.ISOState}, {"external_id", x.ExternalID},
	} {
		v.str(f.key, f.s, maxStr)
	}
	v.bool("is_default", x.IsDefault)
}

func (v *validator) regions(l List[RegionLinkInput]) {
	if !list(v, "regions", l) {
		return
	}
	for i, x := range l.V {
		v.enter("regions", i)
		if v.element(x.Obj) {
			if id, ok := v.reqInt("region_id", x.RegionID); ok && id < 1 {
				v.fail("region_id", "must be at least 1.")
			}
			v.str("handle", x.Handle, maxStr)
			v.str("country", x.Country, maxStr)
			v.str("state", x.State, maxStr)
			v.bool("is_active", x.IsActive)
		}
		v.leave()
	}
}

func (v *validator) organisations(l List[OrganisationInput]) {
	if !list(v, "organisations", l) {
		return
	}
	for i, x := range l.V {
		v.enter("organisations", i)
		if v.element(x.Obj) {
			v.reqInt("id", x.ID)
			v.int("role_definition_id", x.RoleDefinitionID)
			v.dateTime("expires_at", x.ExpiresAt)
			v.bool("is_active", x.IsActive)
		}
		v.leave()
	}
}

// comms checks the known keys of a comms object (spec §4.5); others are
// ignored, as Laravel keeps only validated keys.
func (v *validator) comms(prefix string, m Map) {
	v.enter(prefix, -1)
	defer v.leave()
	for _, key := range m.Keys {
		raw := m.V[key]
		k := key
		switch commsKind[key] {
		case 'b':
			var b Bool
			_ = b.UnmarshalJSON(raw)
			v.bool(k, b)
		case 'v':
			var s Str
			_ = s.UnmarshalJSON(raw)
			if s.Bad {
				v.fail(k, "must be a string.")
			} else if s.Null || !slices.Contains(CommsVerificationValues, s.V) {
				v.selected(k)
			}
		case 't':
			var s Str
			_ = s.UnmarshalJSON(raw)
			v.dateTime(k, s)
		case 's':
			var s Str
			_ = s.UnmarshalJSON(raw)
			v.str(k, s, maxStr)
		}
	}
}

// appearance checks the known keys of an appearance object (spec §4.6):
// strings or null; numbers are accepted (sizes are often sent as numbers)
// and stored as their text.
func (v *validator) appearance(prefix string, m Map) {
	v.enter(prefix, -1)
	defer v.leave()
	for _, key := range m.Keys {
		if !appearanceKnown[key] {
			continue
		}
		k := key
		p, ok := appearanceValue(m.V[key])
		switch {
		case !ok:
			v.fail(k, "must be a string.")
		case p != nil && utf8.RuneCountInString(*p) > maxStr:
			v.fail(k, "must not be greater than "+strconv.Itoa(maxStr)+" characters.")
		}
	}
}

// appearanceValue is the stored form of an appearance value: nil for null,
// the string, or a number's text.
func appearanceValue(raw json.RawMessage) (*string, bool) {
	if len(raw) == 0 || isNull(raw) {
		return nil, true
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, false
		}
		return &s, true
	case c == '-' || c >= '0' && c <= '9':
		s := string(raw)
		return &s, true
	}
	return nil, false
}

// attributes checks the seed's attributes{comms, appearance}: comms as
// comms_attributes; appearance an object of appearance keys or an array
// (kept verbatim).
func (v *validator) attributes(a AttributesInput) {
	if a.Obj.Bad {
		v.fail("attributes", "must be an object.")
		return
	}
	if !a.Set {
		return
	}
	if v.object("attributes.comms", a.Comms) {
		v.comms("attributes.comms", a.Comms)
	}
	if !a.Appearance.Set || a.Appearance.Null {
		return
	}
	v0 := bytes.TrimSpace(a.Appearance.V)
	if len(v0) == 0 {
		v.fail("attributes.appearance", "must be an object or an array.")
		return // only from bytes that are not JSON, which callers check first
	}
	switch v0[0] {
	case '[':
	case '{':
		var m Map
		_ = m.UnmarshalJSON(a.Appearance.V)
		v.appearance("attributes.appearance", m)
	default:
		v.fail("attributes.appearance", "must be an object or an array.")
	}
}

// reqStrUnless is reqStr, except that when the child already exists
// (partial, a PUT of one child) a field not sent keeps its value; one sent
// must still be a non-blank string.
func (v *validator) reqStrUnless(partial bool, key string, s Str, max int) {
	if partial && !s.Set {
		return
	}
	v.reqStr(key, s, max)
}
