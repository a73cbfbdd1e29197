package clientele

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Region is a global region (spec §4.8, §9.3): a named, uniquely handled
// group of countries that profiles link to (ProfileRegion.RegionID).
type Region struct {
	ID     int64
	Name   string
	Handle string // unique among regions, compared without case
	// IsDefault is nil when it was never sent: a new region reads back
	// "is_default": null, not false (spec §11 #10).
	IsDefault *bool
	Countries []Country // in the order they were last sent
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Country is a country as a region embeds it (spec §4.8), known by its
// ISO 3166-1 alpha-2 code.
//
// DECISION: /countries is out of scope, so a country exists only through
// the regions that name it. Stores keep one row per ISO2 (created the first
// time a region names it), which gives a country one id across regions, as
// Omneo's global countries have; a /countries module can later fill the
// descriptive fields, which are nil until then (spec: "fill what you
// can"). A region links to its countries, it does not own them.
type Country struct {
	ID         int64
	ISO2       string // upper case
	Name       *string
	ISO3       *string
	ISONumeric *string
	SortOrder  *int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// RegionFilter selects and pages regions; nil means no filter. Handle and
// Name are equality filters that ignore case (spec §1.3).
type RegionFilter struct {
	Handle *string
	Name   *string
	Offset int
	Limit  int // 0 = all
}

// maxRegionText bounds name and handle (Laravel's usual string|max:255;
// the spec names no limit).
const maxRegionText = 255

// RegionInput is a decoded body of POST or PUT /regions (spec §9.3). Every
// field remembers whether it was sent, so that a PUT changes only what it
// names.
type RegionInput struct {
	Name      Str                      `json:"name"`
	Handle    Str                      `json:"handle"`
	IsDefault Bool                     `json:"is_default"`
	Countries List[RegionCountryInput] `json:"countries"`
}

// RegionCountryInput is an element of countries[]: {iso_2}. Other keys
// (the id, name, … of a country object sent back as read) are ignored.
type RegionCountryInput struct {
	Obj
	ISO2 Str `json:"iso_2"`
}

// UnmarshalJSON implements json.Unmarshaler; it never returns an error.
func (x *RegionCountryInput) UnmarshalJSON(b []byte) error {
	x.decodeValue(b)
	return nil
}

// decodeValue implements valueDecoder.
func (x *RegionCountryInput) decodeValue(b []byte) int {
	type plain RegionCountryInput
	return objectValue(b, (*plain)(x), &x.Bad)
}

// ParseRegionInput decodes and validates a region body; create requires
// name and handle. Strings are trimmed, as Laravel's TrimStrings middleware
// does, and ISO codes upper-cased. Errors: EMALFORMED when body is not
// JSON; EINVALID with Laravel keys (name, handle, is_default, countries,
// countries.N, countries.N.iso_2) otherwise.
func ParseRegionInput(body []byte, create bool) (*RegionInput, error) {
	if err := CheckJSON(body); err != nil {
		return nil, err
	}
	in := &RegionInput{}
	if b := bytes.TrimSpace(body); len(b) > 0 && b[0] == '{' {
		// Every field type is tolerant: decoding a valid object never fails.
		_ = json.Unmarshal(b, in)
	}
	in.Name.V = strings.TrimSpace(in.Name.V)
	in.Handle.V = strings.TrimSpace(in.Handle.V)

	var fe FieldErrors
	for _, f := range []struct {
		key string
		s   Str
	}{{"name", in.Name}, {"handle", in.Handle}} {
		switch {
		case f.s.Bad:
			fe.Add(f.key, "The "+f.key+" field must be a string.")
		case f.s.Set && (f.s.Null || f.s.V == ""), !f.s.Set && create:
			fe.Add(f.key, "The "+f.key+" field is required.")
		case utf8.RuneCountInString(f.s.V) > maxRegionText:
			fe.Add(f.key, "The "+f.key+" field must not be greater than 255 characters.")
		}
	}
	if in.IsDefault.Bad {
		fe.Add("is_default", "The is_default field must be true or false.")
	}
	switch {
	case in.Countries.Bad:
		fe.Add("countries", "The countries field must be an array.")
	case in.Countries.Set && !in.Countries.Null:
		for i := range in.Countries.V {
			c := &in.Countries.V[i]
			key := "countries." + strconv.Itoa(i)
			c.ISO2.V = strings.ToUpper(strings.TrimSpace(c.ISO2.V))
			switch {
			case c.Bad:
				fe.Add(key, "The "+key+" field must be an array.")
			case c.ISO2.Bad:
				fe.Add(key+".iso_2", "The "+key+".iso_2 field must be a string.")
			case !c.ISO2.Set || c.ISO2.Null || c.ISO2.V == "":
				fe.Add(key+".iso_2", "The "+key+".iso_2 field is required.")
			case !isISO2(c.ISO2.V):
				fe.Add(key+".iso_2", "The "+key+".iso_2 field must be 2 letters.")
			}
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return in, nil
}

// isISO2 reports whether s is two ASCII letters (already upper-cased).
func isISO2(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// NewRegion is the region a create request describes; is_default stays
// nil unless sent (spec §4.8).
func (in *RegionInput) NewRegion() Region {
	r := Region{Countries: []Country{}}
	in.Apply(&r)
	return r
}

// Apply sets the fields of r that in sent; the others stay as they are.
// Sent countries replace r's (spec §9.3): r keeps the entries whose ISO2 is
// sent again, with their ids, and gains the others, in the order sent; a
// code sent twice counts once. null clears the list.
func (in *RegionInput) Apply(r *Region) {
	if v, ok := in.Name.Value(); ok {
		r.Name = v
	}
	if v, ok := in.Handle.Value(); ok {
		r.Handle = v
	}
	if in.IsDefault.Set {
		r.IsDefault = nil
		if !in.IsDefault.Null {
			v := in.IsDefault.V
			r.IsDefault = &v
		}
	}
	if in.Countries.Set {
		old := map[string]Country{}
		for _, c := range r.Countries {
			old[c.ISO2] = c
		}
		next := []Country{}
		seen := map[string]bool{}
		for _, c := range in.Countries.V {
			if seen[c.ISO2.V] {
				continue
			}
			seen[c.ISO2.V] = true
			if o, ok := old[c.ISO2.V]; ok {
				next = append(next, o)
			} else {
				next = append(next, Country{ISO2: c.ISO2.V})
			}
		}
		r.Countries = next
	}
}

// CountryCodes lists the ISO2 codes of r's countries, in order.
func (r *Region) CountryCodes() []string {
	out := make([]string, len(r.Countries))
	for i, c := range r.Countries {
		out[i] = c.ISO2
	}
	return out
}

// ErrRegionHandleTaken is the error of a region handle another region
// holds (spec §9.3), as both stores report it.
func ErrRegionHandleTaken() error {
	return FieldErrors{"handle": {"The handle has already been taken."}}.Err()
}

// RegionsInIDOrder orders rs as ids lists them, each once: what a store's
// RegionsByIDs returns from the rows it found.
func RegionsInIDOrder(rs []Region, ids []int64) []Region {
	byID := make(map[int64]Region, len(rs))
	for _, r := range rs {
		byID[r.ID] = r
	}
	out := make([]Region, 0, len(rs))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			out = append(out, r)
			delete(byID, id)
		}
	}
	return out
}
