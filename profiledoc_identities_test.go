package clientele

import (
	"reflect"
	"testing"
	"time"
)

// Identities round-trip through their doc exactly, in id order, and the
// forms SQLite's json_object (its migration 00007) and PostgreSQL's
// json_agg of json_build_object (its 00009) write read the same.
func TestIdentitiesDoc(t *testing.T) {
	at := time.Date(2026, 11, 28, 10, 0, 0, 123456000, time.UTC)
	ids := []Identity{
		{ID: 9, ProfileID: "p", Handle: "pos", Identifier: `P "1"\é`, IsActive: true, IsPrimary: false,
			CreatedAt: at, UpdatedAt: at.Add(time.Second)},
		{ID: 3, ProfileID: "p", Handle: "shopify", Identifier: "S-1", IsActive: false, IsPrimary: true},
	}
	b := MarshalIdentitiesDoc(ids)
	got, err := UnmarshalIdentitiesDoc(b, "p")
	if err != nil {
		t.Fatal(err)
	}
	want := []Identity{ids[1], ids[0]}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("round trip of %s:\n got %+v\nwant %+v", b, got, want)
	}
	if b := MarshalIdentitiesDoc(nil); b != nil {
		t.Errorf("no identities encode as %q, want nil", b)
	}
	for _, none := range []string{"", "[]"} {
		if got, err := UnmarshalIdentitiesDoc([]byte(none), "p"); got != nil || err != nil {
			t.Errorf("%q decodes as %+v, %v; want nil", none, got, err)
		}
	}
	sqlite := `[{"id":3,"handle":"shopify","identifier":"S-1","is_active":false,"is_primary":true,"created_at":0,"updated_at":0}]`
	if got, err := UnmarshalIdentitiesDoc([]byte(sqlite), "p"); err != nil || !reflect.DeepEqual(got, want[:1]) {
		t.Errorf("SQLite's form decodes as %+v, %v; want %+v", got, err, want[:1])
	}
	postgres := `[{"id" : 9, "handle" : "pos", "identifier" : "P \"1\"\\é", "is_active" : true, "is_primary" : false, ` +
		`"created_at" : 1795860000123456, "updated_at" : 1795860001123456}, ` +
		`{"id" : 3, "handle" : "shopify", "identifier" : "S-1", "is_active" : false, "is_primary" : true, "created_at" : 0, "updated_at" : 0}]`
	if got, err := UnmarshalIdentitiesDoc([]byte(postgres), "p"); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("PostgreSQL's form decodes as %+v, %v; want %+v", got, err, want)
	}
	if _, err := UnmarshalIdentitiesDoc([]byte(`[{"id":"x"}]`), "p"); err == nil {
		t.Error("a malformed doc decodes")
	}
}
