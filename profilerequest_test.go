package clientele

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestParsePartRequestErrors(t *testing.T) {
	for _, c := range []struct {
		part, body string
		target     int64
		want       string
	}{
		{PartIdentity, `{"identifier": "x"}`, 0, `map[handle:[The handle field is required.]]`},
		{PartIdentity, `{"identifier": ""}`, 7, `map[identifier:[The identifier field is required.]]`},
		{PartIdentity, `{"is_active": "no"}`, 7, `map[is_active:[The is active field must be true or false.]]`},
		{PartAddress, `{"city": "Perth", "postcode": "6000", "country": "AU"}`, 0, `map[address_line_1:[The address line 1 field is required.]]`},
		{PartAddress, `{"city": "Perth"}`, 3, ``},
		{PartDate, `{"handle": "x"}`, 0, `map[date:[The date field is required.]]`},
		{PartComms, `{"email_promo": "maybe"}`, 0, `map[email_promo:[The email promo field must be true or false.]]`},
		{PartRegion, `{"country": "AU"}`, 0, `map[region_id:[The region id field is required.]]`},
		{PartRegion, `[1, 2]`, 0, `map[region_id:[The region id field is required.]]`},
	} {
		_, err := ParsePartRequest([]byte(c.body), PartRequest{Part: c.part, Target: c.target}, "AU")
		got := ""
		if err != nil {
			got = fmt.Sprint(ErrorFields(err))
		}
		if got != c.want {
			t.Errorf("%s %s: errors %s, want %s", c.part, c.body, got, c.want)
		}
	}
	if _, err := ParsePartRequest([]byte(`{"handle":`), PartRequest{Part: PartIdentity}, ""); ErrorCode(err) != EMALFORMED {
		t.Errorf("malformed body: %v", err)
	}
}

func TestParsePartRequestFix(t *testing.T) {
	in, err := ParsePartRequest([]byte(`{"namespace": "body", "value": 5, "type": "integer"}`), PartRequest{Part: PartCustom,
		Fix: func(in *ProfileInput) {
			in.CustomAttributes.V[0].Namespace = Str{Set: true, V: "path"}
			in.CustomAttributes.V[0].Handle = Str{Set: true, V: "h"}
		}}, "")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := Merge(nil, in, time.Unix(0, 0))
	if len(p.CustomAttributes) != 1 || p.CustomAttributes[0].Namespace != "path" || string(p.CustomAttributes[0].Value) != "5" {
		t.Errorf("custom attributes %+v", p.CustomAttributes)
	}
}

func TestParseProfileRequest(t *testing.T) {
	for _, c := range []struct {
		body string
		mode ValidateMode
		want string
	}{
		{`{"first_name": "A"}`, ModeCreate, `map[email:[The email field is required.]]`},
		{`[]`, ModeCreate, `map[email:[The email field is required.]]`},
		{`[]`, ModeUpdate, ``},
		{`{"email": " "}`, ModeUpdate, `map[email:[The email field is required.]]`},
		{`{"email": "A@B.COM", "mobile_phone": "0412 345 678"}`, ModeCreate, ``},
		{`{"mobile_phone": "12"}`, ModeUpdate, `map[mobile_phone:[The mobile phone format is invalid.]]`},
	} {
		in, err := ParseProfileRequest([]byte(c.body), c.mode, "AU")
		got := ""
		if err != nil {
			got = fmt.Sprint(ErrorFields(err))
		}
		if got != c.want {
			t.Errorf("%s: errors %s, want %s", c.body, got, c.want)
		}
		if err == nil && c.mode == ModeCreate {
			if e, _ := in.Email.Value(); e != "a@b.com" {
				t.Errorf("email not normalised: %q", e)
			}
			if m, _ := in.MobilePhone.Value(); m != "+61412345678" {
				t.Errorf("mobile not normalised: %q", m)
			}
		}
	}
	for body, want := range map[string]string{
		`{}`:                         `map[profile_type:[The profile type field is required.]]`,
		`{"profile_type": "vip"}`:    `map[profile_type:[The selected profile type is invalid.]]`,
		`{"profile_type": "active"}`: ``,
	} {
		_, err := ParseProfileTypeRequest([]byte(body))
		got := ""
		if err != nil {
			got = fmt.Sprint(ErrorFields(err))
		}
		if got != want {
			t.Errorf("update-type %s: errors %s, want %s", body, got, want)
		}
	}
}

func TestPlanChange(t *testing.T) {
	now := time.Unix(100, 0)
	old := &Profile{ID: "p", FirstName: "A", LastName: "B", ProfileType: "active", Version: 4,
		Tags: []string{"x"}, UpdatedAt: time.Unix(1, 0)}
	id := func() string { return "new" }
	in := func(s string) *ProfileInput {
		in, err := ParseProfileRequest([]byte(s), ModeUpdate, "")
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	dropTags := func(p *Profile, _ time.Time) (bool, error) { p.Tags = nil; return true, nil }
	for _, c := range []struct {
		name    string
		old     *Profile
		ch      ProfileChange
		outcome string
		version int64
		updated time.Time
	}{
		{"create", nil, ProfileChange{Input: in(`{"email": "a@b.com"}`), Edit: dropTags}, OutcomeCreated, 1, now},
		{"update", old, ProfileChange{Input: in(`{"first_name": "Z"}`)}, OutcomeUpdated, 5, now},
		{"same", old, ProfileChange{Input: in(`{"first_name": "A"}`)}, OutcomeUnchanged, 4, time.Unix(1, 0)},
		{"edit only", old, ProfileChange{Edit: dropTags}, OutcomeUpdated, 5, now},
	} {
		c.ch.Now = now
		p, outcome, err := PlanChange(c.old, c.ch, id)
		if err != nil || outcome != c.outcome || p.Version != c.version || !p.UpdatedAt.Equal(c.updated) {
			t.Errorf("%s: %s version %d updated %v (%v), want %s %d %v", c.name, outcome, p.Version, p.UpdatedAt, err,
				c.outcome, c.version, c.updated)
		}
	}
	if len(old.Tags) != 1 {
		t.Errorf("the edit changed old: %v", old.Tags)
	}
	_, _, err := PlanChange(old, ProfileChange{Now: now, Edit: func(*Profile, time.Time) (bool, error) {
		return false, Errorf(ENOTFOUND, "gone")
	}}, id)
	if ErrorCode(err) != ENOTFOUND {
		t.Errorf("edit error: %v", err)
	}
}

// Profile ids are version 4 UUIDs (the contract) that sort in the order
// they were made, a millisecond apart or more.
func TestNewProfileID(t *testing.T) {
	prev := ""
	for range 3 {
		id := NewProfileID()
		u, err := uuid.Parse(id)
		if err != nil || u.Version() != 4 || u.Variant() != uuid.RFC4122 || len(id) != 36 {
			t.Fatalf("%s: version %v variant %v (%v)", id, u.Version(), u.Variant(), err)
		}
		if id <= prev {
			t.Errorf("%s made after %s sorts before it", id, prev)
		}
		prev = id
		time.Sleep(2 * time.Millisecond)
	}
}
