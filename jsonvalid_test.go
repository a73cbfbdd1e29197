package clientele

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// grammarCases are inputs on which CheckJSON must judge validity exactly as
// json.Valid does; all are within the limits.
var grammarCases = []string{
	// Top-level values and whitespace.
	``, ` `, "\t\r\n", `null`, `true`, `false`, `0`, `"s"`, `{}`, `[]`,
	" \t\r\n{} \t\r\n", "\v{}", "{}\v", "\f1", "\u00a0{}", "{}\u00a0", "\xa0{}",
	"\ufeff{}", "{}\ufeff", "\x00", "{}\x00", "\x00{}", "[1,\x002]",
	`{}{}`, `{} {}`, `1 2`, `"a""b"`, `[][]`, `null null`, `{} x`, `{},`,
	// Literals.
	`tru`, `t`, `truee`, `nul`, `nulll`, `fals`, `falsey`, `True`, `NULL`,
	`nan`, `NaN`, `Infinity`, `-Infinity`, `undefined`, `[true,false,null]`,
	`[truefalse]`, `[true false]`, `{"a":nul}`, `trUe`, `nul1`, `falsE`, `[nulL]`,
	`{"a":fAlse}`,
	// Numbers.
	`-`, `--1`, `+1`, `-0`, `-0.0`, `0.0`, `01`, `-01`, `00`, `1.`, `.5`, `-.5`,
	`1.e5`, `1e`, `1e+`, `1e-`, `1E5`, `1e+5`, `1e-5`, `1E-05`, `1e5.5`, `1.5.5`,
	`1e999999999999999999999`, `-1e-999999999999999999`, `123456789012345678901234567890`,
	`0x1F`, `1_000`, `0e0`, `0E+0`, `1ee5`, `1e++5`, `[1.]`, `[-]`, `{"a":-}`,
	`[01]`, `[1,-0,0.5e-3]`, `1 `, `[1 ]`, `1a`, `[1a]`,
	// Strings and escapes.
	`"\"\\\/\b\f\n\r\t"`, `"\u0000\u00e9\uFFFF\uD800\udc00"`, `"\u12"`, `"\u12g4"`,
	`"\uG123"`, `"\u1g23"`, `"\u12G3"`, `"\u123g"`, `"\uGGGG"`, `"\U0041"`,
	`"\u"`, `"\u0"`, `"\u00"`, `"\u004"`, `"\u0041`,
	`"\a"`, `"\x41"`, `"\'"`, `"\0"`, `"\ "`, `"\`, `"\\"`, `"\\\"`, `"a\"b"`,
	"\"a\x00b\"", "\"\x01\"", "\"\x1f\"", "\"\t\"", "\"\n\"", "\"\r\"", "\"\x7f\"",
	"\"\x20\"", `"`, `"abc`, `abc"`, `'a'`, `""`, `"\v"`, `"\e"`, `"\N"`, `"\B"`,
	// The same, further than eight bytes from either end of the body.
	"\"0123456789\x01abcdefghij\"", "[\"abcdefgh\x1f\",\"ijklmnop\"]", "[\"abcdefgh\x00ijklmnop\"]",
	"\"abcdefgh\x20\x7f\x80\xffijkl\"", `"abcdefghij\n\u00e9klmnopqrstu"`, `"abcdefghij\qklmnopqrstu"`,
	`["abcdefgh\u00zzijklmnop"]`, `["abcdefgh\"ijkl\\mnop\/qrst"]`, `["abcdefgh\'ijklmnop"]`,
	// UTF-8, valid and not, inside and outside strings.
	`"é"`, `"日本"`, `"😀"`, "\"\xff\"", "\"\xc3\"", "\"\xc3(\"", "\"\xed\xa0\x80\"",
	"\"\xf4\x90\x80\x80\"", "\"\xc0\xaf\"", "\xff", "[\xff]", "{\"a\":1}\xff",
	"\xef\xbb\xbf{}", "\"\xef\xbb\xbf\"", `é`, `{"é":"\u00e9"}`,
	// Objects.
	`{"a":1}`, `{"a":1,}`, `{"a":1 "b":2}`, `{"a" 1}`, `{"a"}`, `{"a":}`, `{:1}`,
	`{a:1}`, `{'a':1}`, `{1:1}`, `{"a":1,"a":2}`, `{"":0}`, `{,}`, `{"a":1,,"b":2}`,
	`{"a"::1}`, `{"a":1:2}`, `{`, `{"a"`, `{"a":`, `{"a":1`, `{"a":1,`, `}`,
	`{"a":[1}`, `{"a":{]}`, `{ "a" : 1 , "b" : [ ] }`, `{"a":{"b":{"c":{}}}}`,
	// Arrays.
	`[1,]`, `[,1]`, `[,]`, `[1 2]`, `[1,,2]`, `[`, `[1`, `[1,`, `]`, `[[]]`,
	`[[],[{}],{}]`, `[{}{}]`, `[[[[[[[[]]]]]]]]`, `[[]`, `[]]`, `[{"a":[]}]`,
	`[1}`, `{]`, `["a":1]`,
}

