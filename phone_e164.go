package clientele

import (
	"regexp"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// strictE164 answers NormalizePhone, without phonenumbers.Parse, for the
// form most numbers arrive in: "+" and ASCII digits only. Parse's regular
// expressions (extension, viability and more) cost more than half of a
// number's time, and for such a string all they find is the string itself.
//
// For the strings it decides (decided true), it builds the number Parse
// (parseHelper, v1.8.1) would: the calling code is the shortest prefix
// that is one (extractCountryCode), the rest is the national significant
// number, unchanged; then, as the full path, it asks IsValidNumber (validNumber). A valid
// number's E.164 form is the string itself, since the national number has
// no leading zero to lose. It leaves to the parser (decided false) every
// string where Parse would do more than split off the calling code:
//   - any other character, or a length outside Parse's bounds;
//   - no calling code, where Parse retries without the "+" under the
//     region's rules;
//   - a national number starting with '0' (Italian leading zeros, and the
//     "0" national prefixes);
//   - a national number the national prefix pattern matches, which Parse
//     may strip even after a "+" (maybeStripNationalPrefixAndCarrierCode).
//     Argentina's pattern matches every number.
//
// Decided answers do not depend on region: with a "+" Parse reads the
// calling code from the number and takes the metadata from it.
func strictE164(s string) (e164 string, valid, decided bool) {
	const maxLen = 1 + phonenumbers.MAX_LENGTH_COUNTRY_CODE + phonenumbers.MAX_LENGTH_FOR_NSN
	if len(s) < 1+1+phonenumbers.MIN_LENGTH_FOR_NSN || len(s) > maxLen || s[0] != '+' {
		return "", false, false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false, false
		}
	}
	if s[1] == '0' {
		return "", false, false // calling codes do not start with 0
	}
	codes := callingCodes()
	var cc int
	var code *callingCode
	var nsn string
	for i := 1; i <= phonenumbers.MAX_LENGTH_COUNTRY_CODE; i++ {
		cc = cc*10 + int(s[i]-'0')
		if codes[cc].known {
			code, nsn = &codes[cc], s[1+i:]
			break
		}
	}
	if code == nil || len(nsn) < phonenumbers.MIN_LENGTH_FOR_NSN || len(nsn) > phonenumbers.MAX_LENGTH_FOR_NSN ||
		nsn[0] == '0' || code.nationalPrefix != nil && code.nationalPrefix.MatchString(nsn) {
		return "", false, false
	}
	// nsn has no leading zero: it is the number's national significant
	// number as GetNationalSignificantNumber would write it.
	if !validNumber(int32(cc), nsn) {
		return "", false, true
	}
	return s, true, true
}

// callingCode is what strictE164 needs to know of a calling code.
type callingCode struct {
	known bool // a calling code the library knows, so extractCountryCode stops at it
	// nationalPrefix is the metadata's national prefix pattern for parsing,
	// anchored and compiled as maybeStripNationalPrefixAndCarrierCode does;
	// nil when there is none, or no metadata, where Parse strips nothing.
	nationalPrefix *regexp.Regexp
}

// callingCodes indexes the library's calling codes (at most three digits)
// by value. The metadata of a code is that of its main region, or the
// non-geographic entity's for codes of region "001": what parseHelper uses
// for a "+" number. Without metadata the table is empty: every number is
// parsed.
var callingCodes = sync.OnceValue(func() *[1000]callingCode {
	var t [1000]callingCode
	meta := phoneMetadata()
	if meta.byRegion == nil {
		return &t
	}
	for cc := range phonenumbers.GetSupportedCallingCodes() {
		if cc < 1 || cc >= len(t) {
			continue // not three digits or fewer: extractCountryCode never finds it
		}
		m := meta.of(phonenumbers.GetRegionCodeForCountryCode(cc), cc)
		t[cc].known = true
		if p := m.GetNationalPrefixForParsing(); p != "" {
			// MustCompile, as the library's regexFor: the embedded
			// metadata is fixed by the module version, and the tests
			// build this table.
			t[cc].nationalPrefix = regexp.MustCompile("^(?:" + p + ")")
		}
	}
	return &t
})

// phoneMetadataIndex is the library's metadata, indexed as the library
// indexes it: by region, and by calling code for the non-geographic
// entity ("001"); a later entry replaces an earlier one.
type phoneMetadataIndex struct {
	byRegion map[string]*phonenumbers.PhoneMetadata
	nonGeo   map[int]*phonenumbers.PhoneMetadata
}

// of is the metadata of region under calling code cc, as the library's
// getMetadataForRegionOrCallingCode finds it: the non-geographic entity's
// ("001") by calling code, any other by region. nil when there is none.
func (idx phoneMetadataIndex) of(region string, cc int) *phonenumbers.PhoneMetadata {
	if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
		return idx.nonGeo[cc]
	}
	return idx.byRegion[region]
}

// phoneMetadata indexes MetadataCollection. An error from it, which the
// library's own init would have panicked on, leaves the index empty (nil
// maps): strictE164 then decides nothing, and validNumber finds no number
// valid.
var phoneMetadata = sync.OnceValue(func() phoneMetadataIndex {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return phoneMetadataIndex{}
	}
	idx := phoneMetadataIndex{byRegion: map[string]*phonenumbers.PhoneMetadata{}, nonGeo: map[int]*phonenumbers.PhoneMetadata{}}
	for _, m := range coll.GetMetadata() {
		if m.GetId() == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
			idx.nonGeo[int(m.GetCountryCode())] = m
		} else {
			idx.byRegion[m.GetId()] = m
		}
	}
	return idx
})
