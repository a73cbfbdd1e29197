package api_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// listIDs GETs path?query and returns the profile ids of the page and
// meta.total.
func (e *env) listIDs(path, query string) ([]string, int) {
	e.t.Helper()
	r := e.do("GET", path+"?"+query, e.admin, nil)
	expect(e.t, r, http.StatusOK, "")
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
		Meta struct {
			Total int `json:"total"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil {
		e.t.Fatal(err)
	}
	var got []string
	for _, p := range page.Data {
		got = append(got, p.ID)
	}
	return got, page.Meta.Total
}

// query encodes key, value pairs.
func query(kv ...string) string {
	v := url.Values{}
	for i := 0; i < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

// TestListProfilesMoreFilters: filter[id], filter[tags.handle] and the
// operator forms of spec §1.3 on GET /profiles.
func TestListProfilesMoreFilters(t *testing.T) {
	e := newEnv(t)
	ids := e.applied("email",
		`{"email":"ann@example.com","first_name":"Ann","tags":["VIP customer","gold"]}`,
		`{"email":"bob@example.com","first_name":"Bob","tags":["vip"],"mobile_phone":"+61404111111"}`,
		`{"email":"cat@example.com","first_name":"Cat","company":"gold"}`)
	// One batch, one clock: the default order is id order.
	sorted := func(ps ...string) []string { return slices.Sorted(slices.Values(ps)) }
	ann, bob, cat := ids[0], ids[1], ids[2]
	all := sorted(ann, bob, cat)
	for _, c := range []struct {
		query string
		want  []string
	}{
		{query("filter[id]", bob), []string{bob}},
		{query("filter[id]", "BOGUS"), nil},
		{query("filter[id][in]", cat+","+ann), sorted(ann, cat)},
		{query("filter[id][eq]", ann), []string{ann}},
		{query("filter[tags.handle]", "VIP-Customer"), []string{ann}},
		{query("filter[tags.handle]", "vip customer"), []string{ann}},
		{query("filter[tags.handle]", "gold"), []string{ann}},
		{query("filter[tags.handle][in]", "vip,gold"), sorted(ann, bob)},
		{query("filter[tags.handle]", "vi"), nil},
		{query("filter[tags.handle]", "vip", "filter[first_name]", "ann"), nil},
		{query("filter[email][in]", "ANN@example.com, cat@example.com"), sorted(ann, cat)},
		{query("filter[email][eq]", "BOB@example.com"), []string{bob}},
		{query("filter[first_name][in]", "bob,cat"), sorted(bob, cat)},
		{query("filter[mobile_phone][in]", "+61404111111,+61404999999"), []string{bob}},
		{query("filter[created_at][gte]", "2025-01-26"), all},
		{query("filter[created_at][lt]", "2025-01-26"), nil},
		{query("filter[created_at]", "2025-01-26 12:00:00"), all},
		{query("filter[created_at][gt]", "2025-01-26T11:59:59Z", "filter[created_at][lte]", "2025-01-26 12:00:00"), all},
		{query("filter[updated_at][in]", "2025-01-25,2025-01-27"), nil},
		{query("filter[updated_at][eq]", "2025-01-26"), all},
		// Unknown fields and operators are ignored.
		{query("filter[nope]", "x", "filter[email][like]", "x", "filter[created_at][near]", "x"), all},
	} {
		if got, total := e.listIDs("/api/v3/profiles", c.query); !slices.Equal(got, c.want) || total != len(c.want) {
			t.Errorf("GET /profiles?%s = %v (total %d), want %v", c.query, got, total, c.want)
		}
	}

	// A page of a doc-filtered list counts every match.
	got, total := e.listIDs("/api/v3/profiles", query("filter[tags.handle][in]", "vip,gold,vip-customer", "page[size]", "1", "page[number]", "2"))
	if !slices.Equal(got, sorted(ann, bob)[1:]) || total != 2 {
		t.Errorf("page 2 of tags = %v total %d", got, total)
	}

	for q, key := range map[string]string{
		query("filter[created_at]", "soon"):                 "filter.created_at",
		query("filter[created_at][gte]", "2025-02-30"):      "filter.created_at.gte",
		query("filter[updated_at][in]", "2025-01-01,nope"):  "filter.updated_at.in",
		query("filter[updated_at][lt]", "26/01/2025 10:00"): "filter.updated_at.lt",
	} {
		expectInvalid(t, e.do("GET", "/api/v3/profiles?"+q, e.admin, nil), key)
	}
	r := e.do("GET", "/api/v3/profiles?"+query("filter[created_at][gte]", "x"), e.admin, nil)
	expect(t, r, http.StatusUnprocessableEntity, `{"message":"The given data was invalid.",`+
		`"errors":{"filter.created_at.gte":["The filter.created_at.gte field must be a valid date."]}}`)
}

// TestFindProfilesByAttributes follows the SDK's find-profiles-by-attributes
// test (spec §8.1) and checks the operators and 422s.
func TestFindProfilesByAttributes(t *testing.T) {
	e := newEnv(t)
	ids := e.applied("email",
		`{"email":"a@x.com","custom_attributes":[{"namespace":"sdk","handle":"token","value":"k3J9-x"},
			{"namespace":"loyalty","handle":"points","type":"integer","value":70}]}`,
		`{"email":"b@x.com","custom_attributes":[{"namespace":"sdk","handle":"token","value":"other"},
			{"namespace":"loyalty","handle":"points","type":"integer","value":7}]}`,
		`{"email":"c@x.com","custom_attributes":[{"namespace":"loyalty","handle":"points","type":"float","value":7.5}]}`,
		`{"email":"d@x.com"}`)
	a, b, c := ids[0], ids[1], ids[2]
	sorted := func(ps ...string) []string { return slices.Sorted(slices.Values(ps)) }
	const path = "/api/v3/profiles/attributes/custom"

	// The SDK's test: one profile, the map form of custom_attributes.
	r := e.do("GET", path+"?"+query("attributes[0][namespace]", "sdk", "attributes[0][handle]", "token",
		"attributes[0][value]", "k3J9-x", "page[size]", "10", "sort", "-created_at"), e.admin, nil)
	expect(t, r, http.StatusOK, "")
	var page struct {
		Data []struct {
			ID               string                    `json:"id"`
			CustomAttributes map[string]map[string]any `json:"custom_attributes"`
		} `json:"data"`
		Meta struct {
			Total int `json:"total"`
		} `json:"meta"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 1 || page.Meta.Total != 1 || page.Data[0].ID != a ||
		page.Data[0].CustomAttributes["sdk"]["token"] != "k3J9-x" {
		t.Errorf("find = %s", r.body)
	}

	attr := func(i, ns, h string, kv ...string) []string {
		out := []string{"attributes[" + i + "][namespace]", ns, "attributes[" + i + "][handle]", h}
		for j := 0; j < len(kv); j += 2 {
			out = append(out, "attributes["+i+"][value]"+kv[j], kv[j+1])
		}
		return out
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{query(attr("0", "sdk", "token", "", "K3J9-X")...), nil},
		{query(attr("0", "sdk", "token", "[in]", "other,k3J9-x")...), sorted(a, b)},
		{query(attr("0", "loyalty", "points", "[eq]", "7.0")...), []string{b}},
		{query(attr("0", "loyalty", "points", "[gt]", "7")...), sorted(a, c)},
		{query(attr("0", "loyalty", "points", "[gte]", "7", "[lt]", "70")...), sorted(b, c)},
		{query(attr("0", "loyalty", "points", "[lte]", "7.5")...), sorted(b, c)},
		{query(append(attr("0", "loyalty", "points", "[gt]", "7"), attr("1", "sdk", "token", "", "k3J9-x")...)...), []string{a}},
		{query(append(attr("0", "loyalty", "points", "[gt]", "7"), "filter[email]", "c@x.com")...), []string{c}},
		{query(attr("0", "Loyalty", "points", "[gt]", "0")...), nil},
	} {
		if got, total := e.listIDs(path, tc.query); !slices.Equal(got, tc.want) || total != len(tc.want) {
			t.Errorf("GET %s?%s = %v (total %d), want %v", path, tc.query, got, total, tc.want)
		}
	}

	expect(t, e.do("GET", path, e.admin, nil), http.StatusUnprocessableEntity,
		`{"message":"The given data was invalid.","errors":{"attributes":["The attributes field is required."]}}`)
	expectInvalid(t, e.do("GET", path+"?"+query("attributes[0][namespace]", "sdk", "attributes[2][value]", "x"), e.admin, nil),
		"attributes.0.handle", "attributes.0.value", "attributes.2.namespace", "attributes.2.handle")
	expect(t, e.do("GET", path+"?"+query("attributes[0][namespace]", "sdk", "attributes[0][handle]", "token"), e.admin, nil),
		http.StatusUnprocessableEntity,
		`{"message":"The given data was invalid.","errors":{"attributes.0.value":["The attributes.0.value field is required."]}}`)
	// The route is read-profiles, and literal: not a profile id.
	expect(t, e.do("GET", path+"?"+query(attr("0", "sdk", "token", "", "x")...), e.token("update-profiles"), nil),
		http.StatusForbidden, "")
	expect(t, e.do("GET", path+"?"+query(attr("0", "sdk", "token", "", "x")...), e.token("read-profiles"), nil),
		http.StatusOK, "")
}
