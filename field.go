package clientele

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// The field types below decode one JSON value without ever failing, so that
// one pass over an item records every field's state and validation can then
// report all errors at once with Laravel keys. Each remembers whether the key
// was sent (Set), sent as null (Null), or sent with a JSON type it cannot hold
// (Bad). encoding/json calls UnmarshalJSON for null too, which is what lets
// "absent" and "null" differ: a partial update leaves absent fields alone and
// clears null ones.

// Str is a string field.
type Str struct {
	Set, Null, Bad bool
	V              string
}

// UnmarshalJSON implements json.Unmarshaler; it never returns an error.
func (s *Str) UnmarshalJSON(b []byte) error {
	*s = Str{Set: true}
	switch {
	case isNull(b):
		s.Null = true
	case len(b) > 0 && b[0] == '"':
		if json.Unmarshal(b, &s.V) != nil {
			s.Bad = true
		}
	default:
		s.Bad = true
	}
	return nil
}

// Value reports the string when the field was sent with a string value.
func (s Str) Value() (string, bool) { return s.V, s.Set && !s.Null && !s.Bad }

// Int is an integer field. Numeric strings ("12") are accepted too, as Laravel
// does for its integer rule.
type Int struct {
	Set, Null, Bad bool
	V              int64
}

// UnmarshalJSON implements json.Unmarshaler; it never returns an error.
func (n *Int) UnmarshalJSON(b []byte) error {
	*n = Int{Set: true}
	if isNull(b) {
		n.Null = true
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) != nil {
			n.Bad = true
			return nil
		}
		b = []byte(s)
	}
	v, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	if err != nil {
		// Accept integral floats such as 12.0, which some encoders emit.
		f, ferr := strconv.ParseFloat(string(b), 64)
		if ferr != nil || f != float64(int64(f)) {
			n.Bad = true
			return nil
		}
		v = int64(f)
	}
	n.V = v
	return nil
}

// Bool is a boolean field. Only JSON true and false are accepted.
type Bool struct {
	Set, Null, Bad bool
	V              bool
}

// UnmarshalJSON implements json.Unmarshaler; it never returns an error.
func (x *Bool) UnmarshalJSON(b []byte) error {
	*x = Bool{Set: true}
	switch string(b) {
	case "null":
		x.Null = true
	case "true":
		x.V = true
	case "false":
	default:
		x.Bad = true
	}
	return nil
}

// Raw is a field of any JSON type, kept verbatim.
type Raw struct {
	Set, Null bool
	V         json.RawMessage
}

// UnmarshalJSON implements json.Unmarshaler; it never returns an error.
func (r *Raw) UnmarshalJSON(b []byte) error {
	*r = Raw{Set: true, Null: isNull(b), V: append(json.RawMessage(nil), b...)}
	return nil
}

// List is an array field whose elements are themselves tolerant types.
type List[T any] struct {
	Set, Null, Bad bool
	V              []T
}

// UnmarshalJSON implements json.Unmarshaler; it never returns an error.
func (l *List[T]) UnmarshalJSON(b []byte) error {
	*l = List[T]{Set: true}
	switch {
	case isNull(b):
		l.Null = true
	case len(b) > 0 && b[0] == '[':
		if json.Unmarshal(b, &l.V) != nil {
			l.Bad = true
			l.V = nil
		}
	default:
		l.Bad = true
	}
	return nil
}

// Map is an object field whose values are kept raw, for the open key sets of
// comms and appearance.
type Map struct {
	Set, Null, Bad bool
	V              map[string]json.RawMessage
	Keys           []string // in the order sent, so errors and merges are deterministic
}

// UnmarshalJSON implements json.Unmarshaler; it never returns an error.
func (m *Map) UnmarshalJSON(b []byte) error {
	*m = Map{Set: true}
	switch {
	case isNull(b):
		m.Null = true
	case len(b) > 0 && b[0] == '{':
		keys, vals, err := objectInOrder(b)
		if err != nil {
			m.Bad = true
			return nil
		}
		m.Keys, m.V = keys, vals
	default:
		m.Bad = true
	}
	return nil
}

// Obj marks an element of a List that must be a JSON object. Embed it in an
// input struct and decode through decodeObject.
type Obj struct {
	Bad bool `json:"-"` // the element was not a JSON object
}

// decodeObject decodes b into dst (a pointer to a struct whose fields are all
// tolerant types) when b is an object, and sets *bad otherwise.
func decodeObject(b []byte, dst any, bad *bool) error {
	if len(b) == 0 || b[0] != '{' {
		*bad = true
		return nil
	}
	if json.Unmarshal(b, dst) != nil {
		*bad = true
	}
	return nil
}

func isNull(b []byte) bool { return string(b) == "null" }

// objectInOrder decodes a JSON object into its keys in order and raw values.
func objectInOrder(b []byte) ([]string, map[string]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil {
		return nil, nil, err
	}
	var keys []string
	vals := map[string]json.RawMessage{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, nil, err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, err
		}
		if _, dup := vals[k]; !dup {
			keys = append(keys, k)
		}
		vals[k] = v
	}
	return keys, vals, nil
}
