package clientele

import (
	"errors"
	"fmt"
	"sort"
)

// Error codes. internal/api holds the only map from code to HTTP status.
const (
	EINVALID      = "invalid"
	EMALFORMED    = "malformed" // the body is not valid JSON (400, not 422)
	ENOTFOUND     = "not_found"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	EINTERNAL     = "internal"
)

// Error is the domain's one error type. Fields carries, for EINVALID, the
// Laravel-style map from dot paths ("profiles.3.email") to messages.
type Error struct {
	Code    string
	Message string
	Fields  map[string][]string
}

// Error implements error.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("clientele: %s: %s", e.Code, e.Message)
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return fmt.Sprintf("clientele: %s: %s (%s: %s)", e.Code, e.Message, keys[0], e.Fields[keys[0]][0])
}

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorFields returns the field errors of the first *Error in err's chain.
func ErrorFields(err error) map[string][]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}

// FieldErrors collects Laravel-style validation messages keyed by dot path.
// The zero value is ready to use.
type FieldErrors map[string][]string

// Add records msg under key.
func (fe *FieldErrors) Add(key, msg string) {
	if *fe == nil {
		*fe = FieldErrors{}
	}
	(*fe)[key] = append((*fe)[key], msg)
}

// Merge adds every message of other under prefix+key.
func (fe *FieldErrors) Merge(prefix string, other FieldErrors) {
	for k, msgs := range other {
		for _, m := range msgs {
			fe.Add(prefix+k, m)
		}
	}
}

// Err returns nil when no message was recorded, else an EINVALID *Error.
func (fe FieldErrors) Err() error {
	if len(fe) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "The given data was invalid.", Fields: fe}
}

// First returns the first message in key order, for one-line summaries such
// as BatchItem.error.
func (fe FieldErrors) First() string {
	keys := make([]string, 0, len(fe))
	for k := range fe {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 0 {
		return ""
	}
	return fe[keys[0]][0]
}
