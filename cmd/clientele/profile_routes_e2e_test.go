package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clientele/clientele/internal/postgres/pgtest"
)

// TestE2EProfileRoutes walks every profile write route, and the reads that
// show their results, through the real binary on each store (a smoke pass:
// the exact shapes and errors are internal/api's tests), and checks that
// the writes reach a webhook subscriber as profile.created,
// profile.updated and profile.deleted, once per change, with a deleted
// body that names the profile only.
func TestE2EProfileRoutes(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		checkProfileRoutes(t, "sqlite:"+filepath.Join(t.TempDir(), "c.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		checkProfileRoutes(t, pgtest.Schema(t, pgtest.DSN(t)))
	})
}

// eventLog is a webhook receiver that records each event's type and body.
type eventLog struct {
	mu     sync.Mutex
	events []string // "type id"
	bodies map[string][]byte
}

func (l *eventLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var p struct{ ID string }
	json.Unmarshal(body, &p)
	l.mu.Lock()
	defer l.mu.Unlock()
	typ := r.Header.Get("X-Omneo-Event")
	l.events = append(l.events, typ+" "+p.ID)
	l.bodies[typ] = body
}

func (l *eventLog) of(id string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.events {
		if len(e) > len(id) && e[len(e)-len(id):] == id {
			out = append(out, e[:len(e)-len(id)-1])
		}
	}
	return out
}

func checkProfileRoutes(t *testing.T, dsn string) {
	log := &eventLog{bodies: map[string][]byte{}}
	rc := httptest.NewServer(log)
	t.Cleanup(rc.Close)
	n := startNodeDSN(t, dsn, "--webhook-allow-private")
	for _, trigger := range []string{"profile.created", "profile.updated", "profile.deleted"} {
		n.subscribe(trigger, rc.URL)
	}

	step := func(method, path string, body any, want int) obj {
		t.Helper()
		var out obj
		if code := n.do(method, path, body, &out); code != want {
			t.Fatalf("%s %s: %d, want %d: %v", method, path, code, want, out)
		}
		return out
	}
	data := func(o obj) obj { return o["data"].(map[string]any) }

	p := data(step("POST", "/api/v3/profiles", obj{"email": "Route@Example.com", "first_name": "Route"}, 201))
	id := p["id"].(string)
	base := "/api/v3/profiles/" + id
	step("PUT", base, obj{"last_name": "Walker"}, 200)
	step("PUT", base+"/update-type", obj{"profile_type": "temporary"}, 200)

	ident := data(step("POST", base+"/identities", obj{"handle": "pos", "identifier": "R-1"}, 201))
	step("PUT", base+"/identities/pos", obj{"identifier": "R-2"}, 200)
	step("PUT", fmt.Sprintf("%s/identities/id/%v", base, ident["id"]), obj{"is_primary": true}, 200)
	step("GET", "/api/v3/profiles/R-2?identity[handle]=pos", nil, 200)
	step("POST", base+"/identities", obj{"handle": "web", "identifier": "W-1"}, 201)
	step("DELETE", base+"/identities/web", nil, 204)
	step("DELETE", fmt.Sprintf("%s/identities/id/%v", base, ident["id"]), nil, 204)

	step("PUT", base+"/attributes/custom/loyalty:tier", obj{"value": "gold"}, 200)
	step("DELETE", base+"/attributes/custom/loyalty:tier", nil, 204)
	date := data(step("PUT", base+"/attributes/dates", obj{"date": "2020-02-02", "handle": "anniv"}, 200))
	step("DELETE", fmt.Sprintf("%s/attributes/dates/%v", base, date["id"]), nil, 200)
	step("PUT", base+"/attributes/comms", obj{"email_promo": true}, 200)
	step("PUT", base+"/comms", obj{"sms_promo": true}, 200)
	step("PUT", base+"/attributes/appearance", obj{"hair_colour": "red"}, 200)

	addr := data(step("POST", base+"/addresses", obj{"address_line_1": "1 A St", "city": "Sydney",
		"postcode": "2000", "country": "AU"}, 201))
	addrPath := fmt.Sprintf("%s/addresses/%v", base, addr["id"])
	step("PUT", addrPath, obj{"city": "Newcastle"}, 200)
	step("DELETE", addrPath, nil, 204)

	region := data(step("POST", "/api/v3/regions", obj{"name": "East", "handle": "east"}, 201))
	step("POST", base+"/regions", obj{"region_id": region["id"], "country": "AU", "state": "NSW"}, 200)
	step("PUT", fmt.Sprintf("%s/regions/%v", base, region["id"]), obj{"state": "VIC"}, 200)
	step("DELETE", fmt.Sprintf("%s/regions/%v", base, region["id"]), nil, 204)

	got := data(step("GET", base, nil, 200))
	if got["email"] != "route@example.com" || got["last_name"] != "Walker" || got["profile_type"] != "temporary" ||
		len(got["identities"].([]any)) != 0 || len(got["addresses"].([]any)) != 0 {
		t.Errorf("after the walk: %v", got)
	}
	// Every change reached the subscriber, once each (the router renders a
	// profile as it is when it routes, so the deletion waits for them).
	// want is sorted, as the events are compared.
	const changes = 21
	waitEvents := func(want []string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		// Deliveries go out concurrently, so they may arrive in any order.
		for got := slices.Sorted(slices.Values(log.of(id))); !slices.Equal(got, want); got = slices.Sorted(slices.Values(log.of(id))) {
			if time.Now().After(deadline) {
				t.Fatalf("events of the profile: %v, want %v", log.of(id), want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	want := []string{"profile.created"}
	for range changes {
		want = append(want, "profile.updated")
	}
	waitEvents(want)

	step("DELETE", base, nil, 204)
	step("GET", base, nil, 404)
	step("POST", base+"/purge", nil, 204)
	step("DELETE", base+"/purge", nil, 404)
	// The deletion names the profile and nothing else; the purge of a
	// removed profile tells no one again.
	waitEvents(slices.Sorted(slices.Values(append(want, "profile.deleted"))))
	log.mu.Lock()
	defer log.mu.Unlock()
	if want := `{"id":"` + id + `"}`; string(log.bodies["profile.deleted"]) != want {
		t.Errorf("profile.deleted body %s, want %s", log.bodies["profile.deleted"], want)
	}
}
