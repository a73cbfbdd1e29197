package clientele

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// ValidateMode says which request a ProfileInput came from, because the
// required fields differ: only POST /profiles requires an email up front.
type ValidateMode int

const (
	// ModeBatchItem validates one item of a batch. Every field is optional:
	// the presence of the match key is checked per item when the batch is
	// applied (Resolve), so that one item without an email fails alone
	// instead of failing the whole batch with 422 (spec §6.1, §6.3).
	ModeBatchItem ValidateMode = iota
	// ModeCreate validates POST /profiles; email is required (spec §5.2).
	ModeCreate
	// ModeUpdate validates PUT /profiles/{id}; every field is optional,
	// but an email sent must not be blank.
	ModeUpdate
)

// maxStr is the length limit of string fields (a VARCHAR(255) in Laravel
// terms) unless a field says otherwise.
const maxStr = 255

// maxURL is the length limit of avatar_url: URLs with signed query strings
// easily exceed 255.
const maxURL = 2048

// ValidateProfileInput checks the type and format of every field of in and
// returns Laravel-style messages keyed by dot path relative to the item
// ("email", "identities.0.identifier"); callers prefix keys ("profiles.3.").
// It does not check uniqueness or anything else that needs the store. in
// must be a JSON object: callers report in.Obj.Bad themselves, because the
// message names the item's position, which only they know.
//
// Message convention: Laravel's, with the attribute named by its key
// relative to the item and underscores shown as spaces, exactly as Laravel
// displays an attribute it has no custom name for: "The email field is
// required.", "The birth day must be between 1 and 31.", "The
// identities.0.handle field is required.", "The comms attributes.email promo
// field must be true or false.". Messages therefore read the same whether
// the item came alone or in a batch.
//
// Input conventions (Laravel's TrimStrings and ConvertEmptyStringsToNull
// middleware): a blank string counts as null for every nullable field, and
// format checks run on the trimmed value. Null is accepted for every
// nullable scalar, for every list and object (meaning "nothing to apply",
// except that null tags and statuses clear the set), and for the booleans
// of child objects (meaning "not sent"). first_name, last_name and
// profile_type cannot be null or blank.
//
// The birth dependencies of spec §5.2 (birth_month needs birth_day,
// birth_year needs both) are checked on the input alone, in every mode,
// and only for values that are present and non-null.
func ValidateProfileInput(in *ProfileInput, mode ValidateMode) FieldErrors {
	v := &validator{}

	v.name("first_name", in.FirstName)
	v.name("last_name", in.LastName)

	// An update may leave the email out but not clear it: create requires
	// one (spec §5.2), and §5.4 validates updates "as for create".
	if (mode == ModeCreate || mode == ModeUpdate && in.Email.Set) && blankStr(in.Email) {
		v.fail("email", "field is required.")
	} else if s, ok := v.str("email", in.Email, maxStr); ok && !validEmail(s) {
		v.fail("email", "must be a valid email address.")
	}

	for _, f := range []struct {
		key string
		s   Str
	}{
		{"title", in.Title}, {"company", in.Company}, {"occupation", in.Occupation},
		{"joined_location_external_id", in.JoinedLocationExternalID},
		{"joined_location_external_code", in.JoinedLocationExternalCode},
		{"preferred_location_external_id", in.PreferredLocationExternalID},
		{"preferred_location_external_code", in.PreferredLocationExternalCode},
		{"region", in.Region}, {"region_country", in.RegionCountry}, {"region_state", in.RegionState},
	} {
		v.str(f.key, f.s, maxStr)
	}

	if s, ok := v.str("gender", in.Gender, maxStr); ok && !validGender(s) {
		v.selected("gender")
	}
	if s, ok := v.str("currency", in.Currency, maxStr); ok && !validCurrency(s) {
		v.selected("currency")
	}
	if in.ProfileType.Set {
		if s, ok := v.str("profile_type", in.ProfileType, maxStr); ok && !validProfileType(strings.TrimSpace(s)) || !ok && blankStr(in.ProfileType) {
			v.selected("profile_type")
		}
	}
	v.dateTime("joined_at", in.JoinedAt)
	for _, f := range []struct {
		key string
		s   Str
	}{{"mobile_phone", in.MobilePhone}, {"secondary_phone", in.SecondaryPhone}} {
		if s, ok := v.str(f.key, f.s, maxStr); ok && !plausiblePhone(s) {
			v.fail(f.key, "format is invalid.")
		}
	}
	if s, ok := v.str("avatar_url", in.AvatarURL, maxURL); ok && !validURL(s) {
		v.fail("avatar_url", "must be a valid URL.")
	}

	v.birth(in)
	for _, f := range []struct {
		key string
		n   Int
	}{{"joined_location_id", in.JoinedLocationID}, {"preferred_location_id", in.PreferredLocationID}} {
		if n, ok := v.int(f.key, f.n); ok && n < 1 {
			v.fail(f.key, "must be at least 1.")
		}
	}
	v.int("region_id", in.RegionID)

	v.strings("tags", in.Tags)
	v.strings("statuses", in.Statuses)
	v.identities(in.Identities)
	v.customAttributes(in.CustomAttributes)
	v.dates(in.DatesAttributes)
	v.addresses(in.Addresses)
	v.regions(in.Regions)
	v.organisations(in.Organisations)
	if v.object("comms_attributes", in.CommsAttributes) {
		v.comms("comms_attributes", in.CommsAttributes)
	}
	if v.object("appearance_attributes", in.AppearanceAttributes) {
		v.appearance("appearance_attributes", in.AppearanceAttributes)
	}
	v.attributes(in.Attributes)
	return v.errs
}

