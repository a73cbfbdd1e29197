package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/clientele/clientele"
)

func testApplyOutcomes(t *testing.T, s clientele.Store) {
	now := at(time.Hour)
	id := submit(t, s, clientele.MatchEmail, t0,
		emailItem("ann@x.com", "Ann"),
		emailItem("bob@x.com", "Bob"),
		emailItem("ANN@X.COM", "Anne"), // the same profile, by email without case
		emailItem("bob@x.com", "Bob"),  // nothing new
		`{"first_name":"No Email"}`,
		`{"email":"not an email","first_name":"Bad"}`,
	)
	b := applyAll(t, s, id, now)
	items := allItems(t, s, id)

	if b.Status != clientele.BatchCompleted || b.TotalCount != 6 || !b.UpdatedAt.Equal(now) {
		t.Errorf("batch %+v", b)
	}
	wantTime(t, "StartedAt", b.StartedAt, now)
	wantTime(t, "CompletedAt", b.CompletedAt, now)
	wantCounts(t, b, 6, 4, 2, 2, 1, 1)

	ann, bob := byEmail(t, s, "ann@x.com"), byEmail(t, s, "bob@x.com")
	wantItem(t, items[0], clientele.OutcomeCreated, &ann.ID)
	wantItem(t, items[1], clientele.OutcomeCreated, &bob.ID)
	wantItem(t, items[2], clientele.OutcomeUpdated, &ann.ID)
	wantItem(t, items[3], clientele.OutcomeUnchanged, &bob.ID)
	wantItem(t, items[4], clientele.OutcomeFailed, nil)
	wantItem(t, items[5], clientele.OutcomeFailed, nil)
	if str(items[2].MatchValue) != `"ann@x.com"` {
		t.Errorf("match value of item 2 = %s, want the normalised email", str(items[2].MatchValue))
	}
	if items[4].MatchValue != nil || fmt.Sprint(items[4].Errors) != fmt.Sprint(clientele.FieldErrors{"email": {"The email field is required."}}) {
		t.Errorf("item 4: match value %s errors %v", str(items[4].MatchValue), items[4].Errors)
	}
	if len(items[5].Errors["email"]) == 0 || items[5].Error() == nil {
		t.Errorf("item 5 errors %v", items[5].Errors)
	}
	for _, it := range items {
		if !it.CreatedAt.Equal(t0) || !it.UpdatedAt.Equal(now) || it.ConflictProfileID != nil {
			t.Errorf("item %d: created %v updated %v conflict %s", it.Index, it.CreatedAt, it.UpdatedAt, str(it.ConflictProfileID))
		}
		if (it.Status == clientele.ItemFailed) != (it.Error() != nil) {
			t.Errorf("item %d: status %s error %s", it.Index, it.Status, str(it.Error()))
		}
	}

	if ann.FirstName != "Anne" || ann.Version != 2 || !ann.CreatedAt.Equal(now) || !ann.UpdatedAt.Equal(now) {
		t.Errorf("ann: %q version %d created %v updated %v", ann.FirstName, ann.Version, ann.CreatedAt, ann.UpdatedAt)
	}
	if bob.Version != 1 {
		t.Errorf("bob version %d, want 1", bob.Version)
	}
	_, total, err := s.ListProfiles(t.Context(), clientele.ProfileFilter{})
	ok(t, err)
	if total != 2 {
		t.Errorf("%d profiles, want 2", total)
	}
	_, err = s.ClaimBatch(t.Context(), "w", at(2*time.Hour), ttl)
	wantCode(t, err, clientele.ENOTFOUND)
}

