package clientele

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
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
	// the size of a MySQL TEXT column, the largest Omneo could store. (A
	// string of invalid UTF-8 may decode to up to three times as much:
	// see tooLong.)
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

// CheckJSON checks body in one pass: EMALFORMED ("Malformed JSON body.")
// when it is not valid JSON, exactly as json.Valid would judge it, else the
// first place where it exceeds MaxJSONDepth, MaxJSONString, MaxJSONKey or
// MaxJSONNumber. A limit error is EINVALID with one Laravel-style message
// keyed by the value's dot path ("profiles.3.custom_attributes.0.value");
// a key that is too long is reported under the path of its object. A
// grammar error anywhere in body wins over a limit violation before it, as
// when json.Valid ran first.
func CheckJSON(body []byte) error {
	malformed, err := scanJSON(body)
	// The scan stops at a limit violation, leaving the rest of body
	// unchecked: only a body refused anyway pays for this second pass.
	if malformed || err != nil && !json.Valid(body) {
		return &Error{Code: EMALFORMED, Message: "Malformed JSON body."}
	}
	return err
}

// validJSON reports whether b is valid JSON, as json.Valid does, in
// CheckJSON's one pass: a limit error is no grammar error.
func validJSON(b []byte) bool { return ErrorCode(CheckJSON(b)) != EMALFORMED }

// pathSeg is one step of a dot path: an object key (still quoted) or an
// array index. The path is kept as segments and only joined into a string
// when there is an error to report, so a clean body costs no allocation.
type pathSeg struct {
	key   []byte
	index int
}

// jsonScan validates JSON depth-first, by the grammar encoding/json
// implements, while it checks the limits. Its recursion is bounded by
// MaxJSONDepth, since it stops before entering a deeper level; beyond,
// CheckJSON leaves the grammar to json.Valid, so encoding/json's own depth
// limit (10,000 levels) needs no check here. Its methods return the index
// just past what they scanned, or -1 once the scan has stopped.
type jsonScan struct {
	b []byte
	// path[:depth] is the path of the value being scanned.
	path  [MaxJSONDepth]pathSeg
	depth int
	// The scan stops at the first of these.
	err       error // a limit violation
	malformed bool  // a grammar error
}

// scanJSON scans body up to its first grammar error (malformed) or limit
// violation (err).
func scanJSON(body []byte) (malformed bool, err error) {
	sc := jsonScan{b: body}
	if end := sc.value(skipSpace(body, 0)); end >= 0 && skipSpace(body, end) != len(body) {
		sc.bad()
	}
	return sc.malformed, sc.err
}

// value scans the value at b[i].
func (sc *jsonScan) value(i int) int {
	b := sc.b
	if i >= len(b) {
		return sc.bad()
	}
	switch c := b[i]; c {
	case '"':
		end := sc.str(i)
		if end >= 0 && tooLong(b[i:end], MaxJSONString) {
			key := sc.pathString()
			return sc.fail(key, "The "+key+" must not be greater than "+strconv.Itoa(MaxJSONString)+" bytes.")
		}
		return end
	case '{', '[':
		if sc.depth == MaxJSONDepth {
			key := sc.pathString()
			return sc.fail(key, "The "+key+" is nested too deeply.")
		}
		if c == '{' {
			return sc.object(i)
		}
		return sc.array(i)
	case 't':
		return sc.literal(i, "true")
	case 'f':
		return sc.literal(i, "false")
	case 'n':
		return sc.literal(i, "null")
	}
	return sc.number(i)
}

// object scans the object at b[i] == '{'.
func (sc *jsonScan) object(i int) int {
	b := sc.b
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1
	}
	n := sc.depth
	sc.depth++
	for {
		if i >= len(b) || b[i] != '"' {
			return sc.bad()
		}
		kend := sc.str(i)
		if kend < 0 {
			return kend
		}
		key := b[i:kend]
		if tooLong(key, MaxJSONKey) {
			sc.depth = n // the object's path, not the member's
			at := sc.pathString()
			return sc.fail(at, "The "+at+" has a key longer than "+strconv.Itoa(MaxJSONKey)+" bytes.")
		}
		sc.path[n] = pathSeg{key: key}
		i = skipSpace(b, kend)
		if i >= len(b) || b[i] != ':' {
			return sc.bad()
		}
		if i = sc.value(skipSpace(b, i+1)); i < 0 {
			return i
		}
		more := false
		if i, more = sc.next(i, n, '}'); !more {
			return i
		}
	}
}

