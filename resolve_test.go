package clientele

import (
	"maps"
	"reflect"
	"strconv"
	"testing"
)

// chunkOf builds a chunk as the worker does: decode, validate, normalise.
func chunkOf(t *testing.T, items ...string) Chunk {
	t.Helper()
	c := Chunk{From: 0, Now: t1}
	for i, js := range items {
		in := decodeInput(t, js)
		errs := ValidateProfileInput(in, ModeBatchItem)
		if errs == nil {
			errs = NormalizeInput(in, "AU")
		}
		c.Items = append(c.Items, ChunkItem{Index: i, Input: in, Errors: errs})
	}
	return c
}

func newIDs() func() string {
	n := 0
	return func() string { n++; return "new" + strconv.Itoa(n) }
}

func lookupOf(ps ...*Profile) *ChunkLookup {
	lk := NewChunkLookup()
	for _, p := range ps {
		lk.Add(p)
	}
	return lk
}

// outcome is the part of an ItemResult the tables compare.
type outcome struct {
	Outcome, ProfileID, Match, Conflict, Event string
	Errors                                     FieldErrors
}

func outcomes(res ChunkResult) []outcome {
	var out []outcome
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	for _, r := range res.Items {
		out = append(out, outcome{r.Outcome, str(r.ProfileID), str(r.MatchValue), str(r.ConflictProfileID), r.Event, r.Errors})
	}
	return out
}

