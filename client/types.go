package client

import (
	"encoding/json"
	"time"
)

// Batch statuses (spec §4.11).
const (
	StatusPending    = "pending"
	StatusProcessing = "processing"
	StatusCompleted  = "completed"
	StatusFailed     = "failed"
)

// TimeLayout is the layout of every date-time the API returns: UTC, no zone.
const TimeLayout = "2006-01-02 15:04:05"

// ParseTime parses an API date-time ("2021-01-27 00:25:20") as UTC.
func ParseTime(s string) (time.Time, error) { return time.Parse(TimeLayout, s) }

// Batch is a submitted batch and its progress. Date-times are strings in
// the wire format; ParseTime reads them.
type Batch struct {
	ID             string      `json:"id"`
	ImportJobID    *int64      `json:"import_job_id"`
	EntityType     string      `json:"entity_type"`
	MatchCriteria  string      `json:"match_criteria"`
	Status         string      `json:"status"`
	TotalCount     int         `json:"total_count"`
	ProcessedCount int         `json:"processed_count"`
	SuccessCount   int         `json:"success_count"`
	FailedCount    int         `json:"failed_count"`
	CreatedCount   int         `json:"created_count"`
	UpdatedCount   int         `json:"updated_count"`
	UnchangedCount int         `json:"unchanged_count"`
	StartedAt      *string     `json:"started_at"`
	CompletedAt    *string     `json:"completed_at"`
	CreatedAt      string      `json:"created_at"`
	UpdatedAt      string      `json:"updated_at"`
	Items          []BatchItem `json:"items"`
}

// BatchItem is the state of one submitted profile. Index is its position
// in the submitted array; Outcome is created, updated, unchanged or failed
// once applied, nil while pending.
type BatchItem struct {
	ID                int                 `json:"id"`
	Index             int                 `json:"index"`
	EntityID          *string             `json:"entity_id"`
	ExternalID        *string             `json:"external_id"`
	MatchValue        *string             `json:"match_value"`
	Status            string              `json:"status"`
	Outcome           *string             `json:"outcome"`
	Error             *string             `json:"error"`
	Errors            map[string][]string `json:"errors"`
	ConflictProfileID *string             `json:"conflict_profile_id"`
	CreatedAt         string              `json:"created_at"`
	UpdatedAt         string              `json:"updated_at"`
}

// Links are a page's navigation URLs.
type Links struct {
	First string  `json:"first"`
	Last  string  `json:"last"`
	Prev  *string `json:"prev"`
	Next  *string `json:"next"`
}

// MetaLink is one entry of Meta.Links (Laravel's page link list).
type MetaLink struct {
	URL    *string `json:"url"`
	Label  string  `json:"label"`
	Active bool    `json:"active"`
}

// Meta describes a page; From and To are nil on an empty page.
type Meta struct {
	CurrentPage int        `json:"current_page"`
	From        *int       `json:"from"`
	LastPage    int        `json:"last_page"`
	Links       []MetaLink `json:"links"`
	Path        string     `json:"path"`
	PerPage     int        `json:"per_page"`
	To          *int       `json:"to"`
	Total       int        `json:"total"`
}

// ItemsPage is one page of a batch's items.
type ItemsPage struct {
	Data  []BatchItem `json:"data"`
	Links Links       `json:"links"`
	Meta  Meta        `json:"meta"`
}

// ProfilesPage is one page of profiles.
type ProfilesPage struct {
	Data  []Profile `json:"data"`
	Links Links     `json:"links"`
	Meta  Meta      `json:"meta"`
}

