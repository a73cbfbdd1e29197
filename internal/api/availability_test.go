package api_test

import (
	"fmt"
	"net/http"
	"testing"
)

// POST /profiles/availability (spec §5.9), filter[mobile_phone] on
// /profiles, and POST /profiles/sync (§5.10).
func TestAvailabilityMobileFilterAndSync(t *testing.T) {
	e := newEnv(t)
	e.submit(profilesJSON("email", `{"email":"Taken@Example.com","first_name":"John","last_name":"Smith","mobile_phone":"+61404123123"}`))
	e.drain()
	id := e.do("GET", "/api/v3/profiles", e.admin, nil).json(t)["data"].([]any)[0].(map[string]any)["id"]

	avail := func(body string) response {
		return e.do("POST", "/api/v3/profiles/availability", e.admin, []byte(body))
	}
	expect(t, avail(`{"email":"taken@example.com ","mobile_phone":"+61404999999"}`), http.StatusOK,
		fmt.Sprintf(`{"data":{"email":{"available":false,"profile":{"id":"%s","full_name":"John Smith"}},"mobile_phone":{"available":true,"profile":null}}}`, id))
	expect(t, avail(`{"mobile_phone":"+61 404 123 123"}`), http.StatusOK,
		fmt.Sprintf(`{"data":{"mobile_phone":{"available":false,"profile":{"id":"%s","full_name":"John Smith"}}}}`, id))
	expect(t, avail(`{"email":"free@example.com"}`), http.StatusOK, `{"data":{"email":{"available":true,"profile":null}}}`)
	expectInvalid(t, avail(`{}`), "email", "mobile_phone")
	expectInvalid(t, avail(`{"email":7}`), "email")

	for q, want := range map[string]float64{
		"filter[mobile_phone]=%2B61404123123":          1,
		"filter[mobile_phone]=%2B61%20404%20123%20123": 1,
		"filter[mobile_phone]=%2B61404999999":          0,
		"filter[mobile_phone]=not-a-number":            0,
	} {
		if got := e.do("GET", "/api/v3/profiles?"+q, e.admin, nil).json(t)["meta"].(map[string]any)["total"]; got != want {
			t.Errorf("%s: total %v, want %v", q, got, want)
		}
	}

	sync := func(body string) response { return e.do("POST", "/api/v3/profiles/sync", e.admin, []byte(body)) }
	expect(t, sync(`{"updated_at":"2024-01-01"}`), http.StatusAccepted, `{"data":{"message":"Profiles queued for sync."}}`)
	expectInvalid(t, sync(`{}`), "updated_at")
	expectInvalid(t, sync(`{"updated_at":"yesterday"}`), "updated_at")
}
