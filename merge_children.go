package clientele

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
)

// The collection rules of Merge (spec §4.1). Each upserts by its key: an
// element whose key matches an existing child updates the fields sent, any
// other is appended. A child is "changed" when it differs in anything but
// its timestamps; only then does its UpdatedAt move.

// identities upserts by (handle, identifier). is_active defaults to true on
// a new identity (spec §4.2); is_primary true clears it on every other
// identity of the profile (the last one sent with true wins).
func (m *merger) identities(l List[IdentityInput]) {
	if !l.Set || l.Null || l.Bad {
		return
	}
	p := m.p
	primary := -1
	for _, x := range l.V {
		h, _ := x.Handle.Value()
		v, _ := x.Identifier.Value()
		h, v = strings.TrimSpace(h), strings.TrimSpace(v)
		i := slices.IndexFunc(p.Identities, func(id Identity) bool { return identityMatches(id, x) })
		switch {
		case i < 0 && x.ID != 0:
			continue // the identity it names is gone; the caller reports that
		case x.ID != 0:
			// A rename: the fields sent replace the identity's key.
			next := p.Identities[i]
			if x.Handle.Set {
				next.Handle = h
			}
			if x.Identifier.Set {
				next.Identifier = v
			}
			replaceChild(m, &p.Identities[i], next)
		case i < 0:
			p.Identities = append(p.Identities, Identity{
				ProfileID: p.ID, Handle: h, Identifier: v, IsActive: true,
				CreatedAt: m.now, UpdatedAt: m.now,
			})
			i = len(p.Identities) - 1
			m.changed = true
		}
		id := &p.Identities[i]
		next := *id
		if b, ok := optBool(x.IsActive); ok {
			next.IsActive = b
		}
		if b, ok := optBool(x.IsPrimary); ok {
			next.IsPrimary = b
			if b {
				primary = i
			}
		}
		replaceChild(m, id, next)
	}
	if primary < 0 {
		return
	}
	for j := range p.Identities {
		if j != primary && p.Identities[j].IsPrimary {
			next := p.Identities[j]
			next.IsPrimary = false
			replaceChild(m, &p.Identities[j], next)
		}
	}
}

// identityMatches is the key an identity input upserts by: the identity it
// targets (a PUT by id or handle), else its (handle, identifier).
func identityMatches(id Identity, x IdentityInput) bool {
	if x.ID != 0 {
		return id.ID == x.ID
	}
	h, _ := x.Handle.Value()
	v, _ := x.Identifier.Value()
	return id.Handle == strings.TrimSpace(h) && id.Identifier == strings.TrimSpace(v)
}

// customAttributes upserts by namespace:handle; the value is stored as the
// JSON its type coerces it to (CoerceCustomValue), and a missing type is
// "string" (spec §4.3).
func (m *merger) customAttributes(l List[CustomAttributeInput]) {
	if !l.Set || l.Null || l.Bad {
		return
	}
	p := m.p
	for _, x := range l.V {
		ns, _ := x.Namespace.Value()
		h, _ := x.Handle.Value()
		ns, h = strings.TrimSpace(ns), strings.TrimSpace(h)
		typ := "string"
		if t, ok := x.Type.Value(); ok && strings.TrimSpace(t) != "" {
			typ = t
		}
		val, _, ok := CoerceCustomValue(typ, x.Value.V)
		if !ok {
			continue // refused by validation
		}
		i := -1
		for j := range p.CustomAttributes {
			if p.CustomAttributes[j].Namespace == ns && p.CustomAttributes[j].Handle == h {
				i = j
				break
			}
		}
		if i < 0 {
			p.CustomAttributes = append(p.CustomAttributes, CustomAttribute{
				Namespace: ns, Handle: h, Type: typ, Value: val, CreatedAt: m.now, UpdatedAt: m.now,
			})
			m.changed = true
			continue
		}
		next := p.CustomAttributes[i]
		next.Type, next.Value = typ, val
		replaceChild(m, &p.CustomAttributes[i], next)
	}
}

