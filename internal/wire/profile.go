package wire

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/clientele/clientele"
	"github.com/nyaruka/phonenumbers"
)

// Output date formats (spec §1: UTC, no zone suffix).
const (
	DateTimeLayout = "2006-01-02 15:04:05"
	DateLayout     = "2006-01-02"
)

// FormatTime is t as the wire writes date-times: UTC, "YYYY-MM-DD HH:MM:SS".
func FormatTime(t time.Time) string { return t.UTC().Format(DateTimeLayout) }

// FormatTimePtr is FormatTime for an optional time; nil stays nil (null).
func FormatTimePtr(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := FormatTime(*t)
	return &s
}

// emptyObject encodes as {} where the spec wants an object that is never
// null (custom_fields).
type emptyObject struct{}

// Profile is the Profile object of spec §4.1. Every key is always
// present, in the order of the spec's example, because clients test for
// keys and types, not only values.
type Profile struct {
	ID                        string                                `json:"id"`
	ExternalID                *string                               `json:"external_id"`
	Title                     *string                               `json:"title"`
	FirstName                 string                                `json:"first_name"`
	LastName                  string                                `json:"last_name"`
	FullName                  string                                `json:"full_name"`
	Email                     *string                               `json:"email"`
	Gender                    *string                               `json:"gender"`
	Currency                  *string                               `json:"currency"`
	JoinedAt                  *string                               `json:"joined_at"`
	MobilePhone               *string                               `json:"mobile_phone"`
	MobilePhoneCountry        *int                                  `json:"mobile_phone_country"`
	MobilePhoneNational       *string                               `json:"mobile_phone_national"`
	MobilePhoneNationalPrefix *string                               `json:"mobile_phone_national_prefix"`
	MobilePhoneE164           *string                               `json:"mobile_phone_e164"`
	SecondaryPhone            *string                               `json:"secondary_phone"`
	BirthDay                  *int                                  `json:"birth_day"`
	BirthMonth                *int                                  `json:"birth_month"`
	BirthYear                 *int                                  `json:"birth_year"`
	BirthDate                 *string                               `json:"birth_date"`
	BirthDays                 *int                                  `json:"birth_days"`
	BirthDaysPast             *int                                  `json:"birth_days_past"`
	NextBirthday              *string                               `json:"next_birthday"`
	Company                   *string                               `json:"company"`
	Occupation                *string                               `json:"occupation"`
	AvatarURL                 *string                               `json:"avatar_url"`
	IsCompleted               bool                                  `json:"is_completed"`
	JoinedLocationID          *int64                                `json:"joined_location_id"`
	JoinedLocation            *struct{}                             `json:"joined_location"`
	PreferredLocationID       *int64                                `json:"preferred_location_id"`
	PreferredLocation         *struct{}                             `json:"preferred_location"`
	CustomFields              emptyObject                           `json:"custom_fields"`
	TierHandle                *string                               `json:"tier_handle"`
	Tier                      *struct{}                             `json:"tier"`
	ProfileType               string                                `json:"profile_type"`
	Identities                []Identity                            `json:"identities"`
	Tags                      []string                              `json:"tags"`
	Statuses                  []string                              `json:"statuses"`
	StatusesOriginal          []string                              `json:"statuses_original"`
	Attributes                Attributes                            `json:"attributes"`
	CustomAttributes          map[string]map[string]json.RawMessage `json:"custom_attributes"`
	Address                   *Address                              `json:"address"`
	Addresses                 []Address                             `json:"addresses"`
	Region                    *Region                               `json:"region"`
	Regions                   []Region                              `json:"regions"`
	RewardBalance             int                                   `json:"reward_balance"`
	PointBalance              int                                   `json:"point_balance"`
	PointBalanceDollars       int                                   `json:"point_balance_dollars"`
	CombinedBalanceDollars    int                                   `json:"combined_balance_dollars"`
	CreatedAt                 string                                `json:"created_at"`
	UpdatedAt                 string                                `json:"updated_at"`
}

// Identity is spec §4.2.
type Identity struct {
	ID         int64   `json:"id"`
	Handle     string  `json:"handle"`
	Identifier string  `json:"identifier"`
	IsActive   bool    `json:"is_active"`
	IsPrimary  bool    `json:"is_primary"`
	ProfileID  string  `json:"profile_id"`
	MergedFrom *string `json:"merged_from"`
	CreatedAt  string  `json:"created_at"`
	UpdatedAt  string  `json:"updated_at"`
}

