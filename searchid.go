package clientele

// SearchByProfileID is the search-id type that names a profile by its own
// id; any other type is an identity handle (spec §5.8).
const SearchByProfileID = "profile_id"

// SearchIDRequest is the body of POST /profiles/search-id.
type SearchIDRequest struct {
	Type string
	ID   string
}

// ParseSearchIDRequest validates a search-id body: type and id are
// required strings. EMALFORMED for invalid JSON, EINVALID otherwise.
func ParseSearchIDRequest(body []byte) (SearchIDRequest, error) {
	var env struct {
		Type Str `json:"type"`
		ID   Str `json:"id"`
	}
	if err := decodeEnvelope(body, &env); err != nil {
		return SearchIDRequest{}, err
	}
	v := &validator{}
	var req SearchIDRequest
	req.Type, _ = v.reqStr("type", env.Type, maxStr)
	req.ID, _ = v.reqStr("id", env.ID, maxStr)
	if err := v.errs.Err(); err != nil {
		return SearchIDRequest{}, err
	}
	return req, nil
}
