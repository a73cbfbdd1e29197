package api

import (
	"bytes"
	"net/http"
)

// readJSONBody reads a JSON request body for a route other than the batch
// (which reads its own): at most the body limit (413 above it), within the
// body budget (429 when it is spent). The body is checked by the domain's
// parser, which applies clientele.CheckJSON. release gives the budget
// back once the body is no longer needed.
func (s *server) readJSONBody(w http.ResponseWriter, r *http.Request) (body []byte, release func(), err error) {
	if r.ContentLength > s.maxBody {
		return nil, nil, errTooLarge
	}
	release, err = s.budget.reserve(r, s.maxBody)
	if err != nil {
		return nil, nil, err
	}
	body, err = readBody(w, r, s.maxBody)
	if err != nil {
		release()
		return nil, nil, err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		// As for the batch: no body is no input, which fails validation.
		body = []byte("{}")
	}
	return body, release, nil
}
