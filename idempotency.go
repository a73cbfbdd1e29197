package clientele

import "time"

// IdempotencyTTL is how long a batch's Idempotency-Key is remembered
// (spec §13 E4): a retry within it replays the original answer; after it
// the key may name a new batch.
const IdempotencyTTL = 24 * time.Hour

// MaxIdempotencyKey is the longest Idempotency-Key (spec §13 E4).
const MaxIdempotencyKey = 255

// IdempotencyKeyField is the Laravel key of every Idempotency-Key error.
const IdempotencyKeyField = "idempotency_key"

// Idempotency names a batch submission that a client may retry (spec §13
// E4). The zero value (Key "") means the submission has no key.
type Idempotency struct {
	// UserID scopes the key: two users' equal keys are unrelated.
	UserID int64
	Key    string
	// RequestHash identifies the request, so that a key reused for another
	// request is told apart from a retry.
	RequestHash [32]byte
}

// BatchCreated is the result of Store.CreateBatch.
type BatchCreated struct {
	// ID is the stored batch: the new one, or the original one of the key
	// when Replayed.
	ID string
	// Replayed reports that the key had been used for the same request
	// within IdempotencyTTL, so nothing was stored.
	Replayed bool
}

// ValidIdempotencyKey reports whether k may be an Idempotency-Key: 1 to
// MaxIdempotencyKey printable ASCII characters (space included), so that it
// stays a plain, comparable string in every database.
func ValidIdempotencyKey(k string) bool {
	if k == "" || len(k) > MaxIdempotencyKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// ErrIdempotencyMismatch is the EINVALID error of a key reused, within
// IdempotencyTTL, for a request other than the one it was first sent with.
// Stores return it from CreateBatch.
func ErrIdempotencyMismatch() error {
	return FieldErrors{IdempotencyKeyField: {
		"The idempotency key has already been used for a different request.",
	}}.Err()
}
