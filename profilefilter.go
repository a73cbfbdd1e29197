package clientele

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file holds the parts of ProfileFilter (store.go) that are more than
// a column comparison: time ranges, and the conditions on what a profile
// keeps in its doc (tags, custom attributes, region links), with the one definition of
// how they match that both stores apply.
//
// Tags and custom attributes live only in the profile doc (profiledoc.go),
// not in columns or side tables. DECISION: a store selects candidates with
// DocPatterns (LIKE patterns on the doc text, which every matching doc is
// sure to match) and keeps those MatchDoc accepts after decoding. An
// indexed side table (profile_tags, profile_attributes) would answer these
// filters without reading docs, but every profile the batch apply path
// writes would then pay extra rows and index entries, on the path whose
// target is 15k profiles/s; these filters are rare reads. The cost moves to
// the read: a doc filter reads every profile the other conditions and the
// patterns leave, so the patterns are made as narrow as they safely can be.

// Filter operators (spec §1.3): filter[field][op]=value.
const (
	OpEq  = "eq"
	OpGt  = "gt"
	OpGte = "gte"
	OpLt  = "lt"
	OpLte = "lte"
	OpIn  = "in"
)

// FilterOps are the operators of spec §1.3; OpIn takes a comma list.
var FilterOps = []string{OpEq, OpGt, OpGte, OpLt, OpLte, OpIn}

// TimeRange is the half-open range [From, Until) of times; a nil bound is
// open.
type TimeRange struct {
	From, Until *time.Time
}

// TimeCond is one operator filter on a time column: a time matches when it
// falls in one of Ranges.
type TimeCond struct {
	Ranges []TimeRange
}

// ParseTimeCond reads filter[created_at][op]=raw (op one of FilterOps). A
// value stands for the span it names at the precision it is written in,
// which is what the API shows (times to the second): "2024-05-01" is that
// whole day, "2024-05-01 10:00:00" that second. So eq is "within the
// span", gt "after it", gte "from its start", lt "before its start", lte
// "up to its end", and in is eq for any of a comma list. ok is false when
// a value is not a date or date-time (spec §1 input formats), or op is
// unknown.
func ParseTimeCond(op, raw string) (TimeCond, bool) {
	values := []string{raw}
	if op == OpIn {
		values = splitList(raw)
		if len(values) == 0 {
			return TimeCond{}, false
		}
	}
	var c TimeCond
	for _, v := range values {
		lo, hi, ok := timeSpan(v)
		if !ok {
			return TimeCond{}, false
		}
		switch op {
		case OpEq, OpIn:
			c.Ranges = append(c.Ranges, TimeRange{From: &lo, Until: &hi})
		case OpGt:
			c.Ranges = append(c.Ranges, TimeRange{From: &hi})
		case OpGte:
			c.Ranges = append(c.Ranges, TimeRange{From: &lo})
		case OpLt:
			c.Ranges = append(c.Ranges, TimeRange{Until: &lo})
		case OpLte:
			c.Ranges = append(c.Ranges, TimeRange{Until: &hi})
		default:
			return TimeCond{}, false
		}
	}
	return c, true
}

// timeSpan is the span an input date or date-time names: a day, or a
// second.
func timeSpan(s string) (lo, hi time.Time, ok bool) {
	s = strings.TrimSpace(s)
	t, ok := ParseDateTime(s)
	if !ok {
		return lo, hi, false
	}
	if len(s) == len(layoutDate) {
		return t, t.AddDate(0, 0, 1), true
	}
	lo = t.Truncate(time.Second)
	return lo, lo.Add(time.Second), true
}

// Match reports whether t falls in one of c's ranges.
func (c TimeCond) Match(t time.Time) bool {
	for _, r := range c.Ranges {
		if (r.From == nil || !t.Before(*r.From)) && (r.Until == nil || t.Before(*r.Until)) {
			return true
		}
	}
	return false
}

// splitList splits a comma list, trimming items and dropping empty ones.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// SplitFilterList is splitList for the API's [in] values.
func SplitFilterList(s string) []string { return splitList(s) }

// TagHandle is the stored form of a tag sent as s: trimmed, spaces as "-"
// (spec §4.1), as merge stores tags; a filter on tags.handle compares this.
func TagHandle(s string) string {
	return strings.ReplaceAll(strings.TrimSpace(s), " ", "-")
}