// Attributes always has all three keys (spec §4.1).
type Attributes struct {
	Comms      map[string]any `json:"comms"`
	Appearance map[string]any `json:"appearance"`
	Dates      []Date         `json:"dates"`
}

// Date is spec §4.4.
type Date struct {
	ID                int64                `json:"id"`
	ProfileID         string               `json:"profile_id"`
	Date              string               `json:"date"`
	Name              *string              `json:"name"`
	Handle            *string              `json:"handle"`
	Type              *string              `json:"type"`
	Relationship      *string              `json:"relationship"`
	Role              *string              `json:"role"`
	IsRecurring       bool                 `json:"is_recurring"`
	RecurringSchedule *string              `json:"recurring_schedule"`
	Description       *string              `json:"description"`
	Note              *string              `json:"note"`
	Meta              json.RawMessage      `json:"meta"`
	Links             []clientele.DateLink `json:"links"`
	CreatedAt         string               `json:"created_at"`
	UpdatedAt         string               `json:"updated_at"`
}

// Address is spec §4.7.
type Address struct {
	ID           int64           `json:"id"`
	ProfileID    string          `json:"profile_id"`
	AddressLine1 string          `json:"address_line_1"`
	AddressLine2 *string         `json:"address_line_2"`
	AddressLine3 *string         `json:"address_line_3"`
	Company      *string         `json:"company"`
	City         string          `json:"city"`
	State        *string         `json:"state"`
	Postcode     string          `json:"postcode"`
	Country      string          `json:"country"`
	Notes        *string         `json:"notes"`
	ISO          *string         `json:"iso"`
	ISOState     *string         `json:"iso_state"`
	Latitude     *string         `json:"latitude"`
	Longitude    *string         `json:"longitude"`
	ExternalID   *string         `json:"external_id"`
	IsDefault    bool            `json:"is_default"`
	Meta         json.RawMessage `json:"meta"`
	CreatedAt    string          `json:"created_at"`
	UpdatedAt    string          `json:"updated_at"`
}

// Region is the profile form of spec §4.8: the global region's fields and
// the link's. RenderProfile knows only the link (and the handle it was
// given); JoinRegions fills in the global region.
type Region struct {
	ID        int64     `json:"id"`
	Name      *string   `json:"name"`
	Handle    *string   `json:"handle"`
	Countries []Country `json:"countries"`
	IsDefault *bool     `json:"is_default"`
	Country   *string   `json:"country"`
	State     *string   `json:"state"`
	IsActive  bool      `json:"is_active"`
}

// RegionIDs lists the global regions the profiles link, each once.
func RegionIDs(ps []clientele.Profile) []int64 {
	var ids []int64
	seen := map[int64]bool{}
	for _, p := range ps {
		for _, r := range p.Regions {
			if !seen[r.RegionID] {
				seen[r.RegionID] = true
				ids = append(ids, r.RegionID)
			}
		}
	}
	return ids
}

// JoinRegions gives out's region links their global region's name,
// handle, countries and is_default from known (RegionIDs' regions). A link
// whose region this database does not hold (a batch may carry another
// system's region ids, spec §6.1) keeps what it was sent with.
func JoinRegions(out *Profile, known []clientele.Region) {
	if len(known) == 0 {
		return
	}
	byID := make(map[int64]*clientele.Region, len(known))
	for i := range known {
		byID[known[i].ID] = &known[i]
	}
	for i := range out.Regions {
		r := &out.Regions[i]
		if g := byID[r.ID]; g != nil {
			name, handle := g.Name, g.Handle
			r.Name, r.Handle, r.IsDefault, r.Countries = &name, &handle, g.IsDefault, RenderCountries(g.Countries)
		}
	}
	out.Region = firstActiveRegion(out.Regions)
}

// RenderIdentity turns a stored identity into its wire object (spec §4.2).
func RenderIdentity(id clientele.Identity) Identity {
	return Identity{
		ID: id.ID, Handle: id.Handle, Identifier: id.Identifier, IsActive: id.IsActive,
		IsPrimary: id.IsPrimary, ProfileID: id.ProfileID,
		CreatedAt: FormatTime(id.CreatedAt), UpdatedAt: FormatTime(id.UpdatedAt),
	}
}

