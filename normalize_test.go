package clientele

import (
	"reflect"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	for in, want := range map[string]string{
		"Jo@Example.COM":     "jo@example.com",
		"  jo@example.com\t": "jo@example.com",
		"":                   "",
	} {
		if got := NormalizeEmail(in); got != want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNormalizeInputPhones(t *testing.T) {
	tests := []struct {
		name, in, region       string
		wantMobile, wantSecond string
		wantErrs               FieldErrors
	}{
		{"e164 passthrough", `{"mobile_phone":"+61404123123"}`, "", "+61404123123", "", nil},
		{"e164 with spaces", `{"mobile_phone":" +61 404 123 123 "}`, "AU", "+61404123123", "", nil},
		{"national with region", `{"mobile_phone":"0404 123 123"}`, "AU", "+61404123123", "", nil},
		{"national region lower-case", `{"mobile_phone":"(03) 9123 4567"}`, "au", "+61391234567", "", nil},
		{"international with other region", `{"mobile_phone":"+1 650 253 0000"}`, "AU", "+16502530000", "", nil},
		{"national without region", `{"mobile_phone":"0404 123 123"}`, "", "0404 123 123", "",
			FieldErrors{"mobile_phone": {"The mobile phone format is invalid."}}},
		{"invalid number", `{"mobile_phone":"+61 123","secondary_phone":"123-456"}`, "AU", "+61 123", "123-456",
			FieldErrors{"mobile_phone": {"The mobile phone format is invalid."}, "secondary_phone": {"The secondary phone format is invalid."}}},
		{"secondary national", `{"secondary_phone":"0404123123"}`, "AU", "", "+61404123123", nil},
		{"null and blank untouched", `{"mobile_phone":null,"secondary_phone":""}`, "", "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := decodeInput(t, tt.in)
			errs := NormalizeInput(in, tt.region)
			if !reflect.DeepEqual(errs, tt.wantErrs) {
				t.Errorf("errors %v, want %v", errs, tt.wantErrs)
			}
			if in.MobilePhone.V != tt.wantMobile || in.SecondaryPhone.V != tt.wantSecond {
				t.Errorf("phones %q %q, want %q %q", in.MobilePhone.V, in.SecondaryPhone.V, tt.wantMobile, tt.wantSecond)
			}
		})
	}
}

func TestNormalizeInputKeys(t *testing.T) {
	in := decodeInput(t, `{"email":"  Jo@Example.COM ","identities":[{"handle":" shopify ","identifier":" AbC-1 "},"x"]}`)
	if errs := NormalizeInput(in, ""); errs != nil {
		t.Fatal(errs)
	}
	if in.Email.V != "jo@example.com" {
		t.Errorf("email %q", in.Email.V)
	}
	if x := in.Identities.V[0]; x.Handle.V != "shopify" || x.Identifier.V != "AbC-1" {
		t.Errorf("identity %q %q: want trimmed, case kept", x.Handle.V, x.Identifier.V)
	}
}

// BenchmarkNormalizeInput measures NormalizeInput on a realistic item with
// two phone numbers: the per-item cost the worker pays before Resolve.
// NormalizeInput is idempotent and an E.164 number costs as much to parse as
// a national one, so the item is decoded once.
func BenchmarkNormalizeInput(b *testing.B) {
	in, _ := DecodeProfileInput([]byte(seedItem))
	for b.Loop() {
		if errs := NormalizeInput(in, "AU"); errs != nil {
			b.Fatal(errs)
		}
	}
}
