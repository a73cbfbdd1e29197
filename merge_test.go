package clientele

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

var (
	t0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	t1 = t0.Add(time.Hour)
)

// mergeInput decodes, validates and normalises js as the worker does.
func mergeInput(t testing.TB, js string) *ProfileInput {
	t.Helper()
	in := decodeInput(t, js)
	if errs := ValidateProfileInput(in, ModeUpdate); errs != nil {
		t.Fatalf("validate %s: %v", js, errs)
	}
	if errs := NormalizeInput(in, "AU"); errs != nil {
		t.Fatalf("normalize %s: %v", js, errs)
	}
	return in
}

func sp(s string) *string { return &s }
func ip(i int) *int       { return &i }

// existing is a stored profile with something in every part.
func existing() *Profile {
	return &Profile{
		ID: "p1", Email: sp("jo@example.com"), FirstName: "Jo", LastName: "Smith", Title: sp("Ms"),
		Gender: sp("female"), ProfileType: "active", MobilePhone: sp("+61404123123"),
		BirthDay: ip(1), BirthMonth: ip(2),
		Tags: []string{"vip"},
		Identities: []Identity{
			{ID: 1, ProfileID: "p1", Handle: "shopify", Identifier: "1", IsActive: true, IsPrimary: true, CreatedAt: t0, UpdatedAt: t0},
		},
		CustomAttributes: []CustomAttribute{
			{ID: 1, Namespace: "locale", Handle: "language", Type: "string", Value: json.RawMessage(`"EN"`), CreatedAt: t0, UpdatedAt: t0},
			{ID: 2, Namespace: "x", Handle: "obj", Type: "json", Value: json.RawMessage(`{"a": 1, "b": [1, 2]}`), CreatedAt: t0, UpdatedAt: t0},
		},
		Dates: []DateAttribute{
			{ID: 1, Date: "2020-05-01", Handle: sp("bday"), Name: sp("Birthday"), Meta: json.RawMessage(`{"k": "v"}`), CreatedAt: t0, UpdatedAt: t0},
			{ID: 2, Date: "2020-06-01", CreatedAt: t0, UpdatedAt: t0},
		},
		Addresses: []Address{
			{ID: 1, AddressLine1: "1 St", City: "Melbourne", Postcode: "3000", Country: "AU", ExternalID: sp("e1"), IsDefault: true, CreatedAt: t0, UpdatedAt: t0},
		},
		Regions:    []ProfileRegion{{RegionID: 3, Country: sp("AU"), IsActive: true}},
		Comms:      map[string]any{"email_promo": true},
		Appearance: map[string]*string{"hair_colour": sp("red")},
		Extra:      map[string]json.RawMessage{"region": json.RawMessage(`"APAC"`)},
		CreatedAt:  t0, UpdatedAt: t0, Version: 3,
	}
}

func TestMergeCreateDefaults(t *testing.T) {
	p, changed := Merge(nil, mergeInput(t, `{}`), t1)
	if !changed {
		t.Error("create must report a change")
	}
	want := &Profile{FirstName: "Unknown", LastName: "Unknown", ProfileType: "active", CreatedAt: t1, UpdatedAt: t1}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("got  %+v\nwant %+v", p, want)
	}
}

