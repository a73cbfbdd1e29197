package api_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

// invalid is the exact 422 body with one message.
func invalid(key, msg string) string {
	return `{"message":"The given data was invalid.","errors":{"` + key + `":["` + msg + `"]}}`
}

// send sends body (JSON text) with the admin token and checks the status.
func (e *env) send(method, path, body string, status int) map[string]any {
	e.t.Helper()
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	r := e.do(method, path, e.admin, b)
	if r.status != status {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, status, r.body)
	}
	if status == http.StatusNoContent {
		if len(r.body) != 0 {
			e.t.Errorf("%s %s: 204 with body %q", method, path, r.body)
		}
		return nil
	}
	return r.json(e.t)
}

// createProfile creates a profile through POST /profiles and returns it.
func (e *env) createProfile(body string) map[string]any {
	e.t.Helper()
	return e.send("POST", "/api/v3/profiles", body, http.StatusCreated)["data"].(map[string]any)
}

func TestProfileCreateUpdateDelete(t *testing.T) {
	e := newEnv(t)
	p := e.createProfile(`{"email": " Ann@Example.COM ", "first_name": "Ann", "profile_type": "temporary",
		"identities": [{"handle": "pos", "identifier": "P-1"}]}`)
	id := p["id"].(string)
	if p["email"] != "ann@example.com" || p["first_name"] != "Ann" || p["last_name"] != "Unknown" ||
		p["profile_type"] != "temporary" || len(p["identities"].([]any)) != 1 {
		t.Errorf("created %v", p)
	}
	if got := e.getProfileJSON(id); fmt.Sprint(got) != fmt.Sprint(p) {
		t.Errorf("GET = %v\nPOST = %v", got, p)
	}
	// Create refuses what a batch would refuse, with the spec's keys.
	expect(t, e.do("POST", "/api/v3/profiles", e.admin, []byte(`{"email": "ANN@example.com"}`)),
		422, invalid("email", "The email has already been taken."))
	expect(t, e.do("POST", "/api/v3/profiles", e.admin, []byte(`{"first_name": "No Email"}`)),
		422, invalid("email", "The email field is required."))
	expect(t, e.do("POST", "/api/v3/profiles", e.admin, []byte(`{"email": "b@example.com", "identities": [{"handle": "pos", "identifier": "P-1"}]}`)),
		422, invalid("identities.0.identifier", "The identifier has already been taken."))
	expect(t, e.do("POST", "/api/v3/profiles", e.admin, []byte(`{"email": `)), 400, "")

	// Update: the test's dates body comes back with an integer id.
	u := e.send("PUT", "/api/v3/profiles/"+id, `{"dates_attributes": [{"name": "Anniversary", "date": "2020-05-01",
		"type": "anniversary", "handle": "anniv", "is_recurring": true, "recurring_schedule": "yearly", "note": "n",
		"relationship": "partner", "description": "d"}]}`, http.StatusOK)["data"].(map[string]any)
	dates := u["attributes"].(map[string]any)["dates"].([]any)
	d := dates[0].(map[string]any)
	if len(dates) != 1 || d["handle"] != "anniv" || d["relationship"] != "partner" {
		t.Errorf("dates %v", dates)
	}
	if _, isNumber := d["id"].(float64); !isNumber {
		t.Errorf("date id %v is not a number", d["id"])
	}
	expect(t, e.do("PUT", "/api/v3/profiles/"+id, e.admin, []byte(`{"birth_day": 40}`)),
		422, invalid("birth_day", "The birth day must be between 1 and 31."))
	expect(t, e.do("PUT", "/api/v3/profiles/"+id, e.admin, []byte(`{"email": null}`)),
		422, invalid("email", "The email field is required."))
	expect(t, e.do("PUT", "/api/v3/profiles/00000000-0000-4000-8000-000000000000", e.admin, []byte(`{}`)), 404, "")
	expect(t, e.do("PUT", "/api/v3/profiles/not-a-uuid", e.admin, []byte(`{}`)), 404, "")

	// update-type reads profile_type only, and requires it.
	ut := e.send("PUT", "/api/v3/profiles/"+id+"/update-type", `{"profile_type": "active", "first_name": "Ignored"}`,
		http.StatusOK)["data"].(map[string]any)
	if ut["profile_type"] != "active" || ut["first_name"] != "Ann" {
		t.Errorf("update-type: %v", ut)
	}
	for _, body := range []string{`{}`, `{"profile_type": null}`, `{"profile_type": " "}`} {
		expect(t, e.do("PUT", "/api/v3/profiles/"+id+"/update-type", e.admin, []byte(body)),
			422, invalid("profile_type", "The profile type field is required."))
	}
	expect(t, e.do("PUT", "/api/v3/profiles/"+id+"/update-type", e.admin, []byte(`{"profile_type": "vip"}`)),
		422, invalid("profile_type", "The selected profile type is invalid."))

	// Delete: 204, then 404 everywhere, and the keys are free again.
	e.send("DELETE", "/api/v3/profiles/"+id, "", http.StatusNoContent)
	expect(t, e.do("GET", "/api/v3/profiles/"+id, e.admin, nil), 404, "")
	expect(t, e.do("DELETE", "/api/v3/profiles/"+id, e.admin, nil), 404, "")
	expect(t, e.do("PUT", "/api/v3/profiles/"+id, e.admin, []byte(`{}`)), 404, "")
	expect(t, e.do("GET", "/api/v3/profiles/P-1?identity[handle]=pos", e.admin, nil), 404, "")
	if n := e.do("GET", "/api/v3/profiles?filter[email]=ann@example.com", e.admin, nil).json(t)["meta"].(map[string]any)["total"]; n != 0.0 {
		t.Errorf("the removed profile is listed (%v)", n)
	}
	again := e.createProfile(`{"email": "ann@example.com", "identities": [{"handle": "pos", "identifier": "P-1"}]}`)

	// Purge: both methods, live or removed, then 404.
	e.send("DELETE", "/api/v3/profiles/"+again["id"].(string)+"/purge", "", http.StatusNoContent)
	e.send("POST", "/api/v3/profiles/"+id+"/purge", "", http.StatusNoContent)
	for _, gone := range []string{id, again["id"].(string)} {
		expect(t, e.do("GET", "/api/v3/profiles/"+gone, e.admin, nil), 404, "")
		expect(t, e.do("POST", "/api/v3/profiles/"+gone+"/purge", e.admin, nil), 404, "")
	}
}

