package api

import (
	"crypto/sha256"
	"net/http"
	"net/url"

	"github.com/clientele/clientele"
)

// idempotencyHeader names a batch submission a client may retry (spec §13
// E4); idempotentReplayedHeader marks the answer to such a retry.
const (
	idempotencyHeader         = "Idempotency-Key"
	idempotentReplayedHeader  = "Idempotent-Replayed"
	msgIdempotencyKeyTooLong  = "The idempotency key must be between 1 and 255 printable ASCII characters."
	msgIdempotencyKeyMultiple = "The idempotency key must be sent once."
)

// idempotencyOf reads the request's Idempotency-Key and identifies the
// request by the SHA-256 of its body and query: "the same body" is the
// same bytes (a client's retry resends what it sent), and the query is
// part of it because batch options (?dry_run, ?partial) change what a
// submission does. The key is scoped to the token's user. No header gives
// the zero Idempotency. EINVALID (idempotency_key) for a malformed key.
func idempotencyOf(r *http.Request, body []byte) (clientele.Idempotency, error) {
	vals := r.Header.Values(idempotencyHeader)
	if len(vals) == 0 {
		return clientele.Idempotency{}, nil
	}
	if len(vals) > 1 {
		return clientele.Idempotency{}, invalid(clientele.IdempotencyKeyField, msgIdempotencyKeyMultiple)
	}
	if !clientele.ValidIdempotencyKey(vals[0]) {
		return clientele.Idempotency{}, invalid(clientele.IdempotencyKeyField, msgIdempotencyKeyTooLong)
	}
	tok, _ := tokenFrom(r.Context())
	h := sha256.New()
	// The query, normalised (sorted) so that parameter order is not a
	// different request, then a separator no query contains, then the body.
	q, _ := url.ParseQuery(r.URL.RawQuery)
	h.Write([]byte(q.Encode()))
	h.Write([]byte{0})
	h.Write(body)
	idem := clientele.Idempotency{UserID: tok.UserID, Key: vals[0]}
	h.Sum(idem.RequestHash[:0])
	return idem, nil
}
