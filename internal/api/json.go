package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/clientele/clientele"
)

// Exact bodies fixed by the spec (§2, §6.1, §13 E10). Clients compare some of
// them whole, so they are constants rather than formatted text.
const (
	msgInvalid          = "The given data was invalid."
	msgMalformed        = "Malformed JSON body."
	msgNotFound         = "Not Found."
	msgUnauthenticated  = "Unauthenticated."
	msgForbidden        = "Invalid scope(s) provided."
	msgMethodNotAllowed = "Method Not Allowed."
	msgTooLarge         = "Payload Too Large."
	msgServerError      = "Server Error"
	msgConflict         = "Conflict."
)

// statusError is an HTTP condition with no domain code (413, 405): handlers
// return it like any other error so that every error body is still rendered
// here.
type statusError struct {
	status  int
	message string
}

func (e *statusError) Error() string { return strconv.Itoa(e.status) + " " + e.message }

var (
	errTooLarge         = &statusError{http.StatusRequestEntityTooLarge, msgTooLarge}
	errMethodNotAllowed = &statusError{http.StatusMethodNotAllowed, msgMethodNotAllowed}
	errNotFound         = clientele.Errorf(clientele.ENOTFOUND, "route not found")
)

// invalid returns an EINVALID error with one message under key, for the few
// checks made here rather than in the domain (query parameters).
func invalid(key, msg string) error {
	var fe clientele.FieldErrors
	fe.Add(key, msg)
	return fe.Err()
}

// statusOf is the only map from domain error code to HTTP status.
var statusOf = map[string]int{
	clientele.EINVALID:      http.StatusUnprocessableEntity,
	clientele.EMALFORMED:    http.StatusBadRequest,
	clientele.ENOTFOUND:     http.StatusNotFound,
	clientele.ECONFLICT:     http.StatusConflict,
	clientele.EUNAUTHORIZED: http.StatusUnauthorized,
	clientele.EFORBIDDEN:    http.StatusForbidden,
	clientele.EINTERNAL:     http.StatusInternalServerError,
}

// messageBody is the body of every error but 422.
type messageBody struct {
	Message string `json:"message"`
}

// invalidBody is the Laravel validation body (spec §2).
type invalidBody struct {
	Message string              `json:"message"`
	Errors  map[string][]string `json:"errors"`
}

// dataBody is the single-resource envelope (spec §1.1).
type dataBody struct {
	Data any `json:"data"`
}

// writeJSON encodes v as the whole response. HTML escaping is off so that
// URLs and the paginator's "&laquo;" labels read as Laravel writes them, and
// the encoder's trailing newline is dropped so bodies are byte-for-byte what
// the spec shows.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only a programming error (an unencodable type) gets here; the
		// status may not be sent yet, so a plain 500 is still possible.
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"message":"` + msgServerError + `"}`)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError renders err with its status and exact body. Only internal
// errors are logged, and their text never reaches the client: it may name
// tables, files or SQL.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	// Some errors carry headers of their own (a 429's Retry-After).
	var hs interface{ setHeaders(http.Header) }
	if errors.As(err, &hs) {
		hs.setHeaders(w.Header())
	}
	var se *statusError
	if errors.As(err, &se) {
		writeJSON(w, se.status, messageBody{se.message})
		return
	}
	code := clientele.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusInternalServerError
		code = clientele.EINTERNAL
	}
	switch code {
	case clientele.EINVALID:
		fields := clientele.ErrorFields(err)
		if fields == nil {
			fields = map[string][]string{}
		}
		writeJSON(w, status, invalidBody{msgInvalid, fields})
	case clientele.EMALFORMED:
		writeJSON(w, status, messageBody{msgMalformed})
	case clientele.ENOTFOUND:
		writeJSON(w, status, messageBody{msgNotFound})
	case clientele.EUNAUTHORIZED:
		writeJSON(w, status, messageBody{msgUnauthenticated})
	case clientele.EFORBIDDEN:
		writeJSON(w, status, messageBody{msgForbidden})
	case clientele.ECONFLICT:
		// A conflict's message is written by the domain for clients
		// ("The email has already been taken."), so it may be shown.
		msg := msgConflict
		var de *clientele.Error
		if errors.As(err, &de) && de.Message != "" {
			msg = de.Message
		}
		writeJSON(w, status, messageBody{msg})
	default:
		log.ErrorContext(r.Context(), "internal error",
			"request_id", requestID(r.Context()),
			"method", r.Method, "path", r.URL.Path, "error", err)
		writeJSON(w, status, messageBody{msgServerError})
	}
}
