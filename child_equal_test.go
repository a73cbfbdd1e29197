package clientele

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// TestSameChild checks sameChild against reflect.DeepEqual for every
// field of every child type changed in each of the ways that matter to
// the typed comparisons (nil, empty, equal copy, other value).
func TestSameChild(t *testing.T) {
	checkSameChild(t, Identity{}, 8)
	checkSameChild(t, CustomAttribute{}, 7)
	checkSameChild(t, DateAttribute{}, 15)
	checkSameChild(t, Address{}, 17)
}

func checkSameChild[T Identity | CustomAttribute | DateAttribute | Address](t *testing.T, zero T, fields int) {
	t.Helper()
	typ := reflect.TypeOf(zero)
	if typ.NumField() != fields {
		t.Fatalf("%s has %d fields, sameChild compares %d: compare the new ones there, then update this count",
			typ.Name(), typ.NumField(), fields)
	}
	var base T
	fill(reflect.ValueOf(&base).Elem())
	check := func(what string, a, b T) {
		if got, want := sameChild(&a, &b), reflect.DeepEqual(a, b); got != want {
			t.Errorf("%s, %s: sameChild %v, DeepEqual %v", typ.Name(), what, got, want)
		}
	}
	check("itself", base, base)
	check("zero values", zero, zero)
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		for j, vary := range variants(reflect.ValueOf(base).Field(i)) {
			for _, from := range []T{base, zero} {
				v := from
				reflect.ValueOf(&v).Elem().Field(i).Set(vary)
				check(name+" variant "+string(rune('a'+j)), from, v)
				check(name+" variant "+string(rune('a'+j))+" (swapped)", v, from)
			}
		}
	}
}

// fill sets every field of v to a value that is not its zero value.
func fill(v reflect.Value) {
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Interface().(type) {
		case int64:
			f.SetInt(7)
		case string:
			f.SetString("s")
		case bool:
			f.SetBool(true)
		case *string:
			s := "p"
			f.Set(reflect.ValueOf(&s))
		case time.Time:
			f.Set(reflect.ValueOf(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)))
		case json.RawMessage:
			f.Set(reflect.ValueOf(json.RawMessage(`{"a":1}`)))
		case []DateLink:
			r := "r"
			f.Set(reflect.ValueOf([]DateLink{{Relationship: &r}}))
		default:
			panic("fill: add a case for " + f.Type().String())
		}
	}
}

// variants are values for a field like f: equal copies and different ones.
func variants(f reflect.Value) []reflect.Value {
	var out []any
	switch x := f.Interface().(type) {
	case int64:
		out = []any{x + 1}
	case string:
		out = []any{x + "x", ""}
	case bool:
		out = []any{!x}
	case *string:
		same, other := *x, *x+"x"
		out = []any{(*string)(nil), &same, &other}
	case time.Time:
		out = []any{x.Add(time.Nanosecond), x.In(time.FixedZone("UTC", 0)), time.Time{}}
	case json.RawMessage:
		out = []any{json.RawMessage(nil), json.RawMessage{}, append(json.RawMessage(nil), x...), json.RawMessage(`{"a":2}`)}
	case []DateLink:
		out = []any{[]DateLink(nil), []DateLink{}, append([]DateLink(nil), x...)}
	}
	vs := make([]reflect.Value, len(out))
	for i, o := range out {
		vs[i] = reflect.ValueOf(o)
	}
	return vs
}
