package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/clientele/clientele"
)

// Deliveries: what the router stores, the dispatcher's claims and records,
// and the delivery log. The event ids are made up: a delivery names its
// event but does not need the row.

// route stores deliveries of event ids to w through the router's cursor.
func route(t *testing.T, s clientele.Store, w clientele.Webhook, now time.Time, eventIDs ...int64) {
	t.Helper()
	l := claimRouter(t, s, "router", now)
	page, err := s.NextEvents(t.Context(), l, 1000, now)
	ok(t, err)
	var ds []clientele.NewDelivery
	for _, id := range eventIDs {
		ds = append(ds, clientele.NewDelivery{WebhookID: w.ID, EventID: id, EventType: w.Trigger,
			MessageID: fmt.Sprintf("msg_%d_%d", w.ID, id), Body: []byte(fmt.Sprintf(`{"event":%d}`, id))})
	}
	ok(t, s.RouteEvents(t.Context(), l, page, ds, now, ttl))
}

// claimAll claims every due delivery at now for owner.
func claimAll(t *testing.T, s clientele.Store, owner string, now time.Time) []clientele.Delivery {
	t.Helper()
	ds, err := s.ClaimDeliveries(t.Context(), owner, now, ttl, 100)
	ok(t, err)
	return ds
}

func deliveryIDs(ds []clientele.Delivery) []int64 {
	out := make([]int64, len(ds))
	for i, d := range ds {
		out[i] = d.ID
	}
	return out
}

func code(n int) *int { return &n }

// record records one attempt of claimed delivery d: ECONFLICT if its claim
// was lost.
func record(t *testing.T, s clientele.Store, d clientele.Delivery, a clientele.DeliveryAttempt) error {
	t.Helper()
	lost, err := s.RecordAttempts(t.Context(), []clientele.ClaimedAttempt{{Delivery: d, Attempt: a}})
	if err != nil {
		return err
	}
	if len(lost) > 0 {
		if len(lost) != 1 || lost[0] != d.ID {
			t.Fatalf("lost %v, want [%d]", lost, d.ID)
		}
		return clientele.Errorf(clientele.ECONFLICT, "claim lost")
	}
	return nil
}

func testRecordAttemptsTogether(t *testing.T, s clientele.Store) {
	w := hook(t, s, "profile.created", "https://example.com/a")
	route(t, s, w, t0, 1, 2, 3)
	ds := claimAll(t, s, "node-a", t0)
	if len(ds) != 3 {
		t.Fatalf("claimed %d", len(ds))
	}
	// The first delivery's claim expires and another node takes it.
	again, err := s.ClaimDeliveries(t.Context(), "node-b", at(ttl), ttl, 1)
	ok(t, err)
	if len(again) != 1 || again[0].ID != ds[0].ID {
		t.Fatalf("reclaimed %+v", again)
	}
	retry := at(ttl + time.Minute)
	msg := "HTTP 500"
	lost, err := s.RecordAttempts(t.Context(), []clientele.ClaimedAttempt{
		{Delivery: ds[0], Attempt: clientele.DeliveryAttempt{StartedAt: t0, StatusCode: code(200), Delivered: true}},
		{Delivery: ds[1], Attempt: clientele.DeliveryAttempt{StartedAt: t0, StatusCode: code(200), Delivered: true}},
		{Delivery: ds[2], Attempt: clientele.DeliveryAttempt{StartedAt: t0, StatusCode: code(500), Error: &msg, RetryAt: &retry}},
	})
	ok(t, err)
	if fmt.Sprint(lost) != fmt.Sprint([]int64{ds[0].ID}) {
		t.Errorf("lost %v, want [%d]", lost, ds[0].ID)
	}
	byID := map[int64]clientele.Delivery{}
	all, _, err := s.Deliveries(t.Context(), w.ID, clientele.DeliveryFilter{})
	ok(t, err)
	for _, d := range all {
		byID[d.ID] = d
	}
	if d := byID[ds[0].ID]; d.Status != clientele.DeliveryPending || d.Attempts != 0 {
		t.Errorf("the lost claim's delivery changed: %+v", d)
	}
	if d := byID[ds[1].ID]; d.Status != clientele.DeliveryDelivered || d.Attempts != 1 {
		t.Errorf("delivered %+v", d)
	}
	if d := byID[ds[2].ID]; d.Status != clientele.DeliveryPending || d.Attempts != 1 || !d.NextAttemptAt.Equal(retry) {
		t.Errorf("to retry %+v", d)
	}
	none, err := s.RecordAttempts(t.Context(), nil)
	ok(t, err)
	if len(none) != 0 {
		t.Errorf("RecordAttempts(nil) lost %v", none)
	}
}