func TestCheckJSONAgreesWithValid(t *testing.T) {
	for _, c := range grammarCases {
		valid := json.Valid([]byte(c))
		err := CheckJSON([]byte(c))
		if got := ErrorCode(err) != EMALFORMED; got != valid {
			t.Errorf("%q: CheckJSON says valid %v (%v), json.Valid %v", c, got, err, valid)
		}
		if valid && err != nil {
			t.Errorf("%q: unexpected error %v", c, err)
		}
	}
}

type limitCase struct {
	body string
	code string // EINVALID for the limit violation, or EMALFORMED
}

// limitCases break a limit. CheckJSON must report it exactly as
// the limit scanner did after json.Valid, unless the body is not valid JSON:
// then EMALFORMED wins, wherever the grammar error is.
func limitCases() []limitCase {
	deep := strings.Repeat("[", MaxJSONDepth+1) + strings.Repeat("]", MaxJSONDepth+1)
	key := `{"a":{"` + strings.Repeat("k", MaxJSONKey+1) + `":1}}`
	num := `[0,-1.` + strings.Repeat("5", MaxJSONNumber) + `e7]`
	str := `{"s":["` + strings.Repeat("x", MaxJSONString+1) + `"]}`
	return []limitCase{
		{deep, EINVALID}, {key, EINVALID}, {num, EINVALID}, {str, EINVALID},
		// A grammar error after the violation.
		{deep + " x", EMALFORMED}, {key[:len(key)-1], EMALFORMED},
		{num + ",", EMALFORMED}, {str[:len(str)-1] + "]", EMALFORMED},
		{`[` + deep + `,01]`, EMALFORMED}, {`[` + key + `,"\x"]`, EMALFORMED},
		{`[` + num + `,tru]`, EMALFORMED},
		// A grammar error in the string or key that breaks the limit.
		{`"` + strings.Repeat("x", MaxJSONString+1) + "\x01\"", EMALFORMED},
		{`{"` + strings.Repeat("k", MaxJSONKey+1) + `\q":1}`, EMALFORMED},
		// json.Valid's own nesting limit is 10,000 levels; deeper still,
		// nothing may recurse that far.
		{strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000), EINVALID},
		{strings.Repeat("[", 10001) + strings.Repeat("]", 10001), EMALFORMED},
		{strings.Repeat("[", 1<<20), EMALFORMED},
	}
}

func TestCheckJSONLimitPrecedence(t *testing.T) {
	for _, c := range limitCases() {
		b := []byte(c.body)
		got, want := CheckJSON(b), checkJSONTwoPass(b)
		if ErrorCode(got) != c.code || !sameError(got, want) {
			t.Errorf("%.60q...: CheckJSON %v (fields %v), want %s: %v (fields %v)",
				c.body, got, ErrorFields(got), c.code, want, ErrorFields(want))
		}
	}
}

func FuzzCheckJSON(f *testing.F) {
	for _, c := range grammarCases {
		f.Add([]byte(c))
	}
	for _, c := range limitCases() {
		if len(c.body) < 1000 { // the long ones would slow every mutation of them
			f.Add([]byte(c.body))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, want := CheckJSON(b), checkJSONTwoPass(b)
		if !sameError(got, want) {
			t.Fatalf("%q: CheckJSON %v (fields %v), json.Valid then limits %v (fields %v)",
				b, got, ErrorFields(got), want, ErrorFields(want))
		}
	})
}

func sameError(a, b error) bool {
	return (a == nil) == (b == nil) && ErrorCode(a) == ErrorCode(b) &&
		reflect.DeepEqual(ErrorFields(a), ErrorFields(b)) &&
		(a == nil || a.Error() == b.Error())
}

// checkJSONTwoPass is the check as it was made before CheckJSON, kept as
// the oracle: json.Valid, then a limit scan that trusts the grammar.
func checkJSONTwoPass(body []byte) error {
	if !json.Valid(body) {
		return &Error{Code: EMALFORMED, Message: "Malformed JSON body."}
	}
	sc := twoPassScan{b: body}
	sc.value(skipSpace(body, 0))
	return sc.err
}

