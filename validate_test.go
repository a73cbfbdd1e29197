package clientele

import (
	"reflect"
	"testing"
)

// decodeInput decodes one item as the API and the worker do.
func decodeInput(t testing.TB, js string) *ProfileInput {
	t.Helper()
	in, err := DecodeProfileInput([]byte(js))
	if err != nil {
		t.Fatalf("decode %s: %v", js, err)
	}
	return in
}

func TestValidateProfileInput(t *testing.T) {
	type fe = FieldErrors
	tests := []struct {
		name string
		mode ValidateMode
		in   string
		want FieldErrors
	}{
		{"empty batch item", ModeBatchItem, `{}`, nil},
		{"empty update", ModeUpdate, `{}`, nil},
		{"create needs email", ModeCreate, `{}`, fe{"email": {"The email field is required."}}},
		{"create null email", ModeCreate, `{"email":null}`, fe{"email": {"The email field is required."}}},
		{"create blank email", ModeCreate, `{"email":"  "}`, fe{"email": {"The email field is required."}}},
		{"create ok", ModeCreate, `{"email":" Jo@Example.com "}`, nil},
		{"email null in batch", ModeBatchItem, `{"email":null}`, nil},
		{"email blank in batch is null", ModeBatchItem, `{"email":""}`, nil},
		{"email wrong type", ModeBatchItem, `{"email":5}`, fe{"email": {"The email must be a string."}}},
		{"email invalid", ModeBatchItem, `{"email":"nope"}`, fe{"email": {"The email must be a valid email address."}}},
		{"email two ats", ModeBatchItem, `{"email":"a@b@c.com"}`, fe{"email": {"The email must be a valid email address."}}},
		{"email no dot", ModeBatchItem, `{"email":"a@localhost"}`, fe{"email": {"The email must be a valid email address."}}},
		{"email inner space", ModeBatchItem, `{"email":"a b@c.com"}`, fe{"email": {"The email must be a valid email address."}}},
		{"email empty local", ModeBatchItem, `{"email":"@c.com"}`, fe{"email": {"The email must be a valid email address."}}},
		{"first name null", ModeUpdate, `{"first_name":null}`, fe{"first_name": {"The first name must be a string."}}},
		{"last name blank", ModeUpdate, `{"last_name":" "}`, fe{"last_name": {"The last name field is required."}}},
		{"first name number", ModeUpdate, `{"first_name":12}`, fe{"first_name": {"The first name must be a string."}}},
		{"title too long", ModeUpdate, `{"title":"` + repeat("x", 256) + `"}`, fe{"title": {"The title must not be greater than 255 characters."}}},
		{"title 255 runes", ModeUpdate, `{"title":"` + repeat("é", 255) + `"}`, nil},
		{"title null", ModeUpdate, `{"title":null}`, nil},
		{"company object", ModeUpdate, `{"company":{}}`, fe{"company": {"The company must be a string."}}},
		{"gender upper", ModeUpdate, `{"gender":"FEMALE"}`, nil},
		{"gender witheld", ModeUpdate, `{"gender":"witheld"}`, nil},
		{"gender invalid", ModeUpdate, `{"gender":"x"}`, fe{"gender": {"The selected gender is invalid."}}},
		{"gender null", ModeUpdate, `{"gender":null}`, nil},
		{"profile type ok", ModeUpdate, `{"profile_type":"temporary"}`, nil},
		{"profile type case", ModeUpdate, `{"profile_type":"Active"}`, fe{"profile_type": {"The selected profile type is invalid."}}},
		{"profile type null", ModeUpdate, `{"profile_type":null}`, fe{"profile_type": {"The selected profile type is invalid."}}},
		{"profile type number", ModeUpdate, `{"profile_type":1}`, fe{"profile_type": {"The profile type must be a string."}}},
		{"currency lower", ModeUpdate, `{"currency":"aud"}`, nil},
		{"currency bad", ModeUpdate, `{"currency":"AU1"}`, fe{"currency": {"The selected currency is invalid."}}},
		{"joined at formats", ModeUpdate, `{"joined_at":"2023-11-07T05:31:56Z"}`, nil},
		{"joined at space", ModeUpdate, `{"joined_at":"2023-11-07 05:31:56"}`, nil},
		{"joined at date", ModeUpdate, `{"joined_at":"2023-11-07"}`, nil},
		{"joined at bad", ModeUpdate, `{"joined_at":"07/11/2023"}`, fe{"joined_at": {"The joined at is not a valid date."}}},
		{"joined at impossible", ModeUpdate, `{"joined_at":"2023-02-30"}`, fe{"joined_at": {"The joined at is not a valid date."}}},
		{"mobile ok", ModeUpdate, `{"mobile_phone":"+61 (404) 123-123"}`, nil},
		{"mobile letters", ModeUpdate, `{"mobile_phone":"call me"}`, fe{"mobile_phone": {"The mobile phone format is invalid."}}},
		{"secondary too short", ModeUpdate, `{"secondary_phone":"+12"}`, fe{"secondary_phone": {"The secondary phone format is invalid."}}},
		{"avatar ok", ModeUpdate, `{"avatar_url":"https://cdn.example.com/a.png?x=1"}`, nil},
		{"avatar relative", ModeUpdate, `{"avatar_url":"/a.png"}`, fe{"avatar_url": {"The avatar url must be a valid URL."}}},
		{"avatar ftp", ModeUpdate, `{"avatar_url":"ftp://x.com/a"}`, fe{"avatar_url": {"The avatar url must be a valid URL."}}},
		{"avatar long", ModeUpdate, `{"avatar_url":"https://x.com/` + repeat("a", 2040) + `"}`, fe{"avatar_url": {"The avatar url must not be greater than 2048 characters."}}},
		{"birth ok", ModeUpdate, `{"birth_day":1,"birth_month":"12","birth_year":1989}`, nil},
		{"birth day range", ModeUpdate, `{"birth_day":32}`, fe{"birth_day": {"The birth day must be between 1 and 31."}}},
		{"birth day string", ModeUpdate, `{"birth_day":"x"}`, fe{"birth_day": {"The birth day must be an integer."}}},
		{"birth day float", ModeUpdate, `{"birth_day":1.5}`, fe{"birth_day": {"The birth day must be an integer."}}},
		{"birth month range", ModeUpdate, `{"birth_day":1,"birth_month":0}`, fe{"birth_month": {"The birth month must be between 1 and 12."}}},
		{"birth year digits", ModeUpdate, `{"birth_day":1,"birth_month":1,"birth_year":123}`, fe{"birth_year": {"The birth year must be 4 digits."}}},
		{"birth month needs day", ModeUpdate, `{"birth_month":5}`, fe{"birth_day": {"The birth day field is required when birth month is present."}}},
		{"birth year needs both", ModeUpdate, `{"birth_year":1990}`, fe{
			"birth_day":   {"The birth day field is required when birth year is present."},
			"birth_month": {"The birth month field is required when birth year is present."},
		}},
		{"birth year and month need day", ModeUpdate, `{"birth_month":2,"birth_year":1990}`, fe{"birth_day": {"The birth day field is required when birth month / birth year is present."}}},
		{"birth nulls need nothing", ModeUpdate, `{"birth_month":null,"birth_year":null}`, nil},
		{"location id", ModeUpdate, `{"joined_location_id":0,"preferred_location_id":"x"}`, fe{
			"joined_location_id":    {"The joined location id must be at least 1."},
			"preferred_location_id": {"The preferred location id must be an integer."},
		}},
		{"location external", ModeUpdate, `{"joined_location_external_id":5}`, fe{"joined_location_external_id": {"The joined location external id must be a string."}}},
		{"region fields", ModeUpdate, `{"region_id":"a","region":1,"region_country":"AU","region_state":null}`, fe{
			"region_id": {"The region id must be an integer."},
			"region":    {"The region must be a string."},
		}},
		{"tags ok", ModeUpdate, `{"tags":["vip customer","x"],"statuses":null}`, nil},
		{"tags not array", ModeUpdate, `{"tags":"vip"}`, fe{"tags": {"The tags must be an array."}}},
		{"tags elements", ModeUpdate, `{"tags":["ok",1,null,""]}`, fe{
			"tags.1": {"The tags.1 must be a string."},
			"tags.2": {"The tags.2 must be a string."},
			"tags.3": {"The tags.3 field is required."},
		}},
		{"statuses object", ModeUpdate, `{"statuses":{}}`, fe{"statuses": {"The statuses must be an array."}}},
		{"identities ok", ModeUpdate, `{"identities":[{"handle":"shopify","identifier":"1","is_active":true,"is_primary":null}]}`, nil},
		{"identities not array", ModeUpdate, `{"identities":{"handle":"x"}}`, fe{"identities": {"The identities must be an array."}}},
		{"identity not object", ModeUpdate, `{"identities":["x"]}`, fe{"identities.0": {"The identities.0 must be an object."}}},
		{"identity fields", ModeUpdate, `{"identities":[{"handle":"a","identifier":"1"},{"identifier":5,"is_active":"yes"}]}`, fe{
			"identities.1.handle":     {"The identities.1.handle field is required."},
			"identities.1.identifier": {"The identities.1.identifier must be a string."},
			"identities.1.is_active":  {"The identities.1.is active field must be true or false."},
		}},
		{"identity blank identifier", ModeUpdate, `{"identities":[{"handle":"a","identifier":"  "}]}`, fe{"identities.0.identifier": {"The identities.0.identifier field is required."}}},
		{"custom ok", ModeUpdate, `{"custom_attributes":[
			{"namespace":"locale","handle":"language","value":"EN"},
			{"namespace":"a","handle":"b","type":"integer","value":"12"},
			{"namespace":"a","handle":"c","type":"float","value":1.5},
			{"namespace":"a","handle":"d","type":"boolean","value":"true"},
			{"namespace":"a","handle":"e","type":"json","value":{"x":1}},
			{"namespace":"a","handle":"f","type":"array","value":[1]},
			{"namespace":"a","handle":"g","type":"string","value":12},
			{"namespace":"a","handle":"h","type":"integer","value":null},
			{"namespace":"a.b-c","handle":"h_1"}]}`, nil},
		{"custom errors", ModeUpdate, `{"custom_attributes":[
			{"namespace":"has space","handle":"","value":"x"},
			{"namespace":"a","handle":"b","type":"integer","value":"1.5"},
			{"namespace":"a","handle":"b","type":"float","value":"x"},
			{"namespace":"a","handle":"b","type":"boolean","value":2},
			{"namespace":"a","handle":"b","type":"json","value":[1]},
			{"namespace":"a","handle":"b","type":"array","value":{}},
			{"namespace":"a","handle":"b","type":"string","value":{}},
			{"namespace":"a","handle":"b","type":"date","value":"x"},
			{"namespace":"a","handle":"b","type":3,"value":"x"},
			7]}`, fe{
			"custom_attributes.0.namespace": {"The custom attributes.0.namespace format is invalid."},
			"custom_attributes.0.handle":    {"The custom attributes.0.handle field is required."},
			"custom_attributes.1.value":     {"The custom attributes.1.value must be an integer."},
			"custom_attributes.2.value":     {"The custom attributes.2.value must be a number."},
			"custom_attributes.3.value":     {"The custom attributes.3.value field must be true or false."},
			"custom_attributes.4.value":     {"The custom attributes.4.value must be an object."},
			"custom_attributes.5.value":     {"The custom attributes.5.value must be an array."},
			"custom_attributes.6.value":     {"The custom attributes.6.value must be a string."},
			"custom_attributes.7.type":      {"The selected custom attributes.7.type is invalid."},
			"custom_attributes.8.type":      {"The custom attributes.8.type must be a string."},
			"custom_attributes.9":           {"The custom attributes.9 must be an object."},
		}},
		{"dates ok", ModeUpdate, `{"dates_attributes":[{"date":"2023-12-25","name":"Xmas","handle":"xmas","is_recurring":true,"recurring_schedule":"Yearly","meta":["x"],"links":[{"profile_id":"p","relationship":"r","role":null}]},{"date":"2023-12-25T10:00:00Z"}]}`, nil},
		{"dates errors", ModeUpdate, `{"dates_attributes":[{"name":"x"},{"date":"25/12/2023"},{"date":"2023-12-25","is_recurring":1,"handle":2,"links":[3]},{"date":"2023-12-25","links":{}}]}`, fe{
			"dates_attributes.0.date":         {"The dates attributes.0.date field is required."},
			"dates_attributes.1.date":         {"The dates attributes.1.date is not a valid date."},
			"dates_attributes.2.is_recurring": {"The dates attributes.2.is recurring field must be true or false."},
			"dates_attributes.2.handle":       {"The dates attributes.2.handle must be a string."},
			"dates_attributes.2.links.0":      {"The dates attributes.2.links.0 must be an object."},
			"dates_attributes.3.links":        {"The dates attributes.3.links must be an array."},
		}},
		{"addresses ok", ModeUpdate, `{"addresses":[{"address_line_1":"1 St","city":"Melbourne","postcode":"3000","country":"AU","state":null,"is_default":true,"meta":["x"],"external_id":"e1"}]}`, nil},
		{"addresses errors", ModeUpdate, `{"addresses":[{"address_line_1":"1 St"},{"address_line_1":"1","city":"c","postcode":3000,"country":"AU","is_default":"yes","iso":1}]}`, fe{
			"addresses.0.city":       {"The addresses.0.city field is required."},
			"addresses.0.postcode":   {"The addresses.0.postcode field is required."},
			"addresses.0.country":    {"The addresses.0.country field is required."},
			"addresses.1.postcode":   {"The addresses.1.postcode must be a string."},
			"addresses.1.is_default": {"The addresses.1.is default field must be true or false."},
			"addresses.1.iso":        {"The addresses.1.iso must be a string."},
		}},
		{"comms ok", ModeUpdate, `{"comms_attributes":{"sms_promo":true,"email_optout":null,"email_verification":"verified","terms_accepted_at":"2023-11-07","terms_accepted_version":"v2","unknown":{},"profile_id":"x"}}`, nil},
		{"comms errors", ModeUpdate, `{"comms_attributes":{"email_promo":"yes","sms_verification":"done","phone_verification":null,"email_consent_updated_at":"soon","terms_accepted_version":true}}`, fe{
			"comms_attributes.email_promo":              {"The comms attributes.email promo field must be true or false."},
			"comms_attributes.sms_verification":         {"The selected comms attributes.sms verification is invalid."},
			"comms_attributes.phone_verification":       {"The selected comms attributes.phone verification is invalid."},
			"comms_attributes.email_consent_updated_at": {"The comms attributes.email consent updated at is not a valid date."},
			"comms_attributes.terms_accepted_version":   {"The comms attributes.terms accepted version must be a string."},
		}},
		{"comms not object", ModeUpdate, `{"comms_attributes":[]}`, fe{"comms_attributes": {"The comms attributes must be an object."}}},
		{"appearance", ModeUpdate, `{"appearance_attributes":{"hair_colour":"red","size_shoe":9.5,"eye_colour":null,"skin_type":true,"nope":true}}`, fe{"appearance_attributes.skin_type": {"The appearance attributes.skin type must be a string."}}},
		{"appearance not object", ModeUpdate, `{"appearance_attributes":"x"}`, fe{"appearance_attributes": {"The appearance attributes must be an object."}}},
		{"attributes seed shape", ModeBatchItem, `{"attributes":{"comms":{"email_consent_updated_at":"2023-11-07T05:31:56Z"},"appearance":["<string>"]}}`, nil},
		{"attributes errors", ModeBatchItem, `{"attributes":{"comms":{"sms_promo":"x"},"appearance":{"size_top":[]}}}`, fe{
			"attributes.comms.sms_promo":     {"The attributes.comms.sms promo field must be true or false."},
			"attributes.appearance.size_top": {"The attributes.appearance.size top must be a string."},
		}},
		{"attributes appearance scalar", ModeBatchItem, `{"attributes":{"appearance":"x","comms":1}}`, fe{
			"attributes.appearance": {"The attributes.appearance must be an object or an array."},
			"attributes.comms":      {"The attributes.comms must be an object."},
		}},
		{"attributes not object", ModeBatchItem, `{"attributes":[1]}`, fe{"attributes": {"The attributes must be an object."}}},
		{"attributes null", ModeBatchItem, `{"attributes":null}`, nil},
		{"regions", ModeBatchItem, `{"regions":[{"region_id":1,"handle":"au","is_active":true,"country":"AU","state":"VIC"},{"handle":"x"},{"region_id":0,"is_active":"no"}]}`, fe{
			"regions.1.region_id": {"The regions.1.region id field is required."},
			"regions.2.region_id": {"The regions.2.region id must be at least 1."},
			"regions.2.is_active": {"The regions.2.is active field must be true or false."},
		}},
		{"organisations", ModeBatchItem, `{"organisations":[{"id":1,"role_definition_id":2,"expires_at":"2023-11-07T05:31:56Z","is_active":true},{"expires_at":"x","role_definition_id":"y"}]}`, fe{
			"organisations.1.id":                 {"The organisations.1.id field is required."},
			"organisations.1.role_definition_id": {"The organisations.1.role definition id must be an integer."},
			"organisations.1.expires_at":         {"The organisations.1.expires at is not a valid date."},
		}},
		{"unknown keys ignored", ModeBatchItem, `{"foo":1,"id":"x","full_name":2}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ValidateProfileInput(decodeInput(t, tt.in), tt.mode)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %v\nwant %v", got, tt.want)
			}
		})
	}
}

// TestValidateSeedItem checks that the reference request's item shape
// (spec seed-batch-profiles.txt, with its placeholders made real) passes.
func TestValidateSeedItem(t *testing.T) {
	if errs := ValidateProfileInput(decodeInput(t, seedItem), ModeBatchItem); errs != nil {
		t.Fatalf("seed item: %v", errs)
	}
}

func repeat(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for i := 0; i < n; i++ {
		b = append(b, s...)
	}
	return string(b)
}

// seedItem is the reference request's item with realistic values.
const seedItem = `{
"first_name": "Jane", "last_name": "Smith", "email": "jsmith@example.com", "title": "Ms",
"gender": "female", "currency": "AUD", "profile_type": "temporary",
"joined_at": "2023-11-07T05:31:56Z", "mobile_phone": "0404 123 123", "secondary_phone": "+61 3 9123 4567",
"birth_day": 12, "birth_month": 3, "birth_year": 1988, "company": "Acme", "occupation": "Engineer",
"avatar_url": "https://cdn.example.com/a/jsmith.png",
"joined_location_id": 12, "joined_location_external_id": "STORE-12", "joined_location_external_code": "S12",
"preferred_location_id": 14, "preferred_location_external_id": "STORE-14", "preferred_location_external_code": "S14",
"tags": ["vip customer", "newsletter"],
"identities": [{"handle": "shopify", "identifier": "7731904", "is_active": true}],
"custom_attributes": [{"namespace": "locale", "handle": "language", "type": "string", "value": "EN"}],
"dates_attributes": [{"date": "2023-12-25", "name": "Anniversary", "handle": "anniversary", "is_recurring": true,
  "recurring_schedule": "Yearly", "meta": ["gift"], "note": "n", "description": "d", "relationship": "partner", "role": "spouse",
  "links": [{"profile_id": "92975ecb-5264-4d31-9f2b-789fa01f4555", "relationship": "partner", "role": "spouse"}]}],
"statuses": ["gold"],
"addresses": [{"address_line_1": "1 Collins St", "city": "Melbourne", "postcode": "3000", "country": "AU",
  "address_line_2": "Level 2", "address_line_3": null, "company": "Acme", "state": "VIC", "notes": "front desk",
  "is_default": true, "external_id": "addr-1", "meta": ["x"], "iso": "AU", "iso_state": "VIC"}],
"comms_attributes": {"sms_promo": true, "email_promo": true, "email_bounced": false, "email_benefits": true,
  "email_consent_updated_at": "2023-11-07T05:31:56Z", "sms_consent_updated_at": "2023-11-07T05:31:56Z"},
"region_id": 3, "region": "APAC", "region_country": "AU", "region_state": "VIC",
"regions": [{"region_id": 3, "handle": "apac", "is_active": true, "country": "AU", "state": "VIC"}],
"organisations": [{"id": 9, "role_definition_id": 2, "expires_at": "2024-11-07T05:31:56Z", "is_active": true}],
"attributes": {"comms": {"email_consent_updated_at": "2023-11-07T05:31:56Z", "sms_consent_updated_at": "2023-11-07T05:31:56Z"},
  "appearance": ["<string>"]}
}`
