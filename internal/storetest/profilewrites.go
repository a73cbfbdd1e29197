package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/clientele/clientele"
)

// The single-profile writes of the profile routes (ProfileWriter).

// change applies one ProfileChange of item (a profile input as JSON) from
// origin "crm" at when.
func change(t *testing.T, s clientele.Store, id, item string, when time.Time) (clientele.ProfileChanged, error) {
	t.Helper()
	return s.ChangeProfile(t.Context(), clientele.ProfileChange{ID: id, Input: input(t, item), Origin: "crm", Now: when})
}

// allEvents reads every event written so far, through a router lease of
// its own (a webhook exists, so that nothing is skipped).
func allEvents(t *testing.T, s clientele.Store, now time.Time) []clientele.Event {
	t.Helper()
	l := claimRouter(t, s, "events-reader", now)
	var out []clientele.Event
	for {
		page, err := s.NextEvents(t.Context(), l, 100, now)
		ok(t, err)
		if len(page.Events) == 0 {
			return out
		}
		out = append(out, page.Events...)
		ok(t, s.RouteEvents(t.Context(), l, page, nil, now, ttl))
	}
}

// eventsOf renders the events of profile id as "type@version/origin".
func eventsOf(events []clientele.Event, id string) []string {
	var out []string
	for _, e := range events {
		if e.ProfileID == id {
			out = append(out, fmt.Sprintf("%s@%d/%s", e.Type, e.Version, e.Origin))
		}
	}
	return out
}

func testChangeProfile(t *testing.T, s clientele.Store) {
	hook(t, s, "profile.created", "https://example.com/a")
	created, err := change(t, s, "", fullItem, at(time.Second))
	ok(t, err)
	p := created.Profile
	if created.Outcome != clientele.OutcomeCreated || p.ID == "" || p.Version != 1 || !p.CreatedAt.Equal(at(time.Second)) {
		t.Fatalf("create: %s %+v", created.Outcome, p)
	}
	// What ChangeProfile returns is what is stored.
	wantSameProfile(t, "created", getProfile(t, s, p.ID), p)
	// A create whose email a batch gave another profile is refused.
	run(t, s, clientele.MatchEmail, at(time.Second), otherItem)
	_, err = change(t, s, "", otherItem, at(time.Second))
	wantCode(t, err, clientele.EINVALID)

	updated, err := change(t, s, p.ID, `{"first_name": "Renamed", "tags": ["vip"]}`, at(2*time.Second))
	ok(t, err)
	if updated.Outcome != clientele.OutcomeUpdated || updated.Profile.FirstName != "Renamed" ||
		updated.Profile.Version != 2 || !updated.Profile.UpdatedAt.Equal(at(2*time.Second)) {
		t.Errorf("update: %s %+v", updated.Outcome, updated.Profile)
	}
	same, err := change(t, s, p.ID, `{"first_name": "Renamed"}`, at(3*time.Second))
	ok(t, err)
	if same.Outcome != clientele.OutcomeUnchanged || same.Profile.Version != 2 ||
		!same.Profile.UpdatedAt.Equal(at(2*time.Second)) {
		t.Errorf("same again: %s version %d updated %v", same.Outcome, same.Profile.Version, same.Profile.UpdatedAt)
	}
	wantSameProfile(t, "updated", getProfile(t, s, p.ID), updated.Profile)

	got := eventsOf(allEvents(t, s, at(time.Minute)), p.ID)
	if want := []string{"profile.created@1/crm", "profile.updated@2/crm"}; !slices.Equal(got, want) {
		t.Errorf("events %v, want %v", got, want)
	}
}

func testChangeProfileRefusals(t *testing.T, s clientele.Store) {
	_, err := change(t, s, "no-such-profile", `{"first_name": "X"}`, t0)
	wantCode(t, err, clientele.ENOTFOUND)

	a, err := change(t, s, "", `{"email": "a@x.com", "mobile_phone": "+61412345678",
		"identities": [{"handle": "pos", "identifier": "1"}]}`, t0)
	ok(t, err)
	b, err := change(t, s, "", `{"email": "b@x.com", "identities": [{"handle": "pos", "identifier": "2"}]}`, t0)
	ok(t, err)
	refused := func(what, item string, key, msg string) {
		t.Helper()
		_, err := change(t, s, b.Profile.ID, item, at(time.Second))
		wantCode(t, err, clientele.EINVALID)
		if got := clientele.ErrorFields(err); fmt.Sprint(got) != fmt.Sprint(map[string][]string{key: {msg}}) {
			t.Errorf("%s: errors %v, want %s: %s", what, got, key, msg)
		}
	}
	refused("email", `{"email": "A@X.COM"}`, "email", "The email has already been taken.")
	refused("mobile", `{"mobile_phone": "0412 345 678"}`, "mobile_phone", "The phone number exists")
	refused("identity", `{"identities": [{"handle": "pos", "identifier": "1"}]}`, "identities.0.identifier",
		"The identifier has already been taken.")

	// A rename of b's identity (an input naming it by id) onto a's key is
	// refused the same way, and so is one onto a key b holds itself.
	b, err = change(t, s, b.Profile.ID, `{"identities": [{"handle": "pos", "identifier": "3"}]}`, at(time.Second))
	ok(t, err)
	for _, onto := range []string{"1", "3"} {
		in, err := clientele.ParsePartRequest([]byte(`{"identifier": "`+onto+`"}`),
			clientele.PartRequest{Part: clientele.PartIdentity, Target: b.Profile.Identities[0].ID}, phoneRegion)
		ok(t, err)
		_, err = s.ChangeProfile(t.Context(), clientele.ProfileChange{ID: b.Profile.ID, Input: in, Now: at(time.Second)})
		wantCode(t, err, clientele.EINVALID)
		if got := clientele.ErrorFields(err); len(got["identifier"]) != 1 {
			t.Errorf("rename onto %s: errors %v", onto, got)
		}
	}
	// An Edit's own error comes back as it is, and nothing is written.
	_, err = s.ChangeProfile(t.Context(), clientele.ProfileChange{ID: b.Profile.ID, Input: input(t, `{"first_name": "Lost"}`),
		Now: at(time.Second), Edit: func(*clientele.Profile, time.Time) (bool, error) {
			return false, clientele.Errorf(clientele.ENOTFOUND, "no such child")
		}})
	wantCode(t, err, clientele.ENOTFOUND)
	wantSameProfile(t, "b after refusals", getProfile(t, s, b.Profile.ID), b.Profile)
	wantSameProfile(t, "a after refusals", getProfile(t, s, a.Profile.ID), a.Profile)
}