func TestMergeCreateSeed(t *testing.T) {
	p, _ := Merge(nil, mergeInput(t, seedItem), t1)
	p.SetID("new")
	check := func(name string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %#v, want %#v", name, got, want)
		}
	}
	check("email", p.Email, sp("jsmith@example.com"))
	check("names", p.FullName(), "Jane Smith")
	check("gender", p.Gender, sp("female"))
	check("currency", p.Currency, sp("AUD"))
	check("profile type", p.ProfileType, "temporary")
	check("joined at", p.JoinedAt, sp("2023-11-07 05:31:56"))
	check("mobile", p.MobilePhone, sp("+61404123123"))
	check("secondary", p.SecondaryPhone, sp("+61391234567"))
	check("birth", []*int{p.BirthDay, p.BirthMonth, p.BirthYear}, []*int{ip(12), ip(3), ip(1988)})
	check("tags", p.Tags, []string{"vip-customer", "newsletter"})
	check("statuses", p.Statuses, []string{"gold"})
	check("identities", p.Identities, []Identity{{ProfileID: "new", Handle: "shopify", Identifier: "7731904", IsActive: true, CreatedAt: t1, UpdatedAt: t1}})
	check("custom", p.CustomAttributes, []CustomAttribute{{Namespace: "locale", Handle: "language", Type: "string", Value: json.RawMessage(`"EN"`), CreatedAt: t1, UpdatedAt: t1}})
	check("date", p.Dates[0].Date, "2023-12-25")
	check("date links", p.Dates[0].Links, []DateLink{{ProfileID: sp("92975ecb-5264-4d31-9f2b-789fa01f4555"), Relationship: sp("partner"), Role: sp("spouse")}})
	check("date meta", string(p.Dates[0].Meta), `["gift"]`)
	check("address", p.DefaultAddress().ExternalID, sp("addr-1"))
	check("address line 3 null", p.Addresses[0].AddressLine3, (*string)(nil))
	check("regions", p.Regions, []ProfileRegion{{RegionID: 3, Handle: sp("apac"), Country: sp("AU"), State: sp("VIC"), IsActive: true}})
	// email_bounced false is the default, so it is not stored.
	check("comms", p.Comms, map[string]any{
		"sms_promo": true, "email_promo": true, "email_benefits": true,
		"email_consent_updated_at": "2023-11-07 05:31:56", "sms_consent_updated_at": "2023-11-07 05:31:56",
	})
	extra := map[string]string{}
	for k, v := range p.Extra {
		extra[k] = string(v)
	}
	check("extra", extra, map[string]string{
		"joined_location_external_id": `"STORE-12"`, "joined_location_external_code": `"S12"`,
		"preferred_location_external_id": `"STORE-14"`, "preferred_location_external_code": `"S14"`,
		"region_id": `3`, "region": `"APAC"`, "region_country": `"AU"`, "region_state": `"VIC"`,
		"organisations":         `[{"id":9,"role_definition_id":2,"expires_at":"2024-11-07 05:31:56","is_active":true}]`,
		"attributes.appearance": `["<string>"]`,
	})
	check("location ids", []any{*p.JoinedLocationID, *p.PreferredLocationID}, []any{int64(12), int64(14)})
}