func TestIdentityWrites(t *testing.T) {
	e := newEnv(t)
	p := e.createProfile(`{"email": "a@example.com"}`)
	e.createProfile(`{"email": "b@example.com", "identities": [{"handle": "pos", "identifier": "taken"}]}`)
	base := "/api/v3/profiles/" + p["id"].(string) + "/identities"

	created := e.send("POST", base, `{"handle": "shopify", "identifier": "S-1"}`, http.StatusCreated)["data"].(map[string]any)
	if created["handle"] != "shopify" || created["identifier"] != "S-1" || created["is_active"] != true ||
		created["profile_id"] != p["id"] {
		t.Errorf("created %v", created)
	}
	idPath := fmt.Sprintf("%s/id/%v", base, created["id"])
	if got := e.send("GET", base+"/shopify", "", http.StatusOK)["data"]; fmt.Sprint(got) != fmt.Sprint(created) {
		t.Errorf("GET by handle = %v", got)
	}
	renamed := e.send("PUT", base+"/shopify", `{"identifier": "S-2"}`, http.StatusOK)["data"].(map[string]any)
	if renamed["id"] != created["id"] || renamed["handle"] != "shopify" || renamed["identifier"] != "S-2" {
		t.Errorf("renamed %v", renamed)
	}
	byID := e.send("PUT", idPath, `{"is_active": false}`, http.StatusOK)["data"].(map[string]any)
	if byID["is_active"] != false || byID["identifier"] != "S-2" {
		t.Errorf("PUT by id: %v", byID)
	}
	expect(t, e.do("PUT", base+"/shopify", e.admin, []byte(`{"handle": "pos", "identifier": "taken"}`)),
		422, invalid("identifier", "The identifier has already been taken."))
	expect(t, e.do("POST", base, e.admin, []byte(`{"identifier": "x"}`)),
		422, invalid("handle", "The handle field is required."))
	expect(t, e.do("POST", base, e.admin, []byte(`{"handle": "shopify", "identifier": " S-2 "}`)),
		422, invalid("identifier", "The identifier has already been taken."))
	expect(t, e.do("PUT", base+"/shopify", e.admin, []byte(`{"identifier": ""}`)),
		422, invalid("identifier", "The identifier field is required."))
	expect(t, e.do("PUT", base+"/nope", e.admin, []byte(`{}`)), 404, "")
	expect(t, e.do("PUT", base+"/id/999999", e.admin, []byte(`{}`)), 404, "")

	e.send("DELETE", idPath, "", http.StatusNoContent)
	expect(t, e.do("GET", idPath, e.admin, nil), 404, "")
	expect(t, e.do("DELETE", idPath, e.admin, nil), 404, "")
	e.send("POST", base, `{"handle": "web", "identifier": "W"}`, http.StatusCreated)
	e.send("DELETE", base+"/web", "", http.StatusNoContent)
	if got := e.send("GET", base, "", http.StatusOK)["data"].([]any); len(got) != 0 {
		t.Errorf("identities left: %v", got)
	}
}

