package sqlite

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestSplitArray(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{`[]`, nil},
		{` [ ] `, nil},
		{`[1]`, []string{`1`}},
		{`[{"a":"x,]}\"{"},[1,[2]],"s\\",null, true ,{ "b" : [ ] }]`,
			[]string{`{"a":"x,]}\"{"}`, `[1,[2]]`, `"s\\"`, `null`, `true`, `{ "b" : [ ] }`}},
		{"[\n  {\"a\": 1},\n  {\"b\": 2}\n]", []string{`{"a": 1}`, `{"b": 2}`}},
	} {
		got, err := splitArray([]byte(tc.in))
		if err != nil {
			t.Errorf("splitArray(%s): %v", tc.in, err)
			continue
		}
		var gs []string
		for _, g := range got {
			gs = append(gs, string(g))
		}
		if !slices.Equal(gs, tc.want) {
			t.Errorf("splitArray(%s) = %q, want %q", tc.in, gs, tc.want)
		}
		var std []json.RawMessage
		if err := json.Unmarshal([]byte(tc.in), &std); err != nil || len(std) != len(got) {
			t.Errorf("splitArray(%s): %d elements, encoding/json %d (%v)", tc.in, len(got), len(std), err)
		}
	}
	for _, bad := range []string{``, `{}`, `[1,,2]`, `[,1]`, `[1,]`, `[{]`, `["]`} {
		if _, err := splitArray([]byte(bad)); err == nil {
			t.Errorf("splitArray(%s) succeeded", bad)
		}
	}
}
