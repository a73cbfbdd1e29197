package clientele

import "bytes"

// ProfileInput is one profile as sent to POST /profiles, PUT /profiles/{id}
// or as a batch item (spec §4.1, §6.1). Every field is a tolerant type, so
// decoding never fails on a field; Validate reports what is wrong.
type ProfileInput struct {
	Obj
	FirstName   Str `json:"first_name"`
	LastName    Str `json:"last_name"`
	Email       Str `json:"email"`
	Title       Str `json:"title"`
	Gender      Str `json:"gender"`
	Currency    Str `json:"currency"`
	ProfileType Str `json:"profile_type"`
	JoinedAt    Str `json:"joined_at"`

	MobilePhone    Str `json:"mobile_phone"`
	SecondaryPhone Str `json:"secondary_phone"`

	BirthDay   Int `json:"birth_day"`
	BirthMonth Int `json:"birth_month"`
	BirthYear  Int `json:"birth_year"`

	Company    Str `json:"company"`
	Occupation Str `json:"occupation"`
	AvatarURL  Str `json:"avatar_url"`

	JoinedLocationID              Int `json:"joined_location_id"`
	JoinedLocationExternalID      Str `json:"joined_location_external_id"`
	JoinedLocationExternalCode    Str `json:"joined_location_external_code"`
	PreferredLocationID           Int `json:"preferred_location_id"`
	PreferredLocationExternalID   Str `json:"preferred_location_external_id"`
	PreferredLocationExternalCode Str `json:"preferred_location_external_code"`

	Tags                 List[Str]                  `json:"tags"`
	Statuses             List[Str]                  `json:"statuses"`
	Identities           List[IdentityInput]        `json:"identities"`
	CustomAttributes     List[CustomAttributeInput] `json:"custom_attributes"`
	DatesAttributes      List[DateInput]            `json:"dates_attributes"`
	Addresses            List[AddressInput]         `json:"addresses"`
	CommsAttributes      Map                        `json:"comms_attributes"`
	AppearanceAttributes Map                        `json:"appearance_attributes"`

	// The seed request's region and organisation keys (spec §6.1).
	RegionID      Int                     `json:"region_id"`
	Region        Str                     `json:"region"`
	RegionCountry Str                     `json:"region_country"`
	RegionState   Str                     `json:"region_state"`
	Regions       List[RegionLinkInput]   `json:"regions"`
	Organisations List[OrganisationInput] `json:"organisations"`
	Attributes    AttributesInput         `json:"attributes"`
}

// UnmarshalJSON implements json.Unmarshaler; a non-object sets Bad.
func (p *ProfileInput) UnmarshalJSON(b []byte) error {
	p.decodeValue(b)
	return nil
}

// decodeValue implements valueDecoder.
func (p *ProfileInput) decodeValue(b []byte) int {
	type plain ProfileInput
	return objectValue(b, (*plain)(p), &p.Obj.Bad)
}

// DecodeProfileInput decodes one item. It fails only when b is not valid
// JSON; a value of the wrong shape is reported by Validate. It is
// json.Unmarshal with the validity check of validJSON, three times as
// fast as encoding/json's: a worker decodes every stored item it applies.
func DecodeProfileInput(b []byte) (*ProfileInput, error) {
	if !validJSON(b) {
		return nil, Errorf(EMALFORMED, "Malformed JSON body.")
	}
	var in ProfileInput
	_ = in.UnmarshalJSON(bytes.TrimSpace(b)) // never fails on valid JSON
	return &in, nil
}

// IdentityInput is an element of identities[].
type IdentityInput struct {
	Obj
	// ID, when not 0, names the profile's identity this input changes
	// (PUT /profiles/{id}/identities/…): handle and identifier become
	// optional and, when sent, rename it. Never read from JSON.
	ID         int64 `json:"-"`
	Handle     Str   `json:"handle"`
	Identifier Str   `json:"identifier"`
	IsActive   Bool  `json:"is_active"`
	IsPrimary  Bool  `json:"is_primary"`
}

// UnmarshalJSON implements json.Unmarshaler; a non-object sets Bad.
func (x *IdentityInput) UnmarshalJSON(b []byte) error {
	x.decodeValue(b)
	return nil
}

// decodeValue implements valueDecoder.
func (x *IdentityInput) decodeValue(b []byte) int {
	type plain IdentityInput
	return objectValue(b, (*plain)(x), &x.Obj.Bad)
}

// CustomAttributeInput is an element of custom_attributes[].
type CustomAttributeInput struct {
	Obj
	Namespace Str `json:"namespace"`
	Handle    Str `json:"handle"`
	Type      Str `json:"type"`
	Value     Raw `json:"value"`
}

// UnmarshalJSON implements json.Unmarshaler; a non-object sets Bad.
func (x *CustomAttributeInput) UnmarshalJSON(b []byte) error {
	x.decodeValue(b)
	return nil
}

// decodeValue implements valueDecoder.
func (x *CustomAttributeInput) decodeValue(b []byte) int {
	type plain CustomAttributeInput
	return objectValue(b, (*plain)(x), &x.Obj.Bad)
}

