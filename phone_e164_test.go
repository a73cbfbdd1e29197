package clientele

import (
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// parseE164 is NormalizePhone without strictE164 and knownE164: the
// library's answer, which strictE164 must give whenever it decides.
func parseE164(s, region string) (string, bool) {
	s = strings.TrimSpace(s)
	if !strings.HasPrefix(s, "+") && region == "" {
		return "", false
	}
	num, err := phonenumbers.Parse(s, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	return phonenumbers.Format(num, phonenumbers.E164), true
}

// phoneRegions are the regions inputs are checked under, in turn: a
// decided answer must not depend on region. "001" and "ZZ" have no
// metadata; AR and RU have national prefixes Parse strips after a "+".
var phoneRegions = []string{"AU", "", "us", "GB", "IT", "AR", "RU", "001", "ZZ"}

// phoneDiffs counts what strictE164 made of the inputs checkPhones saw, so
// that a test can tell a real comparison from one where it decided nothing.
type phoneDiffs struct{ decided, valid atomic.Int64 }

// checkPhones compares strictE164 and NormalizePhone with parseE164 on
// every input, under phoneRegions in turn, on all CPUs: the library's
// regular expressions make the comparison slow.
func checkPhones(t *testing.T, inputs []string) *phoneDiffs {
	t.Helper()
	knownE164 = newNumberSet(1 << 16) // so that NormalizePhone answers itself
	t.Cleanup(func() { knownE164 = newNumberSet(1 << 16) })
	var d phoneDiffs
	var failures atomic.Int64
	fail := func(format string, args ...any) {
		if failures.Add(1) <= 20 {
			t.Errorf(format, args...)
		}
	}
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(inputs); i += workers {
				s, region := inputs[i], phoneRegions[i%len(phoneRegions)]
				want, wantOK := parseE164(s, region)
				if e164, ok, decided := strictE164(strings.TrimSpace(s)); decided {
					d.decided.Add(1)
					if ok {
						d.valid.Add(1)
					}
					if e164 != want || ok != wantOK {
						fail("strictE164(%q) = %q, %v; Parse under %q: %q, %v", s, e164, ok, region, want, wantOK)
					}
				}
				if e164, ok := NormalizePhone(s, region); e164 != want || ok != wantOK {
					fail("NormalizePhone(%q, %q) = %q, %v; Parse: %q, %v", s, region, e164, ok, want, wantOK)
				}
			}
		})
	}
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Errorf("%d answers differ, of %d inputs", n, len(inputs))
	}
	t.Logf("%d inputs: strictE164 decided %d, %d of them valid", len(inputs), d.decided.Load(), d.valid.Load())
	return &d
}

// exampleE164 returns the library's example numbers, of every region and
// type and of every non-geographic calling code, in E.164 form.
func exampleE164() []string {
	var out []string
	regions := make([]string, 0, len(phonenumbers.GetSupportedRegions()))
	for r := range phonenumbers.GetSupportedRegions() {
		regions = append(regions, r)
	}
	slices.Sort(regions)
	for _, r := range regions {
		for typ := phonenumbers.FIXED_LINE; typ < phonenumbers.UNKNOWN; typ++ {
			if num := phonenumbers.GetExampleNumberForType(r, typ); num != nil {
				out = append(out, phonenumbers.Format(num, phonenumbers.E164))
			}
		}
	}
	for _, cc := range sortedCodes(phonenumbers.GetSupportedGlobalNetworkCallingCodes()) {
		if num := phonenumbers.GetExampleNumberForNonGeoEntity(cc); num != nil {
			out = append(out, phonenumbers.Format(num, phonenumbers.E164))
		}
	}
	return out
}

func sortedCodes(set map[int]bool) []int {
	codes := make([]int, 0, len(set))
	for cc := range set {
		codes = append(codes, cc)
	}
	slices.Sort(codes)
	return codes
}

// raceEnabled reports a -race build, where the library's regular
// expressions run about 30 times slower.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// The library's example numbers, and near misses of them: valid and
// invalid numbers of every calling code's rules.
func TestStrictE164Examples(t *testing.T) {
	examples := exampleE164()
	var inputs []string
	for _, e := range examples {
		cc := callingCodeOf(t, e)
		last := e[len(e)-1]
		inputs = append(inputs, e,
			e[:len(e)-1]+string('0'+(last-'0'+1)%10), // last digit changed
			e[:len(e)-1]+string('0'+(last-'0'+5)%10),
			e+"0", e+"7", // a digit added
			e[:len(e)-1],             // a digit removed
			"+"+cc+e[1+len(cc)+1:],   // the first national digit removed
			"+"+cc+"0"+e[1+len(cc):], // "0" after the calling code
			" "+e+"\t",               // as sent, with spaces
		)
	}
	if raceEnabled() {
		// A quarter of them (nine inputs an example, so every kind):
		// -race is for the shared table and set, and slows the library's
		// regular expressions 30 times.
		var quarter []string
		for i := 0; i < len(inputs); i += 4 {
			quarter = append(quarter, inputs[i])
		}
		inputs = quarter
	}
	d := checkPhones(t, inputs)
	// Most example numbers are in the form strictE164 is for: it must
	// decide them, or the comparison proves nothing.
	if d.decided.Load() < int64(len(inputs))/2 || d.valid.Load() < int64(len(inputs))/4 {
		t.Errorf("strictE164 decided %d of %d inputs, %d valid", d.decided.Load(), len(inputs), d.valid.Load())
	}
}

