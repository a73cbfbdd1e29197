package clientele

import (
	"reflect"
	"testing"
)

func TestParseAvailabilityRequest(t *testing.T) {
	got, err := ParseAvailabilityRequest([]byte(`{"email":"a@x.com"}`))
	if err != nil || got.Email == nil || *got.Email != "a@x.com" || got.MobilePhone != nil {
		t.Fatalf("got %+v, %v", got, err)
	}
	for body, want := range map[string]map[string][]string{
		`{}`: {"email": {"The email field is required when mobile phone is not present."},
			"mobile_phone": {"The mobile phone field is required when email is not present."}},
		`{"email":" "}`: {"email": {"The email field is required when mobile phone is not present."},
			"mobile_phone": {"The mobile phone field is required when email is not present."}},
		`{"mobile_phone":true}`: {"mobile_phone": {"The mobile phone must be a string."}},
	} {
		_, err := ParseAvailabilityRequest([]byte(body))
		if ErrorCode(err) != EINVALID || !reflect.DeepEqual(map[string][]string(ErrorFields(err)), want) {
			t.Errorf("%s: %v, want %v", body, ErrorFields(err), want)
		}
	}
}

func TestValidateSyncRequest(t *testing.T) {
	for body, want := range map[string]map[string][]string{
		`{"updated_at":"2024-01-01 10:00:00"}`:  nil,
		`{"updated_at":"2024-01-01T10:00:00Z"}`: nil,
		`{}`:                                    {"updated_at": {"The updated at field is required."}},
		`{"updated_at":"soon"}`:                 {"updated_at": {"The updated at is not a valid date."}},
	} {
		got := ErrorFields(ValidateSyncRequest([]byte(body)))
		if !reflect.DeepEqual(map[string][]string(got), want) {
			t.Errorf("%s: %v, want %v", body, got, want)
		}
	}
	if err := ValidateSyncRequest([]byte(`{`)); ErrorCode(err) != EMALFORMED {
		t.Errorf("broken JSON: %v", err)
	}
}
