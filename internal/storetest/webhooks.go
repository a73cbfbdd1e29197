package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/google/uuid"
)

// The webhook subscriptions, the signing secret and the router's cursor.
// Deliveries are in webhook_deliveries.go.

// hook stores an active webhook for trigger and url, created at t0.
func hook(t *testing.T, s clientele.Store, trigger, url string, edit ...func(*clientele.Webhook)) clientele.Webhook {
	t.Helper()
	w := clientele.Webhook{Trigger: trigger, URL: url, UserID: 7, IsActive: true, CreatedAt: t0, UpdatedAt: t0}
	for _, fn := range edit {
		fn(&w)
	}
	out, err := s.CreateWebhook(t.Context(), w)
	ok(t, err)
	return out
}

// wantWebhook checks got against want, ids and times included.
func wantWebhook(t *testing.T, got, want clientele.Webhook) {
	t.Helper()
	if got.ID != want.ID || got.Trigger != want.Trigger || got.URL != want.URL || got.Namespace != want.Namespace ||
		got.UserID != want.UserID || got.IsActive != want.IsActive || got.RetryHourly != want.RetryHourly ||
		str(boolStr(got.RetryDaily)) != str(boolStr(want.RetryDaily)) || str(got.Queue) != str(want.Queue) ||
		string(got.Condition) != string(want.Condition) || (got.Condition == nil) != (want.Condition == nil) ||
		!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("webhook\n got %+v\nwant %+v", got, want)
	}
}

func boolStr(b *bool) *string {
	if b == nil {
		return nil
	}
	s := fmt.Sprint(*b)
	return &s
}

func testWebhookCRUD(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	daily, queue := true, "high"
	w := hook(t, s, "profile.updated", "https://example.com/a", func(w *clientele.Webhook) {
		w.Namespace, w.RetryHourly, w.RetryDaily, w.Queue = "crm", true, &daily, &queue
		// Verbatim: key order and spelling as sent, not re-encoded.
		w.Condition = []byte(`{"and":[{"not_in":[{"var":"email"},["x@y.z"]]}],"a":1}`)
	})
	if w.ID == 0 {
		t.Fatal("CreateWebhook returned no id")
	}
	got, err := s.Webhook(ctx, w.ID)
	ok(t, err)
	wantWebhook(t, got, w)
	if string(got.Condition) != `{"and":[{"not_in":[{"var":"email"},["x@y.z"]]}],"a":1}` {
		t.Errorf("condition = %s", got.Condition)
	}

	plain := hook(t, s, "profile.created", "https://example.com/a")
	if plain.Condition != nil || plain.RetryDaily != nil || plain.Queue != nil || plain.Namespace != "" {
		t.Errorf("null fields came back as %+v", plain)
	}

	w.IsActive, w.Trigger, w.Condition, w.RetryDaily, w.Queue = false, "products.created", []byte(`{"test":123}`), nil, nil
	w.UpdatedAt = at(time.Hour)
	w.UserID = 99 // ignored: the owner never changes
	upd, err := s.UpdateWebhook(ctx, w)
	ok(t, err)
	w.UserID = 7
	wantWebhook(t, upd, w)
	got, err = s.Webhook(ctx, w.ID)
	ok(t, err)
	wantWebhook(t, got, w)

	_, err = s.UpdateWebhook(ctx, clientele.Webhook{ID: w.ID + 1000, Trigger: "x", URL: "https://e.com"})
	wantCode(t, err, clientele.ENOTFOUND)
	ok(t, s.DeleteWebhook(ctx, w.ID))
	_, err = s.Webhook(ctx, w.ID)
	wantCode(t, err, clientele.ENOTFOUND)
	wantCode(t, s.DeleteWebhook(ctx, w.ID), clientele.ENOTFOUND)
}

func testWebhookUnique(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	a := hook(t, s, "profile.updated", "https://example.com/a")
	// The same url under another trigger is allowed (spec §4.9).
	b := hook(t, s, "profile.created", "https://example.com/a")
	_, err := s.CreateWebhook(ctx, clientele.Webhook{Trigger: "profile.updated", URL: "https://example.com/a",
		IsActive: true, CreatedAt: t0, UpdatedAt: t0})
	wantCode(t, err, clientele.EINVALID)
	if msgs := clientele.ErrorFields(err)["url"]; len(msgs) != 1 || msgs[0] != "The url has already been taken." {
		t.Errorf("errors = %v", clientele.ErrorFields(err))
	}
	b.Trigger = a.Trigger
	_, err = s.UpdateWebhook(ctx, b)
	wantCode(t, err, clientele.EINVALID)
	n, total, err := s.ListWebhooks(ctx, clientele.WebhookFilter{})
	ok(t, err)
	if len(n) != 2 || total != 2 {
		t.Errorf("%d webhooks (total %d), want 2", len(n), total)
	}
}