// birth checks the birth_* ranges and their dependencies (spec §4.1, §5.2).
func (v *validator) birth(in *ProfileInput) {
	if d, ok := v.int("birth_day", in.BirthDay); ok && (d < 1 || d > 31) {
		v.fail("birth_day", "must be between 1 and 31.")
	}
	if m, ok := v.int("birth_month", in.BirthMonth); ok && (m < 1 || m > 12) {
		v.fail("birth_month", "must be between 1 and 12.")
	}
	if y, ok := v.int("birth_year", in.BirthYear); ok && (y < 1000 || y > 9999) {
		v.fail("birth_year", "must be 4 digits.")
	}
	present := func(n Int) bool { return n.Set && !n.Null }
	day, month, year := present(in.BirthDay), present(in.BirthMonth), present(in.BirthYear)
	switch {
	case !day && month && year:
		v.fail("birth_day", "field is required when birth month / birth year is present.")
	case !day && month:
		v.fail("birth_day", "field is required when birth month is present.")
	case !day && year:
		v.fail("birth_day", "field is required when birth year is present.")
	}
	if !month && year {
		v.fail("birth_month", "field is required when birth year is present.")
	}
}

// validator accumulates messages. Its helpers report type errors themselves
// and return the value only when it is present, non-null and well typed, so
// that callers add format checks without repeating the type logic.
type validator struct {
	errs FieldErrors
	// The list element (or object) the keys given to the checks are
	// relative to, outermost first: dates_attributes.3 then links.0. The
	// full key is made only for an error, so that checking an element
	// costs no string per field (it was a third of what parsing a batch
	// allocated). The depth is the code's, not the input's: a date's
	// links are the deepest, and a deeper enter fails every test of it.
	scope [2]keyPart
	depth int
}

// keyPart is a step of a key: name, then .index when index ≥ 0.
type keyPart struct {
	name  string
	index int
}

// enter makes the keys of the checks that follow relative to name.index
// (name alone for index -1), inside the current scope; leave undoes it.
func (v *validator) enter(name string, index int) {
	if v.depth == len(v.scope) {
		panic("clientele: validator scope nested deeper than " + strconv.Itoa(len(v.scope)) + ": enlarge it")
	}
	v.scope[v.depth] = keyPart{name, index}
	v.depth++
}

func (v *validator) leave() { v.depth-- }

// key is the full key of rel ("" for the scope itself).
func (v *validator) key(rel string) string {
	if v.depth == 0 {
		return rel
	}
	var b strings.Builder
	for i, p := range v.scope[:v.depth] {
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(p.name)
		if p.index >= 0 {
			b.WriteByte('.')
			b.WriteString(strconv.Itoa(p.index))
		}
	}
	if rel != "" {
		b.WriteByte('.')
		b.WriteString(rel)
	}
	return b.String()
}

