package api_test

import (
	"fmt"
	"net/http"
	"reflect"
	"testing"
)

// Each part route answers the same object GET /profiles/{id} shows for
// that part, in the envelope the spec gives it, and 404 for what the
// profile does not hold.
func TestProfilePartRoutes(t *testing.T) {
	e := newEnv(t)
	e.submit(profilesJSON("email",
		`{"email":"parts@example.com","identities":[{"handle":"shopify","identifier":"s-1"},{"handle":"pos","identifier":"p-1"}],
		  "custom_attributes":[{"namespace":"locale","handle":"language","value":"EN"},{"namespace":"crm","handle":"score","type":"integer","value":7}],
		  "dates_attributes":[{"date":"2023-12-25","handle":"anniversary","relationship":"partner"}],
		  "addresses":[{"address_line_1":"1 George St","city":"Sydney","postcode":"2000","country":"AU","is_default":true}],
		  "regions":[{"region_id":7,"country":"AU","state":"NSW"}],
		  "comms_attributes":{"email_promo":true},"appearance_attributes":{"hair_colour":"red"}}`,
		`{"email":"other@example.com","identities":[{"handle":"shopify","identifier":"s-2"}]}`))
	e.drain()
	list := e.do("GET", "/api/v3/profiles?sort=created_at", e.admin, nil).json(t)["data"].([]any)
	p := list[0].(map[string]any)
	if p["email"] != "parts@example.com" {
		p = list[1].(map[string]any)
	}
	other := list[0].(map[string]any)
	if other["email"] != "other@example.com" {
		other = list[1].(map[string]any)
	}
	base := "/api/v3/profiles/" + p["id"].(string)
	data := func(path string) any {
		t.Helper()
		r := e.do("GET", base+path, e.admin, nil)
		expect(t, r, http.StatusOK, "")
		return r.json(t)["data"]
	}
	same := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}
	ids := p["identities"].([]any)
	same("identities", data("/identities"), ids)
	for _, id := range ids {
		m := id.(map[string]any)
		same("identity by handle "+m["handle"].(string), data("/identities/"+m["handle"].(string)), m)
		same("identity by id", data(fmt.Sprintf("/identities/id/%v", m["id"])), m)
	}
	attrs := p["attributes"].(map[string]any)
	same("dates", data("/attributes/dates"), attrs["dates"])
	same("comms", data("/attributes/comms"), attrs["comms"])
	same("appearance", data("/attributes/appearance"), attrs["appearance"])
	same("addresses", data("/addresses"), p["addresses"])
	addr := p["addresses"].([]any)[0].(map[string]any)
	same("address", data(fmt.Sprintf("/addresses/%v", addr["id"])), addr)
	same("regions", data("/regions"), p["regions"])

	custom := data("/attributes/custom").([]any)
	if len(custom) != 2 {
		t.Fatalf("custom attributes %v", custom)
	}
	score := data("/attributes/custom/crm:score").(map[string]any)
	if score["value"] != 7.0 || score["type"] != "integer" || score["namespace"] != "crm" ||
		score["handle"] != "score" || score["profile_id"] != p["id"] {
		t.Errorf("crm:score = %v", score)
	}
	if _, ok := score["id"].(float64); !ok {
		t.Errorf("custom attribute id %v is not a number", score["id"])
	}

	otherIdentity := other["identities"].([]any)[0].(map[string]any)["id"]
	for _, path := range []string{
		"/identities/loyalty",
		fmt.Sprintf("/identities/id/%v", otherIdentity), // another profile's identity
		"/identities/id/abc",
		"/attributes/custom/locale", // no ":" names nothing
		"/attributes/custom/crm:tier",
		"/addresses/999999",
	} {
		expect(t, e.do("GET", base+path, e.admin, nil), http.StatusNotFound, `{"message":"Not Found."}`)
	}
	expect(t, e.do("GET", "/api/v3/profiles/92975ecb-5264-4d31-9f2b-789fa01f4555/identities", e.admin, nil),
		http.StatusNotFound, `{"message":"Not Found."}`)
}

// A profile is found by an identity: through search-id (spec §5.8) and
// through GET /profiles/{identifier}?identity[handle]= (spec §5.3).
func TestProfileByIdentityRoutes(t *testing.T) {
	e := newEnv(t)
	e.submit(profilesJSON("email", `{"email":"found@example.com","identities":[{"handle":"shopify","identifier":"S-77"}]}`))
	e.drain()
	id := e.do("GET", "/api/v3/profiles?filter[email]=found@example.com", e.admin, nil).json(t)["data"].([]any)[0].(map[string]any)["id"]
	profileIDOf := func(r response) any {
		t.Helper()
		expect(t, r, http.StatusOK, "")
		return r.json(t)["data"].(map[string]any)["id"]
	}
	for _, body := range []string{`{"type":"shopify","id":"S-77"}`, fmt.Sprintf(`{"type":"profile_id","id":"%s"}`, id)} {
		if got := profileIDOf(e.do("POST", "/api/v3/profiles/search-id", e.admin, []byte(body))); got != id {
			t.Errorf("search-id %s found %v, want %v", body, got, id)
		}
	}
	if got := profileIDOf(e.do("GET", "/api/v3/profiles/S-77?identity[handle]=shopify", e.admin, nil)); got != id {
		t.Errorf("identity[handle] found %v, want %v", got, id)
	}
	for _, body := range []string{`{"type":"shopify","id":"S-78"}`, `{"type":"pos","id":"S-77"}`, `{"type":"profile_id","id":"S-77"}`} {
		expect(t, e.do("POST", "/api/v3/profiles/search-id", e.admin, []byte(body)), http.StatusNotFound, `{"message":"Not Found."}`)
	}
	expect(t, e.do("GET", "/api/v3/profiles/S-77?identity[handle]=pos", e.admin, nil), http.StatusNotFound, `{"message":"Not Found."}`)
	expectInvalid(t, e.do("POST", "/api/v3/profiles/search-id", e.admin, []byte(`{"type":"shopify"}`)), "id")
	expect(t, e.do("POST", "/api/v3/profiles/search-id", e.admin, []byte(`{"type":`)), http.StatusBadRequest, `{"message":"Malformed JSON body."}`)
}
