package clientele

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The reading half of the profile doc format (profiledoc.go).

// UnmarshalProfileDoc decodes a doc written by MarshalProfileDoc into the
// non-column fields of p, leaving the column fields and Identities alone.
// Members it does not know are skipped, so that a newer doc still reads.
func UnmarshalProfileDoc(b []byte, p *Profile) error {
	*p = Profile{ID: p.ID, Email: p.Email, MobilePhone: p.MobilePhone, FirstName: p.FirstName,
		LastName: p.LastName, ProfileType: p.ProfileType, CreatedAt: p.CreatedAt,
		UpdatedAt: p.UpdatedAt, Version: p.Version, Identities: p.Identities}
	r := docReader{b: b, s: string(b)}
	if r.peek() != '{' {
		return fmt.Errorf("profile doc: not a JSON object")
	}
	r.object(func(key string) {
		switch key {
		case "title":
			p.Title = r.strPtr()
		case "gender":
			p.Gender = r.strPtr()
		case "currency":
			p.Currency = r.strPtr()
		case "joined_at":
			p.JoinedAt = r.strPtr()
		case "secondary_phone":
			p.SecondaryPhone = r.strPtr()
		case "birth_day":
			p.BirthDay = r.intPtr()
		case "birth_month":
			p.BirthMonth = r.intPtr()
		case "birth_year":
			p.BirthYear = r.intPtr()
		case "company":
			p.Company = r.strPtr()
		case "occupation":
			p.Occupation = r.strPtr()
		case "avatar_url":
			p.AvatarURL = r.strPtr()
		case "joined_location_id":
			p.JoinedLocationID = r.int64Ptr()
		case "preferred_location_id":
			p.PreferredLocationID = r.int64Ptr()
		case "tags":
			p.Tags = docList(&r, r.str)
		case "statuses":
			p.Statuses = docList(&r, r.str)
		case "custom_attributes":
			p.CustomAttributes = docList(&r, r.customAttribute)
		case "dates":
			p.Dates = docList(&r, r.date)
		case "addresses":
			p.Addresses = docList(&r, r.address)
		case "regions":
			p.Regions = docList(&r, r.region)
		case "comms":
			if r.null() {
				return
			}
			p.Comms = map[string]any{}
			r.object(func(k string) {
				switch c := r.peek(); {
				case r.null():
					p.Comms[k] = nil
				case c == 't' || c == 'f':
					p.Comms[k] = r.bool()
				case c == '"':
					p.Comms[k] = r.str()
				default:
					var v any
					r.fail(json.Unmarshal(r.raw(), &v))
					p.Comms[k] = v
				}
			})
		case "appearance":
			if r.null() {
				return
			}
			p.Appearance = map[string]*string{}
			r.object(func(k string) { p.Appearance[k] = r.strPtr() })
		case "extra":
			if r.null() {
				return
			}
			p.Extra = map[string]json.RawMessage{}
			r.object(func(k string) { p.Extra[k] = r.raw() })
		default:
			r.raw()
		}
	})
	if r.err != nil {
		return fmt.Errorf("profile doc: %w", r.err)
	}
	return nil
}

// docReader reads a doc in one pass. Strings without escapes are cut out of
// one string copy of the doc (s) and raw values out of one byte copy (buf),
// instead of being allocated one by one. On malformed input it records an
// error and stops advancing.
type docReader struct {
	b    []byte
	s    string
	buf  []byte   // a copy of b for raw values, made on first use
	strs []string // where strPtr's strings live, a block at a time
	i    int
	err  error
}

func (r *docReader) fail(err error) {
	if err != nil && r.err == nil {
		r.err = err
		r.i = len(r.b)
	}
}

// peek returns the next byte that is not white space, or 0 at the end.
func (r *docReader) peek() byte {
	r.i = skipSpace(r.b, r.i)
	if r.i >= len(r.b) {
		return 0
	}
	return r.b[r.i]
}

func (r *docReader) expect(c byte) bool {
	if r.peek() != c {
		r.fail(fmt.Errorf("want %q at byte %d", c, r.i))
		return false
	}
	r.i++
	return true
}

// object calls member for each member of the object at the cursor, after
// its key; member must read the value.
func (r *docReader) object(member func(key string)) {
	if !r.expect('{') {
		return
	}
	if r.peek() == '}' {
		r.i++
		return
	}
	for r.err == nil {
		key := r.str()
		if !r.expect(':') {
			return
		}
		member(key)
		if r.peek() == ',' {
			r.i++
			continue
		}
		r.expect('}')
		return
	}
}

// docList reads an array with one per element; null is a nil list.
func docList[T any](r *docReader, one func() T) []T {
	if r.null() || !r.expect('[') {
		return nil
	}
	out := make([]T, 0, 4)
	if r.peek() == ']' {
		r.i++
		return out
	}
	for r.err == nil {
		out = append(out, one())
		if r.peek() == ',' {
			r.i++
			continue
		}
		r.expect(']')
		break
	}
	return out
}

// null consumes a null at the cursor and reports whether there was one.
func (r *docReader) null() bool {
	if r.peek() == 'n' {
		r.raw()
		return true
	}
	return false
}

func (r *docReader) str() string {
	if r.peek() != '"' {
		r.fail(fmt.Errorf("want a string at byte %d", r.i))
		return ""
	}
	start, ascii := r.i, true
	for j := start + 1; j < len(r.b); j++ {
		c := r.b[j]
		if c == '"' {
			r.i = j + 1
			if ascii || utf8.Valid(r.b[start+1:j]) {
				return r.s[start+1 : j]
			}
			break
		}
		if c == '\\' || c < 0x20 {
			break
		}
		ascii = ascii && c < utf8.RuneSelf
	}
	// Escapes (or invalid UTF-8, which decodes to U+FFFD): the slow way.
	r.i = skipString(r.b, start)
	s, ok := unquote(r.b[start:r.i])
	if !ok {
		r.fail(fmt.Errorf("bad string at byte %d", start))
	}
	return s
}