// dates upserts by (handle, relationship), where a missing handle or
// relationship matches only another missing one.
func (m *merger) dates(l List[DateInput]) {
	if !l.Set || l.Null || l.Bad {
		return
	}
	p := m.p
	for _, x := range l.V {
		i := slices.IndexFunc(p.Dates, func(d DateAttribute) bool { return dateMatches(d, x) })
		var next DateAttribute
		if i >= 0 {
			next = cloneDate(p.Dates[i])
		}
		if d, ok := x.Date.Value(); ok {
			if c, ok := CanonicalDate(d); ok {
				next.Date = c
			}
		}
		for _, f := range []struct {
			dst **string
			s   Str
		}{
			{&next.Name, x.Name}, {&next.Handle, x.Handle}, {&next.Type, x.Type},
			{&next.Relationship, x.Relationship}, {&next.Role, x.Role},
			{&next.RecurringSchedule, x.RecurringSchedule}, {&next.Description, x.Description},
			{&next.Note, x.Note},
		} {
			if v, set := optStr(f.s, nil); set {
				*f.dst = v
			}
		}
		if b, ok := optBool(x.IsRecurring); ok {
			next.IsRecurring = b
		}
		if x.Meta.Set {
			next.Meta = compactRaw(x.Meta)
		}
		if x.Links.Set && !x.Links.Bad {
			next.Links = nil
			for _, ln := range x.Links.V {
				pid, _ := optStr(ln.ProfileID, nil)
				rel, _ := optStr(ln.Relationship, nil)
				role, _ := optStr(ln.Role, nil)
				next.Links = append(next.Links, DateLink{ProfileID: pid, Relationship: rel, Role: role})
			}
		}
		if i < 0 {
			next.CreatedAt, next.UpdatedAt = m.now, m.now
			p.Dates = append(p.Dates, next)
			m.changed = true
			continue
		}
		replaceChild(m, &p.Dates[i], next)
	}
}

// addresses updates the address whose external_id matches an item's, and
// appends the others. is_default true clears the flag on every other
// address (the last one sent with true wins); a new address is not the
// default unless it says so (spec §9.1).
func (m *merger) addresses(l List[AddressInput]) {
	if !l.Set || l.Null || l.Bad {
		return
	}
	p := m.p
	def := -1
	for _, x := range l.V {
		i := slices.IndexFunc(p.Addresses, func(a Address) bool { return addressMatches(a, x) })
		if i < 0 && x.ID != 0 {
			continue // the address it names is gone; the caller reports that
		}
		var next Address
		if i >= 0 {
			next = cloneAddress(p.Addresses[i])
		}
		for _, f := range []struct {
			dst *string
			s   Str
		}{
			{&next.AddressLine1, x.AddressLine1}, {&next.City, x.City},
			{&next.Postcode, x.Postcode}, {&next.Country, x.Country},
		} {
			if v, ok := f.s.Value(); ok {
				*f.dst = v
			}
		}
		for _, f := range []struct {
			dst **string
			s   Str
		}{
			{&next.AddressLine2, x.AddressLine2}, {&next.AddressLine3, x.AddressLine3},
			{&next.Company, x.Company}, {&next.State, x.State}, {&next.Notes, x.Notes},
			{&next.ISO, x.ISO}, {&next.ISOState, x.ISOState}, {&next.ExternalID, x.ExternalID},
		} {
			if v, set := optStr(f.s, nil); set {
				*f.dst = v
			}
		}
		if b, ok := optBool(x.IsDefault); ok {
			next.IsDefault = b
		}
		if x.Meta.Set {
			next.Meta = compactRaw(x.Meta)
		}
		if i < 0 {
			next.CreatedAt, next.UpdatedAt = m.now, m.now
			p.Addresses = append(p.Addresses, next)
			i = len(p.Addresses) - 1
			m.changed = true
		} else {
			replaceChild(m, &p.Addresses[i], next)
		}
		if b, ok := optBool(x.IsDefault); ok && b {
			def = i
		}
	}
	if def < 0 {
		return
	}
	for j := range p.Addresses {
		if j != def && p.Addresses[j].IsDefault {
			next := cloneAddress(p.Addresses[j])
			next.IsDefault = false
			replaceChild(m, &p.Addresses[j], next)
		}
	}
}