func TestCustomAttributeAndDateWrites(t *testing.T) {
	e := newEnv(t)
	p := e.createProfile(`{"email": "a@example.com"}`)
	base := "/api/v3/profiles/" + p["id"].(string)

	ca := e.send("PUT", base+"/attributes/custom/loyalty:tier", `{"value": "gold", "namespace": "ignored"}`, http.StatusOK)["data"]
	want := fmt.Sprintf(`map[handle:tier namespace:loyalty profile_id:%s type:string value:gold]`, p["id"])
	if got := fmt.Sprint(withoutIDAndTimes(ca)); got != want {
		t.Errorf("PUT custom = %s, want %s", got, want)
	}
	e.send("PUT", base+"/attributes/custom/loyalty:tier", `{"value": "platinum"}`, http.StatusOK)
	if got := e.getProfileJSON(p["id"].(string))["custom_attributes"]; fmt.Sprint(got) != "map[loyalty:map[tier:platinum]]" {
		t.Errorf("custom_attributes map = %v", got)
	}
	expect(t, e.do("PUT", base+"/attributes/custom/loyalty:score", e.admin, []byte(`{"type": "integer", "value": "x"}`)),
		422, "")
	expect(t, e.do("PUT", base+"/attributes/custom/nocolon", e.admin, []byte(`{"value": 1}`)), 404, "")
	expect(t, e.do("PUT", base+"/attributes/custom/loyalty:score", e.admin, []byte(`{"type": "integer"}`)),
		422, invalid("value", "The value field is required."))
	e.send("DELETE", base+"/attributes/custom/loyalty:tier", "", http.StatusNoContent)
	expect(t, e.do("GET", base+"/attributes/custom/loyalty:tier", e.admin, nil), 404, "")
	expect(t, e.do("DELETE", base+"/attributes/custom/loyalty:tier", e.admin, nil), 404, "")

	d1 := e.send("PUT", base+"/attributes/dates", `{"date": "2020-01-02", "handle": "anniv", "relationship": "partner", "name": "A"}`,
		http.StatusOK)["data"].(map[string]any)
	d2 := e.send("PUT", base+"/attributes/dates", `{"date": "2020-01-02", "handle": "anniv", "relationship": "partner", "name": "B", "note": "n"}`,
		http.StatusOK)["data"].(map[string]any)
	if d1["id"] != d2["id"] || d2["name"] != "B" || d2["note"] != "n" {
		t.Errorf("upsert by handle and relationship: %v then %v", d1, d2)
	}
	other := e.send("PUT", base+"/attributes/dates", `{"date": "1990-03-04", "handle": "birthday"}`, http.StatusOK)["data"].(map[string]any)
	expect(t, e.do("PUT", base+"/attributes/dates", e.admin, []byte(`{"handle": "x"}`)),
		422, invalid("date", "The date field is required."))
	left := e.send("DELETE", fmt.Sprintf("%s/attributes/dates/%v", base, d1["id"]), "", http.StatusOK)["data"].([]any)
	if len(left) != 1 || left[0].(map[string]any)["id"] != other["id"] {
		t.Errorf("DELETE date answers %v, want the birthday left", left)
	}
	expect(t, e.do("DELETE", fmt.Sprintf("%s/attributes/dates/%v", base, d1["id"]), e.admin, nil), 404, "")
}

