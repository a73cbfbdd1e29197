package api_test

import (
	"net/http"
	"testing"
)

// GET /identities (spec §7.2) and /identities/search-profile (§7.3).
func TestIdentityRoutes(t *testing.T) {
	e := newEnv(t)
	e.submit(profilesJSON("email",
		`{"email":"a@example.com","profile_type":"temporary","identities":[{"handle":"shopify","identifier":"X-1"},{"handle":"pos","identifier":"X-1","is_active":false}]}`,
		`{"email":"b@example.com","identities":[{"handle":"shopify","identifier":"X-2"}]}`))
	e.drain()

	r := e.do("GET", "/api/v3/identities?filter[handle]=shopify&include=profile&page[size]=1", e.admin, nil)
	expect(t, r, http.StatusOK, "")
	body := r.json(t)
	data := body["data"].([]any)
	meta := body["meta"].(map[string]any)
	if len(data) != 1 || meta["total"] != 2.0 || meta["last_page"] != 2.0 {
		t.Fatalf("page: %v meta %v", data, meta)
	}
	id := data[0].(map[string]any)
	prof, _ := id["profile"].(map[string]any)
	if id["handle"] != "shopify" || id["is_active"] != true || id["identifier"] != "X-1" ||
		prof == nil || prof["id"] != id["profile_id"] || prof["email"] != "a@example.com" {
		t.Errorf("identity %v", id)
	}
	if _, ok := id["id"].(float64); !ok {
		t.Errorf("id %v is not a number", id["id"])
	}
	if _, ok := body["links"].(map[string]any)["next"].(string); !ok {
		t.Errorf("links %v", body["links"])
	}

	r = e.do("GET", "/api/v3/identities?filter[is_active]=0", e.admin, nil)
	expect(t, r, http.StatusOK, "")
	inactive := r.json(t)["data"].([]any)
	if len(inactive) != 1 || inactive[0].(map[string]any)["handle"] != "pos" {
		t.Errorf("inactive %v", inactive)
	}
	if _, has := inactive[0].(map[string]any)["profile"]; has {
		t.Error("profile embedded without include=profile")
	}
	expectInvalid(t, e.do("GET", "/api/v3/identities?filter[is_active]=maybe", e.admin, nil), "filter.is_active")

	// The dev guide's alias takes the bare names.
	r = e.do("GET", "/api/v3/identities/search?handle=shopify&identifier=X-2", e.admin, nil)
	expect(t, r, http.StatusOK, "")
	if got := r.json(t)["data"].([]any); len(got) != 1 || got[0].(map[string]any)["identifier"] != "X-2" {
		t.Errorf("identities/search: %v", got)
	}

	// X-1 is held under two handles by one profile: it is listed once.
	r = e.do("GET", "/api/v3/identities/search-profile/X-1", e.admin, nil)
	expect(t, r, http.StatusOK, "")
	found := r.json(t)["data"].([]any)
	if len(found) != 1 || found[0].(map[string]any)["email"] != "a@example.com" ||
		found[0].(map[string]any)["profile_type"] != "temporary" {
		t.Errorf("search-profile X-1: %v", found)
	}
	expect(t, e.do("GET", "/api/v3/identities/search-profile/nothing", e.admin, nil), http.StatusOK, `{"data":[]}`)
	reader := e.token("read-identities")
	expect(t, e.do("GET", "/api/v3/identities", reader, nil), http.StatusOK, "")
}