func testApplyAcrossBatches(t *testing.T, s clientele.Store) {
	t1, t2, t3 := at(time.Hour), at(2*time.Hour), at(3*time.Hour)
	_, items := run(t, s, clientele.MatchEmail, t1, `{"email":"ann@x.com","first_name":"Ann"}`)
	ann := byEmail(t, s, "ann@x.com")
	wantItem(t, items[0], clientele.OutcomeCreated, &ann.ID)

	update := `{"email":"Ann@X.com","first_name":"Ann","last_name":"Lee"}`
	b, items := run(t, s, clientele.MatchEmail, t2, update)
	wantItem(t, items[0], clientele.OutcomeUpdated, &ann.ID)
	wantCounts(t, b, 1, 1, 0, 0, 1, 0)
	ann = getProfile(t, s, ann.ID)
	if ann.LastName != "Lee" || ann.Version != 2 || !ann.CreatedAt.Equal(t1) || !ann.UpdatedAt.Equal(t2) {
		t.Errorf("after update: %q version %d created %v updated %v", ann.LastName, ann.Version, ann.CreatedAt, ann.UpdatedAt)
	}

	b, items = run(t, s, clientele.MatchEmail, t3, update)
	wantItem(t, items[0], clientele.OutcomeUnchanged, &ann.ID)
	wantCounts(t, b, 1, 1, 0, 0, 0, 1)
	ann = getProfile(t, s, ann.ID)
	if ann.Version != 2 || !ann.UpdatedAt.Equal(t2) {
		t.Errorf("unchanged moved version to %d, updated_at to %v", ann.Version, ann.UpdatedAt)
	}

	// A change of the type alone, then of the document alone (a store may
	// write only the columns that change): each is kept.
	t4, t5 := at(4*time.Hour), at(5*time.Hour)
	run(t, s, clientele.MatchEmail, t4, `{"email":"ann@x.com","first_name":"Ann","last_name":"Lee","profile_type":"temporary"}`)
	run(t, s, clientele.MatchEmail, t5, `{"email":"ann@x.com","first_name":"Ann","last_name":"Lee","tags":["vip"]}`)
	ann = getProfile(t, s, ann.ID)
	if ann.ProfileType != "temporary" || fmt.Sprint(ann.Tags) != "[vip]" || ann.Version != 4 || !ann.UpdatedAt.Equal(t5) {
		t.Errorf("after a type and a tag: type %q tags %v version %d updated %v", ann.ProfileType, ann.Tags, ann.Version, ann.UpdatedAt)
	}
	if got, _, err := s.ListProfiles(t.Context(), clientele.ProfileFilter{ProfileTypes: []string{"temporary"}}); err != nil || len(got) != 1 {
		t.Errorf("profiles of type temporary: %d (%v), want ann", len(got), err)
	}
}

func testApplyAcrossChunks(t *testing.T, s clientele.Store) {
	raw := []string{emailItem("rep@x.com", "A")}
	for i := 1; i < clientele.ChunkSize; i++ {
		raw = append(raw, emailItem(fmt.Sprintf("u%d@x.com", i), "U"))
	}
	raw = append(raw, emailItem("rep@x.com", "B"), emailItem("REP@x.com", "B"))
	b, items := run(t, s, clientele.MatchEmail, t0, raw...)
	rep := byEmail(t, s, "rep@x.com")
	wantItem(t, items[0], clientele.OutcomeCreated, &rep.ID)
	wantItem(t, items[clientele.ChunkSize], clientele.OutcomeUpdated, &rep.ID)
	wantItem(t, items[clientele.ChunkSize+1], clientele.OutcomeUnchanged, &rep.ID)
	wantCounts(t, b, clientele.ChunkSize+2, clientele.ChunkSize+2, 0, clientele.ChunkSize, 1, 1)
	if rep.FirstName != "B" || rep.Version != 2 {
		t.Errorf("rep: %q version %d", rep.FirstName, rep.Version)
	}
}

func testApplyVersionPerChange(t *testing.T, s clientele.Store) {
	_, items := run(t, s, clientele.MatchEmail, t0,
		emailItem("v@x.com", "One"), emailItem("v@x.com", "Two"), emailItem("v@x.com", "Two"), emailItem("v@x.com", "Three"))
	p := byEmail(t, s, "v@x.com")
	for i, want := range []string{clientele.OutcomeCreated, clientele.OutcomeUpdated, clientele.OutcomeUnchanged, clientele.OutcomeUpdated} {
		wantItem(t, items[i], want, &p.ID)
	}
	if p.Version != 3 || p.FirstName != "Three" {
		t.Errorf("version %d first name %q, want 3 Three", p.Version, p.FirstName)
	}
	run(t, s, clientele.MatchEmail, at(time.Hour), emailItem("v@x.com", "Three"))
	if p := getProfile(t, s, p.ID); p.Version != 3 {
		t.Errorf("version %d after an unchanged item, want 3", p.Version)
	}
	run(t, s, clientele.MatchEmail, at(2*time.Hour), emailItem("v@x.com", "Four"))
	if p := getProfile(t, s, p.ID); p.Version != 4 || !p.UpdatedAt.Equal(at(2*time.Hour)) {
		t.Errorf("version %d updated %v, want 4 at %v", p.Version, p.UpdatedAt, at(2*time.Hour))
	}
}

