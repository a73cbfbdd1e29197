package clientele

import (
	"strings"
	"sync"

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
//
// Parsing costs about 10 µs a number (a sixth of the server's CPU in a
// load), so the E.164 forms it returned are remembered (knownE164): a
// number sent again in exactly that form, as re-imports of the same
// customers do, is known valid and already normalised, whatever region.
func NormalizePhone(s, region string) (string, bool) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "+") && knownE164.has(s) {
		return s, true
	}
	if !strings.HasPrefix(s, "+") && region == "" {
		return "", false
	}
	num, err := phonenumbers.Parse(s, strings.ToUpper(region))
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", false
	}
	e164 := phonenumbers.Format(num, phonenumbers.E164)
	knownE164.add(e164)
	return e164, true
}

// knownE164 holds E.164 numbers NormalizePhone returned. Parsing such a
// string gives the same number back, valid, whatever the region (a "+"
// number names its country), so remembering them changes no answer.
var knownE164 = newStringSet(1 << 16)

// stringSet is a bounded set of strings: two generations of at most
// limit each; when the current one fills, the older is dropped. A string
// found in the older generation moves to the current one, so the strings
// in use stay.
type stringSet struct {
	mu       sync.Mutex
	limit    int
	cur, old map[string]struct{}
}

func newStringSet(limit int) *stringSet {
	return &stringSet{limit: limit, cur: map[string]struct{}{}, old: map[string]struct{}{}}
}

func (c *stringSet) has(s string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.cur[s]; ok {
		return true
	}
	if _, ok := c.old[s]; ok {
		c.addLocked(s)
		return true
	}
	return false
}

func (c *stringSet) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addLocked(s)
}

func (c *stringSet) addLocked(s string) {
	if len(c.cur) >= c.limit {
		c.old, c.cur = c.cur, make(map[string]struct{}, c.limit)
	}
	c.cur[s] = struct{}{}
}
