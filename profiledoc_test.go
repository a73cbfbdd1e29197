package clientele

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"
)

// refDoc is the profile doc format as encoding/json would write it: the
// reference that MarshalProfileDoc and UnmarshalProfileDoc must match.
type refDoc struct {
	Title               *string                    `json:"title,omitempty"`
	Gender              *string                    `json:"gender,omitempty"`
	Currency            *string                    `json:"currency,omitempty"`
	JoinedAt            *string                    `json:"joined_at,omitempty"`
	SecondaryPhone      *string                    `json:"secondary_phone,omitempty"`
	BirthDay            *int                       `json:"birth_day,omitempty"`
	BirthMonth          *int                       `json:"birth_month,omitempty"`
	BirthYear           *int                       `json:"birth_year,omitempty"`
	Company             *string                    `json:"company,omitempty"`
	Occupation          *string                    `json:"occupation,omitempty"`
	AvatarURL           *string                    `json:"avatar_url,omitempty"`
	JoinedLocationID    *int64                     `json:"joined_location_id,omitempty"`
	PreferredLocationID *int64                     `json:"preferred_location_id,omitempty"`
	Tags                []string                   `json:"tags,omitzero"`
	Statuses            []string                   `json:"statuses,omitzero"`
	CustomAttributes    []refCustomAttribute       `json:"custom_attributes,omitzero"`
	Dates               []refDate                  `json:"dates,omitzero"`
	Addresses           []refAddress               `json:"addresses,omitzero"`
	Regions             []refRegion                `json:"regions,omitzero"`
	Comms               map[string]any             `json:"comms,omitzero"`
	Appearance          map[string]*string         `json:"appearance,omitzero"`
	Extra               map[string]json.RawMessage `json:"extra,omitzero"`
}

type refCustomAttribute struct {
	ID        int64           `json:"id"`
	Namespace string          `json:"namespace"`
	Handle    string          `json:"handle"`
	Type      string          `json:"type"`
	Value     json.RawMessage `json:"value,omitzero"`
	CreatedAt int64           `json:"created_at,omitzero"`
	UpdatedAt int64           `json:"updated_at,omitzero"`
}

type refDate struct {
	ID                int64           `json:"id"`
	Date              string          `json:"date"`
	Name              *string         `json:"name,omitempty"`
	Handle            *string         `json:"handle,omitempty"`
	Type              *string         `json:"type,omitempty"`
	Relationship      *string         `json:"relationship,omitempty"`
	Role              *string         `json:"role,omitempty"`
	IsRecurring       bool            `json:"is_recurring,omitzero"`
	RecurringSchedule *string         `json:"recurring_schedule,omitempty"`
	Description       *string         `json:"description,omitempty"`
	Note              *string         `json:"note,omitempty"`
	Meta              json.RawMessage `json:"meta,omitzero"`
	Links             []DateLink      `json:"links,omitzero"`
	CreatedAt         int64           `json:"created_at,omitzero"`
	UpdatedAt         int64           `json:"updated_at,omitzero"`
}

type refAddress struct {
	ID           int64           `json:"id"`
	AddressLine1 string          `json:"address_line_1"`
	AddressLine2 *string         `json:"address_line_2,omitempty"`
	AddressLine3 *string         `json:"address_line_3,omitempty"`
	Company      *string         `json:"company,omitempty"`
	City         string          `json:"city"`
	State        *string         `json:"state,omitempty"`
	Postcode     string          `json:"postcode"`
	Country      string          `json:"country"`
	Notes        *string         `json:"notes,omitempty"`
	ISO          *string         `json:"iso,omitempty"`
	ISOState     *string         `json:"iso_state,omitempty"`
	ExternalID   *string         `json:"external_id,omitempty"`
	IsDefault    bool            `json:"is_default,omitzero"`
	Meta         json.RawMessage `json:"meta,omitzero"`
	CreatedAt    int64           `json:"created_at,omitzero"`
	UpdatedAt    int64           `json:"updated_at,omitzero"`
}

type refRegion struct {
	RegionID int64   `json:"region_id"`
	Handle   *string `json:"handle,omitempty"`
	Country  *string `json:"country,omitempty"`
	State    *string `json:"state,omitempty"`
	IsActive bool    `json:"is_active,omitzero"`
}