type twoPassScan struct {
	b    []byte
	path []pathSeg
	err  error
}

func (sc *twoPassScan) value(i int) int {
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

func (sc *twoPassScan) object(i int) int {
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
		i = skipSpace(sc.b, i+1)
		i = skipSpace(sc.b, sc.value(i))
		if i < len(sc.b) && sc.b[i] == ',' {
			i = skipSpace(sc.b, i+1)
		}
	}
	return i + 1
}

func (sc *twoPassScan) array(i int) int {
	sc.path = append(sc.path, pathSeg{})
	defer func() { sc.path = sc.path[:len(sc.path)-1] }()
	i = skipSpace(sc.b, i+1)
	for n := 0; i < len(sc.b) && sc.b[i] != ']' && sc.err == nil; n++ {
		sc.path[len(sc.path)-1] = pathSeg{index: n}
		end := sc.value(i)
		if end == i {
			return len(sc.b)
		}
		i = skipSpace(sc.b, end)
		if i < len(sc.b) && sc.b[i] == ',' {
			i = skipSpace(sc.b, i+1)
		}
	}
	return i + 1
}

func (sc *twoPassScan) fail(key, msg string) {
	if sc.err == nil {
		var fe FieldErrors
		fe.Add(key, msg)
		sc.err = fe.Err()
	}
}

func (sc *twoPassScan) pathString() string {
	if len(sc.path) == 0 {
		return jsonBodyKey
	}
	segs := make([]string, len(sc.path))
	for i, seg := range sc.path {
		if seg.key == nil {
			segs[i] = strconv.Itoa(seg.index)
		} else {
			segs[i], _ = unquote(seg.key)
		}
	}
	return strings.Join(segs, ".")
}

// benchBody is a 500-item batch like those of a bulk load.
func benchBody() []byte {
	item := `{"email":"a@example.com","first_name":"Jane","identities":[{"handle":"shopify","identifier":"1"}],` +
		`"custom_attributes":[{"namespace":"n","handle":"h","type":"json","value":{"a":[1,2,{"b":"c"}]}}]}`
	return []byte(`{"match_criteria":"email","profiles":[` + strings.TrimSuffix(strings.Repeat(item+",", 500), ",") + `]}`)
}

// BenchmarkCheckJSON compares the one pass with the two it replaces.
func BenchmarkCheckJSON(b *testing.B) {
	body := benchBody()
	for _, bc := range []struct {
		name  string
		check func([]byte) bool
	}{
		{"CheckJSON", func(b []byte) bool { return CheckJSON(b) == nil }},
		{"json.Valid", json.Valid},
		{"checkJSONTwoPass", func(b []byte) bool { return checkJSONTwoPass(b) == nil }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if !bc.check(body) {
					b.Fatal("benchmark body refused")
				}
			}
		})
	}
}

// TestDecodeProfileInputIsUnmarshal checks that DecodeProfileInput, which
// validates with validJSON, decodes exactly what json.Unmarshal did, and
// fails exactly where it failed.
func TestDecodeProfileInputIsUnmarshal(t *testing.T) {
	inputs := []string{
		`{}`, ` {"email":"A@b.co"} `, "\n{\"first_name\":\"Ann\",\"tags\":[\"x\"]}\t", `null`, ` null `, `1`, `"s"`, `[]`,
		`[{"email":"a@b.co"}]`, `{"custom_attributes":[{"namespace":"n","handle":"h","value":{"a":[1,2]}}]}`,
		`{"identities":[{"handle":"shopify","identifier":" 7 "}],"addresses":[{"city":"X"}]}`,
		`{`, `{"email":}`, `{"email":"a"} x`, `{"a":1,}`, ``, ` `, `{"s":"\x"}`,
		`{"deep":` + strings.Repeat("[", MaxJSONDepth+2) + strings.Repeat("]", MaxJSONDepth+2) + `}`,
		`{"deep":` + strings.Repeat("[", MaxJSONDepth+2) + strings.Repeat("]", MaxJSONDepth+1) + `}`,
	}
	for _, c := range append(inputs, string(benchBody())) {
		var want ProfileInput
		wantErr := json.Unmarshal([]byte(c), &want)
		got, err := DecodeProfileInput([]byte(c))
		if (err != nil) != (wantErr != nil) {
			t.Errorf("%.60q: error %v, json.Unmarshal %v", c, err, wantErr)
			continue
		}
		if err == nil && !reflect.DeepEqual(*got, want) {
			t.Errorf("%.60q: decoded %+v, json.Unmarshal %+v", c, *got, want)
		}
	}
}
