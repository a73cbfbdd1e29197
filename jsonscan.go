package clientele

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"unicode/utf8"
)

// A minimal scanner over JSON that encoding/json has already validated. The
// tolerant field types receive their bytes from an enclosing json.Unmarshal
// that checked the whole document, so splitting arrays and objects here,
// instead of calling json.Unmarshal again at every level, saves a full
// re-validation and re-scan per nesting level (a batch item's identities,
// dates and links sit three or four levels deep). On malformed input the
// scanner does not crash; it just yields garbage, which callers never see
// because they are only handed valid JSON.

// skipSpace returns the index of the first non-space byte at or after i.
func skipSpace(b []byte, i int) int {
	if i > len(b) {
		return len(b) // only on invalid JSON, e.g. an object ending after a key
	}
	// Most bytes after a token are not space: one comparison tells.
	for i < len(b) && b[i] <= ' ' && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return i
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	}
	for i < len(b) && b[i] != ',' && b[i] != '}' && b[i] != ']' && b[i] != ' ' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	return i
}

// elementsAt walks the valid JSON array at the start of b: fn is given
// the bytes from each element's start to the end of b, decodes or skips
// the element there, and returns its length. elementsAt returns the
// array's length. It stops early only on invalid JSON (an element of no
// length), so that it never loops without progress.
func elementsAt(b []byte, fn func(rest []byte) int) int {
	i := skipSpace(b, 1) // past '['
	for i < len(b) && b[i] != ']' {
		n := fn(b[i:])
		if n <= 0 {
			break
		}
		i = skipSpace(b, i+n)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return min(i+1, len(b)) // past ']'
}

// membersAt walks the valid JSON object at the start of b as elementsAt
// walks an array, giving fn each member's raw (still quoted) key too.
func membersAt(b []byte, fn func(key, rest []byte) int) int {
	i := skipSpace(b, 1) // past '{'
	for i < len(b) && b[i] == '"' {
		kend := skipString(b, i)
		key := b[i:kend]
		i = skipSpace(b, kend)
		i = skipSpace(b, i+1) // past ':'
		n := fn(key, b[i:])
		if n <= 0 {
			break
		}
		i = skipSpace(b, i+n)
		if i < len(b) && b[i] == ',' {
			i = skipSpace(b, i+1)
		}
	}
	return min(i+1, len(b)) // past '}'
}

// eachElement calls fn with each element of the valid JSON array b.
func eachElement(b []byte, fn func(elem []byte)) {
	elementsAt(b, func(rest []byte) int {
		n := skipValue(rest, 0)
		fn(rest[:n])
		return n
	})
}

// eachMember calls fn with the raw (still quoted) key and the value of each
// member of the valid JSON object b.
func eachMember(b []byte, fn func(key, val []byte)) {
	membersAt(b, func(key, rest []byte) int {
		n := skipValue(rest, 0)
		fn(key, rest[:n])
		return n
	})
}

// unquote decodes a valid JSON string literal, without encoding/json when
// it holds no escape (the common case).
func unquote(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	inner := b[1 : len(b)-1]
	ascii := true
	for _, c := range inner {
		if c == '\\' || c < 0x20 {
			return unquoteSlow(b)
		}
		ascii = ascii && c < 0x80
	}
	// encoding/json replaces invalid UTF-8 with U+FFFD; keep that behaviour.
	if !ascii && !utf8.Valid(inner) {
		return unquoteSlow(b)
	}
	return string(inner), true
}

func unquoteSlow(b []byte) (string, bool) {
	var s string
	err := json.Unmarshal(b, &s)
	return s, err == nil
}

// memberFields maps a struct type's JSON member names (from json tags; the
// tolerant input types tag every field) to field indexes.
type memberFields struct {
	exact map[string]int
	names []string // for encoding/json's case-insensitive fallback
	index []int
}

var fieldTables sync.Map // reflect.Type -> *memberFields

func fieldsOf(t reflect.Type) *memberFields {
	if f, ok := fieldTables.Load(t); ok {
		return f.(*memberFields)
	}
	mf := &memberFields{exact: map[string]int{}}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if sf.Anonymous || !sf.IsExported() || name == "" || name == "-" {
			continue
		}
		mf.exact[name] = i
		mf.names = append(mf.names, name)
		mf.index = append(mf.index, i)
	}
	f, _ := fieldTables.LoadOrStore(t, mf)
	return f.(*memberFields)
}

