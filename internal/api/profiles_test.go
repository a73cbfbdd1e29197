package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"testing"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/client"
)

const richProfile = `{
	"email": "Example@Example.com", "title": "Mr", "first_name": "Example", "last_name": "User",
	"gender": "male", "currency": "AUD", "joined_at": "2021-01-27", "mobile_phone": "+61404123123",
	"birth_day": 1, "birth_month": 1, "birth_year": 1989, "company": "Acme", "occupation": "Developer",
	"avatar_url": "https://example.com/a.png", "profile_type": "active",
	"tags": ["vip customer"], "statuses": ["gold"],
	"identities": [{"handle": "shopify", "identifier": "S-1", "is_primary": true}, {"handle": "pos", "identifier": "P-1"}],
	"custom_attributes": [{"namespace": "locale", "handle": "language", "type": "string", "value": "EN"},
		{"namespace": "locale", "handle": "visits", "type": "integer", "value": 3}],
	"dates_attributes": [{"date": "2020-05-06", "handle": "anniversary", "name": "Anniversary", "is_recurring": true, "recurring_schedule": "Yearly"}],
	"addresses": [{"address_line_1": "1 George St", "city": "Sydney", "postcode": "2000", "country": "AU", "is_default": true},
		{"address_line_1": "2 Pitt St", "city": "Sydney", "postcode": "2000", "country": "AU"}],
	"comms_attributes": {"email_promo": true, "sms_verification": "sent"},
	"appearance_attributes": {"hair_colour": "brown"},
	"regions": [{"region_id": 7, "handle": "apac", "is_active": true, "country": "AU", "state": "NSW"}]
}`

// profileTypes is the JSON type of every key of spec §4.1; "?" allows null.
var profileTypes = map[string]string{
	"id": "string", "external_id": "?string", "title": "?string", "first_name": "string",
	"last_name": "string", "full_name": "string", "email": "?string", "gender": "?string",
	"currency": "?string", "joined_at": "?string", "mobile_phone": "?string",
	"mobile_phone_country": "?number", "mobile_phone_national": "?string",
	"mobile_phone_national_prefix": "?string", "mobile_phone_e164": "?string",
	"secondary_phone": "?string", "birth_day": "?number", "birth_month": "?number",
	"birth_year": "?number", "birth_date": "?string", "birth_days": "?number",
	"birth_days_past": "?number", "next_birthday": "?string", "company": "?string",
	"occupation": "?string", "avatar_url": "?string", "is_completed": "bool",
	"joined_location_id": "?number", "joined_location": "null", "preferred_location_id": "?number",
	"preferred_location": "null", "custom_fields": "object", "tier_handle": "null", "tier": "null",
	"profile_type": "string", "identities": "array", "tags": "array", "statuses": "array",
	"statuses_original": "array", "attributes": "object", "custom_attributes": "object",
	"address": "?object", "addresses": "array", "region": "?object", "regions": "array",
	"reward_balance": "number", "point_balance": "number", "point_balance_dollars": "number",
	"combined_balance_dollars": "number", "created_at": "string", "updated_at": "string",
}

func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case float64:
		return "number"
	case bool:
		return "bool"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "?"
}

// checkProfileShape asserts every §4.1 key is present with its JSON type;
// nonNull lists keys that must hold a value.
func checkProfileShape(t *testing.T, p map[string]any, nonNull ...string) {
	t.Helper()
	keys := make([]string, 0, len(profileTypes))
	for k := range profileTypes {
		keys = append(keys, k)
	}
	wantKeys(t, "profile", p, keys...)
	for k, want := range profileTypes {
		got := jsonType(p[k])
		ok := got == want || (want[0] == '?' && (got == "null" || got == want[1:]))
		if slices.Contains(nonNull, k) && got == "null" {
			ok = false
		}
		if !ok {
			t.Errorf("profile.%s = %#v (%s), want %s", k, p[k], got, want)
		}
	}
}

// getProfileJSON reads one profile raw.
func (e *env) getProfileJSON(id string) map[string]any {
	e.t.Helper()
	r := e.do("GET", "/api/v3/profiles/"+id, e.admin, nil)
	expect(e.t, r, http.StatusOK, "")
	m := r.json(e.t)
	wantKeys(e.t, "envelope", m, "data")
	return m["data"].(map[string]any)
}