// AttributeCond is one condition of spec §8.1: the profile has the custom
// attribute Namespace:Handle and its value satisfies Op against Values
// (one value, or the in list). Namespace and handle are keys, so they match
// exactly, as the sub-resource path addresses them.
//
// Values compare exactly (spec §8.1), by the stored value's JSON type: a
// string equals the text as sent, byte for byte; a number equals a numeric
// text of the same number (7 = "7" = "7.0"); a boolean equals "true" or
// "false" (or "1" or "0", as §1.3's boolean filters); an object or array
// equals its JSON text, white space aside; null equals nothing. gt, gte, lt
// and lte compare numbers numerically, and strings numerically when both
// sides are numbers, byte-wise otherwise (ISO dates order correctly);
// booleans, objects, arrays and null never satisfy them.
type AttributeCond struct {
	Namespace string
	Handle    string
	Op        string
	Values    []string
}

// Match reports whether value (stored JSON) satisfies c's operator.
func (c AttributeCond) Match(value json.RawMessage) bool {
	switch c.Op {
	case OpEq, OpIn:
		for _, v := range c.Values {
			if attrEqual(value, v) {
				return true
			}
		}
		return false
	case OpGt, OpGte, OpLt, OpLte:
		if len(c.Values) != 1 {
			return false
		}
		cmp, ok := attrCompare(value, c.Values[0])
		if !ok {
			return false
		}
		switch c.Op {
		case OpGt:
			return cmp > 0
		case OpGte:
			return cmp >= 0
		case OpLt:
			return cmp < 0
		default:
			return cmp <= 0
		}
	}
	return false
}

// attrEqual is AttributeCond's equality of a stored value and a sent text.
func attrEqual(value json.RawMessage, q string) bool {
	value = bytes.TrimSpace(value)
	if len(value) == 0 {
		return false
	}
	switch value[0] {
	case '"':
		var s string
		return json.Unmarshal(value, &s) == nil && s == q
	case 't':
		return q == "true" || q == "1"
	case 'f':
		return q == "false" || q == "0"
	case 'n':
		return false
	case '{', '[':
		var buf bytes.Buffer
		if json.Compact(&buf, []byte(q)) != nil {
			return false
		}
		var stored bytes.Buffer
		if json.Compact(&stored, value) != nil {
			return false
		}
		return bytes.Equal(buf.Bytes(), stored.Bytes())
	default:
		cmp, ok := compareNumbers(string(value), q)
		return ok && cmp == 0
	}
}

// attrCompare orders a stored value against a sent text; ok is false when
// they do not compare.
func attrCompare(value json.RawMessage, q string) (int, bool) {
	value = bytes.TrimSpace(value)
	if len(value) == 0 {
		return 0, false
	}
	switch value[0] {
	case '"':
		var s string
		if json.Unmarshal(value, &s) != nil {
			return 0, false
		}
		if cmp, ok := compareNumbers(s, q); ok {
			return cmp, true
		}
		return strings.Compare(s, q), true
	case 't', 'f', 'n', '{', '[':
		return 0, false
	default:
		return compareNumbers(string(value), q)
	}
}