func testApplyIdentityMatch(t *testing.T, s clientele.Store) {
	_, items := run(t, s, "shopify", t0,
		`{"first_name":"Sam","identities":[{"handle":"shopify","identifier":"S1"}]}`,
		`{"first_name":"Sue","identities":[{"handle":"pos","identifier":"X1"}]}`, // no shopify identity: create
		`{"first_name":"Samuel","identities":[{"handle":"shopify","identifier":"S1"}]}`,
	)
	if items[0].EntityID == nil || items[1].EntityID == nil || *items[0].EntityID == *items[1].EntityID {
		t.Fatalf("entities %s %s", str(items[0].EntityID), str(items[1].EntityID))
	}
	sam := getProfile(t, s, *items[0].EntityID)
	wantItem(t, items[0], clientele.OutcomeCreated, &sam.ID)
	wantItem(t, items[1], clientele.OutcomeCreated, items[1].EntityID)
	wantItem(t, items[2], clientele.OutcomeUpdated, &sam.ID)
	if items[1].MatchValue != nil || str(items[2].MatchValue) != `"S1"` {
		t.Errorf("match values %s %s", str(items[1].MatchValue), str(items[2].MatchValue))
	}
	if sam.FirstName != "Samuel" || len(sam.Identities) != 1 || sam.Identities[0].ID == 0 {
		t.Fatalf("sam: %q identities %+v", sam.FirstName, sam.Identities)
	}
	s1 := sam.Identities[0]

	_, items = run(t, s, "shopify", at(time.Hour),
		`{"first_name":"Sammy","email":"sam@x.com","identities":[{"handle":"shopify","identifier":"S1"},{"handle":"pos","identifier":"P9"}]}`)
	wantItem(t, items[0], clientele.OutcomeUpdated, &sam.ID)
	sam = getProfile(t, s, sam.ID)
	if sam.FirstName != "Sammy" || str(sam.Email) != `"sam@x.com"` || len(sam.Identities) != 2 {
		t.Fatalf("sam: %q %s identities %+v", sam.FirstName, str(sam.Email), sam.Identities)
	}
	if sam.Identities[0].ID != s1.ID || sam.Identities[0].Identifier != "S1" {
		t.Errorf("existing identity %+v, want id %d", sam.Identities[0], s1.ID)
	}
	if p9 := sam.Identities[1]; p9.ID == 0 || p9.ID == s1.ID || p9.Handle != "pos" || p9.Identifier != "P9" || p9.ProfileID != sam.ID {
		t.Errorf("new identity %+v", p9)
	}
}

func testApplyConflicts(t *testing.T, s clientele.Store) {
	_, items := run(t, s, clientele.MatchEmail, t0,
		`{"email":"a@x.com","mobile_phone":"+61404000001","identities":[{"handle":"shopify","identifier":"A1"}]}`,
		`{"email":"b@x.com"}`)
	a, b := *items[0].EntityID, *items[1].EntityID

	batch, items := run(t, s, "shopify", at(time.Hour),
		`{"email":"A@x.com","identities":[{"handle":"shopify","identifier":"B1"}]}`,
		`{"mobile_phone":"+61404000001","identities":[{"handle":"shopify","identifier":"B2"}]}`)
	wantCounts(t, batch, 2, 0, 2, 0, 0, 0)
	wantConflict := func(it clientele.BatchItem, entity *string, key, msg string) {
		t.Helper()
		wantItem(t, it, clientele.OutcomeFailed, entity)
		if fmt.Sprint(it.Errors) != fmt.Sprint(clientele.FieldErrors{key: {msg}}) || str(it.ConflictProfileID) != str(&a) {
			t.Errorf("item %d: errors %v conflict %s, want %s: %s and %s", it.Index, it.Errors, str(it.ConflictProfileID), key, msg, a)
		}
	}
	wantConflict(items[0], nil, "email", "The email has already been taken.")
	wantConflict(items[1], nil, "mobile_phone", "The phone number exists")

	_, items = run(t, s, clientele.MatchEmail, at(2*time.Hour),
		`{"email":"c@x.com","identities":[{"handle":"shopify","identifier":"A1"}]}`,
		`{"email":"b@x.com","mobile_phone":"+61404000001"}`) // an update that would take a's mobile
	wantConflict(items[0], nil, "identities.0.identifier", "The identifier has already been taken.")
	wantConflict(items[1], &b, "mobile_phone", "The phone number exists")

	_, total, err := s.ListProfiles(t.Context(), clientele.ProfileFilter{})
	ok(t, err)
	if total != 2 {
		t.Errorf("%d profiles after failed items, want 2", total)
	}
	if p := getProfile(t, s, a); p.Version != 1 || len(p.Identities) != 1 {
		t.Errorf("owner changed: version %d identities %+v", p.Version, p.Identities)
	}
	if p := getProfile(t, s, b); p.Version != 1 || p.MobilePhone != nil {
		t.Errorf("failed update changed b: version %d mobile %s", p.Version, str(p.MobilePhone))
	}
}

