package clientele

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// BatchRequest is a parsed, validated body of POST /profiles/batch (spec
// §6.1), ready for Store.CreateBatch.
type BatchRequest struct {
	MatchCriteria string
	ImportJobID   *int64
	Items         NewBatchItems
	// Inputs are the items decoded and validated (every one passed), with
	// their keys normalised: what the worker would make of Items.Raw but
	// for the phone numbers (PrepareValidated), so that a node that
	// applies a batch it accepted need not decode it again.
	Inputs []*ProfileInput
}

// ParseBatchRequest parses and validates a batch body synchronously, so that
// a bad batch is refused with 422 before anything is queued (spec §6.1,
// §12 #4). It checks the envelope (match_criteria, profiles with 1 to
// maxItems objects, import_job_id) and the type and format of every item
// field (ValidateProfileInput in ModeBatchItem, keys prefixed
// "profiles.N."). Uniqueness and the presence of the match key are per-item
// checks made when the batch is applied.
//
// maxItems <= 0 means DefaultMaxBatchSize.
//
// Errors: EMALFORMED when body is not JSON; EINVALID (with Fields) for
// everything else, a body beyond the limits of CheckJSON included.
// On success Items.Raw holds each item's bytes as sent and Items.MatchValues
// the value the item will be matched on (MatchValue).
func ParseBatchRequest(body []byte, maxItems int) (*BatchRequest, error) {
	if maxItems <= 0 {
		maxItems = DefaultMaxBatchSize
	}
	// One pass validates the whole body and refuses one nested or
	// stretched beyond the limits before anything is built from it; after
	// it, the scanner of jsonscan.go splits the envelope and the items
	// without re-validating, and each item is decoded exactly once.
	if err := CheckJSON(body); err != nil {
		return nil, err
	}
	body = bytes.TrimSpace(body)
	if body[0] != '{' {
		// Valid JSON but not an object: it has neither required key.
		fe := FieldErrors{}
		fe.Add("match_criteria", "The match criteria field is required.")
		fe.Add("profiles", "The profiles field is required.")
		return nil, fe.Err()
	}
	var env struct {
		MatchCriteria Str
		ImportJobID   Int
		Profiles      []byte
	}
	eachMember(body, func(rawKey, val []byte) {
		switch key, _ := unquote(rawKey); key {
		case "match_criteria":
			_ = env.MatchCriteria.UnmarshalJSON(val)
		case "import_job_id":
			_ = env.ImportJobID.UnmarshalJSON(val)
		case "profiles":
			env.Profiles = val
		}
	})

	v := &validator{}
	criteria, _ := v.reqStr("match_criteria", env.MatchCriteria, maxStr)
	req := &BatchRequest{MatchCriteria: criteria}
	if n, ok := v.int("import_job_id", env.ImportJobID); ok {
		req.ImportJobID = &n
	}

	var raws []json.RawMessage
	switch {
	case len(env.Profiles) == 0 || isNull(env.Profiles):
		v.fail("profiles", "field is required.")
	case env.Profiles[0] != '[':
		v.fail("profiles", "must be an array.")
	default:
		// One copy for all items, so that Items.Raw does not alias body.
		profiles := append([]byte(nil), env.Profiles...)
		eachElement(profiles, func(elem []byte) {
			raws = append(raws, json.RawMessage(elem[:len(elem):len(elem)]))
		})
		switch {
		case len(raws) == 0:
			v.fail("profiles", "must have at least 1 items.")
			raws = nil
		case len(raws) > maxItems:
			// Do not validate thousands of items of a batch refused anyway.
			v.fail("profiles", "must not have more than "+strconv.Itoa(maxItems)+" items.")
			raws = nil
		}
	}

	matchValues := make([]string, len(raws))
	inputs := make([]*ProfileInput, len(raws))
	for i, raw := range raws {
		prefix := "profiles." + strconv.Itoa(i)
		in := &ProfileInput{}
		_ = in.UnmarshalJSON(raw) // raw is valid JSON, and the tolerant types never fail
		if in.Obj.Bad {
			v.errs.Add(prefix, "The "+prefix+" must be an object.")
			continue
		}
		v.errs.Merge(prefix+".", ValidateProfileInput(in, ModeBatchItem))
		normalizeKeys(in)
		if criteria != "" {
			matchValues[i] = MatchValue(criteria, in)
		}
		inputs[i] = in
	}
	if err := v.errs.Err(); err != nil {
		return nil, err
	}
	req.Items = NewBatchItems{Raw: raws, MatchValues: matchValues}
	req.Inputs = inputs
	return req, nil
}
