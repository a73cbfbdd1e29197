package api_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// createRegion posts a region and returns its object.
func (e *env) createRegion(body string) map[string]any {
	e.t.Helper()
	r := e.do("POST", "/api/v3/regions", e.admin, []byte(body))
	expect(e.t, r, http.StatusCreated, "")
	return r.json(e.t)["data"].(map[string]any)
}

// TestRegionCreateShape: the exact Region object (spec §4.8), is_default
// null when not sent (spec §11 #10), countries embedded by iso_2.
func TestRegionCreateShape(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/v3/regions", e.admin, []byte(`{"name":" Test Region ","handle":"test-region"}`))
	expect(t, r, http.StatusCreated, `{"data":{"id":1,"name":"Test Region","handle":"test-region","countries":[],`+
		`"is_default":null,"created_at":"2025-01-26 12:00:00","updated_at":"2025-01-26 12:00:00"}}`)

	r = e.do("POST", "/api/v3/regions", e.admin, []byte(`{"name":"ANZ","handle":"anz","is_default":false,
		"countries":[{"iso_2":"au"},{"iso_2":"NZ","name":"ignored"},{"iso_2":"AU"}],"unknown":1}`))
	country := func(id int, iso string) string {
		return fmt.Sprintf(`{"id":%d,"name":null,"iso_2":%q,"iso_3":null,"iso_numeric":null,"sort_order":null,`+
			`"states":[],"created_at":"2025-01-26 12:00:00","updated_at":"2025-01-26 12:00:00"}`, id, iso)
	}
	expect(t, r, http.StatusCreated, `{"data":{"id":2,"name":"ANZ","handle":"anz","countries":[`+
		country(1, "AU")+`,`+country(2, "NZ")+`],"is_default":false,`+
		`"created_at":"2025-01-26 12:00:00","updated_at":"2025-01-26 12:00:00"}}`)
	expect(t, e.do("GET", "/api/v3/regions/2", e.admin, nil), http.StatusOK, string(r.body))
}

func TestRegionValidation(t *testing.T) {
	e := newEnv(t)
	for body, keys := range map[string][]string{
		`{}`:                         {"name", "handle"},
		`{"name":"x"}`:               {"handle"},
		`{"name":" ","handle":null}`: {"name", "handle"},
		`{"name":5,"handle":["h"]}`:  {"name", "handle"},
		`{"name":"x","handle":"h","is_default":"yes"}`:                                {"is_default"},
		`{"name":"x","handle":"h","countries":"AU"}`:                                  {"countries"},
		`{"name":"x","handle":"h","countries":[{"iso_2":"AUS"},{},"AU",{"iso_2":1}]}`: {"countries.0.iso_2", "countries.1.iso_2", "countries.2", "countries.3.iso_2"},
		`{"name":"x","handle":"h","countries":[{"iso_2":""}]}`:                        {"countries.0.iso_2"},
		`{"name":"` + strings.Repeat("é", 256) + `","handle":"h"}`:                    {"name"},
	} {
		expectInvalid(t, e.do("POST", "/api/v3/regions", e.admin, []byte(body)), keys...)
	}
	expect(t, e.do("POST", "/api/v3/regions", e.admin, []byte(`{"name":`)), http.StatusBadRequest,
		`{"message":"Malformed JSON body."}`)

	e.createRegion(`{"name":"A","handle":"north"}`)
	e.createRegion(`{"name":"B","handle":"south"}`)
	taken := `{"message":"The given data was invalid.","errors":{"handle":["The handle has already been taken."]}}`
	// Unique without case, on create and on update.
	expect(t, e.do("POST", "/api/v3/regions", e.admin, []byte(`{"name":"C","handle":"NORTH"}`)),
		http.StatusUnprocessableEntity, taken)
	expect(t, e.do("PUT", "/api/v3/regions/2", e.admin, []byte(`{"handle":"North"}`)),
		http.StatusUnprocessableEntity, taken)
	expect(t, e.do("PUT", "/api/v3/regions/2", e.admin, []byte(`{"name":""}`)), http.StatusUnprocessableEntity,
		`{"message":"The given data was invalid.","errors":{"name":["The name field is required."]}}`)
	expect(t, e.do("PUT", "/api/v3/regions/1", e.admin, []byte(`{"countries":[{"iso_2":"A1"}]}`)),
		http.StatusUnprocessableEntity,
		`{"message":"The given data was invalid.","errors":{"countries.0.iso_2":["The countries.0.iso_2 field must be 2 letters."]}}`)
}