// field finds the field for a member key as encoding/json does: an exact
// match first, else a case-insensitive one.
func (mf *memberFields) field(key string) (int, bool) {
	if i, ok := mf.exact[key]; ok {
		return i, true
	}
	for j, n := range mf.names {
		if strings.EqualFold(n, key) {
			return mf.index[j], true
		}
	}
	return 0, false
}

// plainField finds the field of a quoted member key that is plain ASCII
// without escapes, the usual case, and matches a field name exactly: then
// unquote would return the bytes between the quotes, and field would find
// the same field, but this looks it up without making a string of the key.
func (mf *memberFields) plainField(rawKey []byte) (int, bool) {
	if len(rawKey) < 2 || rawKey[0] != '"' || rawKey[len(rawKey)-1] != '"' {
		return 0, false
	}
	inner := rawKey[1 : len(rawKey)-1]
	for _, c := range inner {
		if c == '\\' || c < 0x20 || c >= 0x80 {
			return 0, false
		}
	}
	i, ok := mf.exact[string(inner)]
	return i, ok
}

// valueDecoder is a tolerant type that decodes the JSON value at the start
// of b, which may go on past the value (the rest of the enclosing object or
// array), and returns the value's length. An enclosing object or list
// hands each member or element to it directly, instead of first finding
// the value's end (a scan of the whole value) and then giving the field
// the value to scan again: with objects in lists in objects, a batch item's
// strings were scanned six times, which was a fifth of what parsing a
// batch cost.
type valueDecoder interface {
	decodeValue(b []byte) int
}

// decodeValueOf decodes the value at the start of b into dst, whatever
// kind of field dst is, and returns the value's length; ok is false only
// when dst is not a tolerant type and encoding/json refused the value.
func decodeValueOf(b []byte, dst any) (n int, ok bool) {
	if d, ok := dst.(valueDecoder); ok {
		return d.decodeValue(b), true
	}
	n = skipValue(b, 0)
	if u, ok := dst.(json.Unmarshaler); ok {
		_ = u.UnmarshalJSON(b[:n])
		return n, true
	}
	return n, json.Unmarshal(b[:n], dst) == nil
}

// scalarValue decodes the scalar (or any value) at the start of b with u
// and returns its length: for the field types whose UnmarshalJSON needs
// the value's bytes alone.
func scalarValue(b []byte, u json.Unmarshaler) int {
	n := skipValue(b, 0)
	_ = u.UnmarshalJSON(b[:n])
	return n
}

// decodeMembers decodes the valid JSON object at the start of b into the
// struct dst points to, member by member into its fields, and returns the
// object's length. It is what json.Unmarshal would do for these types,
// minus re-validating b and the reflection over every value.
func decodeMembers(b []byte, dst any) int {
	v := reflect.ValueOf(dst).Elem()
	mf := fieldsOf(v.Type())
	return membersAt(b, func(rawKey, rest []byte) int {
		if f, ok := mf.find(rawKey); ok {
			n, _ := decodeValueOf(rest, v.Field(f).Addr().Interface())
			return n
		}
		return skipValue(rest, 0)
	})
}

// find returns the field of a quoted member key, as encoding/json matches
// keys to fields.
func (mf *memberFields) find(rawKey []byte) (int, bool) {
	if i, ok := mf.plainField(rawKey); ok {
		return i, true
	}
	key, ok := unquote(rawKey)
	if !ok {
		return 0, false
	}
	return mf.field(key)
}