// withoutIDAndTimes drops id, created_at and updated_at from an object.
func withoutIDAndTimes(v any) map[string]any {
	m := v.(map[string]any)
	delete(m, "id")
	delete(m, "created_at")
	delete(m, "updated_at")
	return m
}

func TestCommsAppearanceAndAddressWrites(t *testing.T) {
	e := newEnv(t)
	p := e.createProfile(`{"email": "a@example.com"}`)
	base := "/api/v3/profiles/" + p["id"].(string)

	comms := e.send("PUT", base+"/attributes/comms", `{"email_promo": true}`, http.StatusOK)["data"].(map[string]any)
	if comms["email_promo"] != true {
		t.Errorf("comms %v", comms)
	}
	alias := e.send("PUT", base+"/comms", `{"email_optout": false, "sms_promo": true}`, http.StatusOK)["data"].([]any)
	if len(alias) != 1 || alias[0].(map[string]any)["sms_promo"] != true || alias[0].(map[string]any)["email_promo"] != true {
		t.Errorf("comms alias %v", alias)
	}
	expect(t, e.do("PUT", base+"/attributes/comms", e.admin, []byte(`{"email_promo": "maybe"}`)),
		422, invalid("email_promo", "The email promo field must be true or false."))
	app := e.send("PUT", base+"/attributes/appearance", `{"hair_colour": "red"}`, http.StatusOK)["data"].(map[string]any)
	if app["hair_colour"] != "red" {
		t.Errorf("appearance %v", app)
	}

	a1 := e.send("POST", base+"/addresses", `{"address_line_1": "1 George St", "city": "Sydney", "postcode": "2000",
		"country": "AU", "external_id": "home", "is_default": true}`, http.StatusCreated)["data"].(map[string]any)
	same := e.send("POST", base+"/addresses", `{"address_line_1": "2 George St", "city": "Sydney", "postcode": "2000",
		"country": "AU", "external_id": "home"}`, http.StatusOK)["data"].(map[string]any)
	if same["id"] != a1["id"] || same["address_line_1"] != "2 George St" {
		t.Errorf("upsert by external_id: %v then %v", a1, same)
	}
	a2 := e.send("POST", base+"/addresses", `{"address_line_1": "9 Bay Rd", "city": "Perth", "postcode": "6000", "country": "AU"}`,
		http.StatusCreated)["data"].(map[string]any)
	if a2["is_default"] != false || a2["id"] == a1["id"] {
		t.Errorf("second address %v", a2)
	}
	// A null external_id matches nothing: a new address, 201.
	a3 := e.send("POST", base+"/addresses", `{"address_line_1": "3 Bay Rd", "city": "Perth", "postcode": "6000",
		"country": "AU", "external_id": null}`, http.StatusCreated)["data"].(map[string]any)
	e.send("DELETE", fmt.Sprintf("%s/addresses/%v", base, a3["id"]), "", http.StatusNoContent)
	expect(t, e.do("POST", base+"/addresses", e.admin, []byte(`{"city": "Perth", "postcode": "6000", "country": "AU"}`)),
		422, invalid("address_line_1", "The address line 1 field is required."))
	a2Path := fmt.Sprintf("%s/addresses/%v", base, a2["id"])
	moved := e.send("PUT", a2Path, `{"city": "Fremantle", "is_default": true}`, http.StatusOK)["data"].(map[string]any)
	if moved["city"] != "Fremantle" || moved["address_line_1"] != "9 Bay Rd" || moved["is_default"] != true {
		t.Errorf("PUT address %v", moved)
	}
	prof := e.getProfileJSON(p["id"].(string))
	if def := prof["address"].(map[string]any); def["id"] != a2["id"] {
		t.Errorf("default address %v, want %v", def["id"], a2["id"])
	}
	expect(t, e.do("PUT", a2Path, e.admin, []byte(`{"city": ""}`)), 422, invalid("city", "The city field is required."))
	e.send("DELETE", a2Path, "", http.StatusNoContent)
	expect(t, e.do("GET", a2Path, e.admin, nil), 404, "")
	expect(t, e.do("PUT", a2Path, e.admin, []byte(`{}`)), 404, "")
	expect(t, e.do("DELETE", a2Path, e.admin, nil), 404, "")
}

