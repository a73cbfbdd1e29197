package clientele

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"
)

// like is SQL LIKE as the stores use it: % any run, _ any one character,
// no escape; fold ignores case (both stores fold at least ASCII).
func like(text, pattern string, fold bool) bool {
	var b strings.Builder
	b.WriteString(`(?s)^`)
	if fold {
		b.WriteString(`(?i)`)
	}
	for _, r := range pattern {
		switch r {
		case '%':
			b.WriteString(`.*`)
		case '_':
			b.WriteString(`.`)
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString(`$`)
	return regexp.MustCompile(b.String()).MatchString(text)
}

// docOf is the stored doc of a profile built from item as the apply path
// builds it.
func docOf(t *testing.T, item string) (*Profile, string) {
	t.Helper()
	in, err := DecodeProfileInput([]byte(item))
	if err != nil {
		t.Fatal(err)
	}
	if fe := ValidateProfileInput(in, ModeBatchItem); len(fe) > 0 {
		t.Fatalf("%s: %v", item, fe)
	}
	p, _ := Merge(nil, in, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	b, err := MarshalProfileDoc(p)
	if err != nil {
		t.Fatal(err)
	}
	return p, string(b)
}

// TestDocPatternsMatchDocs holds DocPatterns to the doc format: for every
// filter MatchDoc accepts a profile for, the profile's doc matches every
// pattern (a store that narrows with them loses nothing); and the patterns
// do narrow.
func TestDocPatternsMatchDocs(t *testing.T) {
	p, doc := docOf(t, `{"email":"a@x.com","company":"decoy","tags":["VIP customer","50%_off","a\"b\\c","<b>&","Été"],
		"custom_attributes":[
			{"namespace":"locale","handle":"language","value":"EN"},
			{"namespace":"n.s-1","handle":"h_2","value":"50% \"off\" <été>\\"},
			{"namespace":"loyalty","handle":"points","type":"integer","value":"70"},
			{"namespace":"prefs","handle":"vegan","type":"boolean","value":"1"},
			{"namespace":"prefs","handle":"blob","type":"json","value":{"a":[1, 2],"b":"<x>"}},
			{"namespace":"prefs","handle":"list","type":"array","value":["x"]}],
		"regions":[{"region_id":50,"country":"AU"},{"region_id":7}]}`)
	a := func(ns, h, op string, vals ...string) ProfileFilter {
		return ProfileFilter{Attributes: []AttributeCond{{Namespace: ns, Handle: h, Op: op, Values: vals}}}
	}
	for _, f := range []ProfileFilter{
		{TagHandles: []string{"vip-customer"}},
		{TagHandles: []string{"VIP Customer", "nope"}},
		{TagHandles: []string{"50%_off"}},
		{TagHandles: []string{`A"B\C`}},
		{TagHandles: []string{"<B>&"}},
		{TagHandles: []string{"éTÉ"}},
		a("locale", "language", OpEq, "EN"),
		a("locale", "language", OpIn, "FR", "EN"),
		a("n.s-1", "h_2", OpEq, `50% "off" <été>\`),
		a("loyalty", "points", OpEq, "70.0"),
		a("loyalty", "points", OpIn, "7", "70"),
		a("loyalty", "points", OpGt, "8"),
		a("prefs", "vegan", OpEq, "true"),
		a("prefs", "vegan", OpEq, "1"),
		a("prefs", "blob", OpEq, `{"a": [1,2], "b": "<x>"}`),
		a("prefs", "list", OpEq, `[ "x" ]`),
		{RegionIDs: []int64{7}},
		{RegionIDs: []int64{3, 50}},
	} {
		if !f.MatchDoc(p) {
			t.Errorf("MatchDoc(%+v) = false, want true", f)
			continue
		}
		for _, dp := range f.DocPatterns() {
			matched := false
			for _, pat := range dp.Any {
				matched = matched || like(doc, pat, dp.FoldCase)
			}
			if !matched {
				t.Errorf("filter %+v: doc does not match %+v\n%s", f, dp, doc)
			}
		}
	}

	// The patterns narrow: whole tags, the attribute's own key, and a
	// string value's text.
	for _, f := range []ProfileFilter{
		{TagHandles: []string{"vip"}},
		a("locale", "lang", OpEq, "EN"),
		a("language", "locale", OpEq, "EN"),
		a("locale", "language", OpEq, "DE"),
		a("locale", "language", OpIn, "DE", "FR"),
		{RegionIDs: []int64{8}},
	} {
		narrowed := false
		for _, dp := range f.DocPatterns() {
			hit := false
			for _, pat := range dp.Any {
				hit = hit || like(doc, pat, dp.FoldCase)
			}
			narrowed = narrowed || !hit
		}
		if !narrowed || f.MatchDoc(p) {
			t.Errorf("filter %+v: patterns %+v do not rule the doc out (or it matches)", f, f.DocPatterns())
		}
	}
}

// TestMatchDocIsExact: a doc the patterns let through is still checked:
// the company "decoy" is not a tag.
func TestMatchDocIsExact(t *testing.T) {
	p, doc := docOf(t, `{"email":"a@x.com","company":"decoy","tags":["x"]}`)
	f := ProfileFilter{TagHandles: []string{"decoy"}}
	if dp := f.DocPatterns(); len(dp) != 1 || !like(doc, dp[0].Any[0], true) {
		t.Fatalf("patterns %+v should let %s through", dp, doc)
	}
	if f.MatchDoc(p) {
		t.Error("MatchDoc accepts a profile without the tag")
	}
	// Region 5's pattern lets a link to 50 through; MatchDoc does not.
	p, doc = docOf(t, `{"email":"a@x.com","regions":[{"region_id":50}]}`)
	f = ProfileFilter{RegionIDs: []int64{5}}
	if dp := f.DocPatterns(); len(dp) != 1 || !like(doc, dp[0].Any[0], false) || f.MatchDoc(p) {
		t.Errorf("region 5 against a link to 50: patterns %+v, MatchDoc %v", dp, f.MatchDoc(p))
	}
}

func TestAttributeCondMatch(t *testing.T) {
	for _, c := range []struct {
		value string
		op    string
		q     []string
		want  bool
	}{
		{`"EN"`, OpEq, []string{"EN"}, true},
		{`"EN"`, OpEq, []string{"en"}, false},
		{`"7"`, OpEq, []string{"7.0"}, false}, // strings are exact
		{`"10"`, OpGt, []string{"9"}, true},   // but order as numbers
		{`"b"`, OpGt, []string{"a"}, true},
		{`7`, OpEq, []string{"7.0"}, true},
		{`7`, OpEq, []string{"x"}, false},
		{`9007199254740993`, OpGt, []string{"9007199254740992"}, true},
		{`7.5`, OpLte, []string{"7.5"}, true},
		{`7.5`, OpLt, []string{"7.5"}, false},
		{`true`, OpEq, []string{"1"}, true},
		{`false`, OpIn, []string{"true", "0"}, true},
		{`true`, OpGt, []string{"0"}, false},
		{`null`, OpEq, []string{"null"}, false},
		{`{"a":1}`, OpEq, []string{`{ "a" : 1 }`}, true},
		{`[1,2]`, OpEq, []string{`[2,1]`}, false},
		{`[1,2]`, OpGte, []string{`[1,2]`}, false},
		{`7`, "like", []string{"7"}, false},
	} {
		got := AttributeCond{Op: c.op, Values: c.q}.Match(json.RawMessage(c.value))
		if got != c.want {
			t.Errorf("%s %s %v = %v, want %v", c.value, c.op, c.q, got, c.want)
		}
	}
}

func TestParseTimeCond(t *testing.T) {
	day := time.Date(2025, 6, 2, 0, 0, 0, 0, time.UTC)
	noon := day.Add(12 * time.Hour)
	for _, c := range []struct {
		op, v string
		in    []time.Time
		out   []time.Time
	}{
		{OpEq, "2025-06-02", []time.Time{day, noon, day.Add(24*time.Hour - time.Microsecond)}, []time.Time{day.Add(-time.Microsecond), day.Add(24 * time.Hour)}},
		{OpEq, "2025-06-02 12:00:00", []time.Time{noon, noon.Add(999 * time.Millisecond)}, []time.Time{noon.Add(time.Second), noon.Add(-time.Microsecond)}},
		{OpEq, "2025-06-02T14:00:00+02:00", []time.Time{noon}, []time.Time{noon.Add(2 * time.Hour)}},
		{OpGt, "2025-06-02", []time.Time{day.Add(24 * time.Hour)}, []time.Time{noon}},
		{OpGte, "2025-06-02", []time.Time{day, noon}, []time.Time{day.Add(-time.Second)}},
		{OpLt, "2025-06-02 12:00:00", []time.Time{noon.Add(-time.Microsecond)}, []time.Time{noon}},
		{OpLte, "2025-06-02 12:00:00", []time.Time{noon.Add(time.Second - time.Microsecond)}, []time.Time{noon.Add(time.Second)}},
		{OpIn, "2025-06-01, 2025-06-03", []time.Time{day.Add(-time.Hour), day.Add(25 * time.Hour)}, []time.Time{noon}},
	} {
		tc, ok := ParseTimeCond(c.op, c.v)
		if !ok {
			t.Fatalf("ParseTimeCond(%s, %s) failed", c.op, c.v)
		}
		for _, tm := range c.in {
			if !tc.Match(tm) {
				t.Errorf("%s %s: %v should match", c.op, c.v, tm)
			}
		}
		for _, tm := range c.out {
			if tc.Match(tm) {
				t.Errorf("%s %s: %v should not match", c.op, c.v, tm)
			}
		}
	}
	for _, bad := range [][2]string{{OpEq, "x"}, {OpIn, ""}, {OpIn, "2025-06-01,x"}, {"like", "2025-06-01"}} {
		if _, ok := ParseTimeCond(bad[0], bad[1]); ok {
			t.Errorf("ParseTimeCond(%q, %q) accepted", bad[0], bad[1])
		}
	}
}