// compareNumbers orders two numeric texts: as integers when both are
// (exact beyond float precision), else as floats. ok is false when either
// is not a number.
func compareNumbers(a, b string) (int, bool) {
	a, b = strings.TrimSpace(a), strings.TrimSpace(b)
	if x, err := strconv.ParseInt(a, 10, 64); err == nil {
		if y, err := strconv.ParseInt(b, 10, 64); err == nil {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	}
	x, err1 := strconv.ParseFloat(a, 64)
	y, err2 := strconv.ParseFloat(b, 64)
	if err1 != nil || err2 != nil || x != x || y != y { // x != x: NaN
		return 0, false
	}
	switch {
	case x < y:
		return -1, true
	case x > y:
		return 1, true
	}
	return 0, true
}

// HasDocConds reports whether f has conditions on the profile doc, which a
// store checks with MatchDoc after decoding (see the top of this file).
func (f *ProfileFilter) HasDocConds() bool {
	return len(f.TagHandles) > 0 || len(f.Attributes) > 0 || len(f.RegionIDs) > 0
}

// MatchDoc reports whether p satisfies f's doc conditions: one of its tags
// is one of TagHandles, ignoring case (spec §1.3), and every attribute
// condition holds.
func (f *ProfileFilter) MatchDoc(p *Profile) bool {
	if len(f.TagHandles) > 0 {
		found := false
		for _, want := range f.TagHandles {
			want = strings.ToLower(TagHandle(want))
			for _, tag := range p.Tags {
				if strings.ToLower(tag) == want {
					found = true
					break
				}
			}
		}
		if !found {
			return false
		}
	}
	if len(f.RegionIDs) > 0 && !slices.ContainsFunc(p.Regions, func(r ProfileRegion) bool {
		return slices.Contains(f.RegionIDs, r.RegionID)
	}) {
		return false
	}
	for _, c := range f.Attributes {
		found := false
		for _, a := range p.CustomAttributes {
			if a.Namespace == c.Namespace && a.Handle == c.Handle {
				found = c.Match(a.Value)
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// DocPattern is a condition on the stored doc text: it matches one of Any,
// SQL LIKE patterns with % and _ as wildcards and no escape character.
// FoldCase patterns must be compared ignoring (at least ASCII) case;
// others may be either way. Patterns never contain a backslash, so a
// dialect whose LIKE escapes with one reads them the same.
type DocPattern struct {
	Any      []string
	FoldCase bool
}

// DocPatterns are the patterns every doc MatchDoc accepts matches (all of
// them), for a store to narrow its candidates before decoding. They rely
// on the doc format of profiledoc.go: a tag is a JSON string element of
// "tags", and a custom attribute an object whose keys start
// "namespace":…,"handle":…, followed (after its type) by its value.
// TestDocPatternsMatchDocs holds them to that format.
func (f *ProfileFilter) DocPatterns() []DocPattern {
	var out []DocPattern
	if len(f.TagHandles) > 0 {
		p := DocPattern{FoldCase: true}
		for _, t := range f.TagHandles {
			p.Any = append(p.Any, `%"`+likeText(TagHandle(t))+`"%`)
		}
		out = append(out, p)
	}
	for _, c := range f.Attributes {
		key := `%"namespace":"` + likeText(c.Namespace) + `","handle":"` + likeText(c.Handle) + `",%`
		p := DocPattern{Any: []string{key}}
		if (c.Op == OpEq || c.Op == OpIn) && len(c.Values) > 0 {
			// The value's text follows the key in the doc when it is sent
			// as stored; numbers, booleans and JSON texts may be written
			// otherwise (7.0 for 7, 1 for true, other spacing), so only
			// plain strings narrow the pattern.
			var withValue []string
			for _, v := range c.Values {
				if !plainString(v) {
					withValue = nil
					break
				}
				withValue = append(withValue, key+likeText(v)+`%`)
			}
			if withValue != nil {
				p.Any = withValue
			}
		}
		out = append(out, p)
	}
	if len(f.RegionIDs) > 0 {
		// A link's region_id is written as a plain integer; the pattern
		// for 5 also lets 50 through, which MatchDoc then turns away.
		p := DocPattern{}
		for _, id := range f.RegionIDs {
			p.Any = append(p.Any, `%"region_id":`+strconv.FormatInt(id, 10)+`%`)
		}
		out = append(out, p)
	}
	return out
}

// plainString reports whether v, sent as an attribute value, can only
// equal a stored JSON string whose text contains v's likeText: not a
// number, boolean text or JSON text.
func plainString(v string) bool {
	if _, ok := compareNumbers(v, "0"); ok {
		return false
	}
	switch v {
	case "true", "false", "":
		return false
	}
	t := strings.TrimSpace(v)
	return t == "" || (t[0] != '{' && t[0] != '[')
}

// likeText is s as part of a LIKE pattern that the JSON encoding of s (as
// profiledoc.go or marshalString writes it) is sure to match: ASCII letters,
// digits and punctuation that JSON writes as is stay; anything JSON may
// escape (quotes, backslashes, controls, <>& for encoders that escape
// HTML, non-ASCII) and LIKE's own % become %, which matches them whatever
// their encoding, and whatever a case-folding LIKE makes of non-ASCII.
// _ stays: as a wildcard it still matches itself.
func likeText(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9',
			strings.IndexByte(" !#$'()*+,-./:;=?@[]^_`{|}~", c) >= 0:
			b.WriteByte(c)
		default:
			if !strings.HasSuffix(b.String(), "%") {
				b.WriteByte('%')
			}
		}
	}
	return b.String()
}

// DocPage pages the profiles that pass a filter's doc conditions while a
// store reads every candidate in the filter's order: Keep says whether a
// candidate belongs to the page (Offset, Limit), and Matched counts those
// that passed, the total, once every candidate has been seen.
type DocPage struct {
	f       *ProfileFilter
	Matched int
}

// NewDocPage starts paging the candidates of f.
func (f *ProfileFilter) NewDocPage() *DocPage { return &DocPage{f: f} }

// Keep reports whether p passes the doc conditions and falls in the page.
func (d *DocPage) Keep(p *Profile) bool {
	if !d.f.MatchDoc(p) {
		return false
	}
	d.Matched++
	return d.Matched > max(d.f.Offset, 0) && (d.f.Limit <= 0 || d.Matched <= max(d.f.Offset, 0)+d.f.Limit)
}
