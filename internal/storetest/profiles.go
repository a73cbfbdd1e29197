package storetest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/google/uuid"
)

// fullItem sets every field a Profile has, so that the round trip covers
// them all (coverage checks that it does).
const fullItem = `{
	"first_name": "Jane", "last_name": "Smith", "email": " Jane.Smith@Example.com",
	"title": "Dr", "gender": "Female", "currency": "aud", "profile_type": "temporary",
	"joined_at": "2021-01-27T00:25:20Z",
	"mobile_phone": "0404 123 123", "secondary_phone": "+61 2 9374 4000",
	"birth_day": 12, "birth_month": 3, "birth_year": 1990,
	"company": "Acme", "occupation": "Engineer", "avatar_url": "https://example.com/a.png",
	"joined_location_id": 11, "preferred_location_id": "12",
	"joined_location_external_id": "JL-1",
	"tags": ["vip customer", "gold"], "statuses": ["member"],
	"identities": [
		{"handle": "shopify", "identifier": "10001", "is_primary": true},
		{"handle": "pos", "identifier": "P-7", "is_active": false}
	],
	"custom_attributes": [
		{"namespace": "locale", "handle": "language", "type": "string", "value": "EN"},
		{"namespace": "prefs", "handle": "score", "type": "integer", "value": 7},
		{"namespace": "prefs", "handle": "blob", "type": "json", "value": {"b": [1, 2], "a": "<x> & y"}}
	],
	"dates_attributes": [{
		"date": "2020-02-29", "name": "Anniversary", "handle": "anniversary", "type": "event",
		"relationship": "spouse", "role": "self", "is_recurring": true, "recurring_schedule": "Yearly",
		"description": "wedding", "note": "flowers", "meta": {"k": 1},
		"links": [{"profile_id": "9a4f7c52-1b1e-4f43-9d55-0b3c8f6c2a11", "relationship": "spouse", "role": "partner"}]
	}],
	"addresses": [
		{"address_line_1": "1 George St", "address_line_2": "Level 2", "address_line_3": "Suite 3",
		 "company": "Acme", "city": "Sydney", "state": "NSW", "postcode": "2000", "country": "AU",
		 "notes": "back door", "iso": "AU", "iso_state": "AU-NSW", "external_id": "home",
		 "is_default": true, "meta": {"geo": "x"}},
		{"address_line_1": "2 Pitt St", "city": "Sydney", "postcode": "2000", "country": "AU"}
	],
	"comms_attributes": {"email_promo": true, "sms_optout": true, "email_verification": "sent",
		"terms_accepted_at": "2024-01-01 10:00:00", "terms_accepted_version": "v2", "push_discover": null},
	"appearance_attributes": {"hair_colour": "brown", "size_shoe": "9", "eye_colour": null},
	"region_id": 3,
	"regions": [{"region_id": 3, "handle": "nsw", "is_active": true, "country": "AU", "state": "NSW"}],
	"organisations": [{"id": 1, "role_definition_id": 2, "expires_at": "2030-01-01", "is_active": true}],
	"attributes": {"appearance": [{"handle": "eye_colour", "value": "blue"}]}
}`

// updateItem changes, adds and clears parts of fullItem's profile.
const updateItem = `{
	"email": "jane.smith@example.com", "last_name": "Smith-Jones", "title": null, "tags": ["gold"],
	"identities": [
		{"handle": "pos", "identifier": "P-7", "is_active": true},
		{"handle": "loyalty", "identifier": "L-1"}
	],
	"custom_attributes": [
		{"namespace": "prefs", "handle": "score", "type": "integer", "value": 8},
		{"namespace": "prefs", "handle": "new", "type": "boolean", "value": true}
	],
	"dates_attributes": [
		{"date": "2020-03-01", "handle": "anniversary", "relationship": "spouse"},
		{"date": "2001-01-01", "handle": "birthday", "relationship": "self"}
	],
	"addresses": [
		{"address_line_1": "1 George Street", "city": "Sydney", "postcode": "2000", "country": "AU", "external_id": "home"},
		{"address_line_1": "3 King St", "city": "Melbourne", "postcode": "3000", "country": "AU", "is_default": true}
	],
	"comms_attributes": {"email_promo": false},
	"appearance_attributes": {"size_shoe": null}
}`

