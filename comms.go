package clientele

import "strings"

// commsChannels and commsBoolSuffixes generate the boolean comms keys in the
// order spec §4.5 lists them: per channel, optout, bounced, promo, then the
// categories.
var (
	commsChannels     = []string{"email", "sms", "push", "phone", "post"}
	commsBoolSuffixes = []string{"optout", "bounced", "promo", "discover", "benefits", "reminders", "account", "bookings", "feedback", "location", "service"}
)

// CommsBoolKeys are the comms keys holding a boolean or null (spec §4.5), in
// spec order: email_optout, email_bounced, email_promo, email_discover, …,
// post_service.
var CommsBoolKeys = func() []string {
	keys := make([]string, 0, len(commsChannels)*len(commsBoolSuffixes))
	for _, c := range commsChannels {
		for _, s := range commsBoolSuffixes {
			keys = append(keys, c+"_"+s)
		}
	}
	return keys
}()

// CommsVerificationKeys are the comms keys holding a verification state,
// one of CommsVerificationValues.
var CommsVerificationKeys = []string{"email_verification", "sms_verification", "phone_verification", "post_verification"}

// CommsVerificationValues are the accepted verification states. "verified"
// is not in the SDK's enum but the concept docs list it (spec §4.5).
var CommsVerificationValues = []string{"sent", "not_sent", "verified"}

// CommsTimeKeys are the comms keys holding a date-time or null. Values are
// stored as canonical "YYYY-MM-DD HH:MM:SS" UTC strings.
var CommsTimeKeys = []string{"terms_accepted_at", "email_consent_updated_at", "sms_consent_updated_at"}

// CommsStringKeys are the comms keys holding free text or null. The SDK types
// terms_accepted_version as a boolean, which spec §4.5 calls wrong.
var CommsStringKeys = []string{"terms_accepted_version"}

// CommsKeys is every writable comms key in rendering order: the boolean keys,
// the verification keys, then the terms and consent keys.
var CommsKeys = func() []string {
	keys := append([]string(nil), CommsBoolKeys...)
	keys = append(keys, CommsVerificationKeys...)
	keys = append(keys, "terms_accepted_at", "terms_accepted_version", "email_consent_updated_at", "sms_consent_updated_at")
	return keys
}()

// commsKind classifies the writable comms keys; unknown keys (profile_id,
// created_at, typos) are absent and ignored on input.
var commsKind = func() map[string]byte {
	m := map[string]byte{}
	for _, k := range CommsBoolKeys {
		m[k] = 'b'
	}
	for _, k := range CommsVerificationKeys {
		m[k] = 'v'
	}
	for _, k := range CommsTimeKeys {
		m[k] = 't'
	}
	for _, k := range CommsStringKeys {
		m[k] = 's'
	}
	return m
}()

// CommsDefault is the value a comms key renders as when it was never set
// (spec §4.5 DECISION): optout, bounced and promo false, so that the SDK's
// isSubscribed reports a new profile as not subscribed; categories nil;
// verifications "not_sent"; terms and consent times nil. Unknown keys give
// nil.
func CommsDefault(key string) any {
	switch commsKind[key] {
	case 'b':
		if strings.HasSuffix(key, "_optout") || strings.HasSuffix(key, "_bounced") || strings.HasSuffix(key, "_promo") {
			return false
		}
		return nil
	case 'v':
		return "not_sent"
	}
	return nil
}
