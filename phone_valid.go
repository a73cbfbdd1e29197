package clientele

import (
	"regexp"
	"slices"
	"sync/atomic"

	"github.com/nyaruka/phonenumbers"
)

// validNumber answers phonenumbers.IsValidNumber for the number of calling
// code cc and national significant number nsn (GetNationalSignificantNumber),
// from the library's own metadata, fifteen times faster: the library
// (v1.8.1) tries a number against up to eleven patterns in a fixed order,
// most kinds of number first and mobiles last, runs each pattern twice
// (isNumberPossibleForDesc, then isNumberMatchingDesc), and for a calling
// code shared by several regions (AU's 61 with CC and CX, NANPA's 1) does it
// all once to find the region and again to validate in it.
//
// What it computes is the same, by the library's definitions:
//   - IsValidNumber is IsValidNumberForRegion in GetRegionCodeForNumber's
//     region, which for a code of one region is that region ("001": the
//     non-geographic entity's metadata), and otherwise the first of the
//     code's regions whose leading digits prefix nsn or, for a region
//     without leading digits, in which nsn is valid; none: not valid.
//   - Valid in a region is getNumberTypeHelper != UNKNOWN: nsn matches the
//     general description and that of some type. The order of the types
//     decides which type is returned but not whether one is, so mobile and
//     fixed line go first here, and each pattern runs once. The one
//     exception kept: where the metadata says mobile and fixed line share a
//     pattern, getNumberTypeHelper never tries the mobile description.
//   - A description matches when nsn has one of its possible lengths (any,
//     if it lists none) and its pattern, anchored as "^(?:…)$", matches.
//
// It departs from the library only where the library would fail on a nil
// pointer (a listed region without metadata, a nil description), which
// v1.8.1's metadata does not have (TestPhoneMetadataComplete).
// phone_valid_test.go holds it to phonenumbers.IsValidNumber on every
// calling code's numbers of every length.
func validNumber(cc int32, nsn string) bool {
	rules := phoneRulesFor(cc)
	if rules == nil {
		return false
	}
	if len(rules.regions) == 1 {
		r := rules.regions[0]
		return r.ownCode && r.matches(nsn)
	}
	for _, r := range rules.regions {
		if r.missing {
			continue // the library would fail on it; v1.8.1 has none (TestPhoneMetadataComplete)
		}
		if r.leadingDigits != nil {
			if r.leadingDigits.MatchString(nsn) {
				return r.ownCode && r.matches(nsn)
			}
		} else if r.matches(nsn) {
			// The region is chosen by its patterns; valid only if its
			// metadata is of this calling code (IsValidNumberForRegion).
			return r.ownCode
		}
	}
	return false
}

// isValidNumber is phonenumbers.IsValidNumber, by validNumber.
func isValidNumber(num *phonenumbers.PhoneNumber) bool {
	return validNumber(num.GetCountryCode(), phonenumbers.GetNationalSignificantNumber(num))
}

// phoneDesc is a PhoneNumberDesc, compiled.
type phoneDesc struct {
	lengths []int32 // possible lengths; none: any
	pattern *regexp.Regexp
}

func newPhoneDesc(d *phonenumbers.PhoneNumberDesc) phoneDesc {
	return phoneDesc{lengths: d.GetPossibleLength(),
		pattern: regexp.MustCompile("^(?:" + d.GetNationalNumberPattern() + ")$")}
}

func (d *phoneDesc) matches(nsn string) bool {
	if len(d.lengths) > 0 && !slices.Contains(d.lengths, int32(len(nsn))) {
		return false
	}
	return d.pattern.MatchString(nsn)
}

// phoneRegion is what validNumber needs of one region's metadata.
type phoneRegion struct {
	missing       bool           // no metadata: nothing matches
	ownCode       bool           // the metadata is of the calling code the region is listed under
	leadingDigits *regexp.Regexp // "^(?:…)"; nil when the metadata has none
	general       phoneDesc
	types         []phoneDesc // mobile and fixed line first
}

// matches reports whether nsn matches the region's general description
// and that of some type: getNumberTypeHelper != UNKNOWN.
func (r *phoneRegion) matches(nsn string) bool {
	if r.missing || !r.general.matches(nsn) {
		return false
	}
	for i := range r.types {
		if r.types[i].matches(nsn) {
			return true
		}
	}
	return false
}

// phoneCode is a calling code's regions, in the library's order.
type phoneCode struct{ regions []*phoneRegion }

// phoneRules holds each calling code's rules once some number has needed
// them: compiling all 254 regions' patterns up front took 63 ms, at the
// first number. Two goroutines may build a code's rules
// at once; both build the same, and either is kept.
var phoneRules [1000]atomic.Pointer[phoneCode]

// noPhoneCode marks a calling code the library does not know.
var noPhoneCode = &phoneCode{}

func phoneRulesFor(cc int32) *phoneCode {
	if cc < 1 || int(cc) >= len(phoneRules) {
		return nil // extractCountryCode finds codes of at most three digits
	}
	rules := phoneRules[cc].Load()
	if rules == nil {
		rules = buildPhoneCode(int(cc))
		phoneRules[cc].Store(rules)
	}
	if rules == noPhoneCode {
		return nil
	}
	return rules
}

func buildPhoneCode(cc int) *phoneCode {
	regionCodes := phonenumbers.GetRegionCodesForCountryCode(cc)
	if len(regionCodes) == 0 {
		return noPhoneCode
	}
	meta := phoneMetadata()
	rules := &phoneCode{}
	for _, rc := range regionCodes {
		rules.regions = append(rules.regions, newPhoneRegion(meta.of(rc, cc), cc))
	}
	return rules
}

func newPhoneRegion(m *phonenumbers.PhoneMetadata, cc int) *phoneRegion {
	if m == nil || m.GetGeneralDesc() == nil {
		return &phoneRegion{missing: true}
	}
	r := &phoneRegion{ownCode: int(m.GetCountryCode()) == cc, general: newPhoneDesc(m.GetGeneralDesc())}
	if ld := m.GetLeadingDigits(); ld != "" {
		r.leadingDigits = regexp.MustCompile("^(?:" + ld + ")")
	}
	var descs []*phonenumbers.PhoneNumberDesc
	if !m.GetSameMobileAndFixedLinePattern() {
		descs = append(descs, m.GetMobile())
	}
	descs = append(descs, m.GetFixedLine(), m.GetPremiumRate(), m.GetTollFree(), m.GetSharedCost(), m.GetVoip(),
		m.GetPersonalNumber(), m.GetPager(), m.GetUan(), m.GetVoicemail())
	for _, d := range descs {
		if d != nil { // the library would fail on a nil one; v1.8.1 has none
			r.types = append(r.types, newPhoneDesc(d))
		}
	}
	return r
}
