package clientele

import (
	"math/bits"
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
// Parsing costs 10–20 µs a number (a sixth of the server's CPU in a load),
// so the E.164 forms it returned are remembered (knownE164): a number sent
// again in exactly that form, as re-imports of the same customers do, is
// known valid and already normalised, whatever region. Other numbers sent
// in strict E.164 form mostly skip the parser too (strictE164).
func NormalizePhone(s, region string) (string, bool) {
	s = strings.TrimSpace(s)
	if k, ok := e164Key(s); ok && knownE164.has(k) {
		return s, true
	}
	if !strings.HasPrefix(s, "+") && region == "" {
		return "", false
	}
	e164, ok, decided := strictE164(s)
	if !decided {
		e164, ok, decided = nationalE164(s, region)
	}
	if !decided {
		num, err := phonenumbers.Parse(s, strings.ToUpper(region))
		if err != nil || !isValidNumber(num) {
			return "", false
		}
		e164, ok = phonenumbers.Format(num, phonenumbers.E164), true
	}
	if !ok {
		return "", false
	}
	if k, ok := e164Key(e164); ok {
		knownE164.add(k)
	}
	return e164, true
}

// knownE164 holds the E.164 numbers NormalizePhone returned, as e164Keys.
// Parsing such a string gives the same number back, valid, whatever the
// region (a "+" number names its country), so remembering them changes no
// answer. Packed into a table of its own, a number takes 16 bytes (as a
// string in a Go map, about 70), so the set remembers the last 0.5–1
// million numbers in 16 MB: with room for only 130,000 numbers, as before,
// a re-import of a million-profile store parsed nine numbers in ten again.
var knownE164 = newNumberSet(1 << 19)

// e164Key packs an E.164 string ("+" and at most 15 digits) into a non-zero
// uint64, one to one: the digits' value, and their count in the top byte so
// that leading zeros count. ok is false for any other string.
func e164Key(s string) (key uint64, ok bool) {
	if len(s) < 2 || len(s) > 16 || s[0] != '+' {
		return 0, false
	}
	var v uint64
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint64(c-'0') // < 10^15 < 2^56
	}
	return uint64(len(s)-1)<<56 | v, true
}

// numberSet is a bounded set of non-zero numbers: two generations of at
// most limit each; when the current one fills, the older is dropped. A
// number found in the older generation moves to the current one, so the
// numbers in use stay.
type numberSet struct {
	mu       sync.Mutex
	limit    int
	cur, old numberTable
}

func newNumberSet(limit int) *numberSet { return &numberSet{limit: limit} }

func (c *numberSet) has(k uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur.has(k) {
		return true
	}
	if c.old.has(k) {
		c.addLocked(k)
		return true
	}
	return false
}

func (c *numberSet) add(k uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.addLocked(k)
}

func (c *numberSet) addLocked(k uint64) {
	if c.cur.has(k) {
		return // a full generation must not turn over for a number it holds
	}
	if c.cur.slots == nil || c.cur.n >= c.limit {
		// Half full at most, so that a probe ends after a slot or two.
		c.old, c.cur = c.cur, numberTable{slots: make([]uint64, 2<<bits.Len(uint(c.limit-1)))}
	}
	c.cur.add(k)
}

// numberTable is an open-addressing hash set of non-zero numbers (0 marks
// an empty slot) with linear probing; len(slots) is a power of two.
type numberTable struct {
	slots []uint64
	n     int
}

// slot is where the probe for k starts (Fibonacci hashing).
func (t *numberTable) slot(k uint64) int {
	return int((k * 0x9E3779B97F4A7C15) >> (64 - bits.Len(uint(len(t.slots)-1))))
}

func (t *numberTable) has(k uint64) bool {
	if t.slots == nil {
		return false
	}
	mask := len(t.slots) - 1
	for i := t.slot(k); ; i = (i + 1) & mask {
		switch t.slots[i] {
		case k:
			return true
		case 0:
			return false
		}
	}
}

// add puts k in the table; the caller keeps n below len(slots).
func (t *numberTable) add(k uint64) {
	mask := len(t.slots) - 1
	for i := t.slot(k); ; i = (i + 1) & mask {
		switch t.slots[i] {
		case k:
			return
		case 0:
			t.slots[i] = k
			t.n++
			return
		}
	}
}