func testDeliveryClaimAndRecord(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	daily := true
	w := hook(t, s, "profile.updated", "https://example.com/a", func(w *clientele.Webhook) {
		w.RetryHourly, w.RetryDaily = true, &daily
	})
	route(t, s, w, t0, 11, 12)
	// A second routing of the same event to the same webhook is dropped.
	route(t, s, w, t0, 11)

	ds := claimAll(t, s, "node-a", t0)
	if len(ds) != 2 {
		t.Fatalf("claimed %d deliveries, want 2", len(ds))
	}
	d := ds[0]
	if d.EventID != 11 || d.WebhookID != w.ID || d.EventType != "profile.updated" || d.MessageID != fmt.Sprintf("msg_%d_11", w.ID) ||
		string(d.Body) != `{"event":11}` || d.URL != w.URL || d.Trigger != w.Trigger || !d.RetryHourly ||
		d.RetryDaily == nil || !*d.RetryDaily || d.LeaseToken == "" || d.Status != clientele.DeliveryPending ||
		d.Attempts != 0 || !d.CreatedAt.Equal(t0) {
		t.Errorf("claimed delivery %+v", d)
	}
	if more := claimAll(t, s, "node-b", t0); len(more) != 0 {
		t.Errorf("claimed deliveries another node holds: %v", deliveryIDs(more))
	}

	retry := at(10 * time.Second)
	msg := "HTTP 503"
	ok(t, record(t, s, d, clientele.DeliveryAttempt{StartedAt: at(time.Second), Duration: 20 * time.Millisecond,
		StatusCode: code(503), Error: &msg, RetryAt: &retry}))
	// The record ended the claim: a second record of it is refused.
	wantCode(t, record(t, s, d, clientele.DeliveryAttempt{StartedAt: at(time.Second), Delivered: true}),
		clientele.ECONFLICT)
	if early := claimAll(t, s, "node-b", at(9*time.Second)); len(early) != 0 {
		t.Errorf("claimed before it was due: %v", deliveryIDs(early))
	}
	again := claimAll(t, s, "node-b", retry)
	if len(again) != 1 || again[0].ID != d.ID || again[0].Attempts != 1 || str(again[0].LastError) != `"HTTP 503"` ||
		again[0].LastStatusCode == nil || *again[0].LastStatusCode != 503 {
		t.Fatalf("claimed again %+v", again)
	}
	ok(t, record(t, s, again[0], clientele.DeliveryAttempt{StartedAt: retry, Duration: time.Millisecond,
		StatusCode: code(200), Delivered: true}))

	got, attempts, err := s.Delivery(ctx, w.ID, d.ID)
	ok(t, err)
	if got.Status != clientele.DeliveryDelivered || got.Attempts != 2 || got.NextAttemptAt != nil ||
		got.DeliveredAt == nil || !got.DeliveredAt.Equal(retry.Add(time.Millisecond)) || got.LastError != nil ||
		string(got.Body) != `{"event":11}` {
		t.Errorf("delivered delivery %+v", got)
	}
	if len(attempts) != 2 || attempts[0].Number != 1 || *attempts[0].StatusCode != 503 ||
		str(attempts[0].Error) != `"HTTP 503"` || attempts[0].Duration != 20*time.Millisecond ||
		!attempts[0].StartedAt.Equal(at(time.Second)) || attempts[1].Number != 2 || attempts[1].Error != nil {
		t.Errorf("attempts %+v", attempts)
	}
	_, _, err = s.Delivery(ctx, w.ID+1, d.ID)
	wantCode(t, err, clientele.ENOTFOUND)

	// The other delivery fails for good.
	ok(t, record(t, s, ds[1], clientele.DeliveryAttempt{StartedAt: t0, StatusCode: code(410), Error: &msg}))
	failed, _, err := s.Delivery(ctx, w.ID, ds[1].ID)
	ok(t, err)
	if failed.Status != clientele.DeliveryFailed || failed.NextAttemptAt != nil || failed.Attempts != 1 {
		t.Errorf("failed delivery %+v", failed)
	}
	if late := claimAll(t, s, "node-b", at(time.Hour)); len(late) != 0 {
		t.Errorf("claimed finished deliveries: %v", deliveryIDs(late))
	}
}