// testApplyKeysMoveWithinChunk: a profile touched early in a chunk takes a
// unique key that a profile touched later gives up. The chunk's final state
// is consistent, so every item succeeds, whatever order the store writes in.
func testApplyKeysMoveWithinChunk(t *testing.T, s clientele.Store) {
	_, items := run(t, s, "shopify", t0,
		`{"email":"a@x.com","identities":[{"handle":"shopify","identifier":"A"}]}`,
		`{"email":"b@x.com","mobile_phone":"+61404000002","identities":[{"handle":"shopify","identifier":"B"}]}`)
	a, b := *items[0].EntityID, *items[1].EntityID

	_, items = run(t, s, "shopify", at(time.Hour),
		`{"first_name":"A2","identities":[{"handle":"shopify","identifier":"A"}]}`,
		`{"email":"b2@x.com","mobile_phone":"+61404000003","identities":[{"handle":"shopify","identifier":"B"}]}`,
		`{"email":"b@x.com","mobile_phone":"+61404000002","identities":[{"handle":"shopify","identifier":"A"}]}`)
	wantItem(t, items[0], clientele.OutcomeUpdated, &a)
	wantItem(t, items[1], clientele.OutcomeUpdated, &b)
	wantItem(t, items[2], clientele.OutcomeUpdated, &a)

	pa, pb := getProfile(t, s, a), getProfile(t, s, b)
	if str(pa.Email) != `"b@x.com"` || str(pa.MobilePhone) != `"+61404000002"` || pa.FirstName != "A2" || pa.Version != 3 {
		t.Errorf("a: %s %s %q version %d", str(pa.Email), str(pa.MobilePhone), pa.FirstName, pa.Version)
	}
	if str(pb.Email) != `"b2@x.com"` || str(pb.MobilePhone) != `"+61404000003"` || pb.Version != 2 {
		t.Errorf("b: %s %s version %d", str(pb.Email), str(pb.MobilePhone), pb.Version)
	}
	if got := byEmail(t, s, "b@x.com"); got.ID != a {
		t.Errorf("b@x.com belongs to %s, want %s", got.ID, a)
	}
}

func testApplyStaleLeaseWritesNothing(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	id := submit(t, s, clientele.MatchEmail, t0, emailItem("a@x.com", "A"), emailItem("b@x.com", "B"))
	l1 := claim(t, s, t0)
	raw, err := s.LeasedItems(ctx, l1, 0)
	ok(t, err)
	c := chunkOf(t, raw, at(time.Second))

	l2 := claim(t, s, at(2*ttl)) // l1 expired and was taken over
	_, err = s.ApplyChunk(ctx, l1, c, ttl)
	wantCode(t, err, clientele.ECONFLICT)

	b, err := s.Batch(ctx, id)
	ok(t, err)
	wantCounts(t, b, 0, 0, 0, 0, 0, 0)
	if b.Status != clientele.BatchProcessing {
		t.Errorf("status %q", b.Status)
	}
	for _, it := range allItems(t, s, id) {
		wantItem(t, it, "", nil)
	}
	if _, total, err := s.ListProfiles(ctx, clientele.ProfileFilter{}); err != nil || total != 0 {
		t.Errorf("ListProfiles: total %d, %v; want 0", total, err)
	}
	if n, err := s.QueuedItems(ctx); err != nil || n != 2 {
		t.Errorf("QueuedItems = %d, %v; want 2", n, err)
	}

	next, err := s.ApplyChunk(ctx, l2, chunkOf(t, raw, at(2*ttl)), ttl)
	ok(t, err)
	if next != 2 {
		t.Errorf("cursor %d, want 2", next)
	}
	b, err = s.Batch(ctx, id)
	ok(t, err)
	wantCounts(t, b, 2, 2, 0, 2, 0, 0)
}

