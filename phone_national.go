package clientele

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// nationalE164 answers NormalizePhone, without phonenumbers.Parse, for a
// number written the national way in digits and single spaces ("0412 345
// 678", "0412345678") in a region. Parse runs a dozen regular expressions
// over such a number (the extension pattern alone was 4% of the server's
// CPU when a third of a load's numbers were national) and all they find is
// its digits; what decides the answer is the region's own rules, which
// this applies as parseHelper (v1.8.1) does:
//
//   - the digits are the number (extractPossibleNumber, the extension and
//     viability checks leave digits and spaces as they are; normalize drops
//     the spaces);
//   - a region's national prefix for parsing is stripped when it matches at
//     the start, unless the digits match the region's general pattern and
//     what is left does not (maybeStripNationalPrefixAndCarrierCode), and
//     the stripping is kept only if what is left has a possible length
//     (testNumberLength for an unknown type);
//   - the result is valid by validNumber, and its E.164 form is "+", the
//     calling code and the national significant number (leading zeros
//     kept, as setItalianLeadingZerosForPhoneNumber keeps them).
//
// It leaves to the parser (decided false) every string where Parse would
// do more: anything but digits and single spaces, fewer than three digits
// (the viability check), digits that start with the region's international
// prefix (a number dialled from abroad) or its calling code (which Parse
// may take as dialled without the "+"), and a national prefix with a
// transformation rule. TestNationalE164IsLibrary holds it to Parse and
// IsValidNumber in every region.
func nationalE164(s, region string) (e164 string, valid, decided bool) {
	var buf [32]byte
	digits := buf[:0]
	space := true // no leading space, no two in a row
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if len(digits) == len(buf) {
				return "", false, false
			}
			digits = append(digits, c)
			space = false
		case c == ' ' && !space:
			space = true
		default:
			return "", false, false
		}
	}
	if space || len(digits) < 3 {
		return "", false, false // a trailing space, or too few digits to be viable
	}
	r := nationalRulesFor(region)
	nsn := string(digits)
	if r == nil || r.idd.MatchString(nsn) || strings.HasPrefix(nsn, r.cc) {
		return "", false, false
	}
	if r.prefix != nil {
		if g := r.prefix.FindStringSubmatchIndex(nsn); g != nil {
			if r.transform && g[len(g)-2] >= 0 {
				return "", false, false
			}
			if rest := nsn[g[1]:]; !(r.general.MatchString(nsn) && !r.general.MatchString(rest)) && r.possible(rest) {
				nsn = rest
			}
		}
	}
	if len(nsn) < 2 || len(nsn) > 17 { // MIN_LENGTH_FOR_NSN, MAX_LENGTH_FOR_NSN
		return "", false, true
	}
	if !validNumber(r.ccValue, nsn) {
		return "", false, true
	}
	return "+" + r.cc + nsn, true, true
}

// nationalRule is what nationalE164 needs of a region's metadata.
type nationalRule struct {
	cc        string // calling code
	ccValue   int32
	idd       *regexp.Regexp // the international prefix, anchored at the start
	prefix    *regexp.Regexp // the national prefix for parsing, anchored at the start; nil for none
	transform bool           // the region has a national prefix transform rule
	general   *regexp.Regexp // the general description's pattern, anchored at both ends
	// The general description's possible lengths and local-only lengths.
	lengths, localLengths []int32
}

// possible reports whether testNumberLength(nsn, metadata, UNKNOWN) is
// neither TOO_SHORT, IS_POSSIBLE_LOCAL_ONLY nor INVALID_LENGTH: the test
// parseHelper puts to a number with its national prefix stripped.
func (r *nationalRule) possible(nsn string) bool {
	n := int32(len(nsn))
	if len(r.lengths) == 0 || r.lengths[0] == -1 || slices.Contains(r.localLengths, n) {
		return false
	}
	switch {
	case n == r.lengths[0]:
		return true
	case n < r.lengths[0]:
		return false // TOO_SHORT
	case n > r.lengths[len(r.lengths)-1]:
		return true // TOO_LONG, which parseHelper accepts
	}
	return slices.Contains(r.lengths[1:], n)
}

// nationalRules caches each region's nationalRule (nil for a region
// without metadata), built on first use; the key is the region as given.
var nationalRules sync.Map // string -> *nationalRule

func nationalRulesFor(region string) *nationalRule {
	if r, ok := nationalRules.Load(region); ok {
		return r.(*nationalRule)
	}
	r, _ := nationalRules.LoadOrStore(region, buildNationalRule(strings.ToUpper(region)))
	return r.(*nationalRule)
}

// buildNationalRule compiles region's rules; nil when the library has no
// metadata for it, or rules this code does not follow.
func buildNationalRule(region string) *nationalRule {
	md := phoneMetadata().byRegion[region]
	if md == nil || md.GetGeneralDesc() == nil || md.GetInternationalPrefix() == "" {
		return nil
	}
	idd, err := regexp.Compile("^(?:" + md.GetInternationalPrefix() + ")")
	if err != nil {
		return nil
	}
	general, err := regexp.Compile("^(?:" + md.GetGeneralDesc().GetNationalNumberPattern() + ")$")
	if err != nil {
		return nil
	}
	r := &nationalRule{
		cc: strconv.Itoa(int(md.GetCountryCode())), ccValue: md.GetCountryCode(), idd: idd, general: general,
		transform:    md.GetNationalPrefixTransformRule() != "",
		lengths:      md.GetGeneralDesc().GetPossibleLength(),
		localLengths: md.GetGeneralDesc().GetPossibleLengthLocalOnly(),
	}
	if p := md.GetNationalPrefixForParsing(); p != "" {
		if r.prefix, err = regexp.Compile("^(?:" + p + ")"); err != nil {
			return nil
		}
	}
	return r
}
