package clientele

import (
	"bytes"
	"strings"
)

// The bodies of the profile routes. Each is parsed into a ProfileInput and
// checked by ValidateProfileInput and NormalizeInput, the very rules a
// batch item goes through: a sub-resource body is parsed as the one
// element of its list in a profile input ({"identities": [body]}), so
// that an identity, a date or an address is valid on its own route exactly
// when it would be inside a profile.

// ParseProfileRequest parses the body of POST /profiles (mode ModeCreate)
// or PUT /profiles/{id} (ModeUpdate). A body that is not a JSON object is
// no input, which fails on the required fields (as Laravel treats it).
func ParseProfileRequest(body []byte, mode ValidateMode, phoneRegion string) (*ProfileInput, error) {
	if err := checkBody(body); err != nil {
		return nil, err
	}
	in := &ProfileInput{}
	if isObject(body) {
		var err error
		if in, err = DecodeProfileInput(body); err != nil {
			return nil, err
		}
	}
	return in, finishInput(in, mode, phoneRegion, "")
}

// Profile parts a route may write, by their key in a profile input.
const (
	PartIdentity   = "identities"
	PartCustom     = "custom_attributes"
	PartDate       = "dates_attributes"
	PartAddress    = "addresses"
	PartRegion     = "regions"
	PartComms      = "comms_attributes"
	PartAppearance = "appearance_attributes"
)

// PartRequest says how to read one sub-resource body.
type PartRequest struct {
	Part string // one of the Part constants
	// Target is the id of the child the route changes (an identity or an
	// address); 0 for an upsert by the body's own keys.
	Target int64
	// Fix, when set, adjusts the decoded input before validation: the
	// values the path gives (a custom attribute's namespace and handle, a
	// region id) replace whatever the body says.
	Fix func(in *ProfileInput)
}

// ParsePartRequest parses a sub-resource body as the one element of its
// part (or, for comms and appearance, the part's object) and returns the
// ProfileInput holding it. Error keys are relative to the body
// ("identifier", not "identities.0.identifier").
func ParsePartRequest(body []byte, pr PartRequest, phoneRegion string) (*ProfileInput, error) {
	if err := checkBody(body); err != nil {
		return nil, err
	}
	if !isObject(body) {
		body = []byte("{}")
	}
	var wrapped bytes.Buffer
	switch pr.Part {
	case PartComms, PartAppearance:
		wrapped.WriteString(`{"` + pr.Part + `":`)
		wrapped.Write(body)
		wrapped.WriteString(`}`)
	default:
		wrapped.WriteString(`{"` + pr.Part + `":[`)
		wrapped.Write(body)
		wrapped.WriteString(`]}`)
	}
	in, err := DecodeProfileInput(wrapped.Bytes())
	if err != nil {
		return nil, err
	}
	switch pr.Part {
	case PartIdentity:
		in.Identities.V[0].ID = pr.Target
	case PartAddress:
		in.Addresses.V[0].ID = pr.Target
	}
	if pr.Fix != nil {
		pr.Fix(in)
	}
	return in, finishInput(in, ModeUpdate, phoneRegion, partPrefix(pr.Part))
}

// finishInput validates and normalises in; with a prefix, error keys lose
// it.
func finishInput(in *ProfileInput, mode ValidateMode, phoneRegion, prefix string) error {
	errs := ValidateProfileInput(in, mode)
	if errs == nil {
		errs = NormalizeInput(in, phoneRegion)
	}
	if errs == nil {
		return nil
	}
	return unprefix(errs, prefix).Err()
}

// partPrefix is what a part's error keys start with in a profile input.
func partPrefix(part string) string {
	if part == PartComms || part == PartAppearance {
		return part + "."
	}
	return part + ".0."
}

// PartErrors rewrites the field errors of err, from a write of a
// ParsePartRequest input (a unique key taken, say), to be relative to the
// part's body, as ParsePartRequest's own errors are. Other errors pass
// through.
func PartErrors(err error, part string) error {
	fields := ErrorFields(err)
	if ErrorCode(err) != EINVALID || fields == nil {
		return err
	}
	return unprefix(fields, partPrefix(part)).Err()
}

// unprefix drops prefix from the keys of errs, and from the attribute
// names in their messages.
func unprefix(errs FieldErrors, prefix string) FieldErrors {
	if prefix == "" {
		return errs
	}
	out := FieldErrors{}
	for k, msgs := range errs {
		k = strings.TrimPrefix(k, prefix)
		for _, m := range msgs {
			out.Add(k, strings.ReplaceAll(m, displayName(prefix), ""))
		}
	}
	return out
}

// checkBody refuses a body that is not JSON, or that breaks the JSON
// limits.
func checkBody(body []byte) error {
	return CheckJSON(body)
}

// isObject reports whether body's JSON value is an object.
func isObject(body []byte) bool {
	b := skipSpace(body, 0)
	return b < len(body) && body[b] == '{'
}

// ParseProfileTypeRequest parses the body of PUT /profiles/{id}/update-type
// (spec §5.7): profile_type is required, one of ProfileTypes, and the only
// field read.
func ParseProfileTypeRequest(body []byte) (*ProfileInput, error) {
	var env struct {
		ProfileType Str `json:"profile_type"`
	}
	if err := decodeEnvelope(body, &env); err != nil {
		return nil, err
	}
	if blankStr(env.ProfileType) {
		return nil, FieldErrors{"profile_type": {"The profile type field is required."}}.Err()
	}
	in := &ProfileInput{ProfileType: env.ProfileType}
	return in, finishInput(in, ModeUpdate, "", "")
}
