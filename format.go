package clientele

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Formats of input date-times (spec §1: RFC 3339, "YYYY-MM-DD HH:MM:SS" or
// "YYYY-MM-DD") and of stored ones. time.Parse accepts fractional seconds
// after the seconds field even though these layouts do not name them.
const (
	layoutDateTime = "2006-01-02 15:04:05"
	layoutDate     = "2006-01-02"
)

var inputDateTimeLayouts = []string{time.RFC3339, layoutDateTime, "2006-01-02T15:04:05", layoutDate}

// ParseDateTime parses an input date-time in any accepted format. A value
// without a zone is taken as UTC, as Laravel does with the app timezone UTC.
func ParseDateTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, l := range inputDateTimeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// CanonicalDateTime is the stored and rendered form of an input date-time,
// "YYYY-MM-DD HH:MM:SS" UTC, so that merge compares values exactly and
// rendering is a copy. ok is false when s is not a date-time.
func CanonicalDateTime(s string) (string, bool) {
	t, ok := ParseDateTime(s)
	if !ok {
		return "", false
	}
	return t.Format(layoutDateTime), true
}

// CanonicalDate is the "YYYY-MM-DD" form of a date input; a date-time is
// accepted too and keeps its date part as written (no zone conversion: a
// birthday sent as "2023-12-25T23:00:00-05:00" is still the 25th).
func CanonicalDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < len(layoutDate) {
		return "", false
	}
	if _, ok := ParseDateTime(s); !ok {
		return "", false
	}
	d := s[:len(layoutDate)]
	if _, err := time.Parse(layoutDate, d); err != nil {
		return "", false
	}
	return d, true
}

// validEmail is a deliberately small check: one @, a non-empty local part,
// a dotted domain without empty labels, and no whitespace. Anything stricter
// rejects addresses real mail systems accept.
func validEmail(s string) bool {
	s = strings.TrimSpace(s)
	at := strings.IndexByte(s, '@')
	if at <= 0 || strings.IndexByte(s[at+1:], '@') >= 0 {
		return false
	}
	if strings.ContainsAny(s, " \t\r\n\v\f") {
		return false
	}
	domain := s[at+1:]
	if !strings.Contains(domain, ".") || strings.HasPrefix(domain, ".") || strings.HasSuffix(domain, ".") || strings.Contains(domain, "..") {
		return false
	}
	return true
}

// validCurrency accepts any three-letter code, in either case (spec §4.1:
// no tenant allow-list is configured).
func validCurrency(s string) bool {
	s = strings.TrimSpace(s)
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		c := s[i] | 0x20 // ASCII lower-case
		if c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// plausiblePhone is the cheap syntax check done at accept time: digits and
// the usual separators, with at least three digits. Real parsing costs ~50µs
// a number and happens in NormalizeInput, on the worker.
func plausiblePhone(s string) bool {
	digits := 0
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == ' ' || c == '+' || c == '-' || c == '.' || c == '(' || c == ')':
		default:
			return false
		}
	}
	return digits >= 3
}

// validURL accepts absolute http and https URLs with a host.
func validURL(s string) bool {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Host == "" {
		return false
	}
	scheme := strings.ToLower(u.Scheme)
	return scheme == "http" || scheme == "https"
}

// validGender reports whether s is a gender after lower-casing, accepting the
// SDK's misspelling "witheld".
func validGender(s string) bool {
	g := canonicalGender(s)
	for _, v := range Genders {
		if g == v {
			return true
		}
	}
	return false
}

// canonicalGender is the stored form of a gender input.
func canonicalGender(s string) string {
	g := strings.ToLower(strings.TrimSpace(s))
	if g == "witheld" {
		return "withheld"
	}
	return g
}

func validProfileType(s string) bool {
	for _, v := range ProfileTypes {
		if s == v {
			return true
		}
	}
	return false
}

// validAttrName is the namespace and handle rule of custom attributes:
// ^[A-Za-z0-9_.-]+$. They appear unescaped in a path segment split on ':'.
func validAttrName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// CustomAttributeTypes are the accepted custom attribute types (spec §4.3).
var CustomAttributeTypes = []string{"string", "integer", "float", "boolean", "json", "array"}

// CoerceCustomValue converts a custom attribute value sent with type typ
// (one of CustomAttributeTypes; "" means "string") to the JSON it is stored
// and returned as (spec §4.3): integer → a JSON integer (an integer string is
// accepted), float → a JSON number (a numeric string is accepted, as
// Laravel's numeric rule does), boolean → true or false (also "true",
// "false", 1, 0, "1", "0"), json → an object, array → an array, string → a
// JSON string (a number or boolean is stored as its text). A null or absent
// value is stored as JSON null. ok is false when the value does not fit; msg
// is then the end of the Laravel message ("must be an integer.").
func CoerceCustomValue(typ string, raw json.RawMessage) (v json.RawMessage, msg string, ok bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return json.RawMessage("null"), "", true
	}
	var str string
	isStr := raw[0] == '"'
	if isStr {
		str, isStr = unquote(raw)
	}
	isNum := raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9'
	switch typ {
	case "", "string":
		switch {
		case isStr:
			return marshalString(str), "", true
		case isNum || string(raw) == "true" || string(raw) == "false":
			return marshalString(string(raw)), "", true
		}
		return nil, "must be a string.", false
	case "integer":
		text := string(raw)
		if isStr {
			text = strings.TrimSpace(str)
		} else if !isNum {
			return nil, "must be an integer.", false
		}
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return nil, "must be an integer.", false
		}
		return json.RawMessage(strconv.FormatInt(n, 10)), "", true
	case "float":
		text := string(raw)
		if isStr {
			text = strings.TrimSpace(str)
		} else if !isNum {
			return nil, "must be a number.", false
		}
		f, err := strconv.ParseFloat(text, 64)
		if err != nil {
			return nil, "must be a number.", false
		}
		b, err := json.Marshal(f)
		if err != nil { // NaN and Inf cannot come from JSON, but "1e999" parses as Inf
			return nil, "must be a number.", false
		}
		return b, "", true
	case "boolean":
		t := string(raw)
		if isStr {
			t = strings.ToLower(strings.TrimSpace(str))
		}
		switch t {
		case "true", "1":
			return json.RawMessage("true"), "", true
		case "false", "0":
			return json.RawMessage("false"), "", true
		}
		return nil, "field must be true or false.", false
	case "json", "array":
		want, msg := byte('{'), "must be an object."
		if typ == "array" {
			want, msg = '[', "must be an array."
		}
		if raw[0] != want {
			return nil, msg, false
		}
		var buf bytes.Buffer
		if json.Compact(&buf, raw) != nil {
			return nil, msg, false
		}
		return buf.Bytes(), "", true
	}
	return nil, "is invalid.", false
}

// marshalString encodes s as a JSON string without HTML escaping, so that
// stored values read back as sent ("<b>" stays "<b>").
func marshalString(s string) json.RawMessage {
	return appendJSONString(nil, s)
}