func TestResolve(t *testing.T) {
	type fe = FieldErrors
	p1 := func() *Profile { return existing() } // jo@example.com, +61404123123, (shopify, 1)
	p2 := func() *Profile {
		return &Profile{ID: "p2", Email: sp("ann@example.com"), FirstName: "Ann", LastName: "Lee", ProfileType: "active",
			Identities: []Identity{{ID: 2, ProfileID: "p2", Handle: "pos", Identifier: "A1", IsActive: true}}, Version: 1}
	}
	tests := []struct {
		name     string
		criteria string
		existing []*Profile
		items    []string
		want     []outcome
	}{
		{"email match ignores case and spaces", "email", []*Profile{p1()},
			[]string{`{"email":"  JO@Example.COM ","first_name":"Joanne"}`},
			[]outcome{{Outcome: "updated", ProfileID: "p1", Match: "jo@example.com", Event: EventProfileUpdated}}},
		{"no match creates", "email", []*Profile{p1()},
			[]string{`{"email":"new@example.com"}`},
			[]outcome{{Outcome: "created", ProfileID: "new1", Match: "new@example.com", Event: EventProfileCreated}}},
		{"same key twice: created then updated", "email", nil,
			[]string{`{"email":"a@example.com","first_name":"A"}`, `{"email":"A@example.com","first_name":"B"}`},
			[]outcome{
				{Outcome: "created", ProfileID: "new1", Match: "a@example.com", Event: EventProfileCreated},
				{Outcome: "updated", ProfileID: "new1", Match: "a@example.com", Event: EventProfileUpdated},
			}},
		{"same key twice: created then unchanged", "email", nil,
			[]string{`{"email":"a@example.com","first_name":"A"}`, `{"email":"a@example.com","first_name":"A"}`},
			[]outcome{
				{Outcome: "created", ProfileID: "new1", Match: "a@example.com", Event: EventProfileCreated},
				{Outcome: "unchanged", ProfileID: "new1", Match: "a@example.com"},
			}},
		{"unchanged update", "email", []*Profile{p1()},
			[]string{`{"email":"jo@example.com","first_name":"Jo"}`},
			[]outcome{{Outcome: "unchanged", ProfileID: "p1", Match: "jo@example.com"}}},
		{"missing email in email mode", "email", nil,
			[]string{`{"first_name":"x"}`, `{"email":null}`},
			[]outcome{
				{Outcome: "failed", Errors: fe{"email": {"The email field is required."}}},
				{Outcome: "failed", Errors: fe{"email": {"The email field is required."}}},
			}},
		{"identity handle match", "shopify", []*Profile{p1()},
			[]string{`{"identities":[{"handle":"pos","identifier":"9"},{"handle":"shopify","identifier":" 1 "}],"first_name":"X"}`},
			[]outcome{{Outcome: "updated", ProfileID: "p1", Match: "1", Event: EventProfileUpdated}}},
		{"handle mode without the identity creates", "shopify", []*Profile{p1()},
			[]string{`{"email":"other@example.com"}`},
			[]outcome{{Outcome: "created", ProfileID: "new1", Event: EventProfileCreated}}},
		{"email conflict names the owner", "shopify", []*Profile{p1()},
			[]string{`{"email":"Jo@example.com","identities":[{"handle":"shopify","identifier":"2"}]}`},
			[]outcome{{Outcome: "failed", Match: "2", Conflict: "p1", Errors: fe{"email": {"The email has already been taken."}}}}},
		{"email conflict on update", "pos", []*Profile{p1(), p2()},
			[]string{`{"email":"jo@example.com","identities":[{"handle":"pos","identifier":"A1"}]}`},
			[]outcome{{Outcome: "failed", ProfileID: "p2", Match: "A1", Conflict: "p1", Errors: fe{"email": {"The email has already been taken."}}}}},
		{"mobile conflict", "email", []*Profile{p1()},
			[]string{`{"email":"x@example.com","mobile_phone":"0404 123 123"}`},
			[]outcome{{Outcome: "failed", Match: "x@example.com", Conflict: "p1", Errors: fe{"mobile_phone": {"The phone number exists"}}}}},
		{"identity conflict", "email", []*Profile{p1()},
			[]string{`{"email":"x@example.com","identities":[{"handle":"pos","identifier":"9"},{"handle":"shopify","identifier":"1"}]}`},
			[]outcome{{Outcome: "failed", Match: "x@example.com", Conflict: "p1", Errors: fe{"identities.1.identifier": {"The identifier has already been taken."}}}}},
		{"invalid item fails with its errors", "email", nil,
			[]string{`{"email":"x@example.com","mobile_phone":"123"}`},
			[]outcome{{Outcome: "failed", Match: "x@example.com", Errors: fe{"mobile_phone": {"The mobile phone format is invalid."}}}}},
		{"a key given up is free for later items", "email", []*Profile{p1()},
			[]string{
				`{"email":"jo@example.com","mobile_phone":null}`,
				`{"email":"x@example.com","mobile_phone":"+61404123123"}`,
			},
			[]outcome{
				{Outcome: "updated", ProfileID: "p1", Match: "jo@example.com", Event: EventProfileUpdated},
				{Outcome: "created", ProfileID: "new1", Match: "x@example.com", Event: EventProfileCreated},
			}},
		{"a key taken earlier in the chunk conflicts", "email", nil,
			[]string{
				`{"email":"a@example.com","mobile_phone":"+61404123123"}`,
				`{"email":"b@example.com","mobile_phone":"0404123123"}`,
			},
			[]outcome{
				{Outcome: "created", ProfileID: "new1", Match: "a@example.com", Event: EventProfileCreated},
				{Outcome: "failed", Match: "b@example.com", Conflict: "new1", Errors: fe{"mobile_phone": {"The phone number exists"}}},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := Resolve(tt.criteria, chunkOf(t, tt.items...), lookupOf(tt.existing...), newIDs())
			if got := outcomes(res); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestResolveWrites(t *testing.T) {
	old := existing()
	lk := lookupOf(old)
	res := Resolve("email", chunkOf(t,
		`{"email":"a@example.com","first_name":"A","identities":[{"handle":"pos","identifier":"7"}]}`,
		`{"email":"a@example.com","first_name":"B"}`,
		`{"email":"jo@example.com","last_name":"Changed"}`,
		`{"email":"jo@example.com","last_name":"Changed again"}`,
	), lk, newIDs())
	if len(res.Writes) != 2 {
		t.Fatalf("writes %+v", res.Writes)
	}
	created, updated := res.Writes[0], res.Writes[1]
	if created.Before != nil || created.Profile.ID != "new1" || created.Profile.FirstName != "B" || created.Profile.Version != 2 {
		t.Errorf("created write: before %v, profile %+v", created.Before, created.Profile)
	}
	if id := created.Profile.Identities; len(id) != 1 || id[0].ProfileID != "new1" {
		t.Errorf("new profile's identities lack ProfileID: %+v", id)
	}
	if updated.Before != old || updated.Profile.LastName != "Changed again" || updated.Profile.Version != old.Version+2 || updated.Profile.UpdatedAt != t1 {
		t.Errorf("updated write: before %p (old %p), profile %+v", updated.Before, old, updated.Profile)
	}
	if !reflect.DeepEqual(old, existing()) {
		t.Error("the stored profile was mutated")
	}
	wantVersions := []int64{1, 2, 4, 5}
	for i, r := range res.Items {
		if r.Version != wantVersions[i] {
			t.Errorf("item %d version %d, want %d", i, r.Version, wantVersions[i])
		}
	}
	if lk.ByEmail["a@example.com"] != "new1" || lk.ByIdentity[IdentityKey{"pos", "7"}] != "new1" || lk.Profiles["p1"].LastName != "Changed again" {
		t.Error("lookup not updated with the chunk's changes")
	}
}

// TestResolveFailuresLeaveLookup: a failed item changes nothing the next
// items can see.
func TestResolveFailuresLeaveLookup(t *testing.T) {
	lk := lookupOf(existing(), &Profile{ID: "p2", Email: sp("ann@example.com"), FirstName: "Ann", LastName: "Lee"})
	before := struct {
		e, m     map[string]string
		i        map[IdentityKey]string
		profiles map[string]*Profile
	}{maps.Clone(lk.ByEmail), maps.Clone(lk.ByMobile), maps.Clone(lk.ByIdentity), maps.Clone(lk.Profiles)}
	res := Resolve("email", chunkOf(t,
		`{"email":"ann@example.com","mobile_phone":"+61404123123","identities":[{"handle":"x","identifier":"1"}]}`,
		`{"email":"new@example.com","identities":[{"handle":"x","identifier":"2"},{"handle":"shopify","identifier":"1"}]}`,
		`{"first_name":"no email"}`,
	), lk, newIDs())
	for _, r := range res.Items {
		if r.Outcome != OutcomeFailed {
			t.Errorf("item %d: %s", r.Index, r.Outcome)
		}
	}
	if len(res.Writes) != 0 {
		t.Errorf("writes %+v", res.Writes)
	}
	if !maps.Equal(lk.ByEmail, before.e) || !maps.Equal(lk.ByMobile, before.m) || !maps.Equal(lk.ByIdentity, before.i) || !maps.Equal(lk.Profiles, before.profiles) {
		t.Error("lookup changed")
	}
	if lk.Profiles["p2"].FirstName != "Ann" || lk.Profiles["p2"].MobilePhone != nil {
		t.Error("a failed item's merge leaked into the stored profile")
	}
}

func TestKeys(t *testing.T) {
	c := chunkOf(t,
		`{"email":" A@example.com","mobile_phone":"0404 123 123","identities":[{"handle":"s","identifier":"1"}]}`,
		`{"email":"a@example.com","identities":[{"handle":"s","identifier":"1"},{"handle":"s","identifier":"2"}]}`,
		`{"email":"bad"}`,
	)
	got := Keys(c)
	want := ChunkKeys{
		Emails:     []string{"a@example.com"},
		Mobiles:    []string{"+61404123123"},
		Identities: []IdentityKey{{"s", "1"}, {"s", "2"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

// TestUnheld: what the email owners hold is left out of the search, and
// the rest is grouped by handle in the order the chunk names them.
func TestUnheld(t *testing.T) {
	lk := NewChunkLookup()
	m := "+61400000001"
	lk.Add(&Profile{ID: "p1", MobilePhone: &m, Identities: []Identity{{Handle: "shopify", Identifier: "S1"}}})
	got := lk.Unheld(ChunkKeys{
		Emails:     []string{"a@x.com"},
		Mobiles:    []string{m, "+61400000002"},
		Identities: []IdentityKey{{"pos", "P1"}, {"shopify", "S1"}, {"shopify", "S2"}, {"pos", "P2"}},
	})
	want := UnheldKeys{
		Mobiles:  []string{"+61400000002"},
		Handles:  []string{"pos", "shopify"},
		ByHandle: map[string][]string{"pos": {"P1", "P2"}, "shopify": {"S2"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Unheld: %+v, want %+v", got, want)
	}
}