// callingCodeOf returns the calling code of an E.164 number the library
// formatted.
func callingCodeOf(t *testing.T, e164 string) string {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil {
		t.Fatalf("%s: %v", e164, err)
	}
	return strconv.Itoa(int(num.GetCountryCode()))
}

// Random strict E.164 strings, most starting with a calling code and many
// with the start of an example number, so that a good share are valid.
func TestStrictE164Random(t *testing.T) {
	n := 300_000
	switch {
	case testing.Short():
		n = 20_000
	case raceEnabled():
		n = 3_000
	}
	var codes []string
	for _, cc := range sortedCodes(phonenumbers.GetSupportedCallingCodes()) {
		codes = append(codes, strconv.Itoa(cc))
	}
	examples := exampleE164()
	rng := rand.New(rand.NewPCG(1, 2))
	digits := func(b []byte, n int) []byte {
		for len(b) < n {
			b = append(b, byte('0'+rng.IntN(10)))
		}
		return b
	}
	inputs := make([]string, n)
	for i := range inputs {
		b := []byte{'+'}
		switch r := rng.IntN(10); {
		case r == 0: // any digits
			b = digits(b, 1+3+rng.IntN(16))
		case r < 5: // a calling code, then any digits
			b = digits(append(b, codes[rng.IntN(len(codes))]...), 1+3+rng.IntN(16))
		default: // the start of an example number, then any digits, a digit more or less
			e := examples[rng.IntN(len(examples))]
			b = append(b, e[1:2+rng.IntN(len(e)-1)]...)
			b = digits(b, len(e)-1+rng.IntN(3))
		}
		inputs[i] = string(b)
	}
	d := checkPhones(t, inputs)
	if d.decided.Load() < int64(n)/2 || d.valid.Load() < int64(n)/20 {
		t.Errorf("strictE164 decided %d of %d inputs, %d valid", d.decided.Load(), n, d.valid.Load())
	}
}

// Strings strictE164 must leave to the parser, or may answer only as the
// parser does: not strict E.164, or numbers Parse changes beyond splitting
// off the calling code.
func TestStrictE164Fallback(t *testing.T) {
	undecided := []string{
		"", "+", "+6", "+61", "++61412345678", "+0", "+061412345678", "+0061412345678",
		"61412345678", "0412345678", "0412 345 678", "+61 412 345 678", "+61-412-345-678",
		"+61412345678x", "+61412345678#", "+61412345678;ext=12", "+61412345678 ext 5",
		"tel:+61412345678", "+61412345678;phone-context=+61", "＋61412345678",
		"+６１４１２３４５６７８", "+٦١٤١٢٣٤٥٦٧٨", "+6141234567a",
		"+999123456789", "+2101234567", // no calling code
		"+610412345678", "+3906123456", "+390612345678", "+4402070313000", // national number starts with 0
		"+5491123456789", "+541123456789", // Argentina: the national prefix pattern matches every number
		"+78121234567", "+118005551234", // national prefixes "8" (RU) and "1" (US)
		"+61183112345678",                                                                               // AU's "183[12]"
		"+1" + strings.Repeat("2", 18), "+880" + strings.Repeat("2", 18), "+" + strings.Repeat("9", 30), // too long
	}
	for _, s := range undecided {
		if _, _, decided := strictE164(strings.TrimSpace(s)); decided {
			t.Errorf("strictE164 decided %q", s)
		}
	}
	strict := []string{
		"+61412345678", "+16502530000", "+442070313000", "+80012345678",
		"+61412345678\u00a0", // a space TrimSpace removes
		// The shortest and longest national numbers, after codes of 1 to 3 digits.
		"+123", "+6112", "+88299", "+1" + strings.Repeat("2", 17), "+880" + strings.Repeat("2", 17),
	}
	for _, s := range strict {
		if _, _, decided := strictE164(strings.TrimSpace(s)); !decided {
			t.Errorf("strictE164 left %q to the parser", s)
		}
	}
	var inputs []string
	for _, s := range append(undecided, strict...) {
		for range phoneRegions {
			inputs = append(inputs, s) // under every region
		}
	}
	checkPhones(t, inputs)
}

// BenchmarkNormalizePhoneE164 compares the library's path with strictE164
// on the example numbers strictE164 decides (all types, all regions),
// called directly so that knownE164 answers none.
func BenchmarkNormalizePhoneE164(b *testing.B) {
	var inputs []string
	for _, e := range exampleE164() {
		if _, _, decided := strictE164(e); decided {
			inputs = append(inputs, e)
		}
	}
	for _, c := range []struct {
		name string
		f    func(string) (string, bool)
	}{
		{"parse", func(s string) (string, bool) { return parseE164(s, "AU") }},
		{"strict", func(s string) (string, bool) { e164, ok, _ := strictE164(s); return e164, ok }},
	} {
		b.Run(c.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				c.f(inputs[i%len(inputs)])
				i++
			}
			b.ReportMetric(float64(len(inputs)), "inputs")
		})
	}
}