// dateMatches is the key a date input upserts by: (handle, relationship),
// where a missing one matches only another missing one.
func dateMatches(d DateAttribute, x DateInput) bool {
	h, _ := optStr(x.Handle, nil)
	r, _ := optStr(x.Relationship, nil)
	return eqPtr(d.Handle, h) && eqPtr(d.Relationship, r)
}

// addressMatches is the key an address input upserts by: the address it
// targets (a PUT by id), else its non-blank external_id.
func addressMatches(a Address, x AddressInput) bool {
	if x.ID != 0 {
		return a.ID == x.ID
	}
	ext, _ := optStr(x.ExternalID, nil)
	return ext != nil && eqPtr(a.ExternalID, ext)
}

// regions upserts profile region links by region_id; is_active defaults to
// true on a new link (spec §9.2).
func (m *merger) regions(l List[RegionLinkInput]) {
	if !l.Set || l.Null || l.Bad {
		return
	}
	p := m.p
	for _, x := range l.V {
		id, ok := optInt(x.RegionID)
		if !ok || id == nil {
			continue // refused by validation
		}
		i := -1
		for j := range p.Regions {
			if p.Regions[j].RegionID == *id {
				i = j
				break
			}
		}
		next := ProfileRegion{RegionID: *id, IsActive: true}
		if i >= 0 {
			next = p.Regions[i]
		}
		for _, f := range []struct {
			dst **string
			s   Str
		}{{&next.Handle, x.Handle}, {&next.Country, x.Country}, {&next.State, x.State}} {
			if v, set := optStr(f.s, nil); set {
				*f.dst = v
			}
		}
		if b, ok := optBool(x.IsActive); ok {
			next.IsActive = b
		}
		if i < 0 {
			p.Regions = append(p.Regions, next)
			m.changed = true
		} else if !reflect.DeepEqual(p.Regions[i], next) {
			p.Regions[i] = next
			m.changed = true
		}
	}
}

// comms merges the known keys sent. A key is stored only when its value
// differs from what the profile shows now (the stored value, else the
// default), so re-sending a default is not a change.
func (m *merger) comms(in Map) {
	for _, key := range in.Keys {
		raw := in.V[key]
		var v any
		switch commsKind[key] {
		case 'b':
			var b Bool
			_ = b.UnmarshalJSON(raw)
			if b.Bad {
				continue
			}
			if !b.Null {
				v = b.V
			}
		case 'v':
			var s Str
			_ = s.UnmarshalJSON(raw)
			if s.Bad || s.Null {
				continue
			}
			v = s.V
		case 't', 's':
			var s Str
			_ = s.UnmarshalJSON(raw)
			canon := (func(string) string)(nil)
			if commsKind[key] == 't' {
				canon = func(s string) string { c, _ := CanonicalDateTime(s); return c }
			}
			sv, set := optStr(s, canon)
			if !set {
				continue
			}
			if sv != nil {
				v = *sv
			}
		default:
			continue
		}
		cur, ok := m.p.Comms[key]
		if !ok {
			cur = CommsDefault(key)
		}
		if cur == v {
			continue
		}
		if m.p.Comms == nil {
			m.p.Comms = map[string]any{}
		}
		m.p.Comms[key] = v
		m.changed = true
	}
}

// appearance merges the known keys sent; blank strings count as null.
func (m *merger) appearance(in Map) {
	for _, key := range in.Keys {
		if !appearanceKnown[key] {
			continue
		}
		v, ok := appearanceValue(in.V[key])
		if !ok {
			continue
		}
		if v != nil && strings.TrimSpace(*v) == "" {
			v = nil
		}
		if eqPtr(m.p.Appearance[key], v) {
			continue
		}
		if m.p.Appearance == nil {
			m.p.Appearance = map[string]*string{}
		}
		m.p.Appearance[key] = v
		m.changed = true
	}
}