// displayName is how Laravel shows an attribute without a custom name.
func displayName(key string) string { return strings.ReplaceAll(key, "_", " ") }

// fail records "The <attribute> <rest>" for rel in the current scope.
func (v *validator) fail(rel, rest string) {
	key := v.key(rel)
	v.errs.Add(key, "The "+displayName(key)+" "+rest)
}

// selected records the message of Laravel's "in" rule.
func (v *validator) selected(rel string) {
	key := v.key(rel)
	v.errs.Add(key, "The selected "+displayName(key)+" is invalid.")
}

// blankStr reports whether s is absent, null or a blank string: what
// Laravel's required rule rejects after its input middleware.
func blankStr(s Str) bool {
	return !s.Set || s.Null || !s.Bad && strings.TrimSpace(s.V) == ""
}

// str checks a nullable string field and returns its value when there is
// one to check further (present, a string, not blank, not too long).
func (v *validator) str(key string, s Str, max int) (string, bool) {
	switch {
	case !s.Set || s.Null:
		return "", false
	case s.Bad:
		v.fail(key, "must be a string.")
		return "", false
	case strings.TrimSpace(s.V) == "":
		return "", false
	case utf8.RuneCountInString(s.V) > max:
		v.fail(key, "must not be greater than "+strconv.Itoa(max)+" characters.")
		return "", false
	}
	return s.V, true
}

// reqStr checks a string field that must be present and not blank.
func (v *validator) reqStr(key string, s Str, max int) (string, bool) {
	if blankStr(s) {
		v.fail(key, "field is required.")
		return "", false
	}
	return v.str(key, s, max)
}

// name checks first_name and last_name: optional, but never null or blank,
// since a profile always has both (they default to "Unknown").
func (v *validator) name(key string, s Str) {
	switch {
	case s.Set && s.Null:
		v.fail(key, "must be a string.")
	case s.Set && blankStr(s):
		v.fail(key, "field is required.")
	default:
		v.str(key, s, maxStr)
	}
}

// dateTime checks a nullable date-time field.
func (v *validator) dateTime(key string, s Str) {
	if t, ok := v.str(key, s, maxStr); ok {
		if _, ok := ParseDateTime(t); !ok {
			v.fail(key, "is not a valid date.")
		}
	}
}

// int checks a nullable integer field.
func (v *validator) int(key string, n Int) (int64, bool) {
	switch {
	case !n.Set || n.Null:
		return 0, false
	case n.Bad:
		v.fail(key, "must be an integer.")
		return 0, false
	}
	return n.V, true
}

// reqInt checks an integer field that must be present and not null.
func (v *validator) reqInt(key string, n Int) (int64, bool) {
	if !n.Set || n.Null {
		v.fail(key, "field is required.")
		return 0, false
	}
	return v.int(key, n)
}

// bool checks a boolean field; null counts as not sent.
func (v *validator) bool(key string, b Bool) {
	if b.Bad {
		v.fail(key, "field must be true or false.")
	}
}

// list checks that l, when sent and non-null, is an array, and reports
// whether there are elements to check.
func list[T any](v *validator, key string, l List[T]) bool {
	if l.Bad {
		v.fail(key, "must be an array.")
		return false
	}
	return l.Set && !l.Null
}

// object checks that m, when sent and non-null, is an object, and reports
// whether there are keys to check.
func (v *validator) object(key string, m Map) bool {
	if m.Bad {
		v.fail(key, "must be an object.")
		return false
	}
	return m.Set && !m.Null
}

// element checks that the list element of the current scope is an
// object.
func (v *validator) element(o Obj) bool {
	if o.Bad {
		v.fail("", "must be an object.")
		return false
	}
	return true
}

// strings checks tags and statuses: arrays of non-blank strings.
func (v *validator) strings(key string, l List[Str]) {
	if !list(v, key, l) {
		return
	}
	for i, s := range l.V {
		v.enter(key, i)
		if s.Null {
			v.fail("", "must be a string.")
		} else {
			v.reqStr("", s, maxStr)
		}
		v.leave()
	}
}