func refMicros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// refEncode writes p's doc with encoding/json, without HTML escaping.
func refEncode(t *testing.T, p *Profile) []byte {
	t.Helper()
	d := refDoc{
		Title: p.Title, Gender: p.Gender, Currency: p.Currency, JoinedAt: p.JoinedAt,
		SecondaryPhone: p.SecondaryPhone, BirthDay: p.BirthDay, BirthMonth: p.BirthMonth,
		BirthYear: p.BirthYear, Company: p.Company, Occupation: p.Occupation, AvatarURL: p.AvatarURL,
		JoinedLocationID: p.JoinedLocationID, PreferredLocationID: p.PreferredLocationID,
		Tags: p.Tags, Statuses: p.Statuses, Comms: p.Comms, Appearance: p.Appearance, Extra: p.Extra,
	}
	if p.CustomAttributes != nil {
		d.CustomAttributes = []refCustomAttribute{}
	}
	for _, a := range p.CustomAttributes {
		d.CustomAttributes = append(d.CustomAttributes, refCustomAttribute{a.ID, a.Namespace, a.Handle, a.Type,
			a.Value, refMicros(a.CreatedAt), refMicros(a.UpdatedAt)})
	}
	if p.Dates != nil {
		d.Dates = []refDate{}
	}
	for _, x := range p.Dates {
		d.Dates = append(d.Dates, refDate{x.ID, x.Date, x.Name, x.Handle, x.Type, x.Relationship, x.Role,
			x.IsRecurring, x.RecurringSchedule, x.Description, x.Note, x.Meta, x.Links,
			refMicros(x.CreatedAt), refMicros(x.UpdatedAt)})
	}
	if p.Addresses != nil {
		d.Addresses = []refAddress{}
	}
	for _, a := range p.Addresses {
		d.Addresses = append(d.Addresses, refAddress{a.ID, a.AddressLine1, a.AddressLine2, a.AddressLine3,
			a.Company, a.City, a.State, a.Postcode, a.Country, a.Notes, a.ISO, a.ISOState, a.ExternalID,
			a.IsDefault, a.Meta, refMicros(a.CreatedAt), refMicros(a.UpdatedAt)})
	}
	if p.Regions != nil {
		d.Regions = []refRegion{}
	}
	for _, r := range p.Regions {
		d.Regions = append(d.Regions, refRegion{r.RegionID, r.Handle, r.Country, r.State, r.IsActive})
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&d); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func docStr(s string) *string { return &s }

// docProfiles are the profiles the doc tests encode: everything set, with
// awkward strings; nothing set; and empty (not nil) collections.
func docProfiles() map[string]*Profile {
	t1 := time.Date(2024, 2, 3, 4, 5, 6, 789000, time.UTC)
	t2 := t1.Add(time.Hour)
	day, month, year, loc := 12, 3, 1990, int64(11)
	return map[string]*Profile{
		"full": {
			Title: docStr("Dr"), Gender: docStr("female"), Currency: docStr("AUD"), JoinedAt: docStr("2021-01-27 00:25:20"),
			SecondaryPhone: docStr("+61293744000"), BirthDay: &day, BirthMonth: &month, BirthYear: &year,
			Company: docStr(`Acme "Pty" <Ltd> & co \ tab	nl
`), Occupation: docStr("ünïcödé ✓ \u2028\u2029 \x01"), AvatarURL: docStr("https://e.com/a.png?x=1&y=<2>"),
			JoinedLocationID: &loc, PreferredLocationID: &loc,
			Tags: []string{"vip-customer", "gold"}, Statuses: []string{"member"},
			CustomAttributes: []CustomAttribute{
				{ID: 1, Namespace: "locale", Handle: "language", Type: "string", Value: json.RawMessage(`"EN"`), CreatedAt: t1, UpdatedAt: t2},
				{ID: 2, Namespace: "p", Handle: "blob", Type: "json", Value: json.RawMessage(`{ "b": [1, 2.5e3], "a": "<x>" }`), CreatedAt: t1},
				{ID: 3, Namespace: "p", Handle: "none", Type: "json", Value: json.RawMessage(`null`)},
				{ID: 4, Namespace: "p", Handle: "absent", Type: "string"},
			},
			Dates: []DateAttribute{{
				ID: 5, Date: "2020-02-29", Name: docStr("A"), Handle: docStr("anniversary"), Type: docStr("event"),
				Relationship: docStr("spouse"), Role: docStr("self"), IsRecurring: true, RecurringSchedule: docStr("Yearly"),
				Description: docStr("d"), Note: docStr("n"), Meta: json.RawMessage(`{"k":1}`),
				Links:     []DateLink{{ProfileID: docStr("x"), Relationship: docStr("spouse")}, {}},
				CreatedAt: t1, UpdatedAt: t2,
			}, {ID: 6, Date: "2001-01-01", Links: []DateLink{}}},
			Addresses: []Address{{
				ID: 7, AddressLine1: "1 George St", AddressLine2: docStr("L2"), AddressLine3: docStr("S3"), Company: docStr("Acme"),
				City: "Sydney", State: docStr("NSW"), Postcode: "2000", Country: "AU", Notes: docStr("n"), ISO: docStr("AU"),
				ISOState: docStr("AU-NSW"), ExternalID: docStr("home"), IsDefault: true, Meta: json.RawMessage(`[1,{"a":null}]`),
				CreatedAt: t1, UpdatedAt: t2,
			}, {ID: 8, AddressLine1: "2 Pitt St", City: "Sydney", Postcode: "2000", Country: "AU"}},
			Regions:    []ProfileRegion{{RegionID: 3, Handle: docStr("nsw"), Country: docStr("AU"), State: docStr("NSW"), IsActive: true}, {RegionID: 4}},
			Comms:      map[string]any{"email_promo": true, "sms_optout": false, "push_discover": nil, "email_verification": "sent"},
			Appearance: map[string]*string{"hair_colour": docStr("brown"), "eye_colour": nil},
			Extra:      map[string]json.RawMessage{"region_id": json.RawMessage(`3`), "organisations": json.RawMessage(`[{"id": 1}]`)},
		},
		"empty": {},
		"empty collections": {
			Tags: []string{}, Statuses: []string{}, CustomAttributes: []CustomAttribute{}, Dates: []DateAttribute{},
			Addresses: []Address{}, Regions: []ProfileRegion{}, Comms: map[string]any{},
			Appearance: map[string]*string{}, Extra: map[string]json.RawMessage{},
		},
	}
}

func TestProfileDocMatchesEncodingJSON(t *testing.T) {
	for name, p := range docProfiles() {
		got, err := MarshalProfileDoc(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if want := refEncode(t, p); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

func TestProfileDocInvalidUTF8(t *testing.T) {
	p := &Profile{Title: docStr("a\xffb")}
	got, err := MarshalProfileDoc(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := refEncode(t, p); !bytes.Equal(got, want) {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestProfileDocRoundTrip(t *testing.T) {
	for name, p := range docProfiles() {
		b, err := MarshalProfileDoc(p)
		if err != nil {
			t.Fatal(err)
		}
		got := Profile{ID: "keep", Version: 7, Tags: []string{"stale"}}
		if err := UnmarshalProfileDoc(b, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.ID != "keep" || got.Version != 7 {
			t.Errorf("%s: column fields changed: %q %d", name, got.ID, got.Version)
		}
		got.ID, got.Version = "", 0
		// Raw values come back compacted.
		want := *p
		want.CustomAttributes = slices.Clone(p.CustomAttributes)
		for i := range want.CustomAttributes {
			if v := want.CustomAttributes[i].Value; v != nil {
				var buf bytes.Buffer
				_ = json.Compact(&buf, v)
				want.CustomAttributes[i].Value = buf.Bytes()
			}
		}
		if want.Extra != nil {
			want.Extra = map[string]json.RawMessage{}
			for k, v := range p.Extra {
				var buf bytes.Buffer
				_ = json.Compact(&buf, v)
				want.Extra[k] = buf.Bytes()
			}
		}
		if !reflect.DeepEqual(got, want) {
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			t.Errorf("%s: round trip\n got %s\nwant %s", name, gj, wj)
		}

		// A doc written by encoding/json reads the same.
		var viaRef Profile
		if err := UnmarshalProfileDoc(refEncode(t, p), &viaRef); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(viaRef, got) {
			t.Errorf("%s: decoding encoding/json's doc differs", name)
		}
	}
}

func TestProfileDocSkipsUnknownMembers(t *testing.T) {
	var p Profile
	err := UnmarshalProfileDoc([]byte(` {"future": {"a": [1, "}"]}, "title": "Dr", "tags": null,
		"custom_attributes": [{"id": 9, "new": true, "handle": "h"}]} `), &p)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title == nil || *p.Title != "Dr" || p.Tags != nil || len(p.CustomAttributes) != 1 ||
		p.CustomAttributes[0].ID != 9 || p.CustomAttributes[0].Handle != "h" {
		t.Errorf("decoded %+v", p)
	}
	if err := UnmarshalProfileDoc([]byte(`[1]`), &p); err == nil {
		t.Error("a non-object decoded without error")
	}
}

func BenchmarkProfileDoc(b *testing.B) {
	p := docProfiles()["full"]
	doc, _ := MarshalProfileDoc(p)
	b.Run("marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = MarshalProfileDoc(p)
		}
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var q Profile
			_ = UnmarshalProfileDoc(doc, &q)
		}
	})
}

// TestProfileDocDamaged: a damaged doc is an error, never a panic or a hang.
func TestProfileDocDamaged(t *testing.T) {
	doc, err := MarshalProfileDoc(docProfiles()["full"])
	if err != nil {
		t.Fatal(err)
	}
	for i := range doc {
		var p Profile
		if err := UnmarshalProfileDoc(doc[:i], &p); err == nil && i > 0 {
			t.Errorf("a doc cut at byte %d of %d decoded without error", i, len(doc))
		}
	}
}
