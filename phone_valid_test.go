package clientele

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// validityCases are numbers to ask both validNumber and the library about:
// every region's example numbers, and for every calling code the library
// knows (and a few it does not) random national numbers of every length
// Parse accepts, some with Italian leading zeros, and many starting with
// an example number's first digits, so that a good share are valid.
func validityCases(perLength int) []*phonenumbers.PhoneNumber {
	var out []*phonenumbers.PhoneNumber
	var prefixes []string // example national numbers
	for _, e := range exampleE164() {
		num, err := phonenumbers.Parse(e, "")
		if err != nil {
			continue
		}
		out = append(out, num)
		prefixes = append(prefixes, phonenumbers.GetNationalSignificantNumber(num))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	codes := append(sortedCodes(phonenumbers.GetSupportedCallingCodes()), 0, 999, 1000)
	for _, cc := range codes {
		for length := phonenumbers.MIN_LENGTH_FOR_NSN; length <= phonenumbers.MAX_LENGTH_FOR_NSN; length++ {
			for range perLength {
				b := []byte{}
				if rng.IntN(2) == 0 {
					p := prefixes[rng.IntN(len(prefixes))]
					b = append(b, p[:min(len(p), 1+rng.IntN(length))]...)
				}
				for len(b) < length {
					b = append(b, byte('0'+rng.IntN(10)))
				}
				if b[0] == '0' {
					b[0] = '1' + byte(rng.IntN(9)) // the zeros are set apart below
				}
				n, _ := strconv.ParseUint(string(b[:length]), 10, 64)
				num := &phonenumbers.PhoneNumber{CountryCode: ptr(int32(cc)), NationalNumber: &n}
				if rng.IntN(8) == 0 {
					num.ItalianLeadingZero = ptr(true)
					num.NumberOfLeadingZeros = ptr(int32(1 + rng.IntN(2)))
				}
				out = append(out, num)
			}
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func TestValidNumberIsLibrary(t *testing.T) {
	perLength := 40
	if testing.Short() || raceEnabled() {
		perLength = 2
	}
	cases := validityCases(perLength)
	valid, failures := 0, 0
	for _, num := range cases {
		want := phonenumbers.IsValidNumber(num)
		if got := isValidNumber(num); got != want {
			if failures++; failures <= 20 {
				t.Errorf("+%d %s (leading zeros %d): validNumber %v, the library %v", num.GetCountryCode(),
					phonenumbers.GetNationalSignificantNumber(num), num.GetNumberOfLeadingZeros(), got, want)
			}
		}
		if want {
			valid++
		}
	}
	t.Logf("%d numbers, %d valid", len(cases), valid)
	// The comparison proves little unless both answers are common.
	if valid < len(cases)/50 || valid > len(cases)*49/50 {
		t.Errorf("%d of %d numbers valid: too few of one kind to compare", valid, len(cases))
	}
	if failures > 0 {
		t.Errorf("%d of %d answers differ", failures, len(cases))
	}
}

// Calling codes the library does not know have no rules, and their
// numbers are not valid.
func TestValidNumberUnknownCodes(t *testing.T) {
	for _, cc := range []int32{-1, 0, 999, 1000, 1 << 20} {
		if phoneRulesFor(cc) != nil || validNumber(cc, "412345678") {
			t.Errorf("calling code %d: rules %v", cc, phoneRulesFor(cc))
		}
	}
	if phoneRulesFor(61) == nil || len(phoneRulesFor(61).regions) < 2 {
		t.Errorf("calling code 61: want the rules of AU and its territories, got %+v", phoneRulesFor(61))
	}
}

// validNumber departs from the library only where the library would fail
// (a region without metadata, a nil description): the metadata has
// neither, nor a region listed under a calling code its metadata does not
// have. An upgrade of the library that brings one must fail here, so that
// someone checks what the new library does with it.
func TestPhoneMetadataComplete(t *testing.T) {
	meta := phoneMetadata()
	for _, cc := range sortedCodes(phonenumbers.GetSupportedCallingCodes()) {
		for _, rc := range phonenumbers.GetRegionCodesForCountryCode(cc) {
			m := meta.of(rc, cc)
			if m == nil {
				t.Errorf("calling code %d, region %s: no metadata", cc, rc)
				continue
			}
			if int(m.GetCountryCode()) != cc {
				t.Errorf("calling code %d, region %s: metadata of calling code %d", cc, rc, m.GetCountryCode())
			}
			descs := []*phonenumbers.PhoneNumberDesc{m.GetGeneralDesc(), m.GetMobile(), m.GetFixedLine(),
				m.GetPremiumRate(), m.GetTollFree(), m.GetSharedCost(), m.GetVoip(), m.GetPersonalNumber(),
				m.GetPager(), m.GetUan(), m.GetVoicemail()}
			for i, d := range descs {
				if d == nil {
					t.Errorf("calling code %d, region %s: description %d is nil", cc, rc, i)
				}
			}
		}
	}
}

// go test -run '^$' -bench ValidNumber .
func BenchmarkValidNumber(b *testing.B) {
	var nums []*phonenumbers.PhoneNumber
	for _, s := range []string{"+61412345678", "+61298765432", "+16502530000", "+442070313000", "+4915123456789"} {
		num, err := phonenumbers.Parse(s, "")
		if err != nil {
			b.Fatal(err)
		}
		nums = append(nums, num)
	}
	b.Run("library", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			phonenumbers.IsValidNumber(nums[i%len(nums)])
		}
	})
	b.Run("validNumber", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			isValidNumber(nums[i%len(nums)])
		}
	})
}
