package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele"
)

// webhookBody posts a webhook and returns its object.
func (e *env) createWebhook(body string) map[string]any {
	e.t.Helper()
	r := e.do("POST", "/api/v3/webhooks", e.admin, []byte(body))
	expect(e.t, r, http.StatusCreated, "")
	return r.json(e.t)["data"].(map[string]any)
}

func TestWebhookCreateShape(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/v3/webhooks", e.admin, []byte(`{"trigger":"profiles.create",
		"url":"https://example.com/hooks/a?x=1&y=%20z"}`))
	want := `{"data":{"id":1,"trigger":"profiles.create","url":"https://example.com/hooks/a?x=1&y=%20z",` +
		`"namespace":"","user_id":1,"is_active":true,"retry_hourly":false,"retry_daily":null,"queue":null,` +
		`"condition":null,"created_at":"2025-01-26 12:00:00","updated_at":"2025-01-26 12:00:00"}}`
	expect(t, r, http.StatusCreated, want)

	// Everything sent comes back exactly, the condition deep-equal.
	cond := `{"and":[{"not_in":[{"var":"email"},["a@example.com","b@example.com"]]}]}`
	got := e.createWebhook(`{"trigger":"profile.updated","url":"https://example.com/b","namespace":"crm",
		"is_active":false,"retry_hourly":true,"retry_daily":true,"queue":"high","condition":` + cond + `}`)
	var wantCond any
	json.Unmarshal([]byte(cond), &wantCond)
	if got["namespace"] != "crm" || got["is_active"] != false || got["retry_hourly"] != true ||
		got["retry_daily"] != true || got["queue"] != "high" || !reflect.DeepEqual(got["condition"], wantCond) {
		t.Errorf("created %v", got)
	}
	// An unknown queue is stored as "low" (spec §4.9).
	if got := e.createWebhook(`{"trigger":"x","url":"https://example.com/c","queue":"urgent"}`); got["queue"] != "low" {
		t.Errorf("queue = %v", got["queue"])
	}
}

func TestWebhookValidation(t *testing.T) {
	e := newEnv(t)
	for body, keys := range map[string][]string{
		`{}`:                         {"trigger", "url"},
		`{"trigger":"x"}`:            {"url"},
		`{"trigger":"x","url":"/a"}`: {"url"},
		`{"trigger":"x","url":"https://e.com","is_active":"yes","retry_daily":1}`:  {"is_active", "retry_daily"},
		`{"trigger":"x","url":"https://e.com","condition":"a"}`:                    {"condition"},
		`{"trigger":["x"],"url":"mailto:a@b.c","namespace":5,"retry_hourly":null}`: {"trigger", "url", "namespace", "retry_hourly"},
	} {
		expectInvalid(t, e.do("POST", "/api/v3/webhooks", e.admin, []byte(body)), keys...)
	}
	expect(t, e.do("POST", "/api/v3/webhooks", e.admin, []byte(`{"trigger":`)), http.StatusBadRequest, "")

	e.createWebhook(`{"trigger":"profile.created","url":"https://example.com/a"}`)
	// The same url under another trigger is fine; under the same one it is taken.
	e.createWebhook(`{"trigger":"profile.updated","url":"https://example.com/a"}`)
	r := e.do("POST", "/api/v3/webhooks", e.admin, []byte(`{"trigger":"profile.created","url":"https://example.com/a"}`))
	expect(t, r, http.StatusUnprocessableEntity,
		`{"message":"The given data was invalid.","errors":{"url":["The url has already been taken."]}}`)
	r = e.do("PUT", "/api/v3/webhooks/2", e.admin, []byte(`{"trigger":"profile.created"}`))
	expectInvalid(t, r, "url")
}

func TestWebhookReadUpdateDelete(t *testing.T) {
	e := newEnv(t)
	id := e.createWebhook(`{"trigger":"profiles.create","url":"https://example.com/a","namespace":"crm"}`)["id"].(float64)
	path := fmt.Sprintf("/api/v3/webhooks/%d", int(id))

	r := e.do("GET", path, e.admin, nil)
	expect(t, r, http.StatusOK, "")
	if r.json(t)["data"].(map[string]any)["namespace"] != "crm" {
		t.Errorf("GET %s = %s", path, r.body)
	}

	// The SDK's update test: every field sent comes back exactly (spec §10.1).
	r = e.do("PUT", path, e.admin, []byte(`{"url":"https://example.com/b","trigger":"products.created",
		"is_active":false,"queue":"default","condition":{"test":123},"retry_daily":true}`))
	expect(t, r, http.StatusOK, "")
	got := r.json(t)["data"].(map[string]any)
	if got["url"] != "https://example.com/b" || got["trigger"] != "products.created" || got["is_active"] != false ||
		got["queue"] != "default" || !reflect.DeepEqual(got["condition"], map[string]any{"test": 123.0}) ||
		got["retry_daily"] != true || got["namespace"] != "crm" || got["retry_hourly"] != false {
		t.Errorf("PUT = %s", r.body)
	}
	// Partial: a PUT of one key leaves the rest; null clears a nullable key.
	r = e.do("PUT", path, e.admin, []byte(`{"condition":null,"namespace":null}`))
	got = r.json(t)["data"].(map[string]any)
	if got["condition"] != nil || got["namespace"] != "" || got["trigger"] != "products.created" {
		t.Errorf("PUT null = %s", r.body)
	}

	r = e.do("DELETE", path, e.admin, nil)
	if r.status != http.StatusNoContent || len(r.body) != 0 {
		t.Errorf("DELETE: %d %q, want 204 and no body", r.status, r.body)
	}
	for _, m := range []string{"GET", "PUT", "DELETE"} {
		expect(t, e.do(m, path, e.admin, []byte(`{}`)), http.StatusNotFound, `{"message":"Not Found."}`)
	}
	expect(t, e.do("GET", "/api/v3/webhooks/abc", e.admin, nil), http.StatusNotFound, "")
}

func TestWebhookList(t *testing.T) {
	e := newEnv(t)
	for i := range 17 {
		e.createWebhook(fmt.Sprintf(`{"trigger":%q,"url":"https://example.com/%d","is_active":%v,"namespace":%q}`,
			[]string{"profiles.create", "profile.updated"}[i%2], i, i%5 != 0, []string{"", "crm"}[i%3/2]))
	}
	r := e.do("GET", "/api/v3/webhooks", e.admin, nil)
	expect(t, r, http.StatusOK, "")
	m := r.json(t)
	meta := m["meta"].(map[string]any)
	if len(m["data"].([]any)) != 15 || meta["total"] != 17.0 || meta["last_page"] != 2.0 || meta["per_page"] != 15.0 {
		t.Errorf("first page: %d items, meta %v", len(m["data"].([]any)), meta)
	}
	for _, item := range m["data"].([]any) {
		w := item.(map[string]any)
		if _, ok := w["namespace"].(string); !ok {
			t.Errorf("namespace is not a string: %v", w)
		}
		if _, ok := w["is_active"].(bool); !ok {
			t.Errorf("is_active is not a boolean: %v", w)
		}
	}
	count := func(q string, check func(map[string]any) bool) int {
		r := e.do("GET", "/api/v3/webhooks?"+q+"&page[size]=100", e.admin, nil)
		expect(t, r, http.StatusOK, "")
		items := r.json(t)["data"].([]any)
		for _, it := range items {
			if !check(it.(map[string]any)) {
				t.Errorf("%s returned %v", q, it)
			}
		}
		return len(items)
	}
	if n := count("filter[is_active]=1", func(w map[string]any) bool { return w["is_active"] == true }); n != 13 {
		t.Errorf("active: %d", n)
	}
	if n := count("filter[is_active]=0", func(w map[string]any) bool { return w["is_active"] == false }); n != 4 {
		t.Errorf("inactive: %d", n)
	}
	if n := count("filter[trigger]=profiles.create", func(w map[string]any) bool { return w["trigger"] == "profiles.create" }); n != 9 {
		t.Errorf("trigger: %d", n)
	}
	if n := count("filter[namespace]=crm", func(w map[string]any) bool { return w["namespace"] == "crm" }); n == 0 {
		t.Error("namespace filter found nothing")
	}
	expectInvalid(t, e.do("GET", "/api/v3/webhooks?filter[is_active]=maybe", e.admin, nil), "filter.is_active")
}

func TestWebhookScopes(t *testing.T) {
	e := newEnv(t)
	read, create := e.token("read-webhooks"), e.token("create-webhooks")
	update, del := e.token("update-webhooks"), e.token("delete-webhooks")
	body := []byte(`{"trigger":"x","url":"https://example.com/a"}`)
	expect(t, e.do("POST", "/api/v3/webhooks", read, body), http.StatusForbidden, "")
	expect(t, e.do("POST", "/api/v3/webhooks", create, body), http.StatusCreated, "")
	expect(t, e.do("GET", "/api/v3/webhooks", create, nil), http.StatusForbidden, "")
	expect(t, e.do("GET", "/api/v3/webhooks/1", read, nil), http.StatusOK, "")
	expect(t, e.do("PUT", "/api/v3/webhooks/1", read, []byte(`{}`)), http.StatusForbidden, "")
	expect(t, e.do("PUT", "/api/v3/webhooks/1", update, []byte(`{}`)), http.StatusOK, "")
	expect(t, e.do("DELETE", "/api/v3/webhooks/1", update, nil), http.StatusForbidden, "")
	if r := e.do("DELETE", "/api/v3/webhooks/1", del, nil); r.status != http.StatusNoContent {
		t.Errorf("DELETE with delete-webhooks: %d", r.status)
	}
	expect(t, e.do("GET", "/api/v3/webhooks", "", nil), http.StatusUnauthorized, `{"message":"Unauthenticated."}`)
}

func TestWebhookDeliveryLog(t *testing.T) {
	e := newEnv(t)
	id := int64(e.createWebhook(`{"trigger":"profile.created","url":"https://example.com/a"}`)["id"].(float64))
	ctx := context.Background()
	// Deliveries as the router stores them, one failed by the dispatcher.
	l, err := e.store.ClaimRouter(ctx, "test", testNow, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.store.RouteEvents(ctx, l, clientele.EventPage{}, []clientele.NewDelivery{
		{WebhookID: id, EventID: 1, EventType: "profile.created", MessageID: "msg_1", Body: []byte(`{"id":"p1"}`)},
		{WebhookID: id, EventID: 2, EventType: "profile.created", MessageID: "msg_2", Body: []byte(`{"id":"p2"}`)},
	}, testNow, time.Minute); err != nil {
		t.Fatal(err)
	}
	ds, err := e.store.ClaimDeliveries(ctx, "test", testNow, time.Minute, 1)
	if err != nil || len(ds) != 1 {
		t.Fatalf("claim: %v %v", ds, err)
	}
	code, msg := 410, "HTTP 410"
	if _, err := e.store.RecordAttempts(ctx, []clientele.ClaimedAttempt{{Delivery: ds[0],
		Attempt: clientele.DeliveryAttempt{StartedAt: testNow, Duration: 1500 * time.Microsecond, StatusCode: &code, Error: &msg}}}); err != nil {
		t.Fatal(err)
	}

	base := fmt.Sprintf("/api/v3/webhooks/%d/deliveries", id)
	r := e.do("GET", base, e.admin, nil)
	expect(t, r, http.StatusOK, "")
	items := r.json(t)["data"].([]any)
	if len(items) != 2 {
		t.Fatalf("log: %s", r.body)
	}
	first := items[1].(map[string]any) // newest first
	want := map[string]any{"id": 1.0, "webhook_id": float64(id), "event_id": 1.0, "event": "profile.created",
		"message_id": "msg_1", "status": "failed", "attempts": 1.0, "last_response_code": 410.0,
		"last_error": "HTTP 410", "next_attempt_at": nil, "delivered_at": nil,
		"created_at": "2025-01-26 12:00:00", "updated_at": "2025-01-26 12:00:00"}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("delivery\n got %v\nwant %v", first, want)
	}
	r = e.do("GET", base+"?filter[status]=pending", e.admin, nil)
	if items := r.json(t)["data"].([]any); len(items) != 1 || items[0].(map[string]any)["next_attempt_at"] != "2025-01-26 12:00:00" {
		t.Errorf("pending: %s", r.body)
	}
	expectInvalid(t, e.do("GET", base+"?filter[status]=lost", e.admin, nil), "filter.status")

	r = e.do("GET", base+"/1", e.admin, nil)
	expect(t, r, http.StatusOK, "")
	detail := r.json(t)["data"].(map[string]any)
	log := detail["attempt_log"].([]any)
	if !reflect.DeepEqual(detail["payload"], map[string]any{"id": "p1"}) || len(log) != 1 ||
		log[0].(map[string]any)["response_code"] != 410.0 || log[0].(map[string]any)["duration_ms"] != 1.5 {
		t.Errorf("delivery detail: %s", r.body)
	}

	r = e.do("POST", base+"/1/retry", e.admin, nil)
	expect(t, r, http.StatusOK, "")
	if d := r.json(t)["data"].(map[string]any); d["status"] != "pending" || d["attempts"] != 1.0 || d["next_attempt_at"] == nil {
		t.Errorf("retry: %s", r.body)
	}
	expect(t, e.do("POST", base+"/99/retry", e.admin, nil), http.StatusNotFound, "")
	expect(t, e.do("GET", "/api/v3/webhooks/99/deliveries", e.admin, nil), http.StatusNotFound, "")
	expect(t, e.do("POST", base+"/1/retry", e.token("read-webhooks"), nil), http.StatusForbidden, "")
	if !strings.Contains(string(e.do("GET", base, e.token("read-webhooks"), nil).body), `"total":2`) {
		t.Error("read-webhooks cannot read the log")
	}
}