// attributes applies the seed's attributes{comms, appearance}: comms as
// comms_attributes, an appearance object as appearance_attributes, and an
// appearance array verbatim in Extra["attributes.appearance"].
func (m *merger) attributes(a AttributesInput) {
	if !a.Set || a.Obj.Bad {
		return
	}
	if a.Comms.Set && !a.Comms.Null && !a.Comms.Bad {
		m.comms(a.Comms)
	}
	if !a.Appearance.Set || a.Appearance.Null {
		return
	}
	raw := bytes.TrimSpace(a.Appearance.V)
	switch raw[0] {
	case '{':
		var am Map
		_ = am.UnmarshalJSON(raw)
		m.appearance(am)
	case '[':
		m.extra("attributes.appearance", compactRaw(a.Appearance))
	}
}

// replaceChild stores next over *cur when they differ in anything but
// timestamps, and then moves next's UpdatedAt to now. next starts as a copy
// of *cur, so its timestamps are cur's. JSON fields that are equal as JSON
// keep cur's bytes: a store may hand them back reformatted (PostgreSQL
// jsonb adds spaces and reorders keys), which must not count as a change.
func replaceChild[T Identity | CustomAttribute | DateAttribute | Address](m *merger, cur *T, next T) {
	switch c := any(cur).(type) {
	case *CustomAttribute:
		n := any(&next).(*CustomAttribute)
		if jsonEqual(c.Value, n.Value) {
			n.Value = c.Value
		}
	case *DateAttribute:
		n := any(&next).(*DateAttribute)
		if jsonEqual(c.Meta, n.Meta) {
			n.Meta = c.Meta
		}
		if len(c.Links) == 0 && len(n.Links) == 0 {
			n.Links = c.Links
		}
	case *Address:
		n := any(&next).(*Address)
		if jsonEqual(c.Meta, n.Meta) {
			n.Meta = c.Meta
		}
	}
	if sameChild(cur, &next) {
		return
	}
	switch n := any(&next).(type) {
	case *Identity:
		n.UpdatedAt = m.now
	case *CustomAttribute:
		n.UpdatedAt = m.now
	case *DateAttribute:
		n.UpdatedAt = m.now
	case *Address:
		n.UpdatedAt = m.now
	}
	*cur = next
	m.changed = true
}

// jsonEqual reports whether a and b hold the same JSON value, whatever
// their formatting or key order; empty and "null" are both null.
func jsonEqual(a, b json.RawMessage) bool {
	a, b = bytes.TrimSpace(a), bytes.TrimSpace(b)
	if len(a) == 0 {
		a = json.RawMessage("null")
	}
	if len(b) == 0 {
		b = json.RawMessage("null")
	}
	if bytes.Equal(a, b) {
		return true
	}
	if isScalar(a) && isScalar(b) {
		// Decoding is for containers (key order, spacing). Scalars differ
		// in bytes but not in value only when both are strings written
		// with different escapes; json.Number keeps a number's text, so
		// numbers, true, false and null are equal only as bytes.
		if a[0] != '"' || b[0] != '"' {
			return false
		}
		sa, okA := unquote(a)
		sb, okB := unquote(b)
		return okA && okB && sa == sb
	}
	var va, vb any
	da, db := json.NewDecoder(bytes.NewReader(a)), json.NewDecoder(bytes.NewReader(b))
	da.UseNumber()
	db.UseNumber()
	if da.Decode(&va) != nil || db.Decode(&vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// compactRaw is the stored form of a free JSON value: nil for null, else
// compacted, so that re-sending the same value compares equal.
func compactRaw(r Raw) json.RawMessage {
	if r.Null || len(r.V) == 0 {
		return nil
	}
	var buf bytes.Buffer
	if json.Compact(&buf, r.V) != nil {
		return cloneRaw(r.V)
	}
	return buf.Bytes()
}

// isScalar reports whether the JSON value b (trimmed, non-empty) is neither
// an object nor an array.
func isScalar(b []byte) bool { return b[0] != '{' && b[0] != '[' }
