package clientele

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// nationalCases are national-looking inputs for every region: each
// example number's national form with and without the national prefix,
// digits of every length after the prefix, the region's own calling code
// and international prefix in front, and the same with spaces put in.
func nationalCases(perRegion int) map[string][]string {
	rng := rand.New(rand.NewPCG(5, 6))
	examples := map[string][]string{} // region -> example national numbers
	for _, e := range exampleE164() {
		num, err := phonenumbers.Parse(e, "")
		if err != nil {
			continue
		}
		region := phonenumbers.GetRegionCodeForNumber(num)
		examples[region] = append(examples[region], phonenumbers.GetNationalSignificantNumber(num))
	}
	out := map[string][]string{}
	for region, md := range phoneMetadata().byRegion {
		var heads []string // how numbers start
		heads = append(heads, "", md.GetNationalPrefix(), md.GetNationalPrefix()+"0")
		heads = append(heads, strconv.Itoa(int(md.GetCountryCode())))
		if p := md.GetPreferredInternationalPrefix(); p != "" {
			heads = append(heads, p)
		}
		for _, d := range "0123456789" {
			heads = append(heads, string(d))
		}
		var bodies []string
		for _, e := range examples[region] {
			bodies = append(bodies, e, e[:len(e)-1], e+"5")
		}
		var cases []string
		for range perRegion {
			head := heads[rng.IntN(len(heads))]
			var body string
			if len(bodies) > 0 && rng.IntN(2) == 0 {
				body = bodies[rng.IntN(len(bodies))]
			} else {
				b := make([]byte, 1+rng.IntN(16))
				for i := range b {
					b[i] = byte('0' + rng.IntN(10))
				}
				body = string(b)
			}
			s := head + body
			if rng.IntN(2) == 0 { // spaces between some digits
				var b strings.Builder
				for i := range len(s) {
					if i > 0 && rng.IntN(4) == 0 {
						b.WriteByte(' ')
					}
					b.WriteByte(s[i])
				}
				s = b.String()
			}
			cases = append(cases, s)
		}
		out[region] = cases
	}
	return out
}

// TestNationalE164IsLibrary compares nationalE164, where it decides, with
// phonenumbers.Parse, IsValidNumber and Format on national inputs in every
// region, and checks that it decides the common case: national mobiles.
func TestNationalE164IsLibrary(t *testing.T) {
	perRegion := 1500
	if testing.Short() || raceEnabled() {
		perRegion = 60
	}
	decided, valid, failures, total := 0, 0, 0, 0
	regions := slices.Sorted(func(yield func(string) bool) {
		for r := range phoneMetadata().byRegion {
			if !yield(r) {
				return
			}
		}
	})
	cases := nationalCases(perRegion)
	for _, region := range regions {
		for _, s := range cases[region] {
			total++
			got, gotOK, ok := nationalE164(s, region)
			if !ok {
				continue
			}
			decided++
			var want string
			num, err := phonenumbers.Parse(s, region)
			wantOK := err == nil && phonenumbers.IsValidNumber(num)
			if wantOK {
				want = phonenumbers.Format(num, phonenumbers.E164)
				valid++
			}
			if got != want || gotOK != wantOK {
				if failures++; failures <= 20 {
					t.Errorf("%s in %s: %q %v, the library %q %v", s, region, got, gotOK, want, wantOK)
				}
			}
		}
	}
	t.Logf("%d inputs, %d decided without the parser, %d of those valid", total, decided, valid)
	if decided < total/3 || valid < decided/20 {
		t.Errorf("%d of %d decided, %d valid: too few to compare", decided, total, valid)
	}
	for _, c := range []struct{ s, region, want string }{
		{"0412 345 678", "AU", "+61412345678"},
		{"0412345678", "au", "+61412345678"},
		{"020 7946 0958", "GB", "+442079460958"},
	} {
		if got, ok, decided := nationalE164(c.s, c.region); !decided || !ok || got != c.want {
			t.Errorf("%s in %s: %q %v (decided %v), want %q", c.s, c.region, got, ok, decided, c.want)
		}
	}
}

// BenchmarkNormalizePhoneNational normalises national mobile numbers in
// AU, as a third of the bench's are, against what the parser took.
func BenchmarkNormalizePhoneNational(b *testing.B) {
	numbers := make([]string, 1000)
	for i := range numbers {
		numbers[i] = "0412 " + strconv.Itoa(100+i%900) + " " + strconv.Itoa(100+(i*7)%900)
	}
	b.Run("NormalizePhone", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, ok := NormalizePhone(numbers[i%len(numbers)], "AU"); !ok {
				b.Fatal(numbers[i%len(numbers)])
			}
		}
	})
	b.Run("Parse", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			num, err := phonenumbers.Parse(numbers[i%len(numbers)], "AU")
			if err != nil || !isValidNumber(num) {
				b.Fatal(numbers[i%len(numbers)])
			}
			_ = phonenumbers.Format(num, phonenumbers.E164)
		}
	})
}
