package webhook

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/diegoholiveira/jsonlogic/v3"
)

func init() {
	// not_in is the negation of in. Omneo's own tests store conditions
	// with it ({"and": [{"not_in": […]}]}, spec §4.9), so its conditions
	// use it, but JSON Logic has no such operator. The library keeps
	// operators in a package map: adding it once, here, before any rule
	// runs, is the only safe time.
	jsonlogic.AddOperator("not_in", func(values, data any) any {
		in, err := jsonlogic.ApplyInterface(map[string]any{"in": values}, data)
		return err == nil && !truthy(in)
	})
}

// conditionPasses reports whether the JSON Logic rule (a JSON object) is
// truthy for data (the decoded event body). A rule that cannot be decoded
// or run (an unknown operator, a type the operator cannot take) is an
// error; the router treats it as not passing, since a webhook asked to
// hear of some events only must not hear of all of them.
func conditionPasses(rule json.RawMessage, data any) (pass bool, err error) {
	var r any
	if err := json.Unmarshal(rule, &r); err != nil {
		return false, fmt.Errorf("condition: %w", err)
	}
	if err := checkRule(r); err != nil {
		return false, fmt.Errorf("condition: %w", err)
	}
	defer func() {
		// The library recovers its own panics but assumes their values
		// are errors; anything else would crash the router.
		if p := recover(); p != nil {
			pass, err = false, fmt.Errorf("condition: %v", p)
		}
	}()
	out, err := jsonlogic.ApplyInterface(r, data)
	if err != nil {
		return false, fmt.Errorf("condition: %w", err)
	}
	return truthy(out), nil
}

// operators are the JSON Logic operators the library runs, and not_in.
var operators = map[string]bool{}

func init() {
	for _, op := range strings.Fields(`== === != !== > >= < <= ! !! or and ?: if in in_sorted not_in cat
		substr % abs max min + - * / merge missing missing_some some all none filter map reduce var`) {
		operators[op] = true
	}
}

// checkRule refuses what the library would not report: an object that is
// not one known operator. The library treats {"test": 123} as "is 123
// truthy" and an object of several keys as a value, so Omneo's test
// condition {"test": 123} would pass everything.
func checkRule(v any) error {
	switch x := v.(type) {
	case map[string]any:
		if len(x) != 1 {
			return fmt.Errorf("an operation must have exactly one operator, not %d", len(x))
		}
		for op, args := range x {
			if !operators[op] {
				return fmt.Errorf("unknown operator %q", op)
			}
			return checkRule(args)
		}
	case []any:
		for _, e := range x {
			if err := checkRule(e); err != nil {
				return err
			}
		}
	}
	return nil
}

// truthy is JSON Logic's truthiness: false, null, 0, "" and [] are false.
func truthy(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case float64:
		return x != 0
	case string:
		return x != ""
	case []any:
		return len(x) > 0
	case map[string]any:
		return len(x) > 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint() != 0
	case reflect.Float32:
		return rv.Float() != 0
	case reflect.Slice, reflect.Map:
		return rv.Len() > 0
	}
	return true
}