func TestMergeScalars(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		apply func(p *Profile) // what the result must differ by from existing()
	}{
		{"absent fields unchanged", `{"first_name":"New"}`, func(p *Profile) { p.FirstName = "New" }},
		{"null clears", `{"title":null,"gender":null,"birth_day":null,"mobile_phone":null}`, func(p *Profile) {
			p.Title, p.Gender, p.BirthDay, p.MobilePhone = nil, nil, nil, nil
		}},
		{"blank clears", `{"title":"  "}`, func(p *Profile) { p.Title = nil }},
		{"email normalised", `{"email":" NEW@Example.com "}`, func(p *Profile) { p.Email = sp("new@example.com") }},
		{"gender witheld", `{"gender":"Witheld"}`, func(p *Profile) { p.Gender = sp("withheld") }},
		{"currency upper", `{"currency":"aud"}`, func(p *Profile) { p.Currency = sp("AUD") }},
		{"joined at to UTC", `{"joined_at":"2023-11-07T15:31:56+10:00"}`, func(p *Profile) { p.JoinedAt = sp("2023-11-07 05:31:56") }},
		{"joined at date only", `{"joined_at":"2023-11-07"}`, func(p *Profile) { p.JoinedAt = sp("2023-11-07 00:00:00") }},
		{"birth strings", `{"birth_day":"3","birth_month":"4","birth_year":"1990"}`, func(p *Profile) {
			p.BirthDay, p.BirthMonth, p.BirthYear = ip(3), ip(4), ip(1990)
		}},
		{"profile type", `{"profile_type":"deleted"}`, func(p *Profile) { p.ProfileType = "deleted" }},
		{"tags replace and dedupe", `{"tags":["vip customer","vip-customer","New"]}`, func(p *Profile) { p.Tags = []string{"vip-customer", "New"} }},
		{"tags null clears", `{"tags":null}`, func(p *Profile) { p.Tags = nil }},
		{"tags empty clears", `{"tags":[]}`, func(p *Profile) { p.Tags = nil }},
		{"statuses", `{"statuses":["gold","gold"," silver "]}`, func(p *Profile) { p.Statuses = []string{"gold", "silver"} }},
		{"extra set and clear", `{"region":null,"region_id":"7","joined_location_external_code":"S1"}`, func(p *Profile) {
			p.Extra = map[string]json.RawMessage{"region_id": json.RawMessage(`7`), "joined_location_external_code": json.RawMessage(`"S1"`)}
		}},
		{"extra emptied", `{"region":null}`, func(p *Profile) { p.Extra = nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := existing()
			tt.apply(want)
			want.UpdatedAt = t1
			got, changed := Merge(existing(), mergeInput(t, tt.in), t1)
			if !changed {
				t.Error("changed = false")
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestMergeUnchanged: re-sending what the profile holds, in other
// spellings, is not a change (spec §13 E2) and leaves UpdatedAt alone.
func TestMergeUnchanged(t *testing.T) {
	for _, in := range []string{
		`{}`,
		`{"email":" JO@example.com","first_name":"Jo","title":"Ms","gender":"FEMALE","mobile_phone":"0404 123 123","birth_day":"1"}`,
		`{"tags":["vip"],"region":"APAC","secondary_phone":null,"company":""}`,
		`{"identities":[{"handle":"shopify","identifier":" 1 ","is_active":true,"is_primary":true}]}`,
		`{"custom_attributes":[{"namespace":"locale","handle":"language","value":"EN"},{"namespace":"x","handle":"obj","type":"json","value":{"b":[1,2],"a":1}}]}`,
		`{"dates_attributes":[{"date":"2020-05-01T10:00:00Z","handle":"bday","meta":{"k":"v"}},{"date":"2020-06-01","links":[]}]}`,
		`{"addresses":[{"external_id":"e1","address_line_1":"1 St","city":"Melbourne","postcode":"3000","country":"AU","is_default":true}]}`,
		`{"regions":[{"region_id":3,"country":"AU"}]}`,
		`{"comms_attributes":{"email_promo":true,"sms_promo":false,"email_verification":"not_sent","push_discover":null,"profile_id":"x"}}`,
		`{"appearance_attributes":{"hair_colour":"red","eye_colour":null,"eye_color":"typo"}}`,
		`{"attributes":{"comms":{"email_optout":false},"appearance":{"hair_colour":"red"}}}`,
	} {
		got, changed := Merge(existing(), mergeInput(t, in), t1)
		if changed {
			t.Errorf("%s: changed = true", in)
		}
		if !reflect.DeepEqual(got, existing()) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", in, got, existing())
		}
	}
}

// TestMergeDoesNotMutateOld changes every part and checks old is intact.
func TestMergeDoesNotMutateOld(t *testing.T) {
	old := existing()
	in := mergeInput(t, seedItem)
	more := mergeInput(t, `{"identities":[{"handle":"shopify","identifier":"1","is_active":false}],
		"custom_attributes":[{"namespace":"x","handle":"obj","type":"json","value":{"c":1}}],
		"dates_attributes":[{"date":"2021-01-01","handle":"bday","name":"B","links":[{"role":"r"}]}],
		"addresses":[{"external_id":"e1","address_line_1":"2 St","city":"Sydney","postcode":"2000","country":"AU","notes":"n"}],
		"regions":[{"region_id":3,"country":"NZ"}],"appearance_attributes":{"hair_colour":"blue"},
		"comms_attributes":{"email_promo":false}}`)
	p, _ := Merge(old, in, t1)
	p, _ = Merge(p, more, t1)
	if !reflect.DeepEqual(old, existing()) {
		t.Fatalf("old was mutated:\n%+v", old)
	}
	// And the result shares nothing mutable with old.
	q, _ := Merge(old, mergeInput(t, `{}`), t1)
	*q.Email = "x"
	q.Tags[0] = "x"
	q.Identities[0].Handle = "x"
	q.CustomAttributes[0].Value[0] = 'x'
	*q.Dates[0].Handle = "x"
	q.Dates[0].Meta[0] = 'x'
	*q.Addresses[0].ExternalID = "x"
	*q.Regions[0].Country = "x"
	q.Comms["email_promo"] = false
	*q.Appearance["hair_colour"] = "x"
	q.Extra["region"][0] = 'x'
	*q.BirthDay = 9
	if !reflect.DeepEqual(old, existing()) {
		t.Fatalf("result aliases old:\n%+v", old)
	}
}

func TestMergeIdentities(t *testing.T) {
	in := mergeInput(t, `{"identities":[
		{"handle":"shopify","identifier":"2","is_primary":true},
		{"handle":"shopify","identifier":"1","is_active":false},
		{"handle":"pos","identifier":"9","is_active":false}]}`)
	p, changed := Merge(existing(), in, t1)
	want := []Identity{
		{ID: 1, ProfileID: "p1", Handle: "shopify", Identifier: "1", IsActive: false, IsPrimary: false, CreatedAt: t0, UpdatedAt: t1},
		{ProfileID: "p1", Handle: "shopify", Identifier: "2", IsActive: true, IsPrimary: true, CreatedAt: t1, UpdatedAt: t1},
		{ProfileID: "p1", Handle: "pos", Identifier: "9", IsActive: false, CreatedAt: t1, UpdatedAt: t1},
	}
	if !changed || !reflect.DeepEqual(p.Identities, want) {
		t.Errorf("got  %+v\nwant %+v", p.Identities, want)
	}
	if ext := p.ExternalID(); ext == nil || *ext != "2" {
		t.Errorf("external id %v, want 2", ext)
	}
}

func TestMergeCustomAttributes(t *testing.T) {
	in := mergeInput(t, `{"custom_attributes":[
		{"namespace":"locale","handle":"language","value":"FR"},
		{"namespace":"n","handle":"int","type":"integer","value":"12"},
		{"namespace":"n","handle":"float","type":"float","value":"1.50"},
		{"namespace":"n","handle":"bool","type":"boolean","value":"true"},
		{"namespace":"n","handle":"bool0","type":"boolean","value":0},
		{"namespace":"n","handle":"str","value":12.5},
		{"namespace":"n","handle":"html","value":"<b>&</b>"},
		{"namespace":"n","handle":"arr","type":"array","value":[1, 2]},
		{"namespace":"n","handle":"nil","type":"integer","value":null},
		{"namespace":"n","handle":"absent"}]}`)
	p, _ := Merge(existing(), in, t1)
	got := map[string]string{}
	for _, a := range p.CustomAttributes {
		got[a.Namespace+":"+a.Handle+":"+a.Type] = string(a.Value)
		if a.Namespace == "locale" && (a.ID != 1 || a.CreatedAt != t0 || a.UpdatedAt != t1) {
			t.Errorf("updated attribute lost its identity or timestamps: %+v", a)
		}
		if a.Namespace == "x" && a.UpdatedAt != t0 {
			t.Errorf("untouched attribute changed: %+v", a)
		}
	}
	want := map[string]string{
		"locale:language:string": `"FR"`, "x:obj:json": `{"a": 1, "b": [1, 2]}`,
		"n:int:integer": `12`, "n:float:float": `1.5`, "n:bool:boolean": `true`, "n:bool0:boolean": `false`,
		"n:str:string": `"12.5"`, "n:html:string": `"<b>&</b>"`, "n:arr:array": `[1,2]`,
		"n:nil:integer": `null`, "n:absent:string": `null`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestMergeDates(t *testing.T) {
	in := mergeInput(t, `{"dates_attributes":[
		{"date":"2021-05-01","handle":"bday","note":"n"},
		{"date":"2021-05-02","handle":"bday","relationship":"partner"},
		{"date":"2021-06-01"}]}`)
	p, _ := Merge(existing(), in, t1)
	if len(p.Dates) != 3 {
		t.Fatalf("dates %+v", p.Dates)
	}
	d0, d1, d2 := p.Dates[0], p.Dates[1], p.Dates[2]
	if d0.ID != 1 || d0.Date != "2021-05-01" || *d0.Note != "n" || *d0.Name != "Birthday" || string(d0.Meta) != `{"k": "v"}` || d0.UpdatedAt != t1 {
		t.Errorf("(bday, nil) not updated in place keeping other fields: %+v", d0)
	}
	if d1.ID != 2 || d1.Date != "2021-06-01" || d1.UpdatedAt != t1 {
		t.Errorf("(nil, nil) not matched: %+v", d1)
	}
	if d2.ID != 0 || *d2.Relationship != "partner" || d2.CreatedAt != t1 {
		t.Errorf("(bday, partner) not appended: %+v", d2)
	}
}

func TestMergeAddresses(t *testing.T) {
	in := mergeInput(t, `{"addresses":[
		{"external_id":"e1","address_line_1":"2 St","city":"Melbourne","postcode":"3000","country":"AU","meta":{"a":1}},
		{"address_line_1":"3 St","city":"Sydney","postcode":"2000","country":"AU","is_default":true},
		{"address_line_1":"4 St","city":"Perth","postcode":"6000","country":"AU","external_id":"e9"}]}`)
	p, _ := Merge(existing(), in, t1)
	if len(p.Addresses) != 3 {
		t.Fatalf("addresses %+v", p.Addresses)
	}
	a0, a1, a2 := p.Addresses[0], p.Addresses[1], p.Addresses[2]
	if a0.ID != 1 || a0.AddressLine1 != "2 St" || a0.IsDefault || string(a0.Meta) != `{"a":1}` || a0.UpdatedAt != t1 || a0.CreatedAt != t0 {
		t.Errorf("e1 not updated, or default not cleared: %+v", a0)
	}
	if a1.ID != 0 || !a1.IsDefault || a1.City != "Sydney" || a1.CreatedAt != t1 {
		t.Errorf("new default address: %+v", a1)
	}
	if a2.IsDefault || *a2.ExternalID != "e9" {
		t.Errorf("new address: %+v", a2)
	}
	if d := p.DefaultAddress(); d == nil || d.City != "Sydney" {
		t.Errorf("default address %+v", d)
	}
}

func TestMergeRegions(t *testing.T) {
	in := mergeInput(t, `{"regions":[{"region_id":3,"state":"VIC","is_active":false},{"region_id":4,"handle":"nz"}]}`)
	p, _ := Merge(existing(), in, t1)
	want := []ProfileRegion{
		{RegionID: 3, Country: sp("AU"), State: sp("VIC"), IsActive: false},
		{RegionID: 4, Handle: sp("nz"), IsActive: true},
	}
	if !reflect.DeepEqual(p.Regions, want) {
		t.Errorf("got %+v", p.Regions)
	}
}

func TestMergeCommsAndAppearance(t *testing.T) {
	in := mergeInput(t, `{
		"comms_attributes":{"email_promo":false,"sms_optout":true,"email_verification":"verified","terms_accepted_at":"2023-01-02T03:04:05+01:00","terms_accepted_version":"v2","nope":1},
		"attributes":{"comms":{"sms_optout":false,"push_discover":true},"appearance":{"eye_colour":"blue"}},
		"appearance_attributes":{"hair_colour":null,"size_shoe":9.5,"size_top":"","made_up":"x"}}`)
	p, changed := Merge(existing(), in, t1)
	if !changed {
		t.Error("changed = false")
	}
	wantComms := map[string]any{
		"email_promo": false, "email_verification": "verified", "terms_accepted_at": "2023-01-02 02:04:05",
		"terms_accepted_version": "v2", "push_discover": true,
		// sms_optout: true from comms_attributes, then false (the default) from attributes.comms
		"sms_optout": false,
	}
	if !reflect.DeepEqual(p.Comms, wantComms) {
		t.Errorf("comms %v\nwant  %v", p.Comms, wantComms)
	}
	wantApp := map[string]*string{"hair_colour": nil, "size_shoe": sp("9.5"), "eye_colour": sp("blue")}
	if !reflect.DeepEqual(p.Appearance, wantApp) {
		t.Errorf("appearance %v", p.Appearance)
	}
	if !slices.Contains(CommsKeys, "terms_accepted_version") || CommsDefault("email_promo") != false ||
		CommsDefault("email_discover") != nil || CommsDefault("sms_verification") != "not_sent" || CommsDefault("terms_accepted_at") != nil {
		t.Error("comms defaults")
	}
}

func TestMergeOrganisations(t *testing.T) {
	p, _ := Merge(existing(), mergeInput(t, `{"organisations":[{"id":1},{"id":2,"is_active":false}]}`), t1)
	if got := string(p.Extra["organisations"]); got != `[{"id":1},{"id":2,"is_active":false}]` {
		t.Errorf("organisations %s", got)
	}
	p, changed := Merge(p, mergeInput(t, `{"organisations":null}`), t1)
	if _, ok := p.Extra["organisations"]; ok || !changed {
		t.Errorf("null organisations kept: %s", p.Extra["organisations"])
	}
}

// TestMergeUnchangedAfterStoreRoundTrip: a profile written and read back
// through the stores' doc format, with its raw JSON reformatted as
// PostgreSQL jsonb does, still compares unchanged against the same input.
func TestMergeUnchangedAfterStoreRoundTrip(t *testing.T) {
	now := time.Date(2024, 1, 2, 3, 4, 5, 123456000, time.UTC) // microseconds, as stored
	seed := strings.Replace(seedItem, `"meta": ["x"]`, `"meta": {"b": "<&>", "a": [1, 2.50]}`, 1)
	created, _ := Merge(nil, mergeInput(t, seed), now)
	created.SetID("p9")
	doc, err := MarshalProfileDoc(created)
	if err != nil {
		t.Fatal(err)
	}
	// jsonb: a space after ':' and ','; keys in its own order.
	doc = []byte(strings.NewReplacer(`{"b":"<&>","a":[1,2.50]}`, `{"a": [1, 2.50], "b": "<&>"}`).Replace(string(doc)))
	stored := &Profile{
		ID: created.ID, Email: created.Email, MobilePhone: created.MobilePhone, FirstName: created.FirstName,
		LastName: created.LastName, ProfileType: created.ProfileType, CreatedAt: created.CreatedAt,
		UpdatedAt: created.UpdatedAt, Version: 1, Identities: created.Identities,
	}
	if err := UnmarshalProfileDoc(doc, stored); err != nil {
		t.Fatal(err)
	}
	if string(stored.Addresses[0].Meta) == string(created.Addresses[0].Meta) {
		t.Fatal("the test did not reformat the stored meta")
	}
	if _, changed := Merge(stored, mergeInput(t, seed), now.Add(time.Hour)); changed {
		t.Error("re-sending the same item after a store round trip reports a change")
	}
}

// TestJSONEqual checks jsonEqual against its definition, equality of the
// decoded values (numbers as their text), on scalars, where it skips
// decoding, and on containers, where it does not.
func TestJSONEqual(t *testing.T) {
	values := []string{
		``, `null`, ` null `, `true`, `false`, `0`, `1`, `1.0`, `-1`, `1e2`, `100`,
		`"a"`, `"\u0061"`, ` "a"`, `"A"`, `""`, `"\""`, `"\u0022"`, `"é"`, `"\u00e9"`, `"1"`,
		`{}`, `{"a":1}`, `{ "a" : 1 }`, `{"a":1.0}`, `{"a":1,"b":2}`, `{"b":2,"a":1}`,
		`[]`, `[1,2]`, `[ 1, 2 ]`, `[2,1]`, `["a"]`, `["\u0061"]`,
	}
	decoded := func(s string) (v any) {
		s = strings.TrimSpace(s)
		if s == "" {
			s = "null"
		}
		d := json.NewDecoder(strings.NewReader(s))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			t.Fatalf("decode %q: %v", s, err)
		}
		return v
	}
	for _, a := range values {
		for _, b := range values {
			want := reflect.DeepEqual(decoded(a), decoded(b))
			if got := jsonEqual(json.RawMessage(a), json.RawMessage(b)); got != want {
				t.Errorf("jsonEqual(%q, %q) = %v, want %v", a, b, got, want)
			}
		}
	}
}
