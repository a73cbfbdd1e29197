package clientele

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// refDecode decodes with encoding/json alone: the behaviour decodeMembers,
// eachElement and unquote must reproduce on valid JSON.
func refDecode(b []byte, dst any) {
	_ = json.Unmarshal(b, dst)
}

var scanCases = []string{
	`{}`,
	` { "email" : "a@b.co" , "first_name":"x" } `,
	`{"email":"esc\"aped\\ \u00e9 \ud83d\ude00 \n","title":"caf\u00e9"}`,
	"{\"title\":\"raw \xff bytes\",\"company\":\"h\u00e9llo\"}",
	`{"EMAIL":"upper@b.co","First_Name":"case"}`,
	`{"email":"first@b.co","email":"last@b.co"}`,
	`{"tags":[ "a" , 1 , null , "b\"]" , {"x":"]"} , [1,[2]] ],"statuses":[]}`,
	`{"identities":[{"handle":"h","identifier":"1","IS_ACTIVE":false},"x",null,{"handle":{"nested":"}"}}]}`,
	`{"birth_day":"12","birth_month":12.0,"birth_year":-1e3,"region_id":true}`,
	`{"comms_attributes":{"b":1,"a":{"x":[1,"}"]},"a":2},"appearance_attributes":[],"attributes":{"comms":null,"appearance":["x"]}}`,
	`{"custom_attributes":[{"namespace":"n","handle":"h","value":{"a" : [1, 2]}}],"unknown":{"deep":[[[{}]]]}}`,
	`{"dates_attributes":[{"date":"2023-01-01","links":[{"profile_id":"p"},[]],"meta":null}]}`,
	`[1,2]`, `"str"`, `null`, `12`,
}

func TestDecodeMatchesEncodingJSON(t *testing.T) {
	for _, js := range scanCases {
		if !json.Valid([]byte(js)) {
			t.Fatalf("invalid case %s", js)
		}
		var got ProfileInput
		_ = json.Unmarshal([]byte(js), &got)

		// The reference: the same struct decoded member by member by
		// encoding/json (plain has no UnmarshalJSON of its own).
		type plain ProfileInput
		var want ProfileInput
		if js[0] == '{' || js[1] == '{' {
			refDecode([]byte(js), (*plain)(&want))
		} else {
			want.Obj.Bad = true
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", js, got, want)
		}
	}
}

func TestListAndStrMatchEncodingJSON(t *testing.T) {
	for _, js := range []string{
		`[]`, `[ ]`, `["a","b\u0041",null,1,true,{},[], "\ud800"]`, "[\"\xe9t\xe9\"]",
	} {
		var got List[Str]
		_ = json.Unmarshal([]byte(js), &got)
		var want []Str
		refDecode([]byte(js), &want)
		if !reflect.DeepEqual(got.V, want) || !got.Set || got.Bad {
			t.Errorf("%s: got %+v, want %+v", js, got.V, want)
		}
	}
}

func TestMapKeepsOrderAndCopies(t *testing.T) {
	b := []byte(`{"z":1, "a" : {"x":"}"} ,"z":[2],"\u00e9":null}`)
	var m Map
	_ = json.Unmarshal(b, &m)
	if !reflect.DeepEqual(m.Keys, []string{"z", "a", "é"}) {
		t.Errorf("keys %q", m.Keys)
	}
	if string(m.V["z"]) != `[2]` || string(m.V["a"]) != `{"x":"}"}` || string(m.V["é"]) != `null` {
		t.Errorf("values %q", m.V)
	}
	for i := range b {
		b[i] = ' '
	}
	if string(m.V["a"]) != `{"x":"}"}` {
		t.Error("Map aliases the input bytes")
	}
}

// FuzzDecode checks on arbitrary valid JSON that decoding never panics and
// agrees with encoding/json.
func FuzzDecode(f *testing.F) {
	for _, c := range scanCases {
		f.Add(c)
	}
	f.Fuzz(func(t *testing.T, js string) {
		if !json.Valid([]byte(js)) {
			return
		}
		in, err := DecodeProfileInput([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		var tags List[Str]
		_ = json.Unmarshal([]byte(js), &tags)
		var ref []Str
		if tags.Set && !tags.Null && !tags.Bad {
			refDecode([]byte(js), &ref)
			if !reflect.DeepEqual(tags.V, ref) {
				t.Errorf("list %s: got %+v want %+v", js, tags.V, ref)
			}
		}
		if b := bytes.TrimSpace([]byte(js)); len(b) > 0 && b[0] == '{' {
			type plain ProfileInput
			var want ProfileInput
			refDecode(b, (*plain)(&want))
			if !reflect.DeepEqual(*in, want) {
				t.Errorf("object %s:\ngot  %+v\nwant %+v", js, *in, want)
			}
		}
		_ = ValidateProfileInput(in, ModeUpdate)
	})
}

// FuzzDecodeInvalid feeds arbitrary bytes straight to the UnmarshalJSON
// methods, bypassing encoding/json's validation: they must neither panic
// nor loop.
func FuzzDecodeInvalid(f *testing.F) {
	for _, c := range append(scanCases, `[}`, `{"a":}`, `[,`, `{"a" 1`, `["\`, `{`, `[`, `{"000000`) {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var in ProfileInput
		_ = in.UnmarshalJSON(b)
		var l List[IdentityInput]
		_ = l.UnmarshalJSON(b)
		var m Map
		_ = m.UnmarshalJSON(b)
		var s Str
		_ = s.UnmarshalJSON(b)
	})
}