// DateInput is an element of dates_attributes[] (spec §4.4).
type DateInput struct {
	Obj
	Date              Str             `json:"date"`
	Name              Str             `json:"name"`
	Handle            Str             `json:"handle"`
	Type              Str             `json:"type"`
	Relationship      Str             `json:"relationship"`
	Role              Str             `json:"role"`
	IsRecurring       Bool            `json:"is_recurring"`
	RecurringSchedule Str             `json:"recurring_schedule"`
	Description       Str             `json:"description"`
	Note              Str             `json:"note"`
	Meta              Raw             `json:"meta"`
	Links             List[LinkInput] `json:"links"`
}

// UnmarshalJSON implements json.Unmarshaler; a non-object sets Bad.
func (x *DateInput) UnmarshalJSON(b []byte) error {
	x.decodeValue(b)
	return nil
}

// decodeValue implements valueDecoder.
func (x *DateInput) decodeValue(b []byte) int {
	type plain DateInput
	return objectValue(b, (*plain)(x), &x.Obj.Bad)
}

// LinkInput is an element of dates_attributes[].links[].
type LinkInput struct {
	Obj
	ProfileID    Str `json:"profile_id"`
	Relationship Str `json:"relationship"`
	Role         Str `json:"role"`
}

// UnmarshalJSON implements json.Unmarshaler; a non-object sets Bad.
func (x *LinkInput) UnmarshalJSON(b []byte) error {
	x.decodeValue(b)
	return nil
}

// decodeValue implements valueDecoder.
func (x *LinkInput) decodeValue(b []byte) int {
	type plain LinkInput
	return objectValue(b, (*plain)(x), &x.Obj.Bad)
}

// AddressInput is an element of addresses[] (spec §4.7).
type AddressInput struct {
	Obj
	// ID, when not 0, names the profile's address this input changes (PUT
	// /profiles/{id}/addresses/{addressId}): the fields required of a new
	// address become optional. Never read from JSON.
	ID           int64 `json:"-"`
	AddressLine1 Str   `json:"address_line_1"`
	AddressLine2 Str   `json:"address_line_2"`
	AddressLine3 Str   `json:"address_line_3"`
	Company      Str   `json:"company"`
	City         Str   `json:"city"`
	State        Str   `json:"state"`
	Postcode     Str   `json:"postcode"`
	Country      Str   `json:"country"`
	Notes        Str   `json:"notes"`
	ISO          Str   `json:"iso"`
	ISOState     Str   `json:"iso_state"`
	ExternalID   Str   `json:"external_id"`
	IsDefault    Bool  `json:"is_default"`
	Meta         Raw   `json:"meta"`
}

// UnmarshalJSON implements json.Unmarshaler; a non-object sets Bad.
func (x *AddressInput) UnmarshalJSON(b []byte) error {
	x.decodeValue(b)
	return nil
}

// decodeValue implements valueDecoder.
func (x *AddressInput) decodeValue(b []byte) int {
	type plain AddressInput
	return objectValue(b, (*plain)(x), &x.Obj.Bad)
}

// RegionLinkInput is an element of the seed's regions[].
type RegionLinkInput struct {
	Obj
	RegionID Int  `json:"region_id"`
	Handle   Str  `json:"handle"`
	IsActive Bool `json:"is_active"`
	Country  Str  `json:"country"`
	State    Str  `json:"state"`
}

// UnmarshalJSON implements json.Unmarshaler; a non-object sets Bad.
func (x *RegionLinkInput) UnmarshalJSON(b []byte) error {
	x.decodeValue(b)
	return nil
}

// decodeValue implements valueDecoder.
func (x *RegionLinkInput) decodeValue(b []byte) int {
	type plain RegionLinkInput
	return objectValue(b, (*plain)(x), &x.Obj.Bad)
}

// OrganisationInput is an element of the seed's organisations[].
type OrganisationInput struct {
	Obj
	ID               Int  `json:"id"`
	RoleDefinitionID Int  `json:"role_definition_id"`
	ExpiresAt        Str  `json:"expires_at"`
	IsActive         Bool `json:"is_active"`
}

// UnmarshalJSON implements json.Unmarshaler; a non-object sets Bad.
func (x *OrganisationInput) UnmarshalJSON(b []byte) error {
	x.decodeValue(b)
	return nil
}

// decodeValue implements valueDecoder.
func (x *OrganisationInput) decodeValue(b []byte) int {
	type plain OrganisationInput
	return objectValue(b, (*plain)(x), &x.Obj.Bad)
}

// AttributesInput is the seed's attributes{comms, appearance} key. comms uses
// the keys of comms_attributes; appearance is an object of appearance keys,
// or (as in the seed) an array, which is kept verbatim.
type AttributesInput struct {
	Obj
	Set        bool `json:"-"`
	Comms      Map  `json:"comms"`
	Appearance Raw  `json:"appearance"`
}

// UnmarshalJSON implements json.Unmarshaler; a non-object sets Bad.
func (x *AttributesInput) UnmarshalJSON(b []byte) error {
	x.decodeValue(b)
	return nil
}

// decodeValue implements valueDecoder.
func (x *AttributesInput) decodeValue(b []byte) int {
	type plain AttributesInput
	if bytes.HasPrefix(b, []byte("null")) {
		*x = AttributesInput{}
		return 4
	}
	x.Set = true
	return objectValue(b, (*plain)(x), &x.Obj.Bad)
}
