package wire

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/clientele/clientele"
)

func ptr[T any](v T) *T { return &v }

func TestSplitPhone(t *testing.T) {
	for _, c := range []struct {
		in                     string
		country                int
		national, prefix, e164 string
	}{
		{"+61404123123", 61, "404123123", "0404123123", "+61404123123"},
		{"+442079460958", 44, "2079460958", "02079460958", "+442079460958"},
		// No trunk prefix in the US: the national form is the bare number.
		{"+12025550123", 1, "2025550123", "2025550123", "+12025550123"},
	} {
		country, national, prefix, e164 := splitPhone(c.in)
		if country == nil || *country != c.country || *national != c.national || *prefix != c.prefix || *e164 != c.e164 {
			t.Errorf("splitPhone(%q) = %v %v %v %v", c.in, deref(country), deref(national), deref(prefix), deref(e164))
		}
	}
	country, national, prefix, e164 := splitPhone("garbage")
	if country != nil || national != nil || prefix != nil || e164 == nil || *e164 != "garbage" {
		t.Errorf("splitPhone(garbage) = %v %v %v %v", country, national, prefix, deref(e164))
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestBirthday(t *testing.T) {
	// The spec's example: 1 January 1989 seen on 26 January 2025 at noon.
	noon := time.Date(2025, 1, 26, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name              string
		day, month, year  *int
		now               time.Time
		date, next        any
		daysUntil, daysIn any
	}{
		{"spec example", ptr(1), ptr(1), ptr(1989), noon, "1989-01-01", "2026-01-01", 339, 25},
		{"no year", ptr(1), ptr(1), nil, noon, nil, "2026-01-01", 339, 25},
		{"no day", nil, ptr(1), ptr(1989), noon, nil, nil, nil, nil},
		{"today", ptr(26), ptr(1), ptr(2000), noon, "2000-01-26", "2025-01-26", 0, 0},
		{"tomorrow", ptr(27), ptr(1), nil, noon, nil, "2025-01-27", 0, 365},
		{"yesterday", ptr(25), ptr(1), nil, noon, nil, "2026-01-25", 363, 1},
		// 29 February falls on 1 March outside leap years, as in PHP.
		{"leap day", ptr(29), ptr(2), ptr(2000), noon, "2000-02-29", "2025-03-01", 33, 332},
		{"other zone", ptr(1), ptr(1), nil, noon.In(time.FixedZone("AEDT", 11*3600)), nil, "2026-01-01", 339, 25},
	} {
		date, next, until, past := birthday(c.day, c.month, c.year, c.now)
		if deref(date) != c.date || deref(next) != c.next || deref(until) != c.daysUntil || deref(past) != c.daysIn {
			t.Errorf("%s: birthday = %v %v %v %v, want %v %v %v %v", c.name,
				deref(date), deref(next), deref(until), deref(past), c.date, c.next, c.daysUntil, c.daysIn)
		}
	}
}

func TestRenderProfileDerived(t *testing.T) {
	now := time.Date(2025, 1, 26, 12, 0, 0, 0, time.UTC)
	p := &clientele.Profile{
		ID: "92975ecb-5264-4d31-9f2b-789fa01f4555", FirstName: "Example", LastName: "User",
		ProfileType: "incomplete", MobilePhone: ptr("+61404123123"),
		BirthDay: ptr(1), BirthMonth: ptr(1), BirthYear: ptr(1989),
		Identities: []clientele.Identity{
			{ID: 1, Handle: "pos", Identifier: "P-1"},
			{ID: 2, Handle: "shopify", Identifier: "S-1", IsPrimary: true},
		},
		CustomAttributes: []clientele.CustomAttribute{
			{Namespace: "locale", Handle: "language", Value: json.RawMessage(`"EN"`)},
			{Namespace: "locale", Handle: "empty"},
		},
		Regions:   []clientele.ProfileRegion{{RegionID: 3}, {RegionID: 4, IsActive: true}, {RegionID: 5, IsActive: true}},
		Addresses: []clientele.Address{{ID: 8}, {ID: 9, IsDefault: true}},
		Comms:     map[string]any{"email_promo": true, "terms_accepted_version": "v2"},
		CreatedAt: now, UpdatedAt: now,
	}
	out := RenderProfile(p, now)
	if out.FullName != "Example User" || deref(out.ExternalID) != "S-1" || out.IsCompleted {
		t.Errorf("full_name %q external_id %v is_completed %v", out.FullName, deref(out.ExternalID), out.IsCompleted)
	}
	if deref(out.MobilePhoneCountry) != 61 || deref(out.MobilePhoneNational) != "404123123" ||
		deref(out.MobilePhoneNationalPrefix) != "0404123123" || deref(out.MobilePhoneE164) != "+61404123123" {
		t.Errorf("mobile_phone_* = %v %v %v %v", deref(out.MobilePhoneCountry), deref(out.MobilePhoneNational),
			deref(out.MobilePhoneNationalPrefix), deref(out.MobilePhoneE164))
	}
	if deref(out.BirthDate) != "1989-01-01" || deref(out.NextBirthday) != "2026-01-01" ||
		deref(out.BirthDays) != 339 || deref(out.BirthDaysPast) != 25 {
		t.Errorf("birthday fields = %v %v %v %v", deref(out.BirthDate), deref(out.NextBirthday), deref(out.BirthDays), deref(out.BirthDaysPast))
	}
	if out.Region == nil || out.Region.ID != 4 || out.Address == nil || out.Address.ID != 9 {
		t.Errorf("region %+v address %+v", out.Region, out.Address)
	}
	b, err := json.Marshal(out.CustomAttributes)
	if err != nil || string(b) != `{"locale":{"empty":null,"language":"EN"}}` {
		t.Errorf("custom_attributes = %s, %v", b, err)
	}
	comms := out.Attributes.Comms
	if comms["email_promo"] != true || comms["sms_promo"] != false || comms["email_discover"] != nil ||
		comms["terms_accepted_version"] != "v2" || comms["email_verification"] != "not_sent" || comms["profile_id"] != p.ID {
		t.Errorf("comms = %v", comms)
	}
	if out.Attributes.Dates == nil || out.Tags == nil || out.StatusesOriginal == nil {
		t.Error("empty lists must render as [], not null")
	}
	if out.CreatedAt != "2025-01-26 12:00:00" {
		t.Errorf("created_at = %q", out.CreatedAt)
	}
}
