package clientele

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCheckJSONLimitErrors(t *testing.T) {
	deep := func(n int, open, close string) string {
		return strings.Repeat(open, n) + "1" + strings.Repeat(close, n)
	}
	long := strings.Repeat("x", MaxJSONString+1)
	for _, c := range []struct {
		name, body, key string
	}{
		{"empty object", `{}`, ""},
		{"scalars", `"s"`, ""},
		{"array depth at limit", deep(MaxJSONDepth, "[", "]"), ""},
		{"array depth over limit", deep(MaxJSONDepth+1, "[", "]"), strings.TrimPrefix(strings.Repeat(".0", MaxJSONDepth), ".")},
		{"object depth over limit", `{"p":[` + deep(MaxJSONDepth-1, `{"a":`, "}") + `]}`, "p.0" + strings.Repeat(".a", MaxJSONDepth-2)},
		{"root string too long", `"` + long + `"`, "body"},
		{"member too long", `{"a":[1,{"b":"` + long + `"}]}`, "a.1.b"},
		{"escapes decode within the limit", `"` + strings.Repeat(`\n`, MaxJSONString) + `"`, ""},
		{"escapes decode beyond it", `["` + strings.Repeat(`\u00e9`, MaxJSONString/2+1) + `"]`, "0"},
		{"key at limit", `{"` + strings.Repeat("k", MaxJSONKey) + `":1}`, ""},
		{"key too long", `{"a":{"` + strings.Repeat("k", MaxJSONKey+1) + `":1}}`, "a"},
		{"root key too long", `{"` + strings.Repeat("k", MaxJSONKey+1) + `":1}`, "body"},
		{"number too long", `{"n":-0.` + strings.Repeat("1", MaxJSONNumber) + `}`, "n"},
		{"dotted key", `{"a.b":["` + long + `"]}`, "a.b.0"},
		{"whitespace everywhere", " { \"a\" : [ 1 , { \"b\" : \"" + long + "\" } ] } ", "a.1.b"},
		{"later violation after clean siblings", `{"a":[1,2,3],"b":{"c":"x"},"d":["` + long + `"]}`, "d.0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !json.Valid([]byte(c.body)) {
				t.Fatal("test body is not valid JSON")
			}
			err := CheckJSON([]byte(c.body))
			if c.key == "" {
				if err != nil {
					t.Fatalf("error %v, want none", err)
				}
				return
			}
			fields := ErrorFields(err)
			if ErrorCode(err) != EINVALID || len(fields) != 1 || len(fields[c.key]) != 1 {
				t.Fatalf("error %v (fields %v), want one message under %q", err, fields, c.key)
			}
			if !strings.HasPrefix(fields[c.key][0], "The "+c.key+" ") {
				t.Errorf("message %q does not name %q", fields[c.key][0], c.key)
			}
		})
	}
}