func testDeliveryLeaseExpiry(t *testing.T, s clientele.Store) {
	w := hook(t, s, "profile.created", "https://example.com/a")
	route(t, s, w, t0, 1)
	first := claimAll(t, s, "node-a", t0)
	if len(first) != 1 {
		t.Fatalf("claimed %d", len(first))
	}
	// node-a dies mid-send: after its lease the delivery is sent again.
	if none := claimAll(t, s, "node-b", at(ttl-time.Second)); len(none) != 0 {
		t.Fatalf("claimed a leased delivery")
	}
	second := claimAll(t, s, "node-b", at(ttl))
	if len(second) != 1 || second[0].ID != first[0].ID || second[0].LeaseToken == first[0].LeaseToken {
		t.Fatalf("reclaimed %+v", second)
	}
	wantCode(t, record(t, s, first[0], clientele.DeliveryAttempt{StartedAt: t0, Delivered: true}),
		clientele.ECONFLICT)
	ok(t, record(t, s, second[0], clientele.DeliveryAttempt{StartedAt: at(ttl), Delivered: true}))
}

func testDeliveryClaimRenewal(t *testing.T, s clientele.Store) {
	w := hook(t, s, "profile.created", "https://example.com/a")
	route(t, s, w, t0, 1, 2)
	held := claimAll(t, s, "node-a", t0)
	if len(held) != 2 {
		t.Fatalf("claimed %d", len(held))
	}
	// node-a records one and keeps the other alive past its first lease.
	ok(t, record(t, s, held[0], clientele.DeliveryAttempt{StartedAt: t0, Delivered: true}))
	ok(t, s.RenewClaims(t.Context(), held, at(ttl/2), ttl))
	if stolen := claimAll(t, s, "node-b", at(ttl)); len(stolen) != 0 {
		t.Fatalf("claimed a renewed delivery: %v", deliveryIDs(stolen))
	}
	got, _, err := s.Delivery(t.Context(), w.ID, held[0].ID)
	ok(t, err)
	if got.Status != clientele.DeliveryDelivered {
		t.Errorf("renewal touched a recorded delivery: %+v", got)
	}
	// Renewal stops: the claim expires and another node takes over, and a
	// late renewal does not take it back.
	taken := claimAll(t, s, "node-b", at(ttl/2+ttl))
	if len(taken) != 1 || taken[0].ID != held[1].ID {
		t.Fatalf("claimed %v after the renewed lease", deliveryIDs(taken))
	}
	ok(t, s.RenewClaims(t.Context(), held[1:], at(ttl/2+ttl), ttl))
	wantCode(t, record(t, s, held[1], clientele.DeliveryAttempt{StartedAt: t0, Delivered: true}), clientele.ECONFLICT)
	ok(t, record(t, s, taken[0], clientele.DeliveryAttempt{StartedAt: t0, Delivered: true}))
}

func testDeliveryHeldWhileInactive(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	w := hook(t, s, "profile.created", "https://example.com/a")
	route(t, s, w, t0, 1)
	w.IsActive = false
	_, err := s.UpdateWebhook(ctx, w)
	ok(t, err)
	if ds := claimAll(t, s, "node", t0); len(ds) != 0 {
		t.Errorf("claimed a delivery of an inactive webhook")
	}
	w.IsActive, w.URL = true, "https://example.com/moved"
	_, err = s.UpdateWebhook(ctx, w)
	ok(t, err)
	ds := claimAll(t, s, "node", t0)
	if len(ds) != 1 || ds[0].URL != "https://example.com/moved" {
		t.Errorf("claimed %+v, want the delivery to the webhook's new url", ds)
	}
}