func testChangeProfileEdit(t *testing.T, s clientele.Store) {
	a, err := change(t, s, "", `{"email": "a@x.com", "identities": [{"handle": "pos", "identifier": "1"},
		{"handle": "web", "identifier": "w1"}], "custom_attributes": [{"namespace": "n", "handle": "h", "value": "v"}]}`, t0)
	ok(t, err)
	edited, err := s.ChangeProfile(t.Context(), clientele.ProfileChange{ID: a.Profile.ID, Now: at(time.Second),
		Edit: func(p *clientele.Profile, now time.Time) (bool, error) {
			p.Identities = slices.DeleteFunc(p.Identities, func(id clientele.Identity) bool { return id.Handle == "pos" })
			p.CustomAttributes = nil
			return true, nil
		}})
	ok(t, err)
	if edited.Outcome != clientele.OutcomeUpdated || edited.Profile.Version != 2 || !edited.Profile.UpdatedAt.Equal(at(time.Second)) {
		t.Errorf("edit: %s %+v", edited.Outcome, edited.Profile)
	}
	got := getProfile(t, s, a.Profile.ID)
	wantSameProfile(t, "edited", got, edited.Profile)
	if len(got.Identities) != 1 || got.Identities[0].Handle != "web" || len(got.CustomAttributes) != 0 {
		t.Errorf("after the edit: identities %+v, attributes %+v", got.Identities, got.CustomAttributes)
	}
	// The removed identity is free for another profile.
	_, err = change(t, s, "", `{"email": "b@x.com", "identities": [{"handle": "pos", "identifier": "1"}]}`, at(2*time.Second))
	ok(t, err)
}

func testRemoveProfile(t *testing.T, s clientele.Store) {
	hook(t, s, "profile.deleted", "https://example.com/a")
	a, err := change(t, s, "", `{"email": "a@x.com", "mobile_phone": "+61412345678",
		"identities": [{"handle": "pos", "identifier": "1"}]}`, t0)
	ok(t, err)
	id := a.Profile.ID
	ok(t, s.RemoveProfile(t.Context(), id, "crm", at(time.Second)))

	_, err = s.Profile(t.Context(), id)
	wantCode(t, err, clientele.ENOTFOUND)
	_, err = s.ProfileByIdentity(t.Context(), clientele.IdentityKey{Handle: "pos", Identifier: "1"})
	wantCode(t, err, clientele.ENOTFOUND)
	wantList(t, s, clientele.ProfileFilter{}, nil, 0)
	wantCode(t, s.RemoveProfile(t.Context(), id, "crm", at(2*time.Second)), clientele.ENOTFOUND)
	_, err = change(t, s, id, `{"first_name": "Back"}`, at(2*time.Second))
	wantCode(t, err, clientele.ENOTFOUND)

	// Its keys are free: a batch creates a new profile with all of them.
	_, items := run(t, s, clientele.MatchEmail, at(3*time.Second), `{"email": "a@x.com", "mobile_phone": "+61412345678",
		"identities": [{"handle": "pos", "identifier": "1"}]}`)
	wantItem(t, items[0], clientele.OutcomeCreated, items[0].EntityID)
	if *items[0].EntityID == id {
		t.Errorf("the removed profile came back")
	}
	if got := eventsOf(allEvents(t, s, at(time.Minute)), id); !slices.Equal(got, []string{"profile.created@1/crm", "profile.deleted@2/crm"}) {
		t.Errorf("events %v", got)
	}
}