func testListWebhooks(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	var all []clientele.Webhook
	for i := range 5 {
		all = append(all, hook(t, s, []string{"profiles.create", "profile.updated"}[i%2],
			fmt.Sprintf("https://example.com/%d", i), func(w *clientele.Webhook) {
				w.IsActive = i != 3
				w.Namespace = []string{"", "crm"}[i%2]
			}))
	}
	yes, no, trig, ns := true, false, "profiles.create", "crm"
	for _, c := range []struct {
		f    clientele.WebhookFilter
		want []int // indexes into all
	}{
		{clientele.WebhookFilter{}, []int{0, 1, 2, 3, 4}},
		{clientele.WebhookFilter{IsActive: &yes}, []int{0, 1, 2, 4}},
		{clientele.WebhookFilter{IsActive: &no}, []int{3}},
		{clientele.WebhookFilter{Trigger: &trig}, []int{0, 2, 4}},
		{clientele.WebhookFilter{Namespace: &ns, IsActive: &yes}, []int{1}},
		{clientele.WebhookFilter{Offset: 1, Limit: 2}, []int{1, 2}},
	} {
		got, total, err := s.ListWebhooks(ctx, c.f)
		ok(t, err)
		var ids, want []int64
		for _, w := range got {
			ids = append(ids, w.ID)
		}
		for _, i := range c.want {
			want = append(want, all[i].ID)
		}
		wantTotal := len(c.want)
		if c.f.Limit > 0 {
			wantTotal = 5
		}
		if fmt.Sprint(ids) != fmt.Sprint(want) || total != wantTotal {
			t.Errorf("filter %+v: ids %v total %d, want %v total %d", c.f, ids, total, want, wantTotal)
		}
	}
	// Case matters: trigger and namespace are exact (spec §10.1).
	upper := "PROFILES.CREATE"
	got, total, err := s.ListWebhooks(ctx, clientele.WebhookFilter{Trigger: &upper})
	ok(t, err)
	if len(got) != 0 || total != 0 {
		t.Errorf("filter trigger %s matched %d", upper, total)
	}
}

func testWebhookSecret(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	got, err := s.EnsureWebhookSecret(ctx, "first")
	ok(t, err)
	again, err := s.EnsureWebhookSecret(ctx, "second")
	ok(t, err)
	if got != "first" || again != "first" {
		t.Errorf("secrets %q then %q, want the first kept", got, again)
	}
}

// claimRouter claims the router cursor for owner at now.
func claimRouter(t *testing.T, s clientele.Store, owner string, now time.Time) clientele.RouterLease {
	t.Helper()
	l, err := s.ClaimRouter(t.Context(), owner, now, ttl)
	ok(t, err)
	return l
}

func testRouterLease(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	a := claimRouter(t, s, "node-a", t0)
	_, err := s.ClaimRouter(ctx, "node-b", at(time.Second), ttl)
	wantCode(t, err, clientele.ECONFLICT)
	page, err := s.NextEvents(ctx, a, 100, at(time.Second))
	ok(t, err)
	if len(page.Events) != 0 {
		t.Fatalf("events in a new store: %+v", page.Events)
	}
	// Routing extends the lease.
	ok(t, s.RouteEvents(ctx, a, page, nil, at(ttl/2), ttl))
	_, err = s.ClaimRouter(ctx, "node-b", at(ttl), ttl)
	wantCode(t, err, clientele.ECONFLICT)

	b := claimRouter(t, s, "node-b", at(ttl/2+ttl))
	_, err = s.NextEvents(ctx, a, 100, at(2*ttl))
	wantCode(t, err, clientele.ECONFLICT)
	wantCode(t, s.RouteEvents(ctx, a, page, nil, at(2*ttl), ttl), clientele.ECONFLICT)
	wantCode(t, s.SkipEvents(ctx, a, at(2*ttl), ttl), clientele.ECONFLICT)
	ok(t, s.SkipEvents(ctx, b, at(2*ttl), ttl))
	// The holder may claim again (a restarted router of the same node).
	claimRouter(t, s, "node-b", at(2*ttl))
}