func TestProfileRegionWrites(t *testing.T) {
	e := newEnv(t)
	p := e.createProfile(`{"email": "a@example.com"}`)
	base := "/api/v3/profiles/" + p["id"].(string) + "/regions"
	region := e.send("POST", "/api/v3/regions", `{"name": "North", "handle": "north"}`, http.StatusCreated)["data"].(map[string]any)
	rid := region["id"]

	list := e.send("POST", base, fmt.Sprintf(`{"region_id": %v, "country": "USA", "state": "NY"}`, rid), http.StatusOK)["data"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["id"] != rid || list[0].(map[string]any)["country"] != "USA" ||
		list[0].(map[string]any)["state"] != "NY" || list[0].(map[string]any)["is_active"] != true {
		t.Errorf("after POST: %v", list)
	}
	// The link shows its global region's fields (spec §4.8), here and on
	// the profile.
	for _, got := range []any{list[0], e.getProfileJSON(p["id"].(string))["region"]} {
		g := got.(map[string]any)
		if g["name"] != "North" || g["handle"] != "north" || g["is_default"] != nil || fmt.Sprint(g["countries"]) != "[]" {
			t.Errorf("joined region %v", g)
		}
	}
	list = e.send("PUT", fmt.Sprintf("%s/%v", base, rid), `{"country": "AU", "state": "VIC", "region_id": 999}`, http.StatusOK)["data"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["country"] != "AU" || list[0].(map[string]any)["state"] != "VIC" {
		t.Errorf("after PUT: %v", list)
	}
	expect(t, e.do("POST", base, e.admin, []byte(`{"region_id": 999}`)), 422, invalid("region_id", "The selected region id is invalid."))
	expect(t, e.do("POST", base, e.admin, []byte(`{"country": "AU"}`)), 422, invalid("region_id", "The region id field is required."))
	expect(t, e.do("PUT", base+"/999", e.admin, []byte(`{}`)), 404, "")
	e.send("DELETE", fmt.Sprintf("%s/%v", base, rid), "", http.StatusNoContent)
	expect(t, e.do("DELETE", fmt.Sprintf("%s/%v", base, rid), e.admin, nil), 404, "")
	if got := e.send("GET", base, "", http.StatusOK)["data"].([]any); len(got) != 0 {
		t.Errorf("regions left: %v", got)
	}

	// Deleting a global region drops its links (spec §9.3), and only its.
	other := e.send("POST", "/api/v3/regions", `{"name": "South", "handle": "south"}`, http.StatusCreated)["data"].(map[string]any)
	e.send("POST", base, fmt.Sprintf(`{"region_id": %v}`, rid), http.StatusOK)
	e.send("POST", base, fmt.Sprintf(`{"region_id": %v}`, other["id"]), http.StatusOK)
	e.send("DELETE", fmt.Sprintf("/api/v3/regions/%v", rid), "", http.StatusNoContent)
	got := e.send("GET", base, "", http.StatusOK)["data"].([]any)
	if len(got) != 1 || got[0].(map[string]any)["id"] != other["id"] {
		t.Errorf("links after the region's deletion: %v", got)
	}
	expect(t, e.do("DELETE", fmt.Sprintf("/api/v3/regions/%v", rid), e.admin, nil), 404, "")
}

// Writes to one profile from many concurrent requests lose nothing: each
// of 16 clients adds its own custom attribute or date, all at once.
func TestConcurrentPartWrites(t *testing.T) {
	e := newEnv(t)
	p := e.createProfile(`{"email": "a@example.com"}`)
	base := "/api/v3/profiles/" + p["id"].(string)
	const n = 8
	var wg sync.WaitGroup
	statuses := make(chan int, 2*n)
	for i := range n {
		wg.Go(func() {
			statuses <- e.do("PUT", fmt.Sprintf("%s/attributes/custom/c:h%d", base, i), e.admin, []byte(`{"value": "v"}`)).status
		})
		wg.Go(func() {
			statuses <- e.do("PUT", base+"/attributes/dates", e.admin,
				[]byte(fmt.Sprintf(`{"date": "2000-01-01", "handle": "d%d"}`, i))).status
		})
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusOK {
			t.Errorf("a concurrent write answered %d", s)
		}
	}
	got := e.getProfileJSON(p["id"].(string))
	attrs := got["custom_attributes"].(map[string]any)["c"].(map[string]any)
	dates := got["attributes"].(map[string]any)["dates"].([]any)
	if len(attrs) != n || len(dates) != n {
		t.Errorf("%d attributes and %d dates after %d concurrent writes of each", len(attrs), len(dates), n)
	}
}

// Every profile write route answers 404 for a profile that does not exist
// (a well-formed id, or not a UUID at all), whatever the body, valid or
// not.
func TestProfileWritesUnknownProfile(t *testing.T) {
	e := newEnv(t)
	for _, id := range []string{"00000000-0000-4000-8000-000000000000", "nope"} {
		base := "/api/v3/profiles/" + id
		for _, c := range []struct{ method, path, body string }{
			{"PUT", "", `{"first_name": "X"}`},
			{"PUT", "/update-type", `{"profile_type": "active"}`},
			{"DELETE", "", ``},
			{"DELETE", "/purge", ``},
			{"POST", "/purge", ``},
			{"POST", "/identities", `{"handle": "h", "identifier": "i"}`},
			{"PUT", "/identities/h", `{"identifier": "j"}`},
			{"DELETE", "/identities/h", ``},
			{"PUT", "/identities/id/1", `{"identifier": "j"}`},
			{"DELETE", "/identities/id/1", ``},
			{"PUT", "/attributes/custom/a:b", `{"value": 1}`},
			{"DELETE", "/attributes/custom/a:b", ``},
			{"PUT", "/attributes/dates", `{"date": "2020-01-01"}`},
			{"DELETE", "/attributes/dates/1", ``},
			{"PUT", "/attributes/comms", `{"email_promo": true}`},
			{"PUT", "/comms", `{"email_promo": true}`},
			{"PUT", "/attributes/appearance", `{"hair_colour": "red"}`},
			{"POST", "/addresses", `{"address_line_1": "1", "city": "c", "postcode": "1", "country": "AU"}`},
			{"PUT", "/addresses/1", `{"city": "c"}`},
			{"DELETE", "/addresses/1", ``},
			{"POST", "/regions", `{"region_id": 999}`},
			{"PUT", "/regions/1", `{"state": "NSW"}`},
			{"DELETE", "/regions/1", ``},
		} {
			// A valid body, and an invalid one: the missing profile is
			// the answer either way (Laravel binds the model first).
			for _, body := range []string{c.body, `{"email": 5, "handle": [], "date": 1, "value": null, "region_id": "x"}`} {
				r := e.do(c.method, base+c.path, e.admin, []byte(body))
				if r.status != http.StatusNotFound || string(r.body) != bodyNotFound {
					t.Errorf("%s %s %s: %d %s", c.method, base+c.path, body, r.status, r.body)
				}
			}
		}
	}
}
