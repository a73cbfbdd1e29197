package clientele

import "encoding/json"

// AvailabilityRequest is the body of POST /profiles/availability
// (spec §5.9): the values to check; nil means not sent.
type AvailabilityRequest struct {
	Email       *string
	MobilePhone *string
}

// ParseAvailabilityRequest validates an availability body: email and
// mobile_phone are strings, and at least one is required.
func ParseAvailabilityRequest(body []byte) (AvailabilityRequest, error) {
	var env struct {
		Email       Str `json:"email"`
		MobilePhone Str `json:"mobile_phone"`
	}
	if err := decodeEnvelope(body, &env); err != nil {
		return AvailabilityRequest{}, err
	}
	v := &validator{}
	var req AvailabilityRequest
	if e, ok := v.str("email", env.Email, maxStr); ok {
		req.Email = &e
	}
	if m, ok := v.str("mobile_phone", env.MobilePhone, maxStr); ok {
		req.MobilePhone = &m
	}
	if len(v.errs) == 0 && req.Email == nil && req.MobilePhone == nil {
		v.fail("email", "field is required when mobile phone is not present.")
		v.fail("mobile_phone", "field is required when email is not present.")
	}
	if err := v.errs.Err(); err != nil {
		return AvailabilityRequest{}, err
	}
	return req, nil
}

// ValidateSyncRequest validates a POST /profiles/sync body: updated_at is
// a required date or date-time (spec §5.10).
func ValidateSyncRequest(body []byte) error {
	var env struct {
		UpdatedAt Str `json:"updated_at"`
	}
	if err := decodeEnvelope(body, &env); err != nil {
		return err
	}
	v := &validator{}
	if _, ok := v.reqStr("updated_at", env.UpdatedAt, maxStr); ok {
		v.dateTime("updated_at", env.UpdatedAt)
	}
	return v.errs.Err()
}

// decodeEnvelope decodes a small JSON request body of tolerant fields:
// EMALFORMED when it is not JSON, the JSON limits' EINVALID, and an empty
// envelope (every field absent) when it is not an object.
func decodeEnvelope(body []byte, env any) error {
	if err := checkBody(body); err != nil {
		return err
	}
	if isObject(body) {
		_ = json.Unmarshal(body, env)
	}
	return nil
}