// RenderProfile turns a stored profile into its wire object; now dates the
// birthday fields.
func RenderProfile(p *clientele.Profile, now time.Time) Profile {
	out := Profile{
		ID:                  p.ID,
		ExternalID:          p.ExternalID(),
		Title:               p.Title,
		FirstName:           p.FirstName,
		LastName:            p.LastName,
		FullName:            p.FullName(),
		Email:               p.Email,
		Gender:              p.Gender,
		Currency:            p.Currency,
		JoinedAt:            p.JoinedAt,
		MobilePhone:         p.MobilePhone,
		SecondaryPhone:      p.SecondaryPhone,
		BirthDay:            p.BirthDay,
		BirthMonth:          p.BirthMonth,
		BirthYear:           p.BirthYear,
		Company:             p.Company,
		Occupation:          p.Occupation,
		AvatarURL:           p.AvatarURL,
		IsCompleted:         p.ProfileType != "incomplete",
		JoinedLocationID:    p.JoinedLocationID,
		PreferredLocationID: p.PreferredLocationID,
		ProfileType:         p.ProfileType,
		Identities:          make([]Identity, 0, len(p.Identities)),
		Tags:                nonNil(p.Tags),
		Statuses:            nonNil(p.Statuses),
		StatusesOriginal:    nonNil(p.Statuses),
		CustomAttributes:    map[string]map[string]json.RawMessage{},
		Addresses:           make([]Address, 0, len(p.Addresses)),
		Regions:             make([]Region, 0, len(p.Regions)),
		CreatedAt:           FormatTime(p.CreatedAt),
		UpdatedAt:           FormatTime(p.UpdatedAt),
	}
	if p.MobilePhone != nil {
		out.MobilePhoneCountry, out.MobilePhoneNational, out.MobilePhoneNationalPrefix, out.MobilePhoneE164 = splitPhone(*p.MobilePhone)
	}
	out.BirthDate, out.NextBirthday, out.BirthDays, out.BirthDaysPast = birthday(p.BirthDay, p.BirthMonth, p.BirthYear, now)

	for _, id := range p.Identities {
		if id.ProfileID == "" {
			id.ProfileID = p.ID
		}
		out.Identities = append(out.Identities, RenderIdentity(id))
	}
	for _, ca := range p.CustomAttributes {
		ns := out.CustomAttributes[ca.Namespace]
		if ns == nil {
			ns = map[string]json.RawMessage{}
			out.CustomAttributes[ca.Namespace] = ns
		}
		ns[ca.Handle] = rawOrNull(ca.Value)
	}
	for i := range p.Addresses {
		out.Addresses = append(out.Addresses, RenderAddress(p.ID, &p.Addresses[i]))
	}
	for _, pr := range p.Regions {
		out.Regions = append(out.Regions, Region{
			ID: pr.RegionID, Handle: pr.Handle, Countries: []Country{},
			Country: pr.Country, State: pr.State, IsActive: pr.IsActive,
		})
	}
	out.Address = defaultAddress(out.Addresses)
	out.Region = firstActiveRegion(out.Regions)

	out.Attributes = Attributes{
		Comms:      renderComms(p),
		Appearance: renderAppearance(p),
		Dates:      make([]Date, 0, len(p.Dates)),
	}
	for _, d := range p.Dates {
		out.Attributes.Dates = append(out.Attributes.Dates, RenderDate(p.ID, d))
	}
	return out
}

// defaultAddress is the address marked default (spec §4.1 address).
func defaultAddress(as []Address) *Address {
	for i := range as {
		if as[i].IsDefault {
			a := as[i]
			return &a
		}
	}
	return nil
}

// firstActiveRegion is profile.region (spec §4.1 DECISION).
func firstActiveRegion(rs []Region) *Region {
	for i := range rs {
		if rs[i].IsActive {
			r := rs[i]
			return &r
		}
	}
	return nil
}

// RenderAddress turns a stored address into its wire object (spec §4.7).
func RenderAddress(profileID string, a *clientele.Address) Address {
	return Address{
		ID: a.ID, ProfileID: profileID, AddressLine1: a.AddressLine1,
		AddressLine2: a.AddressLine2, AddressLine3: a.AddressLine3, Company: a.Company,
		City: a.City, State: a.State, Postcode: a.Postcode, Country: a.Country,
		Notes: a.Notes, ISO: a.ISO, ISOState: a.ISOState, ExternalID: a.ExternalID,
		IsDefault: a.IsDefault, Meta: rawOrNull(a.Meta),
		CreatedAt: FormatTime(a.CreatedAt), UpdatedAt: FormatTime(a.UpdatedAt),
	}
}

