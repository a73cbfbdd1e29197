package clientele

import (
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// NormalizeEmail is the stored and compared form of an email: trimmed and
// lower-cased, since emails are unique among live profiles without case
// (spec §4.1).
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// NormalizeInput rewrites in place the fields that match keys, unique keys
// and comparisons depend on, so that they are in their stored form: the
// email (NormalizeEmail), mobile_phone and secondary_phone (E.164), and
// identity handles and identifiers (trimmed; case is kept because other
// systems' identifiers are case-sensitive). in must have passed
// ValidateProfileInput. A phone number without "+" is read as a national
// number of phoneRegion ("AU"); with an empty phoneRegion it is invalid.
// Invalid numbers are reported as "The mobile phone format is invalid." and
// left as sent.
//
// Phone parsing costs tens of microseconds a number, which is why it runs
// here, on the worker, and not in ValidateProfileInput on the accept path.
func NormalizeInput(in *ProfileInput, phoneRegion string) FieldErrors {
	normalizeKeys(in)
	var errs FieldErrors
	for _, f := range []struct {
		key string
		s   *Str
	}{{"mobile_phone", &in.MobilePhone}, {"secondary_phone", &in.SecondaryPhone}} {
		s, ok := f.s.Value()
		if !ok || strings.TrimSpace(s) == "" {
			continue
		}
		e164, ok := NormalizePhone(s, phoneRegion)
		if !ok {
			errs.Add(f.key, "The "+displayName(f.key)+" format is invalid.")
			continue
		}
		f.s.V = e164
	}
	return errs
}

// normalizeKeys is the cheap part of NormalizeInput: everything but phones.
// ParseBatchRequest uses it to show pending items' match values in the form
// the worker will match on.
func normalizeKeys(in *ProfileInput) {
	if s, ok := in.Email.Value(); ok {
		in.Email.V = NormalizeEmail(s)
	}
	for i := range in.Identities.V {
		x := &in.Identities.V[i]
		if s, ok := x.Handle.Value(); ok {
			x.Handle.V = strings.TrimSpace(s)
		}
		if s, ok := x.Identifier.Value(); ok {
			x.Identifier.V = strings.TrimSpace(s)
		}
	}
}

// NormalizePhone returns the E.164 form of a valid phone number. region (an
// ISO 3166 alpha-2 code such as "AU") is used for numbers without a leading
// "+"; when region is empty such numbers are invalid.
func NormalizePhone(s, region string) (string, bool) {
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
