package clientele

import (
	"slices"
	"testing"
)

func TestKeyTables(t *testing.T) {
	if len(AppearanceKeys) != 58 || AppearanceKeys[0] != "hair_colour" ||
		AppearanceKeys[42] != "measurement_hand_right_thumb" || AppearanceKeys[57] != "measurement_ear_lobe" {
		t.Errorf("appearance keys: %d %q", len(AppearanceKeys), AppearanceKeys)
	}
	if len(CommsBoolKeys) != 5*11 || CommsBoolKeys[0] != "email_optout" || CommsBoolKeys[54] != "post_service" {
		t.Errorf("comms bool keys: %q", CommsBoolKeys)
	}
	if len(CommsKeys) != 55+4+4 || slices.Contains(CommsKeys, "profile_id") {
		t.Errorf("comms keys: %q", CommsKeys)
	}
	for _, k := range CommsKeys {
		if _, ok := commsKind[k]; !ok {
			t.Errorf("%s has no kind", k)
		}
	}
	for key, want := range map[string]any{
		"email_optout": false, "sms_bounced": false, "post_promo": false, "push_discover": nil,
		"phone_verification": "not_sent", "terms_accepted_at": nil, "terms_accepted_version": nil,
		"sms_consent_updated_at": nil, "unknown": nil,
	} {
		if got := CommsDefault(key); got != want {
			t.Errorf("CommsDefault(%s) = %v, want %v", key, got, want)
		}
	}
}