func testRouterReadsEvents(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	hook(t, s, "profile.created", "https://example.com/a") // so that nothing is skipped
	id := submitFrom(t, s, "crm", clientele.MatchEmail, t0,
		emailItem("a@example.com", "A"), emailItem("b@example.com", "B"), emailItem("a@example.com", "A2"),
		emailItem("b@example.com", "B"), `{"first_name":"no email"}`)
	applyAll(t, s, id, at(time.Second))
	a, b := byEmail(t, s, "a@example.com"), byEmail(t, s, "b@example.com")

	l := claimRouter(t, s, "router", at(time.Minute))
	page, err := s.NextEvents(ctx, l, 3, at(time.Minute))
	ok(t, err)
	second, err := s.NextEvents(ctx, l, 3, at(time.Minute))
	ok(t, err)
	if fmt.Sprint(clientele.EventIDs(second.Events)) != fmt.Sprint(clientele.EventIDs(page.Events)) {
		t.Errorf("NextEvents moved the cursor: %v then %v", clientele.EventIDs(page.Events), clientele.EventIDs(second.Events))
	}
	ok(t, s.RouteEvents(ctx, l, page, nil, at(time.Minute), ttl))
	rest, err := s.NextEvents(ctx, l, 3, at(time.Minute))
	ok(t, err)
	events := append(page.Events, rest.Events...)

	type ev struct {
		typ, profile string
		version      int64
	}
	want := []ev{{"profile.created", a.ID, 1}, {"profile.created", b.ID, 1}, {"profile.updated", a.ID, 2},
		{"batch.completed", "", 0}}
	if len(events) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(events), len(want), events)
	}
	for i, e := range events {
		if (ev{e.Type, e.ProfileID, e.Version}) != want[i] || e.BatchID != id || e.Origin != "crm" ||
			!e.CreatedAt.Equal(at(time.Second)) {
			t.Errorf("event %d = %+v, want %+v of batch %s from crm at %v", i, e, want[i], id, at(time.Second))
		}
		if i > 0 && e.ID <= events[i-1].ID {
			t.Errorf("event ids not ascending: %v", clientele.EventIDs(events))
		}
	}
	if rest.Next.Position != events[len(events)-1].ID || len(rest.Next.Gaps) != 0 {
		t.Errorf("next cursor %+v, want position %d without gaps", rest.Next, events[len(events)-1].ID)
	}
	ok(t, s.RouteEvents(ctx, l, rest, nil, at(time.Minute), ttl))
	empty, err := s.NextEvents(ctx, l, 3, at(time.Minute))
	ok(t, err)
	if len(empty.Events) != 0 {
		t.Errorf("events after routing them all: %+v", empty.Events)
	}
}

// submitFrom submits a batch with an origin namespace, as the API does for
// a token of that name, and returns its id.
func submitFrom(t *testing.T, s clientele.Store, origin, match string, when time.Time, items ...string) string {
	t.Helper()
	b := newBatch(uuid.NewString(), match, when, len(items))
	b.Origin = origin
	_, err := s.CreateBatch(t.Context(), b, newItems(t, match, items), clientele.Idempotency{})
	ok(t, err)
	return b.ID
}

func testSkipEvents(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	run(t, s, clientele.MatchEmail, t0, emailItem("a@example.com", "A"))
	l := claimRouter(t, s, "router", t0)
	// No webhook is active: the events are skipped.
	hook(t, s, "profile.created", "https://example.com/a", func(w *clientele.Webhook) { w.IsActive = false })
	ok(t, s.SkipEvents(ctx, l, t0, ttl))
	page, err := s.NextEvents(ctx, l, 100, t0)
	ok(t, err)
	if len(page.Events) != 0 {
		t.Fatalf("events after SkipEvents: %+v", page.Events)
	}
	// An active webhook stops the skipping.
	hook(t, s, "profile.created", "https://example.com/b")
	run(t, s, clientele.MatchEmail, t0, emailItem("b@example.com", "B"))
	ok(t, s.SkipEvents(ctx, l, t0, ttl))
	page, err = s.NextEvents(ctx, l, 100, t0)
	ok(t, err)
	if len(page.Events) != 2 {
		t.Fatalf("%d events with a webhook active, want 2 (created, completed)", len(page.Events))
	}
}

func testProfilesByID(t *testing.T, s clientele.Store) {
	run(t, s, clientele.MatchEmail, t0, emailItem("a@example.com", "A"), emailItem("b@example.com", "B"),
		`{"email":"c@example.com","identities":[{"handle":"pos","identifier":"P1"}]}`)
	a, b, c := byEmail(t, s, "a@example.com"), byEmail(t, s, "b@example.com"), byEmail(t, s, "c@example.com")
	got, err := s.ProfilesByID(t.Context(), []string{c.ID, "00000000-0000-4000-8000-000000000000", a.ID, c.ID})
	ok(t, err)
	if fmt.Sprint(ids(got)) != fmt.Sprint([]string{c.ID, a.ID}) {
		t.Errorf("ProfilesByID = %v, want %v", ids(got), []string{c.ID, a.ID})
	}
	if len(got) == 2 && (len(got[0].Identities) != 1 || got[1].FirstName != "A") {
		t.Errorf("profiles not fully loaded: %+v", got)
	}
	_ = b
	none, err := s.ProfilesByID(t.Context(), nil)
	ok(t, err)
	if none == nil || len(none) != 0 {
		t.Errorf("ProfilesByID(nil) = %v", none)
	}
}