// Profile is a customer profile as the API returns it (spec §4.1).
type Profile struct {
	ID                        string  `json:"id"`
	ExternalID                *string `json:"external_id"`
	Title                     *string `json:"title"`
	FirstName                 string  `json:"first_name"`
	LastName                  string  `json:"last_name"`
	FullName                  string  `json:"full_name"`
	Email                     *string `json:"email"`
	Gender                    *string `json:"gender"`
	Currency                  *string `json:"currency"`
	JoinedAt                  *string `json:"joined_at"`
	MobilePhone               *string `json:"mobile_phone"`
	MobilePhoneCountry        *int    `json:"mobile_phone_country"`
	MobilePhoneNational       *string `json:"mobile_phone_national"`
	MobilePhoneNationalPrefix *string `json:"mobile_phone_national_prefix"`
	MobilePhoneE164           *string `json:"mobile_phone_e164"`
	SecondaryPhone            *string `json:"secondary_phone"`
	BirthDay                  *int    `json:"birth_day"`
	BirthMonth                *int    `json:"birth_month"`
	BirthYear                 *int    `json:"birth_year"`
	BirthDate                 *string `json:"birth_date"`
	BirthDays                 *int    `json:"birth_days"`
	BirthDaysPast             *int    `json:"birth_days_past"`
	NextBirthday              *string `json:"next_birthday"`
	Company                   *string `json:"company"`
	Occupation                *string `json:"occupation"`
	AvatarURL                 *string `json:"avatar_url"`
	IsCompleted               bool    `json:"is_completed"`
	JoinedLocationID          *int64  `json:"joined_location_id"`
	PreferredLocationID       *int64  `json:"preferred_location_id"`
	// JoinedLocation, PreferredLocation and Tier are null until the server
	// has locations and loyalty; they are kept raw for forward compatibility.
	JoinedLocation    json.RawMessage `json:"joined_location"`
	PreferredLocation json.RawMessage `json:"preferred_location"`
	CustomFields      map[string]any  `json:"custom_fields"`
	TierHandle        *string         `json:"tier_handle"`
	Tier              json.RawMessage `json:"tier"`
	ProfileType       string          `json:"profile_type"`
	Identities        []Identity      `json:"identities"`
	Tags              []string        `json:"tags"`
	Statuses          []string        `json:"statuses"`
	StatusesOriginal  []string        `json:"statuses_original"`
	Attributes        Attributes      `json:"attributes"`
	// CustomAttributes is keyed by namespace, then handle (spec §4.1).
	CustomAttributes       map[string]map[string]any `json:"custom_attributes"`
	Address                *Address                  `json:"address"`
	Addresses              []Address                 `json:"addresses"`
	Region                 *Region                   `json:"region"`
	Regions                []Region                  `json:"regions"`
	RewardBalance          float64                   `json:"reward_balance"`
	PointBalance           float64                   `json:"point_balance"`
	PointBalanceDollars    float64                   `json:"point_balance_dollars"`
	CombinedBalanceDollars float64                   `json:"combined_balance_dollars"`
	CreatedAt              string                    `json:"created_at"`
	UpdatedAt              string                    `json:"updated_at"`
}

// Identity is a profile's identity in another system (spec §4.2).
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

// Attributes groups comms, appearance and dates. Comms and Appearance are
// maps because their key sets are long and open (spec §4.5, §4.6).
type Attributes struct {
	Comms      map[string]any  `json:"comms"`
	Appearance map[string]any  `json:"appearance"`
	Dates      []DateAttribute `json:"dates"`
}

// DateAttribute is a dated event of a profile (spec §4.4).
type DateAttribute struct {
	ID                int64           `json:"id"`
	ProfileID         string          `json:"profile_id"`
	Date              string          `json:"date"`
	Name              *string         `json:"name"`
	Handle            *string         `json:"handle"`
	Type              *string         `json:"type"`
	Relationship      *string         `json:"relationship"`
	Role              *string         `json:"role"`
	IsRecurring       bool            `json:"is_recurring"`
	RecurringSchedule *string         `json:"recurring_schedule"`
	Description       *string         `json:"description"`
	Note              *string         `json:"note"`
	Meta              json.RawMessage `json:"meta"`
	Links             []DateLink      `json:"links"`
	CreatedAt         string          `json:"created_at"`
	UpdatedAt         string          `json:"updated_at"`
}

// DateLink links a date to another profile.
type DateLink struct {
	ProfileID    *string `json:"profile_id"`
	Relationship *string `json:"relationship"`
	Role         *string `json:"role"`
}

// Address is a postal address of a profile (spec §4.7).
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

// Region is a profile's region link in the profile form of spec §4.8: ID is
// the global region's id.
type Region struct {
	ID        int64             `json:"id"`
	Name      *string           `json:"name"`
	Handle    *string           `json:"handle"`
	Countries []json.RawMessage `json:"countries"`
	IsDefault *bool             `json:"is_default"`
	Country   *string           `json:"country"`
	State     *string           `json:"state"`
	IsActive  bool              `json:"is_active"`
}