// testApplyReplayRefused: a chunk that does not start at the batch's cursor
// (a retry of a chunk that did commit) is refused, so no item applies twice.
func testApplyReplayRefused(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	raw := make([]string, clientele.ChunkSize+1)
	for i := range raw {
		raw[i] = emailItem(fmt.Sprintf("r%d@x.com", i), "R")
	}
	id := submit(t, s, clientele.MatchEmail, t0, raw...)
	l := claim(t, s, t0)
	items, err := s.LeasedItems(ctx, l, 0)
	ok(t, err)
	c := chunkOf(t, items, t0)
	_, err = s.ApplyChunk(ctx, l, c, ttl)
	ok(t, err)
	_, err = s.ApplyChunk(ctx, l, chunkOf(t, items, t0), ttl)
	wantCode(t, err, clientele.ECONFLICT)

	b, err := s.Batch(ctx, id)
	ok(t, err)
	wantCounts(t, b, clientele.ChunkSize, clientele.ChunkSize, 0, clientele.ChunkSize, 0, 0)
	if p := byEmail(t, s, "r0@x.com"); p.Version != 1 {
		t.Errorf("replayed item changed its profile: version %d", p.Version)
	}
}

func testApplyCursorAndCompletion(t *testing.T, s clientele.Store) {
	ctx := t.Context()
	raw := make([]string, clientele.ChunkSize+3)
	for i := range raw {
		raw[i] = emailItem(fmt.Sprintf("c%d@x.com", i), "C")
	}
	id := submit(t, s, clientele.MatchEmail, t0, raw...)
	l := claim(t, s, t0)

	t1 := at(40 * time.Second)
	cursor := applyNext(t, s, l, 0, t1)
	if cursor != clientele.ChunkSize {
		t.Fatalf("cursor %d after the first chunk", cursor)
	}
	b, err := s.Batch(ctx, id)
	ok(t, err)
	if b.Status != clientele.BatchProcessing || b.CompletedAt != nil || !b.UpdatedAt.Equal(t1) {
		t.Errorf("mid-batch: %+v", b)
	}
	wantCounts(t, b, clientele.ChunkSize, clientele.ChunkSize, 0, clientele.ChunkSize, 0, 0)

	// Applying a chunk extended the lease to t1+ttl, past the claim's t0+ttl.
	_, err = s.ClaimBatch(ctx, "other", at(ttl+time.Second), ttl)
	wantCode(t, err, clientele.ENOTFOUND)

	t2 := at(80 * time.Second)
	cursor = applyNext(t, s, l, cursor, t2)
	if cursor != len(raw) {
		t.Fatalf("cursor %d at the end, want %d", cursor, len(raw))
	}
	b, err = s.Batch(ctx, id)
	ok(t, err)
	if b.Status != clientele.BatchCompleted || !b.UpdatedAt.Equal(t2) {
		t.Errorf("completed batch: %+v", b)
	}
	wantTime(t, "CompletedAt", b.CompletedAt, t2)
	wantTime(t, "StartedAt", b.StartedAt, t0)
	wantCounts(t, b, len(raw), len(raw), 0, len(raw), 0, 0)

	// A completed batch is no longer leased or claimable.
	wantCode(t, s.RenewLease(ctx, l, t2, ttl), clientele.ECONFLICT)
	_, err = s.LeasedItems(ctx, l, cursor)
	wantCode(t, err, clientele.ECONFLICT)
	_, err = s.ClaimBatch(ctx, "other", at(time.Hour), ttl)
	wantCode(t, err, clientele.ENOTFOUND)
}