// RenderDate turns a stored date into its wire object (spec §4.4).
func RenderDate(profileID string, d clientele.DateAttribute) Date {
	links := d.Links
	if links == nil {
		links = []clientele.DateLink{}
	}
	return Date{
		ID: d.ID, ProfileID: profileID, Date: d.Date, Name: d.Name, Handle: d.Handle,
		Type: d.Type, Relationship: d.Relationship, Role: d.Role, IsRecurring: d.IsRecurring,
		RecurringSchedule: d.RecurringSchedule, Description: d.Description, Note: d.Note,
		Meta: rawOrNull(d.Meta), Links: links,
		CreatedAt: FormatTime(d.CreatedAt), UpdatedAt: FormatTime(d.UpdatedAt),
	}
}

// renderComms lists every comms key (spec §4.5): the value set on the
// profile, else the documented default.
func renderComms(p *clientele.Profile) map[string]any {
	m := make(map[string]any, len(clientele.CommsKeys)+3)
	for _, k := range clientele.CommsKeys {
		m[k] = clientele.CommsDefault(k)
	}
	for k, v := range p.Comms {
		m[k] = v
	}
	m["profile_id"] = p.ID
	m["created_at"] = FormatTime(p.CreatedAt)
	m["updated_at"] = FormatTime(p.UpdatedAt)
	return m
}

// renderAppearance lists every appearance key (spec §4.6), null unless set.
func renderAppearance(p *clientele.Profile) map[string]any {
	m := make(map[string]any, len(clientele.AppearanceKeys)+3)
	for _, k := range clientele.AppearanceKeys {
		m[k] = nil
	}
	for k, v := range p.Appearance {
		if v == nil {
			m[k] = nil
		} else {
			m[k] = *v
		}
	}
	m["profile_id"] = p.ID
	m["created_at"] = FormatTime(p.CreatedAt)
	m["updated_at"] = FormatTime(p.UpdatedAt)
	return m
}

// splitPhone derives the mobile_phone_* fields from a stored E.164 number:
// the calling code, the national significant number, the number as dialled
// at home (with the trunk prefix, "0404123123") and the E.164 form. A
// number that does not parse keeps only its stored form.
func splitPhone(e164 string) (country *int, national, nationalPrefix, canonical *string) {
	canonical = &e164
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return nil, nil, nil, canonical
	}
	cc := int(num.GetCountryCode())
	nsn := phonenumbers.GetNationalSignificantNumber(num)
	// The national format carries the trunk prefix where the region uses
	// one; keeping only its digits drops the spacing and punctuation.
	prefixed := digits(phonenumbers.Format(num, phonenumbers.NATIONAL))
	if prefixed == "" {
		prefixed = nsn
	}
	e := phonenumbers.Format(num, phonenumbers.E164)
	return &cc, &nsn, &prefixed, &e
}

func digits(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= '0' && c <= '9' {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// birthday derives birth_date (all three parts), next_birthday and the day
// counts (day and month). The counts are whole days between now and the
// birthdays' midnights (UTC), rounded down, as Carbon's diffInDays gives:
// the spec's example (1 Jan, 339 days ahead and 25 past) is a day short of
// a full year for that reason. A 29 February birthday falls on 1 March in
// other years, as PHP's date arithmetic does.
func birthday(day, month, year *int, now time.Time) (birthDate, next *string, daysUntil, daysPast *int) {
	if day != nil && month != nil && year != nil {
		s := fmt.Sprintf("%04d-%02d-%02d", *year, *month, *day)
		birthDate = &s
	}
	if day == nil || month == nil {
		return birthDate, nil, nil, nil
	}
	now = now.UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	on := func(y int) time.Time { return time.Date(y, time.Month(*month), *day, 0, 0, 0, 0, time.UTC) }

	nextDay := on(today.Year())
	if nextDay.Before(today) {
		nextDay = on(today.Year() + 1)
	}
	lastDay := on(today.Year())
	if lastDay.After(today) {
		lastDay = on(today.Year() - 1)
	}
	ns := nextDay.Format(DateLayout)
	until := max(int(nextDay.Sub(now)/(24*time.Hour)), 0)
	past := max(int(now.Sub(lastDay)/(24*time.Hour)), 0)
	return birthDate, &ns, &until, &past
}

// rawOrNull keeps stored JSON verbatim and turns "absent" into null.
func rawOrNull(b json.RawMessage) json.RawMessage {
	if len(b) == 0 {
		return json.RawMessage("null")
	}
	return b
}

// nonNil makes an absent list encode as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
