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

// The E.164 forms NormalizePhone returns parse back to themselves, valid,
// under any region: what lets knownE164 answer for them without parsing.
// Checked with the set emptied, so each answer comes from the parser.
func TestNormalizePhoneRoundTrip(t *testing.T) {
	for _, c := range []struct{ in, region string }{
		{"0412 345 678", "AU"}, {"(02) 9374 4000", "AU"}, {"+61 412 345 678", ""},
		{"06 1234 5678", "IT"}, {"+39 06 1234 5678", ""}, {"(650) 253-0000", "US"},
		{"020 7031 3000", "GB"}, {"030 123456", "DE"}, {"021 123 4567", "NZ"},
		{"+1 242 365 1234", ""}, {"+800 1234 5678", ""},
	} {
		knownE164 = newNumberSet(1 << 16)
		e164, ok := NormalizePhone(c.in, c.region)
		if !ok {
			t.Errorf("%s (%s) is not valid", c.in, c.region)
			continue
		}
		for _, region := range []string{"", "AU", "US", "IT"} {
			knownE164 = newNumberSet(1 << 16)
			if again, ok := NormalizePhone(e164, region); !ok || again != e164 {
				t.Errorf("%s from %s (%s) parses under %q as %s, %v", e164, c.in, c.region, region, again, ok)
			}
		}
	}
	// And the set answers as the parser does, bounded.
	knownE164 = newNumberSet(2)
	for _, n := range []string{"+61412345678", "+61412345679", "+61412345670"} {
		if _, ok := NormalizePhone(n, ""); !ok {
			t.Fatalf("%s invalid", n)
		}
	}
	if k, _ := e164Key("+61412345670"); knownE164.cur.n+knownE164.old.n > 4 || !knownE164.has(k) {
		t.Errorf("set not bounded or lost the newest: %v %v", knownE164.cur, knownE164.old)
	}
	if _, ok := NormalizePhone("+6141234567", ""); ok {
		t.Error("a short number is valid")
	}
	knownE164 = newNumberSet(1 << 16)
}

// e164Key packs exactly the strings of "+" and 1 to 15 digits, one to one.
func TestE164Key(t *testing.T) {
	seen := map[uint64]string{}
	for _, s := range []string{"+1", "+01", "+001", "+10", "+61412345678", "+061412345678",
		"+614123456780", "+999999999999999", "+000000000000000", "+100000000000000"} {
		k, ok := e164Key(s)
		if !ok {
			t.Errorf("%q: not packed", s)
			continue
		}
		if other, dup := seen[k]; dup {
			t.Errorf("%q and %q pack to the same key %#x", s, other, k)
		}
		seen[k] = s
	}
	for _, s := range []string{"", "+", "61412345678", "+6141234567a", "+61 412 345 678",
		"+1000000000000000", "++1", "+-1"} {
		if _, ok := e164Key(s); ok {
			t.Errorf("%q: packed", s)
		}
	}
}

// numberSet remembers what was added, within its bound, and nothing else.
func TestNumberSet(t *testing.T) {
	set := newNumberSet(1000)
	for k := uint64(1); k <= 3000; k++ {
		set.add(k * 7919)
	}
	// 2001–3000 are the current generation, 1001–2000 the older (not
	// asked: finding one would move it), 1–1000 dropped.
	for k := uint64(1); k <= 3000; k++ {
		if k > 1000 && k <= 2000 {
			continue
		}
		if got, want := set.has(k*7919), k > 2000; got != want {
			t.Fatalf("has(%d) = %v after 3000 adds to a set of 2×1000", k*7919, got)
		}
	}
	for k := uint64(1); k <= 3000; k++ {
		if set.has(k*7919 + 1) {
			t.Fatalf("has(%d): never added", k*7919+1)
		}
	}
	// Adding a number the full current generation holds keeps both.
	set.add(3000 * 7919)
	if !set.has(2001*7919) || !set.has(1999*7919) {
		t.Error("adding a number held turned the generations over")
	}
	if set.cur.n > 1000 || set.old.n > 1000 || len(set.cur.slots) != 2048 {
		t.Errorf("generations of %d and %d in %d slots, want at most 1000 in 2048", set.cur.n, set.old.n, len(set.cur.slots))
	}
}
