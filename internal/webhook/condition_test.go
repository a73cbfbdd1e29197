package webhook

import (
	"encoding/json"
	"testing"
)

func TestConditionPasses(t *testing.T) {
	var body any
	if err := json.Unmarshal([]byte(`{"email":"a@example.com","tags":["vip"],"profile_type":"active",
		"custom_attributes":{"crm":{"score":42}},"birth_year":1990}`), &body); err != nil {
		t.Fatal(err)
	}
	for rule, want := range map[string]bool{
		`{"==":[{"var":"profile_type"},"active"]}`:                            true,
		`{"in":["vip",{"var":"tags"}]}`:                                       true,
		`{"not_in":["vip",{"var":"tags"}]}`:                                   false,
		`{"and":[{"not_in":[{"var":"email"},["x@example.com"]]}]}`:            true,
		`{"and":[{"not_in":[{"var":"email"},["a@example.com"]]}]}`:            false,
		`{">":[{"var":"custom_attributes.crm.score"},40]}`:                    true,
		`{"<":[{"var":"birth_year"},1980]}`:                                   false,
		`{"var":"missing"}`:                                                   false,
		`{"and":[{"==":[1,1]},{"!!":[{"var":"tags"}]}]}`:                      true,
		`{"if":[{"==":[{"var":"profile_type"},"active"]},"yes",""]}`:          true,
		`{"or":[{"==":[{"var":"email"},"b@example.com"]},{"var":"nothing"}]}`: false,
	} {
		got, err := conditionPasses(json.RawMessage(rule), body)
		if err != nil || got != want {
			t.Errorf("%s = %v (%v), want %v", rule, got, err, want)
		}
	}
	// Omneo's test condition is not JSON Logic: it cannot pass.
	if got, err := conditionPasses(json.RawMessage(`{"test":123}`), body); got || err == nil {
		t.Errorf(`{"test":123} = %v, %v; want false with an error`, got, err)
	}
	if got, err := conditionPasses(json.RawMessage(`{"?:":[1,2,3]}`), body); got || err == nil {
		t.Errorf("a rule that panics = %v, %v; want false with an error", got, err)
	}
}
