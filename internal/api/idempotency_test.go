package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele"
)

// TestIdempotencyKey: the same key and body within 24 h answers the
// original batch id again with Idempotent-Replayed: true and queues
// nothing; the same key with another body is 422 idempotency_key; after
// 24 h the key is free (spec §13 E4).
func TestIdempotencyKey(t *testing.T) {
	c := newClock(testNow)
	e := newEnv(t, withClock(c))
	body := []byte(profilesJSON("email", `{"email":"a@example.com"}`, `{"email":"b@example.com"}`))
	other := []byte(profilesJSON("email", `{"email":"c@example.com"}`))
	key := map[string]string{"Idempotency-Key": "import-2025-01-26"}

	first := e.doH("POST", "/api/v3/profiles/batch", e.admin, body, key)
	expect(t, first, http.StatusAccepted, "")
	id := first.json(t)["data"].(map[string]any)["batch_id"].(string)
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Error("Idempotent-Replayed on a first submission")
	}

	// A retry, on the other spelling of the route, an hour later.
	c.add(time.Hour)
	again := e.doH("POST", "/api/v3/profiles/batch.json", e.admin, body, key)
	expect(t, again, http.StatusAccepted, string(first.body))
	if again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("Idempotent-Replayed = %q, want true", again.header.Get("Idempotent-Replayed"))
	}
	if n := e.queued(); n != 2 {
		t.Errorf("QueuedItems = %d after a replay, want 2", n)
	}
	if n := e.notify.Load(); n != 1 {
		t.Errorf("Notify called %d times, want once (not for the replay)", n)
	}

	// Another body under the key: refused.
	r := e.doH("POST", "/api/v3/profiles/batch", e.admin, other, key)
	expect(t, r, http.StatusUnprocessableEntity,
		`{"message":"The given data was invalid.","errors":{"idempotency_key":["The idempotency key has already been used for a different request."]}}`)
	// The same body with another query is another request.
	expectInvalid(t, e.doH("POST", "/api/v3/profiles/batch?partial=true", e.admin, body, key), clientele.IdempotencyKeyField)

	// Without a key, or with another, the same body is a new batch.
	e.submit(string(body))
	fresh := e.doH("POST", "/api/v3/profiles/batch", e.admin, body, map[string]string{"Idempotency-Key": "another"})
	expect(t, fresh, http.StatusAccepted, "")
	if string(fresh.body) == string(first.body) {
		t.Error("another key replayed the first batch")
	}
	if n := e.queued(); n != 6 {
		t.Errorf("QueuedItems = %d, want 6", n)
	}

	// A bad body under a key is the body's 422 and uses up nothing.
	expectInvalid(t, e.doH("POST", "/api/v3/profiles/batch", e.admin, []byte(`{}`), map[string]string{"Idempotency-Key": "k2"}), "match_criteria", "profiles")
	expect(t, e.doH("POST", "/api/v3/profiles/batch", e.admin, other, map[string]string{"Idempotency-Key": "k2"}), http.StatusAccepted, "")

	// Malformed keys.
	for _, k := range []string{strings.Repeat("k", 256), "tab\tkey", "ключ"} {
		expectInvalid(t, e.doH("POST", "/api/v3/profiles/batch", e.admin, body, map[string]string{"Idempotency-Key": k}), clientele.IdempotencyKeyField)
	}

	// 24 h after the first submission the key names a new batch.
	c.set(testNow.Add(clientele.IdempotencyTTL))
	later := e.doH("POST", "/api/v3/profiles/batch", e.admin, other, key)
	expect(t, later, http.StatusAccepted, "")
	if later.header.Get("Idempotent-Replayed") != "" || strings.Contains(string(later.body), id) {
		t.Errorf("expired key replayed: %s", later.body)
	}
}