// array scans the array at b[i] == '['.
func (sc *jsonScan) array(i int) int {
	b := sc.b
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return i + 1
	}
	n := sc.depth
	sc.depth++
	for k := 0; ; k++ {
		sc.path[n] = pathSeg{index: k}
		if i = sc.value(i); i < 0 {
			return i
		}
		more := false
		if i, more = sc.next(i, n, ']'); !more {
			return i
		}
	}
}

// next scans what follows a member or an element of the container at
// depth n: a comma (more, and the index of the next one) or the closing
// byte (the index past it).
func (sc *jsonScan) next(i, n int, close byte) (int, bool) {
	b := sc.b
	if i = skipSpace(b, i); i < len(b) {
		switch b[i] {
		case ',':
			return skipSpace(b, i+1), true
		case close:
			sc.depth = n
			return i + 1, false
		}
	}
	return sc.bad(), false
}

// str scans the string at b[i] == '"'.
func (sc *jsonScan) str(i int) int {
	b := sc.b
	for i++; ; {
		// Find the next quote, backslash or control character eight bytes
		// at a time: most of a body is in its strings. Every other byte
		// stands for itself, including those of 0x80 and above, valid
		// UTF-8 or not: json.Valid accepts invalid UTF-8 in a string
		// (decoding replaces it with U+FFFD).
		if i+8 <= len(b) {
			m := specialBytes(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) / 8
		} else {
			for i < len(b) && b[i] >= 0x20 && b[i] != '"' && b[i] != '\\' {
				i++
			}
			if i == len(b) {
				return sc.bad()
			}
		}
		switch b[i] {
		case '"':
			return i + 1
		case '\\':
			if i+1 >= len(b) {
				return sc.bad()
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
				continue
			case 'u':
				if i+6 <= len(b) && isHex(b[i+2]) && isHex(b[i+3]) && isHex(b[i+4]) && isHex(b[i+5]) {
					i += 6
					continue
				}
			}
		}
		return sc.bad() // a bad escape or a control character
	}
}

// specialBytes returns 0 if none of the eight bytes of w is a quote, a
// backslash or a control character, else a mask whose lowest set bit is
// the high bit of the first such byte (little-endian order). Each term is
// the classic "has a byte less than n" test (n = 1 after XOR for ==),
// whose borrows can flag bytes after the first hit but never before it.
func specialBytes(w uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	quote, backslash := w^(ones*'"'), w^(ones*'\\')
	return ((w-ones*0x20)&^w | (quote-ones)&^quote | (backslash-ones)&^backslash) & highs
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// literal scans lit (true, false or null), expected at b[i].
func (sc *jsonScan) literal(i int, lit string) int {
	if len(sc.b)-i < len(lit) || string(sc.b[i:i+len(lit)]) != lit {
		return sc.bad()
	}
	return i + len(lit)
}

// number scans the number at b[i]:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (sc *jsonScan) number(i int) int {
	b := sc.b
	start := i
	if b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = skipDigits(b, i+1)
	default:
		return sc.bad()
	}
	if i < len(b) && b[i] == '.' {
		at := i + 1
		if i = skipDigits(b, at); i == at {
			return sc.bad()
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		at := i
		if i = skipDigits(b, i); i == at {
			return sc.bad()
		}
	}
	if i-start > MaxJSONNumber {
		key := sc.pathString()
		return sc.fail(key, "The "+key+" must not be greater than "+strconv.Itoa(MaxJSONNumber)+" bytes.")
	}
	return i
}

// skipDigits returns the index of the first byte at or after i that is
// not a decimal digit.
func skipDigits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}

// tooLong reports whether the JSON string literal s decodes to more than
// max bytes. Decoding shortens escapes (each is at least as long as what
// it stands for), so only a literal longer than max is decoded to check.
// Decoding does lengthen invalid UTF-8, each bad byte becoming a 3-byte
// U+FFFD, which this shortcut lets through up to three times max.
func tooLong(s []byte, max int) bool {
	return len(s)-2 > max && decodesLonger(s, max)
}

// decodesLonger is kept out of line so that tooLong, called for every
// string and key, is inlined: that is worth 7% of CheckJSON's speed.
//
//go:noinline
func decodesLonger(s []byte, max int) bool {
	v, ok := unquote(s)
	return !ok || len(v) > max
}

// fail records the limit violation that stops the scan.
func (sc *jsonScan) fail(key, msg string) int {
	var fe FieldErrors
	fe.Add(key, msg)
	sc.err = fe.Err()
	return -1
}

// bad records the grammar error that stops the scan.
func (sc *jsonScan) bad() int {
	sc.malformed = true
	return -1
}

// pathString joins the current path in Laravel dot notation.
func (sc *jsonScan) pathString() string {
	if sc.depth == 0 {
		return jsonBodyKey
	}
	var sb strings.Builder
	for i, seg := range sc.path[:sc.depth] {
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
