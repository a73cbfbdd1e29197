package clientele

import (
	"bytes"
	"encoding/json"
	"errors"
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

// decodeValue implements valueDecoder.
func (s *Str) decodeValue(b []byte) int { return scalarValue(b, s) }

// UnmarshalJSON implements json.Unmarshaler; it never returns an error.
func (s *Str) UnmarshalJSON(b []byte) error {
	*s = Str{Set: true}
	switch {
	case isNull(b):
		s.Null = true
	case len(b) > 0 && b[0] == '"':
		v, ok := unquote(b)
		s.V, s.Bad = v, !ok
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

// decodeValue implements valueDecoder.
func (n *Int) decodeValue(b []byte) int { return scalarValue(b, n) }

// UnmarshalJSON implements json.Unmarshaler; it never returns an error.
func (n *Int) UnmarshalJSON(b []byte) error {
	*n = Int{Set: true}
	if isNull(b) {
		n.Null = true
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		s, ok := unquote(b)
		if !ok {
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

// decodeValue implements valueDecoder.
func (x *Bool) decodeValue(b []byte) int { return scalarValue(b, x) }

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

// decodeValue implements valueDecoder.
func (r *Raw) decodeValue(b []byte) int { return scalarValue(b, r) }

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
	l.decodeValue(b)
	return nil
}

// decodeValue implements valueDecoder. The enclosing Unmarshal validated b,
// so the elements are decoded straight from it, each by its own
// decodeValue where it has one (jsonscan.go). Every element type is a
// tolerant json.Unmarshaler, which never fails.
func (l *List[T]) decodeValue(b []byte) int {
	*l = List[T]{Set: true}
	switch {
	case len(b) == 0:
		l.Bad = true
		return 0
	case b[0] == '[':
	case bytes.HasPrefix(b, []byte("null")):
		l.Null = true
		return 4
	default:
		l.Bad = true
		return skipValue(b, 0)
	}
	// Counted first, so that the elements are decoded into one allocation
	// of the right size: growing the slice took four allocations for five
	// custom attributes, and room for four held a quarter of the memory
	// of a decoded item (in the handoff, for thousands of items).
	n := 0
	elementsAt(b, func(rest []byte) int {
		n++
		return skipValue(rest, 0)
	})
	l.V = make([]T, 0, n) // sent as an array: not nil even when empty
	end := elementsAt(b, func(rest []byte) int {
		if len(l.V) == n {
			return 0 // only on invalid JSON
		}
		// Decoded in place: a local T would escape to the heap through
		// the interface, one allocation per element.
		var zero T
		l.V = append(l.V, zero)
		size, ok := decodeValueOf(rest, &l.V[len(l.V)-1])
		l.Bad = l.Bad || !ok
		return size
	})
	if l.Bad {
		l.V = nil
	}
	return end
}

// Map is an object field whose values are kept raw, for the open key sets of
// comms and appearance.
type Map struct {
	Set, Null, Bad bool
	V              map[string]json.RawMessage
	Keys           []string // in the order sent, so errors and merges are deterministic
}

// decodeValue implements valueDecoder.
func (m *Map) decodeValue(b []byte) int { return scalarValue(b, m) }

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
// input struct and decode through objectValue.
type Obj struct {
	Bad bool `json:"-"` // the element was not a JSON object
}

// objectValue decodes the value at the start of b into dst (a pointer to a
// struct whose fields are all tolerant types) when it is an object, and
// sets *bad otherwise; it returns the value's length. b is valid JSON, as
// encoding/json guarantees to an UnmarshalJSON method, so members are
// dispatched straight to the fields (decodeMembers, jsonscan.go) instead
// of re-running json.Unmarshal at every nesting level. It is the
// decodeValue, and so the UnmarshalJSON, of the input types.
func objectValue(b []byte, dst any, bad *bool) int {
	if len(b) == 0 || b[0] != '{' {
		*bad = true
		return skipValue(b, 0)
	}
	return decodeMembers(b, dst)
}

func isNull(b []byte) bool { return string(b) == "null" }

// objectInOrder decodes a valid JSON object into its keys in order and raw
// values. The values are copied (one allocation for all), since an
// Unmarshaler must not keep the bytes it is given.
func objectInOrder(b []byte) ([]string, map[string]json.RawMessage, error) {
	b = append([]byte(nil), b...)
	var keys []string
	vals := map[string]json.RawMessage{}
	var err error
	eachMember(b, func(rawKey, val []byte) {
		k, ok := unquote(rawKey)
		if !ok {
			err = errors.New("clientele: bad object key")
			return
		}
		if _, dup := vals[k]; !dup {
			keys = append(keys, k)
		}
		vals[k] = val[:len(val):len(val)]
	})
	return keys, vals, err
}
