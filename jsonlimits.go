package clientele

import (
	"strconv"
	"strings"
)

// Limits on the shape of any JSON request body (spec §13 E10; DECISION:
// the spec names none). encoding/json accepts nesting up to 10,000 levels
// and strings as long as the body, so without them one request could make
// the server build a deep tree or store megabytes in a single field. They
// are far above anything an Omneo client sends: a batch item's deepest
// documented path (profiles.N.dates_attributes.N.links.N.role) is seven
// levels deep, and every documented string field is at most 255 characters.
const (
	// MaxJSONDepth is the deepest nesting of objects and arrays, the
	// body's outermost value being level 1.
	MaxJSONDepth = 32
	// MaxJSONString is the longest string value, in bytes once decoded:
	// the size of a MySQL TEXT column, the largest Omneo could store.
	MaxJSONString = 65535
	// MaxJSONKey is the longest object key, in bytes once decoded.
	MaxJSONKey = 255
	// MaxJSONNumber is the longest number literal, in bytes: no number a
	// client means fits in more.
	MaxJSONNumber = 255
)

// jsonBodyKey names the body itself in an error when a limit is exceeded
// by the outermost value or one of its keys, which have no dot path.
const jsonBodyKey = "body"

// CheckJSONLimits reports the first place where body, which must be valid
// JSON (json.Valid), exceeds MaxJSONDepth, MaxJSONString, MaxJSONKey or
// MaxJSONNumber. The error is EINVALID with one Laravel-style message keyed
// by the value's dot path ("profiles.3.custom_attributes.0.value"); a key
// that is too long is reported under the path of its object. It stops at
// the first violation, so its cost is one pass over the body at most.
func CheckJSONLimits(body []byte) error {
	sc := limitScan{b: body}
	sc.value(skipSpace(body, 0))
	return sc.err
}

// pathSeg is one step of a dot path: an object key (still quoted) or an
// array index. The path is kept as segments and only joined into a string
// when there is an error to report, so a clean body costs no allocation
// per member.
type pathSeg struct {
	key   []byte
	index int
}

// limitScan walks valid JSON depth-first. Its recursion is bounded by
// MaxJSONDepth, since it stops before entering a deeper level.
type limitScan struct {
	b    []byte
	path []pathSeg
	err  error
}

// value scans the value at b[i] and returns the index just past it.
func (sc *limitScan) value(i int) int {
	if sc.err != nil || i >= len(sc.b) {
		return len(sc.b)
	}
	switch c := sc.b[i]; c {
	case '{', '[':
		if len(sc.path) >= MaxJSONDepth {
			key := sc.pathString()
			sc.fail(key, "The "+key+" is nested too deeply.")
			return len(sc.b)
		}
		if c == '{' {
			return sc.object(i)
		}
		return sc.array(i)
	case '"':
		end := skipString(sc.b, i)
		if tooLong(sc.b[i:end], MaxJSONString) {
			key := sc.pathString()
			sc.fail(key, "The "+key+" must not be greater than "+strconv.Itoa(MaxJSONString)+" bytes.")
		}
		return end
	default:
		end := skipValue(sc.b, i)
		if end-i > MaxJSONNumber {
			key := sc.pathString()
			sc.fail(key, "The "+key+" must not be greater than "+strconv.Itoa(MaxJSONNumber)+" bytes.")
		}
		return end
	}
}

// object scans the object at b[i] == '{'.
func (sc *limitScan) object(i int) int {
	sc.path = append(sc.path, pathSeg{})
	defer func() { sc.path = sc.path[:len(sc.path)-1] }()
	i = skipSpace(sc.b, i+1)
	for i < len(sc.b) && sc.b[i] == '"' && sc.err == nil {
		kend := skipString(sc.b, i)
		key := sc.b[i:kend]
		if tooLong(key, MaxJSONKey) {
			sc.path = sc.path[:len(sc.path)-1]
			at := sc.pathString()
			sc.fail(at, "The "+at+" has a key longer than "+strconv.Itoa(MaxJSONKey)+" bytes.")
			sc.path = append(sc.path, pathSeg{})
			return len(sc.b)
		}
		sc.path[len(sc.path)-1] = pathSeg{key: key}
		i = skipSpace(sc.b, kend)
		i = skipSpace(sc.b, i+1) // past ':'
		i = skipSpace(sc.b, sc.value(i))
		if i < len(sc.b) && sc.b[i] == ',' {
			i = skipSpace(sc.b, i+1)
		}
	}
	return i + 1 // past '}'
}

// array scans the array at b[i] == '['.
func (sc *limitScan) array(i int) int {
	sc.path = append(sc.path, pathSeg{})
	defer func() { sc.path = sc.path[:len(sc.path)-1] }()
	i = skipSpace(sc.b, i+1)
	for n := 0; i < len(sc.b) && sc.b[i] != ']' && sc.err == nil; n++ {
		sc.path[len(sc.path)-1] = pathSeg{index: n}
		end := sc.value(i)
		if end == i {
			return len(sc.b) // only on invalid JSON; never loop without progress
		}
		i = skipSpace(sc.b, end)
		if i < len(sc.b) && sc.b[i] == ',' {
			i = skipSpace(sc.b, i+1)
		}
	}
	return i + 1 // past ']'
}

// tooLong reports whether the JSON string literal s decodes to more than
// max bytes. Decoding never lengthens a string (an escape is at least as
// long as what it stands for), so only a literal longer than max is
// decoded to check.
func tooLong(s []byte, max int) bool {
	if len(s)-2 <= max {
		return false
	}
	v, ok := unquote(s)
	return !ok || len(v) > max
}

// fail records the first violation.
func (sc *limitScan) fail(key, msg string) {
	if sc.err != nil {
		return
	}
	var fe FieldErrors
	fe.Add(key, msg)
	sc.err = fe.Err()
}

// pathString joins the current path in Laravel dot notation.
func (sc *limitScan) pathString() string {
	if len(sc.path) == 0 {
		return jsonBodyKey
	}
	var sb strings.Builder
	for i, seg := range sc.path {
		if i > 0 {
			sb.WriteByte('.')
		}
		if seg.key == nil {
			sb.WriteString(strconv.Itoa(seg.index))
			continue
		}
		k, _ := unquote(seg.key)
		sb.WriteString(k)
	}
	return sb.String()
}