func testPurgeProfile(t *testing.T, s clientele.Store) {
	hook(t, s, "profile.deleted", "https://example.com/a")
	live, err := change(t, s, "", `{"email": "a@x.com", "identities": [{"handle": "pos", "identifier": "1"}]}`, t0)
	ok(t, err)
	removed, err := change(t, s, "", `{"email": "b@x.com"}`, t0)
	ok(t, err)
	ok(t, s.RemoveProfile(t.Context(), removed.Profile.ID, "crm", at(time.Second)))

	ok(t, s.PurgeProfile(t.Context(), live.Profile.ID, "crm", at(2*time.Second)))
	ok(t, s.PurgeProfile(t.Context(), removed.Profile.ID, "crm", at(2*time.Second)))
	for _, id := range []string{live.Profile.ID, removed.Profile.ID} {
		_, err = s.Profile(t.Context(), id)
		wantCode(t, err, clientele.ENOTFOUND)
		wantCode(t, s.PurgeProfile(t.Context(), id, "crm", at(3*time.Second)), clientele.ENOTFOUND)
		wantCode(t, s.RemoveProfile(t.Context(), id, "crm", at(3*time.Second)), clientele.ENOTFOUND)
	}
	_, err = change(t, s, "", `{"email": "a@x.com", "identities": [{"handle": "pos", "identifier": "1"}]}`, at(4*time.Second))
	ok(t, err)
	events := allEvents(t, s, at(time.Minute))
	if got := eventsOf(events, live.Profile.ID); !slices.Equal(got, []string{"profile.created@1/crm", "profile.deleted@2/crm"}) {
		t.Errorf("purged live profile: events %v", got)
	}
	// A removed profile's subscribers heard of it at the removal.
	if got := eventsOf(events, removed.Profile.ID); !slices.Equal(got, []string{"profile.created@1/crm", "profile.deleted@2/crm"}) {
		t.Errorf("purged removed profile: events %v", got)
	}
}

// testChangeProfileConcurrent: eight writers each add their own custom
// attribute to one profile at once; every attribute is kept and every
// change got its own version (spec issue: writes to one profile from many
// concurrent requests lose nothing).
func testChangeProfileConcurrent(t *testing.T, s clientele.Store) {
	p, err := change(t, s, "", `{"email": "a@x.com"}`, t0)
	ok(t, err)
	const writers = 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := range writers {
		wg.Go(func() {
			item := fmt.Sprintf(`{"custom_attributes": [{"namespace": "w", "handle": "h%d", "value": "%d"}],
				"dates_attributes": [{"date": "2000-01-0%d", "handle": "d%d"}]}`, i, i, i+1, i)
			_, err := s.ChangeProfile(t.Context(), clientele.ProfileChange{ID: p.Profile.ID, Input: input(t, item), Now: at(time.Second)})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		ok(t, err)
	}
	got := getProfile(t, s, p.Profile.ID)
	if len(got.CustomAttributes) != writers || len(got.Dates) != writers || got.Version != 1+writers {
		t.Errorf("after %d concurrent writers: %d attributes, %d dates, version %d", writers,
			len(got.CustomAttributes), len(got.Dates), got.Version)
	}
}

// testRouteAfterPurge: the router renders a profile, the profile is purged
// (or removed), then the router stores its deliveries: those of the gone
// profile are not stored, so its data never goes out (spec §5.6); the
// live profile's is, until that profile is purged too.
func testRouteAfterPurge(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	wh := hook(t, s, "profile.created", "https://example.com/a")
	var ids []string
	for _, email := range []string{"purged@x.com", "removed@x.com", "kept@x.com"} {
		p, err := change(t, s, "", `{"email": "`+email+`"}`, t0)
		ok(t, err)
		ids = append(ids, p.Profile.ID)
	}
	l := claimRouter(t, s, "router", at(time.Second))
	page, err := s.NextEvents(ctx, l, 100, at(time.Second))
	ok(t, err)
	var ds []clientele.NewDelivery
	for _, e := range page.Events {
		ds = append(ds, clientele.NewDelivery{WebhookID: wh.ID, EventID: e.ID, EventType: e.Type,
			MessageID: "msg-" + e.ProfileID, Body: []byte(`{"id":"` + e.ProfileID + `"}`)})
	}
	ok(t, s.PurgeProfile(ctx, ids[0], "crm", at(time.Second)))
	ok(t, s.RemoveProfile(ctx, ids[1], "crm", at(time.Second)))
	ok(t, s.RouteEvents(ctx, l, page, ds, at(time.Second), ttl))

	got, _, err := s.Deliveries(ctx, wh.ID, clientele.DeliveryFilter{})
	ok(t, err)
	if len(got) != 1 || got[0].MessageID != "msg-"+ids[2] {
		var names []string
		for _, d := range got {
			names = append(names, d.MessageID)
		}
		t.Errorf("deliveries stored: %v, want only msg-%s", names, ids[2])
	}
	// Purging the kept profile takes its stored delivery too.
	ok(t, s.PurgeProfile(ctx, ids[2], "crm", at(2*time.Second)))
	if got, _, err := s.Deliveries(ctx, wh.ID, clientele.DeliveryFilter{}); err != nil || len(got) != 0 {
		t.Errorf("after the purge: %d deliveries (%v)", len(got), err)
	}
}