// applied submits items, applies them and returns the profile ids in order.
func (e *env) applied(match string, items ...string) []string {
	e.t.Helper()
	id := e.submit(profilesJSON(match, items...))
	e.drain()
	b, err := e.client().Batch(e.t.Context(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	var ids []string
	for _, it := range b.Items {
		if it.EntityID == nil {
			e.t.Fatalf("item %d not applied: %+v", it.Index, it)
		}
		ids = append(ids, *it.EntityID)
	}
	return ids
}

// TestProfileShape: a fully populated profile renders every §4.1 key with
// its type, derived fields included.
func TestProfileShape(t *testing.T) {
	e := newEnv(t)
	id := e.applied("email", richProfile)[0]
	p := e.getProfileJSON(id)
	checkProfileShape(t, p, "external_id", "title", "email", "gender", "currency", "joined_at",
		"mobile_phone", "mobile_phone_country", "mobile_phone_national", "mobile_phone_national_prefix",
		"mobile_phone_e164", "birth_day", "birth_month", "birth_year", "birth_date", "birth_days",
		"birth_days_past", "next_birthday", "company", "occupation", "avatar_url", "address", "region")

	for k, want := range map[string]any{
		"id": id, "external_id": "S-1", "first_name": "Example", "last_name": "User",
		"full_name": "Example User", "email": "example@example.com", "gender": "male",
		"joined_at": "2021-01-27 00:00:00", "mobile_phone": "+61404123123",
		"mobile_phone_country": 61.0, "mobile_phone_national": "404123123",
		"mobile_phone_national_prefix": "0404123123", "mobile_phone_e164": "+61404123123",
		"birth_date": "1989-01-01", "next_birthday": "2026-01-01", "birth_days": 339.0,
		"birth_days_past": 25.0, "is_completed": true, "profile_type": "active",
		"tier": nil, "tier_handle": nil, "joined_location": nil, "preferred_location": nil,
		"reward_balance": 0.0, "point_balance": 0.0, "point_balance_dollars": 0.0, "combined_balance_dollars": 0.0,
	} {
		if !reflect.DeepEqual(p[k], want) {
			t.Errorf("profile.%s = %#v, want %#v", k, p[k], want)
		}
	}
	for k, want := range map[string]any{
		"tags": []any{"vip-customer"}, "statuses": []any{"gold"}, "statuses_original": []any{"gold"},
		"custom_fields":     map[string]any{},
		"custom_attributes": map[string]any{"locale": map[string]any{"language": "EN", "visits": 3.0}},
	} {
		if !reflect.DeepEqual(p[k], want) {
			t.Errorf("profile.%s = %#v, want %#v", k, p[k], want)
		}
	}
	for _, k := range []string{"created_at", "updated_at"} {
		if !timestampRE.MatchString(p[k].(string)) {
			t.Errorf("profile.%s = %q", k, p[k])
		}
	}

	attrs := p["attributes"].(map[string]any)
	wantKeys(t, "attributes", attrs, "comms", "appearance", "dates")
	comms := attrs["comms"].(map[string]any)
	wantKeys(t, "comms", comms, append(slices.Clone(clientele.CommsKeys), "profile_id", "created_at", "updated_at")...)
	for k, want := range map[string]any{
		"profile_id": id, "email_promo": true, "sms_promo": false, "email_optout": false,
		"post_bounced": false, "email_discover": nil, "email_verification": "not_sent",
		"sms_verification": "sent", "terms_accepted_at": nil, "terms_accepted_version": nil,
	} {
		if comms[k] != want {
			t.Errorf("comms.%s = %#v, want %#v", k, comms[k], want)
		}
	}
	appearance := attrs["appearance"].(map[string]any)
	wantKeys(t, "appearance", appearance, append(slices.Clone(clientele.AppearanceKeys), "profile_id", "created_at", "updated_at")...)
	for _, k := range clientele.AppearanceKeys {
		want := any(nil)
		if k == "hair_colour" {
			want = "brown"
		}
		if appearance[k] != want {
			t.Errorf("appearance.%s = %#v, want %#v", k, appearance[k], want)
		}
	}
	dates := attrs["dates"].([]any)
	if len(dates) != 1 {
		t.Fatalf("dates = %v", dates)
	}
	d := dates[0].(map[string]any)
	wantKeys(t, "date", d, "id", "profile_id", "date", "name", "handle", "type", "relationship", "role",
		"is_recurring", "recurring_schedule", "description", "note", "meta", "links", "created_at", "updated_at")
	if jsonType(d["id"]) != "number" || d["profile_id"] != id || d["date"] != "2020-05-06" || d["is_recurring"] != true ||
		d["recurring_schedule"] != "Yearly" || jsonType(d["links"]) != "array" {
		t.Errorf("date = %v", d)
	}

	idents := p["identities"].([]any)
	if len(idents) != 2 {
		t.Fatalf("identities = %v", idents)
	}
	for _, x := range idents {
		i := x.(map[string]any)
		wantKeys(t, "identity", i, "id", "handle", "identifier", "is_active", "is_primary", "profile_id", "merged_from", "created_at", "updated_at")
		if jsonType(i["id"]) != "number" || i["is_active"] != true || jsonType(i["is_primary"]) != "bool" ||
			i["profile_id"] != id || i["merged_from"] != nil || jsonType(i["identifier"]) != "string" {
			t.Errorf("identity = %v", i)
		}
	}

	addrs := p["addresses"].([]any)
	addr := p["address"].(map[string]any)
	if len(addrs) != 2 || addr["address_line_1"] != "1 George St" || addr["is_default"] != true || jsonType(addr["id"]) != "number" {
		t.Errorf("address = %v, addresses = %v", addr, addrs)
	}
	region := p["region"].(map[string]any)
	wantKeys(t, "region", region, "id", "name", "handle", "countries", "is_default", "country", "state", "is_active")
	if region["id"] != 7.0 || region["handle"] != "apac" || region["is_active"] != true || region["is_default"] != nil ||
		region["country"] != "AU" || !reflect.DeepEqual(region["countries"], []any{}) || len(p["regions"].([]any)) != 1 {
		t.Errorf("region = %v, regions = %v", region, p["regions"])
	}

	// The typed client reads the same object.
	cp, err := e.client().Profile(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if cp.MobilePhoneCountry == nil || *cp.MobilePhoneCountry != 61 || cp.CustomAttributes["locale"]["language"] != "EN" ||
		len(cp.Attributes.Dates) != 1 || cp.Address == nil || cp.Region == nil || cp.Region.ID != 7 {
		t.Errorf("client profile = %+v", cp)
	}
}

// TestProfileShapeMinimal: a profile with only an email still has every
// key, with empty collections rather than null.
func TestProfileShapeMinimal(t *testing.T) {
	e := newEnv(t)
	id := e.applied("email", `{"email":"min@example.com"}`)[0]
	p := e.getProfileJSON(id)
	checkProfileShape(t, p)
	for k, want := range map[string]any{
		"first_name": "Unknown", "last_name": "Unknown", "full_name": "Unknown Unknown",
		"external_id": nil, "mobile_phone_country": nil, "mobile_phone_e164": nil, "birth_date": nil,
		"next_birthday": nil, "birth_days": nil, "address": nil, "region": nil, "is_completed": true,
		"profile_type": "active",
	} {
		if !reflect.DeepEqual(p[k], want) {
			t.Errorf("profile.%s = %#v, want %#v", k, p[k], want)
		}
	}
	for _, k := range []string{"identities", "tags", "statuses", "statuses_original", "addresses", "regions"} {
		if !reflect.DeepEqual(p[k], []any{}) {
			t.Errorf("profile.%s = %#v, want []", k, p[k])
		}
	}
	for _, k := range []string{"custom_attributes", "custom_fields"} {
		if !reflect.DeepEqual(p[k], map[string]any{}) {
			t.Errorf("profile.%s = %#v, want {}", k, p[k])
		}
	}
	if d := p["attributes"].(map[string]any)["dates"]; !reflect.DeepEqual(d, []any{}) {
		t.Errorf("attributes.dates = %#v, want []", d)
	}
	if _, err := e.client().Profile(t.Context(), "92975ecb-5264-4d31-9f2b-789fa01f4555"); !client.IsNotFound(err) {
		t.Errorf("unknown profile: %v, want 404", err)
	}
}

// TestListProfiles: filters ignore case, profile_type takes a list, search
// matches substrings of names, email and mobile, sort and pagination (§5.1).
func TestListProfiles(t *testing.T) {
	e := newEnv(t)
	ids := e.applied("email",
		`{"email":"ann@example.com","first_name":"Ann","last_name":"Zed"}`,
		`{"email":"bob@example.com","first_name":"SDK test profile batch","last_name":"Young","profile_type":"deleted"}`,
		`{"email":"cat@example.com","first_name":"Cat","last_name":"Xu","mobile_phone":"+61404123123"}`,
		`{"email":"dan@example.com","first_name":"Dan","last_name":"Wu","profile_type":"temporary"}`,
		`{"email":"eve@other.org","first_name":"Eve","last_name":"Vo"}`)
	ann, sdk, cat, dan, eve := ids[0], ids[1], ids[2], ids[3], ids[4]
	// One batch, one clock: every created_at is equal, so the default order
	// (created_at, then id) is id order.
	byID := slices.Sorted(slices.Values(ids))
	annDan := slices.Sorted(slices.Values([]string{ann, dan}))

	list := func(query string) []string {
		t.Helper()
		r := e.do("GET", "/api/v3/profiles?"+query, e.admin, nil)
		expect(t, r, http.StatusOK, "")
		var page struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range page.Data {
			got = append(got, p.ID)
		}
		return got
	}
	q := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", byID},
		{q("filter[email]", "ANN@Example.com"), []string{ann}},
		{q("filter[email]", "ann@example"), nil},
		{q("filter[first_name]", "Sdk Test Profile Batch", "filter[profile_type]", "deleted"), []string{sdk}},
		{q("filter[first_name]", "Sdk Test Profile Batch", "filter[profile_type]", "active"), nil},
		{q("filter[last_name]", "wu"), []string{dan}},
		{q("filter[profile_type]", "deleted,temporary"), slices.Sorted(slices.Values([]string{sdk, dan}))},
		{q("filter[email]", ""), byID},
		{q("search", "OTHER.org"), []string{eve}},
		{q("filter[search]", "404123"), []string{cat}},
		{q("filter[search]", "an"), annDan},
		{q("sort", "first_name"), []string{ann, cat, dan, eve, sdk}},
		{q("sort", "-first_name"), []string{sdk, eve, dan, cat, ann}},
		{q("sort", "bogus,-last_name"), []string{ann, sdk, cat, dan, eve}},
		{q("sort", "last_name", "filter[profile_type]", "active"), []string{eve, cat, ann}},
	} {
		if got := list(c.query); !slices.Equal(got, c.want) {
			t.Errorf("GET /profiles?%s = %v, want %v", c.query, got, c.want)
		}
	}

	page, err := e.client().ListProfiles(t.Context(), client.ProfilesQuery{Sort: "email", Page: 3, Size: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 1 || page.Data[0].ID != eve || page.Meta.Total != 5 || page.Meta.LastPage != 3 ||
		page.Meta.CurrentPage != 3 || page.Links.Next != nil || page.Links.Prev == nil {
		t.Errorf("page 3 of 3 = %+v %+v", page.Meta, page.Links)
	}
	r := e.do("GET", "/api/v3/profiles?page[size]=2&filter[last_name]=nobody", e.admin, nil)
	checkPage(t, r.json(t), pageWant{current: 1, last: 1, perPage: 2, total: 0,
		first: e.srv.URL + "/api/v3/profiles?filter%5Blast_name%5D=nobody&page%5Bnumber%5D=1&page%5Bsize%5D=2"})
	expectInvalid(t, e.do("GET", "/api/v3/profiles?page[number]=0", e.admin, nil), "page.number")
	if _, err := e.client().ListProfiles(t.Context(), client.ProfilesQuery{Page: -1}); err != nil {
		t.Errorf("a zero-or-less page is not sent by the client: %v", err)
	}
}
