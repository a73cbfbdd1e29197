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
		k := "identities." + strconv.Itoa(i)
		if !v.element(k, x.Obj) {
			continue
		}
		v.reqStrUnless(x.ID != 0, k+".handle", x.Handle, maxStr)
		v.reqStrUnless(x.ID != 0, k+".identifier", x.Identifier, maxStr)
		v.bool(k+".is_active", x.IsActive)
		v.bool(k+".is_primary", x.IsPrimary)
	}
}

func (v *validator) customAttributes(l List[CustomAttributeInput]) {
	if !list(v, "custom_attributes", l) {
		return
	}
	for i, x := range l.V {
		k := "custom_attributes." + strconv.Itoa(i)
		if !v.element(k, x.Obj) {
			continue
		}
		for _, f := range []struct {
			key string
			s   Str
		}{{k + ".namespace", x.Namespace}, {k + ".handle", x.Handle}} {
			if s, ok := v.reqStr(f.key, f.s, maxStr); ok && !validAttrName(s) {
				v.fail(f.key, "format is invalid.")
			}
		}
		typ, ok := v.str(k+".type", x.Type, maxStr)
		if ok && !slices.Contains(CustomAttributeTypes, typ) {
			v.selected(k + ".type")
			continue
		}
		if x.Type.Bad {
			continue // the value cannot be checked against an unknown type
		}
		if _, msg, ok := CoerceCustomValue(typ, x.Value.V); !ok {
			v.fail(k+".value", msg)
		}
	}
}

func (v *validator) dates(l List[DateInput]) {
	if !list(v, "dates_attributes", l) {
		return
	}
	for i, x := range l.V {
		k := "dates_attributes." + strconv.Itoa(i)
		if !v.element(k, x.Obj) {
			continue
		}
		if s, ok := v.reqStr(k+".date", x.Date, maxStr); ok {
			if _, ok := CanonicalDate(s); !ok {
				v.fail(k+".date", "is not a valid date.")
			}
		}
		for _, f := range []struct {
			key string
			s   Str
		}{
			{".name", x.Name}, {".handle", x.Handle}, {".type", x.Type}, {".relationship", x.Relationship},
			{".role", x.Role}, {".recurring_schedule", x.RecurringSchedule},
			{".description", x.Description}, {".note", x.Note},
		} {
			v.str(k+f.key, f.s, maxStr)
		}
		v.bool(k+".is_recurring", x.IsRecurring)
		if !list(v, k+".links", x.Links) {
			continue
		}
		for j, ln := range x.Links.V {
			lk := k + ".links." + strconv.Itoa(j)
			if !v.element(lk, ln.Obj) {
				continue
			}
			v.str(lk+".profile_id", ln.ProfileID, maxStr)
			v.str(lk+".relationship", ln.Relationship, maxStr)
			v.str(lk+".role", ln.Role, maxStr)
		}
	}
}

func (v *validator) addresses(l List[AddressInput]) {
	if !list(v, "addresses", l) {
		return
	}
	for i, x := range l.V {
		k := "addresses." + strconv.Itoa(i)
		if !v.element(k, x.Obj) {
			continue
		}
		v.reqStrUnless(x.ID != 0, k+".address_line_1", x.AddressLine1, maxStr)
		v.reqStrUnless(x.ID != 0, k+".city", x.City, maxStr)
		v.reqStrUnless(x.ID != 0, k+".postcode", x.Postcode, maxStr)
		v.reqStrUnless(x.ID != 0, k+".country", x.Country, maxStr)
		for _, f := range []struct {
			key string
			s   Str
		}{
			{".address_line_2", x.AddressLine2}, {".address_line_3", x.AddressLine3},
			{".company", x.Company}, {".state", x.State}, {".notes", x.Notes}, {".iso", x.ISO},
			{".iso_state", x.ISOState}, {".external_id", x.ExternalID},
		} {
			v.str(k+f.key, f.s, maxStr)
		}
		v.bool(k+".is_default", x.IsDefault)
	}
}

func (v *validator) regions(l List[RegionLinkInput]) {
	if !list(v, "regions", l) {
		return
	}
	for i, x := range l.V {
		k := "regions." + strconv.Itoa(i)
		if !v.element(k, x.Obj) {
			continue
		}
		if id, ok := v.reqInt(k+".region_id", x.RegionID); ok && id < 1 {
			v.fail(k+".region_id", "must be at least 1.")
		}
		v.str(k+".handle", x.Handle, maxStr)
		v.str(k+".country", x.Country, maxStr)
		v.str(k+".state", x.State, maxStr)
		v.bool(k+".is_active", x.IsActive)
	}
}

func (v *validator) organisations(l List[OrganisationInput]) {
	if !list(v, "organisations", l) {
		return
	}
	for i, x := range l.V {
		k := "organisations." + strconv.Itoa(i)
		if !v.element(k, x.Obj) {
			continue
		}
		v.reqInt(k+".id", x.ID)
		v.int(k+".role_definition_id", x.RoleDefinitionID)
		v.dateTime(k+".expires_at", x.ExpiresAt)
		v.bool(k+".is_active", x.IsActive)
	}
}

// comms checks the known keys of a comms object (spec §4.5); others are
// ignored, as Laravel keeps only validated keys.
func (v *validator) comms(prefix string, m Map) {
	for _, key := range m.Keys {
		raw := m.V[key]
		k := prefix + "." + key
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
	for _, key := range m.Keys {
		if !appearanceKnown[key] {
			continue
		}
		k := prefix + "." + key
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
	switch bytes.TrimSpace(a.Appearance.V)[0] {
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