const otherItem = `{"email": "other@x.com",
	"identities": [{"handle": "shopify", "identifier": "20002"}],
	"custom_attributes": [{"namespace": "locale", "handle": "language", "value": "FR"}],
	"dates_attributes": [{"date": "1999-09-09", "handle": "birthday"}],
	"addresses": [{"address_line_1": "9 Bay Rd", "city": "Perth", "postcode": "6000", "country": "AU"}]}`

// input decodes and normalises one item as the worker does.
func input(t *testing.T, item string) *clientele.ProfileInput {
	t.Helper()
	c := chunkOf(t, []clientele.RawItem{{JSON: []byte(item)}}, t0)
	if c.Items[0].Errors != nil {
		t.Fatalf("item invalid: %v", c.Items[0].Errors)
	}
	return c.Items[0].Input
}

// canon renders p for comparison: raw JSON compared as values, an empty
// identity list as none (identities are rows, not a list).
func canon(t *testing.T, p clientele.Profile) string {
	t.Helper()
	if len(p.Identities) == 0 {
		p.Identities = nil
	}
	b, err := json.Marshal(p)
	ok(t, err)
	var v any
	ok(t, json.Unmarshal(b, &v))
	out, err := json.MarshalIndent(v, "", "  ")
	ok(t, err)
	return string(out)
}

