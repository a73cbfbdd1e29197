package clientele

import (
	"reflect"
	"testing"
)

func TestParseSearchIDRequest(t *testing.T) {
	got, err := ParseSearchIDRequest([]byte(`{"type":"shopify","id":"S-1"}`))
	if err != nil || got != (SearchIDRequest{Type: "shopify", ID: "S-1"}) {
		t.Fatalf("got %+v, %v", got, err)
	}
	for body, want := range map[string]map[string][]string{
		`{}`:                    {"type": {"The type field is required."}, "id": {"The id field is required."}},
		`{"type":"profile_id"}`: {"id": {"The id field is required."}},
		`{"type":7,"id":"x"}`:   {"type": {"The type must be a string."}},
		`[]`:                    {"type": {"The type field is required."}, "id": {"The id field is required."}},
	} {
		_, err := ParseSearchIDRequest([]byte(body))
		if ErrorCode(err) != EINVALID || !reflect.DeepEqual(map[string][]string(ErrorFields(err)), want) {
			t.Errorf("%s: %v %v, want %v", body, err, ErrorFields(err), want)
		}
	}
	if _, err := ParseSearchIDRequest([]byte(`{"type":`)); ErrorCode(err) != EMALFORMED {
		t.Errorf("broken JSON: %v, want EMALFORMED", err)
	}
}