func testDeliveryLogAndRetry(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	w := hook(t, s, "profile.created", "https://example.com/a")
	other := hook(t, s, "profile.created", "https://example.com/b")
	route(t, s, w, t0, 1, 2, 3)
	route(t, s, other, t0, 1)
	ds := claimAll(t, s, "node", t0)
	msg := "HTTP 404"
	for _, d := range ds {
		a := clientele.DeliveryAttempt{StartedAt: t0, StatusCode: code(200), Delivered: true}
		if d.WebhookID == w.ID && d.EventID == 2 {
			a = clientele.DeliveryAttempt{StartedAt: t0, StatusCode: code(404), Error: &msg}
		}
		ok(t, record(t, s, d, a))
	}

	all, total, err := s.Deliveries(ctx, w.ID, clientele.DeliveryFilter{})
	ok(t, err)
	if total != 3 || len(all) != 3 || all[0].EventID != 3 || all[2].EventID != 1 || all[0].Body != nil {
		t.Fatalf("log %+v (total %d), want 3 newest first without bodies", all, total)
	}
	failed, total, err := s.Deliveries(ctx, w.ID, clientele.DeliveryFilter{Status: clientele.DeliveryFailed})
	ok(t, err)
	if total != 1 || len(failed) != 1 || failed[0].EventID != 2 || *failed[0].LastStatusCode != 404 {
		t.Fatalf("failed log %+v (total %d)", failed, total)
	}
	page, total, err := s.Deliveries(ctx, w.ID, clientele.DeliveryFilter{Offset: 1, Limit: 1})
	ok(t, err)
	if total != 3 || len(page) != 1 || page[0].EventID != 2 {
		t.Errorf("page %+v (total %d)", page, total)
	}
	_, _, err = s.Deliveries(ctx, other.ID+100, clientele.DeliveryFilter{})
	wantCode(t, err, clientele.ENOTFOUND)

	re, err := s.RetryDelivery(ctx, w.ID, failed[0].ID, at(time.Hour))
	ok(t, err)
	if re.Status != clientele.DeliveryPending || re.Attempts != 1 || re.RetryBase != 1 || re.NextAttemptAt == nil ||
		!re.NextAttemptAt.Equal(at(time.Hour)) {
		t.Errorf("requeued %+v", re)
	}
	// Requeueing takes the delivery from whoever held it.
	held := claimAll(t, s, "node", at(time.Hour))
	if len(held) != 1 || held[0].ID != re.ID || held[0].RetryBase != 1 {
		t.Fatalf("claimed after retry %+v", held)
	}
	_, err = s.RetryDelivery(ctx, w.ID, re.ID, at(time.Hour))
	ok(t, err)
	wantCode(t, record(t, s, held[0], clientele.DeliveryAttempt{StartedAt: at(time.Hour), Delivered: true}),
		clientele.ECONFLICT)
	_, err = s.RetryDelivery(ctx, other.ID, re.ID, t0)
	wantCode(t, err, clientele.ENOTFOUND)
}

func testDeleteWebhookTakesDeliveries(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	w := hook(t, s, "profile.created", "https://example.com/a")
	route(t, s, w, t0, 1, 2)
	ok(t, s.DeleteWebhook(ctx, w.ID))
	if ds := claimAll(t, s, "node", t0); len(ds) != 0 {
		t.Errorf("claimed deliveries of a deleted webhook")
	}
	_, _, err := s.Deliveries(ctx, w.ID, clientele.DeliveryFilter{})
	wantCode(t, err, clientele.ENOTFOUND)
	// A router that read the webhook before its deletion routes to nowhere.
	route(t, s, w, t0, 3)
	if ds := claimAll(t, s, "node", t0); len(ds) != 0 {
		t.Errorf("claimed a delivery routed to a deleted webhook")
	}
}