// strPtr reads a nullable string. The strings live in blocks, one
// allocation for many pointers: a block that fills up is left to the
// pointers into it and a new one started, so no pointer ever moves.
func (r *docReader) strPtr() *string {
	if r.null() {
		return nil
	}
	if len(r.strs) == cap(r.strs) {
		r.strs = make([]string, 0, 16)
	}
	r.strs = append(r.strs, r.str())
	return &r.strs[len(r.strs)-1]
}

func (r *docReader) int() int64 {
	r.peek()
	start := r.i
	for r.i < len(r.b) && (r.b[r.i] == '-' || r.b[r.i] >= '0' && r.b[r.i] <= '9') {
		r.i++
	}
	n, err := strconv.ParseInt(r.s[start:r.i], 10, 64)
	r.fail(err)
	return n
}

func (r *docReader) intPtr() *int {
	if r.null() {
		return nil
	}
	n := int(r.int())
	return &n
}

func (r *docReader) int64Ptr() *int64 {
	if r.null() {
		return nil
	}
	n := r.int()
	return &n
}

func (r *docReader) bool() bool {
	switch {
	case strings.HasPrefix(r.s[r.i:], "true"):
		r.i += 4
		return true
	case strings.HasPrefix(r.s[r.i:], "false"):
		r.i += 5
	default:
		r.fail(fmt.Errorf("want a boolean at byte %d", r.i))
	}
	return false
}

func (r *docReader) time() time.Time {
	if us := r.int(); us != 0 {
		return time.UnixMicro(us).UTC()
	}
	return time.Time{}
}

// raw reads any value and returns its bytes (null included, as
// encoding/json does for a json.RawMessage).
func (r *docReader) raw() json.RawMessage {
	r.peek()
	start := r.i
	r.i = skipValue(r.b, start)
	if r.i == start {
		r.fail(fmt.Errorf("want a value at byte %d", start))
		return nil
	}
	if r.buf == nil {
		r.buf = slices.Clone(r.b)
	}
	return json.RawMessage(r.buf[start:r.i:r.i])
}

func (r *docReader) customAttribute() CustomAttribute {
	var a CustomAttribute
	r.object(func(k string) {
		switch k {
		case "id":
			a.ID = r.int()
		case "namespace":
			a.Namespace = r.str()
		case "handle":
			a.Handle = r.str()
		case "type":
			a.Type = r.str()
		case "value":
			a.Value = r.raw()
		case "created_at":
			a.CreatedAt = r.time()
		case "updated_at":
			a.UpdatedAt = r.time()
		default:
			r.raw()
		}
	})
	return a
}

func (r *docReader) date() DateAttribute {
	var a DateAttribute
	r.object(func(k string) {
		switch k {
		case "id":
			a.ID = r.int()
		case "date":
			a.Date = r.str()
		case "name":
			a.Name = r.strPtr()
		case "handle":
			a.Handle = r.strPtr()
		case "type":
			a.Type = r.strPtr()
		case "relationship":
			a.Relationship = r.strPtr()
		case "role":
			a.Role = r.strPtr()
		case "is_recurring":
			a.IsRecurring = r.bool()
		case "recurring_schedule":
			a.RecurringSchedule = r.strPtr()
		case "description":
			a.Description = r.strPtr()
		case "note":
			a.Note = r.strPtr()
		case "meta":
			a.Meta = r.raw()
		case "links":
			a.Links = docList(r, r.dateLink)
		case "created_at":
			a.CreatedAt = r.time()
		case "updated_at":
			a.UpdatedAt = r.time()
		default:
			r.raw()
		}
	})
	return a
}

func (r *docReader) dateLink() DateLink {
	var l DateLink
	r.object(func(k string) {
		switch k {
		case "profile_id":
			l.ProfileID = r.strPtr()
		case "relationship":
			l.Relationship = r.strPtr()
		case "role":
			l.Role = r.strPtr()
		default:
			r.raw()
		}
	})
	return l
}

func (r *docReader) address() Address {
	var a Address
	r.object(func(k string) {
		switch k {
		case "id":
			a.ID = r.int()
		case "address_line_1":
			a.AddressLine1 = r.str()
		case "address_line_2":
			a.AddressLine2 = r.strPtr()
		case "address_line_3":
			a.AddressLine3 = r.strPtr()
		case "company":
			a.Company = r.strPtr()
		case "city":
			a.City = r.str()
		case "state":
			a.State = r.strPtr()
		case "postcode":
			a.Postcode = r.str()
		case "country":
			a.Country = r.str()
		case "notes":
			a.Notes = r.strPtr()
		case "iso":
			a.ISO = r.strPtr()
		case "iso_state":
			a.ISOState = r.strPtr()
		case "external_id":
			a.ExternalID = r.strPtr()
		case "is_default":
			a.IsDefault = r.bool()
		case "meta":
			a.Meta = r.raw()
		case "created_at":
			a.CreatedAt = r.time()
		case "updated_at":
			a.UpdatedAt = r.time()
		default:
			r.raw()
		}
	})
	return a
}

func (r *docReader) region() ProfileRegion {
	var x ProfileRegion
	r.object(func(k string) {
		switch k {
		case "region_id":
			x.RegionID = r.int()
		case "handle":
			x.Handle = r.strPtr()
		case "country":
			x.Country = r.strPtr()
		case "state":
			x.State = r.strPtr()
		case "is_active":
			x.IsActive = r.bool()
		default:
			r.raw()
		}
	})
	return x
}
