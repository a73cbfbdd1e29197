package api_test

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clientele/clientele/client"
	"github.com/google/uuid"
)

var timestampRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$`)

// TestBatchValidation: envelope and item format errors are 422 with
// Laravel keys, and nothing is queued (spec §6.1).
func TestBatchValidation(t *testing.T) {
	e := newEnv(t)
	six := strings.TrimSuffix(strings.Repeat(`{"email":"x@example.com"},`, testMaxBatch+1), ",")
	for _, c := range []struct {
		name, body string
		keys       []string
	}{
		{"no body", "", []string{"match_criteria", "profiles"}},
		{"empty object", `{}`, []string{"match_criteria", "profiles"}},
		{"array envelope", `[]`, []string{"match_criteria", "profiles"}},
		{"missing match_criteria", `{"profiles":[{"email":"a@example.com"}]}`, []string{"match_criteria"}},
		{"empty match_criteria", `{"match_criteria":"","profiles":[{"email":"a@example.com"}]}`, []string{"match_criteria"}},
		{"numeric match_criteria", `{"match_criteria":7,"profiles":[{"email":"a@example.com"}]}`, []string{"match_criteria"}},
		{"empty profiles", `{"match_criteria":"email","profiles":[]}`, []string{"profiles"}},
		{"profiles not an array", `{"match_criteria":"email","profiles":{"email":"a@example.com"}}`, []string{"profiles"}},
		{"too many profiles", `{"match_criteria":"email","profiles":[` + six + `]}`, []string{"profiles"}},
		{"item email invalid", profilesJSON("email", `{"email":"a@example.com"}`, `{"email":"not an email"}`), []string{"profiles.1.email"}},
		{"item not an object", profilesJSON("email", `5`, `{"email":"a@example.com"}`), []string{"profiles.0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var body []byte
			if c.body != "" {
				body = []byte(c.body)
			}
			expectInvalid(t, e.do("POST", "/api/v3/profiles/batch", e.admin, body), c.keys...)
		})
	}
	if n := e.queued(); n != 0 {
		t.Errorf("QueuedItems = %d after refused batches, want 0", n)
	}
	if n := e.notify.Load(); n != 0 {
		t.Errorf("Notify called %d times for refused batches", n)
	}

	// The client reports the same 422 as a typed error.
	_, err := e.client().SubmitBatch(t.Context(), client.BatchRequest{MatchCriteria: "email", Profiles: []any{map[string]any{"email": 5}}})
	var ce *client.Error
	if !client.IsInvalid(err) || !errors.As(err, &ce) || len(ce.Errors["profiles.0.email"]) == 0 {
		t.Errorf("client SubmitBatch error = %v, want a 422 with profiles.0.email", err)
	}
}

// TestSubmitBatch: 202 with the exact message and a UUID v4; the batch is
// durable and readable at once, pending, with match values; after it is
// applied it reports counts and per-item results (spec §6.1, §6.2, E1).
func TestSubmitBatch(t *testing.T) {
	e := newEnv(t)
	body := `{"match_criteria":"email","import_job_id":42,"profiles":[
		{"email":"  Ann@Example.com ","first_name":"Ann"},
		{"first_name":"No Email"},
		{"email":"bob@example.com"}]}`
	var first string
	for _, path := range []string{"/api/v3/profiles/batch", "/api/v3/profiles/batch.json"} {
		r := e.do("POST", path, e.admin, []byte(body))
		expect(t, r, http.StatusAccepted, "")
		m := r.json(t)
		data, _ := m["data"].(map[string]any)
		if len(m) != 1 || len(data) != 2 || data["message"] != "Profiles queued for batch import." {
			t.Fatalf("202 body = %s", r.body)
		}
		id, _ := data["batch_id"].(string)
		if u, err := uuid.Parse(id); err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 || len(id) != 36 || id != strings.ToLower(id) {
			t.Errorf("batch_id %q is not a lower-case UUID v4", id)
		}
		if first == "" {
			first = id
		}
	}
	if n := e.notify.Load(); n != 2 {
		t.Errorf("Notify called %d times, want 2", n)
	}
	if n := e.queued(); n != 6 {
		t.Errorf("QueuedItems = %d, want 6", n)
	}

	id := e.submit(body)
	r := e.do("GET", "/api/v3/batches/"+id, e.admin, nil)
	expect(t, r, http.StatusOK, "")
	b := r.json(t)["data"].(map[string]any)
	wantKeys(t, "batch", b, "id", "import_job_id", "entity_type", "match_criteria", "status",
		"total_count", "processed_count", "success_count", "failed_count", "created_count",
		"updated_count", "unchanged_count", "started_at", "completed_at", "created_at", "updated_at", "items")
	for k, want := range map[string]any{
		"id": id, "import_job_id": 42.0, "entity_type": "profile", "match_criteria": "email",
		"status": "pending", "total_count": 3.0, "processed_count": 0.0, "success_count": 0.0,
		"failed_count": 0.0, "created_count": 0.0, "updated_count": 0.0, "unchanged_count": 0.0,
		"started_at": nil, "completed_at": nil,
	} {
		if b[k] != want {
			t.Errorf("batch %s = %#v, want %#v", k, b[k], want)
		}
	}
	if s, _ := b["created_at"].(string); !timestampRE.MatchString(s) {
		t.Errorf("created_at = %#v", b["created_at"])
	}
	items := b["items"].([]any)
	if len(items) != 3 {
		t.Fatalf("items = %d, want 3", len(items))
	}
	wantMatch := []any{"ann@example.com", nil, "bob@example.com"}
	for i, x := range items {
		it := x.(map[string]any)
		wantKeys(t, "item", it, "id", "index", "entity_id", "external_id", "match_value", "status",
			"outcome", "error", "errors", "conflict_profile_id", "created_at", "updated_at")
		if it["id"] != float64(i+1) || it["index"] != float64(i) || it["status"] != "pending" ||
			it["entity_id"] != nil || it["outcome"] != nil || it["error"] != nil {
			t.Errorf("pending item %d = %v", i, it)
		}
		if errs, ok := it["errors"].(map[string]any); !ok || len(errs) != 0 {
			t.Errorf("pending item %d errors = %#v, want {}", i, it["errors"])
		}
		// An item without a match value shows null rather than "".
		if mv := it["match_value"]; mv != wantMatch[i] {
			t.Errorf("item %d match_value = %#v, want %#v", i, mv, wantMatch[i])
		}
		if it["external_id"] != it["match_value"] {
			t.Errorf("item %d external_id %#v != match_value %#v", i, it["external_id"], it["match_value"])
		}
	}

	// Three batches of the same items: the first creates, the others
	// find nothing to change.
	e.drain()
	ctx := t.Context()
	for _, c := range []struct {
		id      string
		outcome string
	}{{first, "created"}, {id, "unchanged"}} {
		got, err := e.client().WaitBatch(ctx, c.id, time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		created, unchanged := 2, 0
		if c.outcome == "unchanged" {
			created, unchanged = 0, 2
		}
		if got.Status != client.StatusCompleted || got.TotalCount != 3 || got.ProcessedCount != 3 ||
			got.SuccessCount != 2 || got.FailedCount != 1 || got.CreatedCount != created || got.UnchangedCount != unchanged ||
			got.StartedAt == nil || got.CompletedAt == nil {
			t.Errorf("completed batch = %+v", got)
		}
		failed := got.Items[1]
		if failed.Status != "failed" || failed.Outcome == nil || *failed.Outcome != "failed" || failed.EntityID != nil ||
			failed.Error == nil || *failed.Error != "The email field is required." || len(failed.Errors["email"]) != 1 {
			t.Errorf("failed item = %+v", failed)
		}
		ok := got.Items[0]
		if ok.Status != "success" || ok.Outcome == nil || *ok.Outcome != c.outcome || ok.EntityID == nil || ok.Error != nil || ok.Errors == nil {
			t.Errorf("%s item = %+v", c.outcome, ok)
		}
		if p, err := e.client().Profile(ctx, *ok.EntityID); err != nil || p.Email == nil || *p.Email != "ann@example.com" {
			t.Errorf("profile of item 0 = %+v, %v", p, err)
		}
	}

	if _, err := e.client().Batch(ctx, uuid.NewString()); !client.IsNotFound(err) {
		t.Errorf("unknown batch: err = %v, want 404", err)
	}
}

// TestBatchItemsPagination: the items route pages in Laravel's envelope,
// keeps filters in its links and validates its parameters (§1.2, E1).
func TestBatchItemsPagination(t *testing.T) {
	e := newEnv(t)
	id := e.submit(profilesJSON("email",
		`{"email":"a@example.com"}`, `{"first_name":"x"}`, `{"email":"c@example.com"}`,
		`{"first_name":"y"}`, `{"email":"e@example.com"}`))
	path := "/api/v3/batches/" + id + "/items"
	base := e.srv.URL + path

	// Before processing: every item is pending, none succeeded.
	r := e.do("GET", path+"?filter[status]=success", e.admin, nil)
	expect(t, r, http.StatusOK, "")
	empty := r.json(t)
	checkPage(t, empty, pageWant{current: 1, last: 1, perPage: 15, total: 0, count: 0,
		first: base + "?filter%5Bstatus%5D=success&page%5Bnumber%5D=1"})

	e.drain()
	r = e.do("GET", path+"?page[size]=2&filter[status]=failed", e.admin, nil)
	expect(t, r, http.StatusOK, "")
	m := r.json(t)
	checkPage(t, m, pageWant{current: 1, last: 1, perPage: 2, total: 2, count: 2, from: 1, to: 2,
		first: base + "?filter%5Bstatus%5D=failed&page%5Bnumber%5D=1&page%5Bsize%5D=2"})
	for _, x := range m["data"].([]any) {
		if it := x.(map[string]any); it["status"] != "failed" {
			t.Errorf("filter[status]=failed returned %v", it)
		}
	}

	// All five, two a page: page 2 of 3.
	r = e.do("GET", path+"?page[number]=2&page[size]=2", e.admin, nil)
	m = r.json(t)
	pageURL := func(n string) string { return base + "?page%5Bnumber%5D=" + n + "&page%5Bsize%5D=2" }
	checkPage(t, m, pageWant{current: 2, last: 3, perPage: 2, total: 5, count: 2, from: 3, to: 4,
		first: pageURL("1"), last_: pageURL("3"), prev: pageURL("1"), next: pageURL("3")})
	data := m["data"].([]any)
	if data[0].(map[string]any)["index"] != 2.0 || data[1].(map[string]any)["index"] != 3.0 {
		t.Errorf("page 2 holds indexes %v and %v, want 2 and 3", data[0].(map[string]any)["index"], data[1].(map[string]any)["index"])
	}
	wantLinks := []struct {
		url    any
		label  string
		active bool
	}{
		{pageURL("1"), "&laquo; Previous", false},
		{pageURL("1"), "1", false},
		{pageURL("2"), "2", true},
		{pageURL("3"), "3", false},
		{pageURL("3"), "Next &raquo;", false},
	}
	links := m["meta"].(map[string]any)["links"].([]any)
	if len(links) != len(wantLinks) {
		t.Fatalf("meta.links = %v", links)
	}
	for i, w := range wantLinks {
		l := links[i].(map[string]any)
		if l["url"] != w.url || l["label"] != w.label || l["active"] != w.active {
			t.Errorf("meta.links[%d] = %v, want %v", i, l, w)
		}
	}
	if !strings.Contains(string(r.body), `"label":"&laquo; Previous"`) {
		t.Errorf("labels are escaped in the raw body: %s", r.body)
	}

	// The legacy pair the PHP SDK sends; links speak page[number].
	m = e.do("GET", path+"?page=3&per_page=2", e.admin, nil).json(t)
	legacy := func(n string) string { return base + "?page%5Bnumber%5D=" + n + "&per_page=2" }
	checkPage(t, m, pageWant{current: 3, last: 3, perPage: 2, total: 5, count: 1, from: 5, to: 5,
		first: legacy("1"), last_: legacy("3"), prev: legacy("2")})

	// Past the end: an empty page, from and to null.
	m = e.do("GET", path+"?page[number]=9", e.admin, nil).json(t)
	checkPage(t, m, pageWant{current: 9, last: 1, perPage: 15, total: 5, count: 0,
		first: base + "?page%5Bnumber%5D=1", prev: base + "?page%5Bnumber%5D=8"})

	// Sizes above 100 are clamped, not refused.
	m = e.do("GET", path+"?page[size]=1000", e.admin, nil).json(t)
	if m["meta"].(map[string]any)["per_page"] != 100.0 {
		t.Errorf("per_page = %v, want 100", m["meta"].(map[string]any)["per_page"])
	}

	for q, key := range map[string]string{
		"page[size]=0":         "page.size",
		"page[number]=0":       "page.number",
		"page[number]=-1":      "page.number",
		"page[size]=abc":       "page.size",
		"per_page=0":           "per_page",
		"filter[status]=bogus": "filter.status",
	} {
		expectInvalid(t, e.do("GET", path+"?"+q, e.admin, nil), key)
	}

	// Through the client.
	page, err := e.client().BatchItems(t.Context(), id, client.ItemsQuery{Status: "success", Size: 2, Page: 2})
	if err != nil {
		t.Fatal(err)
	}
	if page.Meta.Total != 3 || len(page.Data) != 1 || page.Data[0].Index != 4 || page.Meta.From == nil || *page.Meta.From != 3 {
		t.Errorf("client page = %+v", page.Meta)
	}
	if _, err := e.client().BatchItems(t.Context(), uuid.NewString(), client.ItemsQuery{}); !client.IsNotFound(err) {
		t.Errorf("items of an unknown batch: %v, want 404", err)
	}
}

// pageWant is what checkPage expects; "" and 0 mean null for links and
// from/to.
type pageWant struct {
	current, last, perPage, total, count int
	from, to                             int
	first, last_, prev, next             string
}

// checkPage asserts the §1.2 envelope: every key, its JSON type, its values.
func checkPage(t *testing.T, m map[string]any, w pageWant) {
	t.Helper()
	wantKeys(t, "page", m, "data", "links", "meta")
	if d, ok := m["data"].([]any); !ok || len(d) != w.count {
		t.Errorf("data = %v, want an array of %d", m["data"], w.count)
	}
	links, _ := m["links"].(map[string]any)
	wantKeys(t, "links", links, "first", "last", "prev", "next")
	if w.last_ == "" {
		w.last_ = w.first
	}
	nullable := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	for k, want := range map[string]any{"first": w.first, "last": w.last_, "prev": nullable(w.prev), "next": nullable(w.next)} {
		if links[k] != want {
			t.Errorf("links.%s = %#v, want %#v", k, links[k], want)
		}
	}
	meta, _ := m["meta"].(map[string]any)
	wantKeys(t, "meta", meta, "current_page", "from", "last_page", "links", "path", "per_page", "to", "total")
	num := func(n int) any {
		if n == 0 {
			return nil
		}
		return float64(n)
	}
	for k, want := range map[string]any{
		"current_page": float64(w.current), "last_page": float64(w.last), "per_page": float64(w.perPage),
		"total": float64(w.total), "from": num(w.from), "to": num(w.to),
	} {
		if meta[k] != want {
			t.Errorf("meta.%s = %#v, want %#v", k, meta[k], want)
		}
	}
	if p, _ := meta["path"].(string); p == "" || strings.Contains(p, "?") {
		t.Errorf("meta.path = %#v", meta["path"])
	}
	ml, ok := meta["links"].([]any)
	if !ok || len(ml) < 3 {
		t.Fatalf("meta.links = %#v", meta["links"])
	}
	if l := ml[0].(map[string]any); l["label"] != "&laquo; Previous" || l["url"] != nullable(w.prev) {
		t.Errorf("meta.links[0] = %v", l)
	}
	if l := ml[len(ml)-1].(map[string]any); l["label"] != "Next &raquo;" || l["url"] != nullable(w.next) {
		t.Errorf("meta.links[last] = %v", l)
	}
}

// wantKeys asserts that m has exactly these keys.
func wantKeys(t *testing.T, what string, m map[string]any, keys ...string) {
	t.Helper()
	var got []string
	for k := range m {
		got = append(got, k)
	}
	slices.Sort(got)
	keys = slices.Clone(keys)
	slices.Sort(keys)
	if !slices.Equal(got, keys) {
		t.Errorf("%s keys:\n got %v\nwant %v", what, got, keys)
	}
}