func wantSameProfile(t *testing.T, what string, got, want clientele.Profile) {
	t.Helper()
	if g, w := canon(t, got), canon(t, want); g != w {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// childIDs lists the ids of p's child records by kind, in order.
func childIDs(p clientele.Profile) map[string][]int64 {
	m := map[string][]int64{}
	for _, x := range p.Identities {
		m["identity"] = append(m["identity"], x.ID)
	}
	for _, x := range p.CustomAttributes {
		m["custom attribute"] = append(m["custom attribute"], x.ID)
	}
	for _, x := range p.Dates {
		m["date"] = append(m["date"], x.ID)
	}
	for _, x := range p.Addresses {
		m["address"] = append(m["address"], x.ID)
	}
	return m
}

// adoptNewIDs copies into want the ids the store gave the children that
// want (from Merge) has as new (ID 0), after checking that they are set and
// unused: not in taken, which it extends.
func adoptNewIDs(t *testing.T, want *clientele.Profile, got clientele.Profile, taken map[string]map[int64]bool) {
	t.Helper()
	gotIDs := childIDs(got)
	fill := func(kind string, i int, dst *int64) {
		if *dst != 0 {
			return
		}
		if i >= len(gotIDs[kind]) {
			t.Fatalf("store returned %d %ss, want more", len(gotIDs[kind]), kind)
		}
		id := gotIDs[kind][i]
		if id == 0 || taken[kind][id] {
			t.Errorf("new %s %d got id %d (taken: %v)", kind, i, id, taken[kind][id])
		}
		if taken[kind] == nil {
			taken[kind] = map[int64]bool{}
		}
		taken[kind][id] = true
		*dst = id
	}
	for i := range want.Identities {
		fill("identity", i, &want.Identities[i].ID)
	}
	for i := range want.CustomAttributes {
		fill("custom attribute", i, &want.CustomAttributes[i].ID)
	}
	for i := range want.Dates {
		fill("date", i, &want.Dates[i].ID)
	}
	for i := range want.Addresses {
		fill("address", i, &want.Addresses[i].ID)
	}
}

func testProfileRoundTrip(t *testing.T, s clientele.Store) {
	t1, t2 := at(time.Hour), at(2*time.Hour)
	_, items := run(t, s, clientele.MatchEmail, t1, fullItem, otherItem)
	got := getProfile(t, s, *items[0].EntityID)
	other := getProfile(t, s, *items[1].EntityID)

	want, _ := clientele.Merge(nil, input(t, fullItem), t1)
	want.SetID(got.ID)
	want.Version = 1
	taken := map[string]map[int64]bool{}
	adoptNewIDs(t, want, got, taken)
	wantSameProfile(t, "created profile", got, *want)
	coverage(t, got)

	// Ids are unique per kind across profiles, too.
	wantOther, _ := clientele.Merge(nil, input(t, otherItem), t1)
	wantOther.SetID(other.ID)
	wantOther.Version = 1
	adoptNewIDs(t, wantOther, other, taken)
	wantSameProfile(t, "second profile", other, *wantOther)

	_, items = run(t, s, clientele.MatchEmail, t2, updateItem)
	wantItem(t, items[0], clientele.OutcomeUpdated, &got.ID)
	updated := getProfile(t, s, got.ID)
	want, changed := clientele.Merge(&got, input(t, updateItem), t2)
	if !changed {
		t.Fatal("Merge reports the update as no change")
	}
	want.Version = got.Version + 1
	adoptNewIDs(t, want, updated, taken)
	wantSameProfile(t, "updated profile", updated, *want)

	// Children that existed keep their ids.
	before, after := childIDs(got), childIDs(updated)
	for kind, ids := range before {
		for _, id := range ids {
			if !slices.Contains(after[kind], id) {
				t.Errorf("%s %d disappeared or changed id: before %v, after %v", kind, id, ids, after[kind])
			}
		}
	}

	// A list returns the same profile as a read.
	email := "jane.smith@example.com"
	ps, _, err := s.ListProfiles(t.Context(), clientele.ProfileFilter{Email: &email, Limit: 1})
	ok(t, err)
	if len(ps) != 1 {
		t.Fatalf("ListProfiles by email: %d profiles", len(ps))
	}
	wantSameProfile(t, "listed profile", ps[0], updated)
}

// coverage fails for every field of p (nested ones included, across the
// elements of lists) that is zero, so that the round trip keeps covering
// fields added to Profile later.
func coverage(t *testing.T, p clientele.Profile) {
	t.Helper()
	set := map[string]bool{}
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		set[path] = set[path] || !v.IsZero()
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		case reflect.Struct:
			if v.Type() == reflect.TypeFor[time.Time]() {
				return
			}
			for i := range v.NumField() {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case reflect.Slice:
			if v.Type().Elem().Kind() == reflect.Struct {
				for i := range v.Len() {
					walk(v.Index(i), path+"[]")
				}
			}
		}
	}
	walk(reflect.ValueOf(p), "Profile")
	var missing []string
	for path, isSet := range set {
		if !isSet {
			missing = append(missing, path)
		}
	}
	slices.Sort(missing)
	for _, m := range missing {
		t.Errorf("round trip leaves %s unset: extend fullItem", m)
	}
}

func testProfileNotFound(t *testing.T, s clientele.Store) {
	run(t, s, clientele.MatchEmail, t0, emailItem("a@x.com", "A"))
	_, err := s.Profile(t.Context(), uuid.NewString())
	wantCode(t, err, clientele.ENOTFOUND)
}

// listSetup creates five profiles, one an hour, and returns their ids in
// creation order.
func listSetup(t *testing.T, s clientele.Store) []string {
	t.Helper()
	var out []string
	for i, item := range []string{
		`{"email":"alice@alpha.com","first_name":"Alice","last_name":"Smith","mobile_phone":"+61404111111"}`,
		`{"email":"sdk@beta.com","first_name":"SDK test profile batch","last_name":"Jones","profile_type":"deleted"}`,
		`{"email":"bob@beta.com","first_name":"bob","last_name":"SMITH","profile_type":"temporary"}`,
		`{"email":"carol@gamma.com","first_name":"Carol","last_name":"Young"}`,
	} {
		_, items := run(t, s, clientele.MatchEmail, at(time.Duration(i+1)*time.Hour), item)
		out = append(out, *items[0].EntityID)
	}
	_, items := run(t, s, "shopify", at(5*time.Hour),
		`{"first_name":"Zed","last_name":"Zulu","mobile_phone":"+61404222222","identities":[{"handle":"shopify","identifier":"Z1"}]}`)
	return append(out, *items[0].EntityID)
}

// wantList checks the ids ListProfiles returns for f, in order, and the
// total.
func wantList(t *testing.T, s clientele.Store, f clientele.ProfileFilter, want []string, total int) []clientele.Profile {
	t.Helper()
	if f.Limit == 0 {
		f.Limit = 100
	}
	ps, n, err := s.ListProfiles(t.Context(), f)
	ok(t, err)
	if got := ids(ps); !slices.Equal(got, want) || n != total {
		t.Fatalf("ListProfiles(%s) = [%s] total %d, want [%s] total %d", showFilter(f), joinIDs(got), n, joinIDs(want), total)
	}
	return ps
}

func showFilter(f clientele.ProfileFilter) string {
	return fmt.Sprintf("email=%s first=%s last=%s types=%v search=%q sort=%v offset=%d limit=%d",
		str(f.Email), str(f.FirstName), str(f.LastName), f.ProfileTypes, f.Search, f.Sort, f.Offset, f.Limit)
}

func testListProfilesFilters(t *testing.T, s clientele.Store) {
	p := listSetup(t, s)
	list := func(f clientele.ProfileFilter, want ...string) []clientele.Profile {
		t.Helper()
		return wantList(t, s, f, want, len(want))
	}
	list(clientele.ProfileFilter{}, p...)
	list(clientele.ProfileFilter{Email: ptr("ALICE@ALPHA.COM")}, p[0])
	list(clientele.ProfileFilter{Email: ptr("nobody@x.com")})
	list(clientele.ProfileFilter{MobilePhone: ptr("+61404111111")}, p[0])
	list(clientele.ProfileFilter{MobilePhone: ptr("+61404111112")})
	list(clientele.ProfileFilter{FirstName: ptr("Sdk Test Profile Batch")}, p[1])
	list(clientele.ProfileFilter{FirstName: ptr("SDK test")})
	list(clientele.ProfileFilter{LastName: ptr("smith")}, p[0], p[2])
	list(clientele.ProfileFilter{ProfileTypes: []string{"deleted", "temporary"}}, p[1], p[2])
	list(clientele.ProfileFilter{ProfileTypes: []string{"active"}}, p[0], p[3], p[4])
	list(clientele.ProfileFilter{LastName: ptr("Smith"), ProfileTypes: []string{"temporary"}}, p[2])
	list(clientele.ProfileFilter{Search: "ali"}, p[0])
	list(clientele.ProfileFilter{Search: "SMITH"}, p[0], p[2])
	list(clientele.ProfileFilter{Search: "zUL"}, p[4])
	list(clientele.ProfileFilter{Search: "@beta"}, p[1], p[2])
	list(clientele.ProfileFilter{Search: "alpha.COM"}, p[0])
	list(clientele.ProfileFilter{Search: "4222"}, p[4])
	list(clientele.ProfileFilter{Search: "%"})
	list(clientele.ProfileFilter{Search: "_"})
	list(clientele.ProfileFilter{Search: "b", ProfileTypes: []string{"temporary"}}, p[2])

	// Listed profiles are whole: identities included.
	ps := list(clientele.ProfileFilter{Search: "zulu"}, p[4])
	wantSameProfile(t, "listed profile", ps[0], getProfile(t, s, p[4]))
	if len(ps[0].Identities) != 1 {
		t.Errorf("listed profile identities %+v", ps[0].Identities)
	}
}

// testListProfilesFoldsCase: "without case" holds beyond ASCII.
func testListProfilesFoldsCase(t *testing.T, s clientele.Store) {
	_, items := run(t, s, clientele.MatchEmail, t0, `{"email":"e@x.com","first_name":"Émile","last_name":"Straße"}`)
	id := *items[0].EntityID
	wantList(t, s, clientele.ProfileFilter{FirstName: ptr("ÉMILE")}, []string{id}, 1)
	wantList(t, s, clientele.ProfileFilter{LastName: ptr("STRAßE")}, []string{id}, 1)
	wantList(t, s, clientele.ProfileFilter{Search: "ÉMI"}, []string{id}, 1)
	wantList(t, s, clientele.ProfileFilter{Search: "emile"}, nil, 0)
}

func testListProfilesSort(t *testing.T, s clientele.Store) {
	p := listSetup(t, s)
	sorted := func(want []string, sort ...clientele.SortField) {
		t.Helper()
		wantList(t, s, clientele.ProfileFilter{Sort: sort}, want, len(want))
	}
	asc := func(f string) clientele.SortField { return clientele.SortField{Field: f} }
	desc := func(f string) clientele.SortField { return clientele.SortField{Field: f, Desc: true} }

	sorted(p)
	sorted(p, asc("created_at"))
	sorted([]string{p[4], p[3], p[2], p[1], p[0]}, desc("created_at"))
	// Names sort without case: Alice, bob, Carol, SDK…, Zed.
	sorted([]string{p[0], p[2], p[3], p[1], p[4]}, asc("first_name"))
	sorted([]string{p[4], p[1], p[3], p[2], p[0]}, desc("first_name"))
	// Jones; Smith and SMITH (newest first); Young; Zulu.
	sorted([]string{p[1], p[2], p[0], p[3], p[4]}, asc("last_name"), desc("created_at"))
	sorted([]string{p[4], p[3], p[0], p[2], p[1]}, desc("last_name"), asc("created_at"))
	// No email sorts first ascending, last descending.
	sorted([]string{p[4], p[0], p[2], p[3], p[1]}, asc("email"))
	sorted([]string{p[1], p[3], p[2], p[0], p[4]}, desc("email"))
	// Unknown fields are ignored.
	sorted(p, asc("nope"))
	sorted([]string{p[4], p[3], p[2], p[1], p[0]}, asc("nope"), desc("created_at"))

	run(t, s, clientele.MatchEmail, at(6*time.Hour), `{"email":"alice@alpha.com","company":"Acme"}`)
	sorted([]string{p[1], p[2], p[3], p[4], p[0]}, asc("updated_at"))
	sorted([]string{p[0], p[4], p[3], p[2], p[1]}, desc("updated_at"))
}

func testListProfilesPaging(t *testing.T, s clientele.Store) {
	p := listSetup(t, s)
	page := func(f clientele.ProfileFilter, want []string, total int) {
		t.Helper()
		wantList(t, s, f, want, total)
	}
	page(clientele.ProfileFilter{Limit: 2}, p[:2], 5)
	page(clientele.ProfileFilter{Offset: 2, Limit: 2}, p[2:4], 5)
	page(clientele.ProfileFilter{Offset: 4, Limit: 2}, p[4:], 5)
	page(clientele.ProfileFilter{Offset: 10, Limit: 2}, nil, 5)
	page(clientele.ProfileFilter{LastName: ptr("smith"), Offset: 1, Limit: 1}, []string{p[2]}, 2)
	page(clientele.ProfileFilter{Sort: []clientele.SortField{{Field: "created_at", Desc: true}}, Offset: 1, Limit: 2}, []string{p[3], p[2]}, 5)
}

func testProfileByIdentity(t *testing.T, s clientele.Store) {
	_, items := run(t, s, clientele.MatchEmail, t0,
		`{"email":"a@x.com","identities":[{"handle":"shopify","identifier":"S-1"},{"handle":"pos","identifier":"P-1"}]}`,
		`{"email":"b@x.com","identities":[{"handle":"shopify","identifier":"S-2"}]}`)
	for _, tc := range []struct {
		key  clientele.IdentityKey
		want *string
	}{
		{clientele.IdentityKey{Handle: "shopify", Identifier: "S-1"}, items[0].EntityID},
		{clientele.IdentityKey{Handle: "pos", Identifier: "P-1"}, items[0].EntityID},
		{clientele.IdentityKey{Handle: "shopify", Identifier: "S-2"}, items[1].EntityID},
	} {
		p, err := s.ProfileByIdentity(t.Context(), tc.key)
		ok(t, err)
		if p.ID != *tc.want || len(p.Identities) == 0 {
			t.Errorf("ProfileByIdentity(%v) = %s with %d identities, want %s", tc.key, p.ID, len(p.Identities), *tc.want)
		}
	}
	for _, k := range []clientele.IdentityKey{{Handle: "pos", Identifier: "S-1"}, {Handle: "shopify", Identifier: "s-1"}, {Handle: "loyalty", Identifier: "P-1"}} {
		_, err := s.ProfileByIdentity(t.Context(), k)
		wantCode(t, err, clientele.ENOTFOUND)
	}
}

// testListProfilesInLists: filter[id], and the [in] forms of the string
// filters, any of the values, combined with the rest by AND.
func testListProfilesInLists(t *testing.T, s clientele.Store) {
	p := listSetup(t, s)
	list := func(f clientele.ProfileFilter, want ...string) {
		t.Helper()
		wantList(t, s, f, want, len(want))
	}
	list(clientele.ProfileFilter{IDs: []string{p[3]}}, p[3])
	list(clientele.ProfileFilter{IDs: []string{p[4], p[1], uuid.NewString()}}, p[1], p[4])
	list(clientele.ProfileFilter{IDs: []string{uuid.NewString()}})
	list(clientele.ProfileFilter{IDs: []string{"not-a-uuid"}})
	list(clientele.ProfileFilter{IDs: []string{p[0], p[2]}, LastName: ptr("SMITH")}, p[0], p[2])
	list(clientele.ProfileFilter{IDs: []string{p[0], p[3]}, LastName: ptr("SMITH")}, p[0])
	list(clientele.ProfileFilter{EmailIn: []string{"CAROL@gamma.com", "alice@alpha.com", "x@y.z"}}, p[0], p[3])
	list(clientele.ProfileFilter{FirstNameIn: []string{"BOB", "zed"}}, p[2], p[4])
	list(clientele.ProfileFilter{LastNameIn: []string{"young", "jones"}}, p[1], p[3])
	list(clientele.ProfileFilter{MobilePhoneIn: []string{"+61404222222", "+61404111111"}}, p[0], p[4])
	list(clientele.ProfileFilter{MobilePhoneIn: []string{"+61404222222"}, FirstName: ptr("alice")})
}

// testListProfilesTimes: operator filters on created_at and updated_at.
// listSetup creates its profiles at 10:30, 11:30, … 14:30 on t0's day.
func testListProfilesTimes(t *testing.T, s clientele.Store) {
	p := listSetup(t, s)
	cond := func(op, v string) clientele.TimeCond {
		t.Helper()
		c, good := clientele.ParseTimeCond(op, v)
		if !good {
			t.Fatalf("ParseTimeCond(%s, %s) failed", op, v)
		}
		return c
	}
	created := func(want []string, cs ...clientele.TimeCond) {
		t.Helper()
		wantList(t, s, clientele.ProfileFilter{CreatedAt: cs}, want, len(want))
	}
	created(p, cond("eq", "2025-06-02"))
	created(nil, cond("eq", "2025-06-01"))
	created([]string{p[1]}, cond("eq", "2025-06-02 11:30:00"))
	created([]string{p[1]}, cond("eq", "2025-06-02T11:30:00Z"))
	created(nil, cond("eq", "2025-06-02 11:30:01"))
	created([]string{p[2], p[3], p[4]}, cond("gt", "2025-06-02 11:30:00"))
	created([]string{p[1], p[2], p[3], p[4]}, cond("gte", "2025-06-02 11:30:00"))
	created([]string{p[0]}, cond("lt", "2025-06-02 11:30:00"))
	created([]string{p[0], p[1]}, cond("lte", "2025-06-02 11:30:00"))
	created(nil, cond("gt", "2025-06-02"))
	created(p, cond("lte", "2025-06-02"))
	created([]string{p[0], p[4]}, cond("in", "2025-06-02 10:30:00, 2025-06-02T14:30:00Z,2024-01-01"))
	// Several conditions on one field all hold: a window.
	created([]string{p[1], p[2]}, cond("gte", "2025-06-02 11:00:00"), cond("lt", "2025-06-02 13:00:00"))

	run(t, s, clientele.MatchEmail, at(30*time.Hour), `{"email":"bob@beta.com","company":"Acme"}`)
	wantList(t, s, clientele.ProfileFilter{UpdatedAt: []clientele.TimeCond{cond("gte", "2025-06-03")}}, []string{p[2]}, 1)
	wantList(t, s, clientele.ProfileFilter{UpdatedAt: []clientele.TimeCond{cond("lt", "2025-06-03")},
		CreatedAt: []clientele.TimeCond{cond("gt", "2025-06-02 10:30:00")}}, []string{p[1], p[3], p[4]}, 3)

	for _, bad := range [][2]string{{"eq", "yesterday"}, {"gt", "2025-13-01"}, {"in", "2025-06-02,x"}, {"in", " , "}, {"like", "2025-06-02"}} {
		if _, good := clientele.ParseTimeCond(bad[0], bad[1]); good {
			t.Errorf("ParseTimeCond(%s, %q) accepted", bad[0], bad[1])
		}
	}
}

// testListProfilesTags: filter[tags.handle] finds profiles holding the tag,
// ignoring case, whole tags only, whatever characters the tag holds.
func testListProfilesTags(t *testing.T, s clientele.Store) {
	var p []string
	for i, tags := range []string{
		`["VIP customer","gold"]`,
		`["vip"]`,
		`["50%_off","a\"b\\c","<b>&"]`,
		`["Été","straße"]`,
		`[]`,
		`["gold","x"]`,
	} {
		item := fmt.Sprintf(`{"email":"t%d@x.com","tags":%s}`, i, tags)
		_, items := run(t, s, clientele.MatchEmail, at(time.Duration(i+1)*time.Hour), item)
		p = append(p, *items[0].EntityID)
	}
	// A profile whose other fields hold the tag's text is no match.
	run(t, s, clientele.MatchEmail, at(7*time.Hour), `{"email":"decoy@x.com","company":"vip",
		"custom_attributes":[{"namespace":"vip","handle":"gold","value":"gold"}]}`)
	tags := func(f clientele.ProfileFilter, want ...string) {
		t.Helper()
		wantList(t, s, f, want, len(want))
	}
	tags(clientele.ProfileFilter{TagHandles: []string{"vip-customer"}}, p[0])
	tags(clientele.ProfileFilter{TagHandles: []string{"VIP Customer"}}, p[0])
	tags(clientele.ProfileFilter{TagHandles: []string{"vip"}}, p[1])
	tags(clientele.ProfileFilter{TagHandles: []string{"GOLD"}}, p[0], p[5])
	tags(clientele.ProfileFilter{TagHandles: []string{"vip", "x"}}, p[1], p[5])
	tags(clientele.ProfileFilter{TagHandles: []string{"50%_off"}}, p[2])
	tags(clientele.ProfileFilter{TagHandles: []string{"50%"}})
	tags(clientele.ProfileFilter{TagHandles: []string{"50x_off"}})
	tags(clientele.ProfileFilter{TagHandles: []string{`a"b\c`}}, p[2])
	tags(clientele.ProfileFilter{TagHandles: []string{"<B>&"}}, p[2])
	tags(clientele.ProfileFilter{TagHandles: []string{"ÉTÉ"}}, p[3])
	tags(clientele.ProfileFilter{TagHandles: []string{"ete"}})
	tags(clientele.ProfileFilter{TagHandles: []string{"STRAßE"}}, p[3])
	tags(clientele.ProfileFilter{TagHandles: []string{"nope"}})
	// With other filters, a sort and a page: the total counts every match.
	gold := clientele.ProfileFilter{TagHandles: []string{"gold", "vip"}, Sort: []clientele.SortField{{Field: "created_at", Desc: true}}}
	gold.Limit = 2
	wantList(t, s, gold, []string{p[5], p[1]}, 3)
	gold.Offset = 2
	wantList(t, s, gold, []string{p[0]}, 3)
	gold.Offset = 3
	wantList(t, s, gold, nil, 3)
	tags(clientele.ProfileFilter{TagHandles: []string{"gold"}, IDs: []string{p[5], p[1]}}, p[5])
	tags(clientele.ProfileFilter{TagHandles: []string{"gold"}, Email: ptr("T0@X.COM")}, p[0])

	// A listed profile is whole.
	ps := wantList(t, s, clientele.ProfileFilter{TagHandles: []string{"vip"}}, []string{p[1]}, 1)
	wantSameProfile(t, "listed by tag", ps[0], getProfile(t, s, p[1]))
}

// testListProfilesAttributes: find by custom attribute (spec §8.1).
func testListProfilesAttributes(t *testing.T, s clientele.Store) {
	var p []string
	for i, attrs := range []string{
		`{"namespace":"locale","handle":"language","value":"EN"},{"namespace":"loyalty","handle":"points","type":"integer","value":70}`,
		`{"namespace":"locale","handle":"language","value":"en"},{"namespace":"loyalty","handle":"points","type":"integer","value":7}`,
		`{"namespace":"locale","handle":"language","value":"FR"},{"namespace":"loyalty","handle":"points","type":"float","value":7.5}`,
		`{"namespace":"prefs","handle":"vegan","type":"boolean","value":true},{"namespace":"prefs","handle":"since","value":"2021-03-04"}`,
		`{"namespace":"prefs","handle":"vegan","type":"boolean","value":false},{"namespace":"prefs","handle":"since","value":"2019-12-31"},
		 {"namespace":"prefs","handle":"blob","type":"json","value":{"a":[1,2],"b":"<x>"}}`,
		`{"namespace":"Locale","handle":"language","value":"EN"},{"namespace":"prefs","handle":"note","value":"50% \"off\" été"}`,
	} {
		item := fmt.Sprintf(`{"email":"a%d@x.com","custom_attributes":[%s]}`, i, attrs)
		_, items := run(t, s, clientele.MatchEmail, at(time.Duration(i+1)*time.Hour), item)
		p = append(p, *items[0].EntityID)
	}
	a := func(ns, h, op string, vals ...string) clientele.AttributeCond {
		return clientele.AttributeCond{Namespace: ns, Handle: h, Op: op, Values: vals}
	}
	find := func(want []string, cs ...clientele.AttributeCond) {
		t.Helper()
		wantList(t, s, clientele.ProfileFilter{Attributes: cs}, want, len(want))
	}
	// Strings are exact: case counts, and so does the namespace's.
	find([]string{p[0]}, a("locale", "language", "eq", "EN"))
	find([]string{p[1]}, a("locale", "language", "eq", "en"))
	find(nil, a("locale", "language", "eq", "E"))
	find([]string{p[5]}, a("Locale", "language", "eq", "EN"))
	find([]string{p[0], p[2]}, a("locale", "language", "in", "EN", "FR", "DE"))
	find([]string{p[5]}, a("prefs", "note", "eq", `50% "off" été`))
	find(nil, a("prefs", "note", "eq", `50% "off" ete`))
	// Numbers compare as numbers.
	find([]string{p[1]}, a("loyalty", "points", "eq", "7"))
	find([]string{p[1]}, a("loyalty", "points", "eq", "7.0"))
	find([]string{p[0], p[2]}, a("loyalty", "points", "gt", "7"))
	find([]string{p[0], p[1], p[2]}, a("loyalty", "points", "gte", "7"))
	find([]string{p[1], p[2]}, a("loyalty", "points", "lt", "8"))
	find([]string{p[1]}, a("loyalty", "points", "lte", "7"))
	find([]string{p[0], p[2]}, a("loyalty", "points", "in", "70", "7.5"))
	find(nil, a("loyalty", "points", "gt", "abc"))
	// Strings order byte-wise: ISO dates.
	find([]string{p[3]}, a("prefs", "since", "gte", "2020-01-01"))
	find([]string{p[4]}, a("prefs", "since", "lt", "2020-01-01"))
	// Booleans and JSON.
	find([]string{p[3]}, a("prefs", "vegan", "eq", "true"))
	find([]string{p[3]}, a("prefs", "vegan", "eq", "1"))
	find([]string{p[4]}, a("prefs", "vegan", "eq", "false"))
	find(nil, a("prefs", "vegan", "gt", "false"))
	find([]string{p[4]}, a("prefs", "blob", "eq", `{"a": [1, 2], "b": "<x>"}`))
	find(nil, a("prefs", "blob", "eq", `{"b":"<x>","a":[1,2]}`))
	// Conditions combine by AND, on one attribute or several.
	find([]string{p[0]}, a("locale", "language", "in", "EN", "FR"), a("loyalty", "points", "gt", "8"))
	find([]string{p[2]}, a("loyalty", "points", "gt", "7"), a("loyalty", "points", "lt", "10"))
	find(nil, a("locale", "language", "eq", "EN"), a("prefs", "vegan", "eq", "true"))
	find(nil, a("nope", "language", "eq", "EN"))

	// With a sort and a page the total counts every match.
	f := clientele.ProfileFilter{Attributes: []clientele.AttributeCond{a("loyalty", "points", "gte", "0")},
		Sort: []clientele.SortField{{Field: "created_at", Desc: true}}, Limit: 2}
	wantList(t, s, f, []string{p[2], p[1]}, 3)
	f.Offset = 2
	ps := wantList(t, s, f, []string{p[0]}, 3)
	wantSameProfile(t, "listed by attribute", ps[0], getProfile(t, s, p[0]))

	// Doc conditions and column conditions together.
	wantList(t, s, clientele.ProfileFilter{Attributes: []clientele.AttributeCond{a("loyalty", "points", "gte", "0")},
		EmailIn: []string{"a1@x.com", "a2@x.com", "a3@x.com"}}, []string{p[1], p[2]}, 2)
}
