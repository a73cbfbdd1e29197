package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
)

// Error is a non-2xx answer from the server. Message is the body's
// "message" (or the status text when the body has none); Errors holds a
// 422's Laravel field errors ("profiles.3.email": [...]).
type Error struct {
	Status  int
	Message string
	Errors  map[string][]string
}

// Error implements error.
func (e *Error) Error() string {
	s := fmt.Sprintf("clientele: %d %s", e.Status, e.Message)
	if len(e.Errors) > 0 {
		keys := make([]string, 0, len(e.Errors))
		for k := range e.Errors {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		s += fmt.Sprintf(" (%s: %v", keys[0], e.Errors[keys[0]])
		if len(keys) > 1 {
			s += fmt.Sprintf(" and %d more", len(keys)-1)
		}
		s += ")"
	}
	return s
}

func decodeError(resp *http.Response) error {
	e := &Error{Status: resp.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body struct {
		Message string              `json:"message"`
		Errors  map[string][]string `json:"errors"`
	}
	if json.Unmarshal(b, &body) == nil {
		e.Message, e.Errors = body.Message, body.Errors
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	return e
}

// StatusCode returns the HTTP status of an *Error in err's chain, else 0.
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// IsNotFound reports whether err is a 404.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsUnauthorized reports whether err is a 401 (missing, unknown, expired or
// revoked token).
func IsUnauthorized(err error) bool { return StatusCode(err) == http.StatusUnauthorized }

// IsForbidden reports whether err is a 403 (the token lacks the scope).
func IsForbidden(err error) bool { return StatusCode(err) == http.StatusForbidden }

// IsInvalid reports whether err is a 422 validation failure; its field
// errors are in (*Error).Errors.
func IsInvalid(err error) bool { return StatusCode(err) == http.StatusUnprocessableEntity }

// IsTooLarge reports whether err is a 413 (the body exceeded the server's
// limit).
func IsTooLarge(err error) bool { return StatusCode(err) == http.StatusRequestEntityTooLarge }