// TestRegionReadUpdateDelete follows the SDK's region tests (spec §9.3).
func TestRegionReadUpdateDelete(t *testing.T) {
	e := newEnv(t)
	id := int(e.createRegion(`{"name":"Region","handle":"sdk-region","countries":[{"iso_2":"AU"},{"iso_2":"NZ"}]}`)["id"].(float64))
	path := fmt.Sprintf("/api/v3/regions/%d", id)

	// Partial: a new name, the handle unchanged; countries replaced by
	// iso_2 (AU keeps its id 1, NZ goes, US is new).
	r := e.do("PUT", path, e.admin, []byte(`{"name":"Renamed","countries":[{"iso_2":"US"},{"iso_2":"AU"}]}`))
	country := func(id int, iso string) string {
		return fmt.Sprintf(`{"id":%d,"name":null,"iso_2":%q,"iso_3":null,"iso_numeric":null,"sort_order":null,`+
			`"states":[],"created_at":"2025-01-26 12:00:00","updated_at":"2025-01-26 12:00:00"}`, id, iso)
	}
	want := `{"data":{"id":1,"name":"Renamed","handle":"sdk-region","countries":[` + country(3, "US") + `,` +
		country(1, "AU") + `],"is_default":null,"created_at":"2025-01-26 12:00:00","updated_at":"2025-01-26 12:00:00"}}`
	expect(t, r, http.StatusOK, want)
	expect(t, e.do("GET", path, e.admin, nil), http.StatusOK, want)
	// A PUT without countries keeps them; is_default can be set and cleared.
	r = e.do("PUT", path, e.admin, []byte(`{"is_default":true}`))
	if d := r.json(t)["data"].(map[string]any); d["is_default"] != true || len(d["countries"].([]any)) != 2 {
		t.Errorf("PUT is_default = %s", r.body)
	}
	r = e.do("PUT", path, e.admin, []byte(`{"is_default":null,"countries":[]}`))
	if d := r.json(t)["data"].(map[string]any); d["is_default"] != nil || len(d["countries"].([]any)) != 0 {
		t.Errorf("PUT null = %s", r.body)
	}

	// filter[handle] finds exactly the one region, and nothing once deleted.
	e.createRegion(`{"name":"Other","handle":"sdk-region-2"}`)
	count := func() float64 {
		r := e.do("GET", "/api/v3/regions?filter[handle]=SDK-Region", e.admin, nil)
		expect(t, r, http.StatusOK, "")
		return r.json(t)["meta"].(map[string]any)["total"].(float64)
	}
	if n := count(); n != 1 {
		t.Errorf("filter[handle] total %v, want 1", n)
	}
	r = e.do("DELETE", path, e.admin, nil)
	if r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Errorf("DELETE: %d %q, want 204 and no body", r.status, r.body)
	}
	if n := count(); n != 0 {
		t.Errorf("after DELETE filter[handle] total %v, want 0", n)
	}
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		expect(t, e.do(m, path, e.admin, []byte(`{}`)), http.StatusNotFound, `{"message":"Not Found."}`)
	}
	for _, bad := range []string{"abc", "0", "-1", "99999999999999999999"} {
		expect(t, e.do("GET", "/api/v3/regions/"+bad, e.admin, nil), http.StatusNotFound, `{"message":"Not Found."}`)
	}
}

func TestRegionList(t *testing.T) {
	e := newEnv(t)
	for i := range 17 {
		e.createRegion(fmt.Sprintf(`{"name":%q,"handle":"r-%d"}`, []string{"North", "South"}[i%2], i))
	}
	r := e.do("GET", "/api/v3/regions?page[size]=5&page[number]=4", e.admin, nil)
	expect(t, r, http.StatusOK, "")
	m := r.json(t)
	meta := m["meta"].(map[string]any)
	data := m["data"].([]any)
	if len(data) != 2 || meta["total"] != 17.0 || meta["last_page"] != 4.0 || meta["from"] != 16.0 ||
		data[0].(map[string]any)["handle"] != "r-15" {
		t.Errorf("page 4: %s", r.body)
	}
	links := m["links"].(map[string]any)
	if links["prev"] != e.srv.URL+"/api/v3/regions?page%5Bnumber%5D=3&page%5Bsize%5D=5" || links["next"] != nil {
		t.Errorf("links %v", links)
	}
	r = e.do("GET", "/api/v3/regions?filter[name]=NORTH&page[size]=100", e.admin, nil)
	if n := len(r.json(t)["data"].([]any)); n != 9 {
		t.Errorf("filter[name]=NORTH: %d regions, want 9", n)
	}
	r = e.do("GET", "/api/v3/regions?filter[name]=north&filter[handle]=r-2", e.admin, nil)
	if d := r.json(t)["data"].([]any); len(d) != 1 || d[0].(map[string]any)["handle"] != "r-2" {
		t.Errorf("both filters: %s", r.body)
	}
	expect(t, e.do("GET", "/api/v3/regions?filter[handle]=r", e.admin, nil), http.StatusOK, "")
	if n := len(e.do("GET", "/api/v3/regions?filter[handle]=r", e.admin, nil).json(t)["data"].([]any)); n != 0 {
		t.Errorf("filter[handle] is equality, got %d", n)
	}
	expectInvalid(t, e.do("GET", "/api/v3/regions?page[size]=0", e.admin, nil), "page.size")
}

func TestRegionScopes(t *testing.T) {
	e := newEnv(t)
	read, create := e.token("read-region"), e.token("create-region")
	update, del := e.token("update-region"), e.token("delete-region")
	body := []byte(`{"name":"x","handle":"x"}`)
	expect(t, e.do("POST", "/api/v3/regions", read, body), http.StatusForbidden, `{"message":"Invalid scope(s) provided."}`)
	expect(t, e.do("POST", "/api/v3/regions", create, body), http.StatusCreated, "")
	expect(t, e.do("GET", "/api/v3/regions", create, nil), http.StatusForbidden, "")
	expect(t, e.do("GET", "/api/v3/regions", read, nil), http.StatusOK, "")
	expect(t, e.do("GET", "/api/v3/regions/1", read, nil), http.StatusOK, "")
	expect(t, e.do("PUT", "/api/v3/regions/1", read, []byte(`{}`)), http.StatusForbidden, "")
	expect(t, e.do("PUT", "/api/v3/regions/1", update, []byte(`{}`)), http.StatusOK, "")
	expect(t, e.do("DELETE", "/api/v3/regions/1", update, nil), http.StatusForbidden, "")
	if r := e.do("DELETE", "/api/v3/regions/1", del, nil); r.status != http.StatusNoContent {
		t.Errorf("DELETE with delete-region: %d", r.status)
	}
	expect(t, e.do("GET", "/api/v3/regions", "", nil), http.StatusUnauthorized, `{"message":"Unauthenticated."}`)
}
