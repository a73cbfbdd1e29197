package storetest

import (
	"crypto/sha256"
	"sync"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/google/uuid"
)

// keyed is an Idempotency for key of user, identifying the request body.
func keyed(user int64, key, body string) clientele.Idempotency {
	return clientele.Idempotency{UserID: user, Key: key, RequestHash: sha256.Sum256([]byte(body))}
}

// submitKeyed submits a one-item batch at when under idem and returns the
// new batch's id and CreateBatch's answer.
func submitKeyed(t *testing.T, s clientele.Store, when time.Time, idem clientele.Idempotency) (string, clientele.BatchCreated, error) {
	t.Helper()
	id := uuid.NewString()
	items := newItems(t, clientele.MatchEmail, []string{emailItem(id[:8]+"@x.com", "K")})
	created, err := s.CreateBatch(t.Context(), newBatch(id, clientele.MatchEmail, when, 1), items, idem)
	return id, created, err
}

// wantStored checks whether batch id was stored.
func wantStored(t *testing.T, s clientele.Store, id string, stored bool) {
	t.Helper()
	_, err := s.Batch(t.Context(), id)
	if stored {
		ok(t, err)
	} else {
		wantCode(t, err, clientele.ENOTFOUND)
	}
}

// wantQueued checks QueuedItems.
func wantQueued(t *testing.T, s clientele.Store, want int) {
	t.Helper()
	n, err := s.QueuedItems(t.Context())
	ok(t, err)
	if n != want {
		t.Errorf("QueuedItems = %d, want %d", n, want)
	}
}

func testIdempotencyReplay(t *testing.T, s clientele.Store) {
	// No key: every call stores its batch.
	for range 2 {
		id, created, err := submitKeyed(t, s, t0, clientele.Idempotency{})
		ok(t, err)
		if created.ID != id || created.Replayed {
			t.Errorf("CreateBatch without a key = %+v, want %s stored", created, id)
		}
	}

	idem := keyed(1, "order-42", "body A")
	first, created, err := submitKeyed(t, s, t0, idem)
	ok(t, err)
	if created.ID != first || created.Replayed {
		t.Fatalf("first use of a key = %+v, want %s stored", created, first)
	}
	// The same key and request within the TTL: the original batch, and
	// nothing stored.
	for _, when := range []time.Time{t0, at(clientele.IdempotencyTTL - time.Microsecond)} {
		again, created, err := submitKeyed(t, s, when, idem)
		ok(t, err)
		if created.ID != first || !created.Replayed {
			t.Errorf("replay at %v = %+v, want %s replayed", when, created, first)
		}
		wantStored(t, s, again, false)
	}
	wantQueued(t, s, 3)

	// The same key with another request: refused, nothing stored.
	other, _, err := submitKeyed(t, s, at(time.Hour), keyed(1, "order-42", "body B"))
	wantCode(t, err, clientele.EINVALID)
	if f := clientele.ErrorFields(err); len(f[clientele.IdempotencyKeyField]) != 1 || len(f) != 1 {
		t.Errorf("mismatch fields = %v, want one idempotency_key message", f)
	}
	wantStored(t, s, other, false)

	// Keys are per user.
	mine, created, err := submitKeyed(t, s, at(time.Hour), keyed(2, "order-42", "body B"))
	ok(t, err)
	if created.ID != mine || created.Replayed {
		t.Errorf("another user's equal key = %+v, want %s stored", created, mine)
	}
	wantQueued(t, s, 4)
}

func testIdempotencyExpiry(t *testing.T, s clientele.Store) {
	idem := keyed(1, "k", "body A")
	first, _, err := submitKeyed(t, s, t0, idem)
	ok(t, err)

	// At the end of the TTL the key is free: another request takes it.
	expiry := at(clientele.IdempotencyTTL)
	idemB := keyed(1, "k", "body B")
	second, created, err := submitKeyed(t, s, expiry, idemB)
	ok(t, err)
	if created.ID != second || created.Replayed {
		t.Fatalf("expired key = %+v, want %s stored", created, second)
	}
	// From then on the key names the second batch and its request.
	_, created, err = submitKeyed(t, s, expiry.Add(time.Second), idemB)
	ok(t, err)
	if created.ID != second || !created.Replayed {
		t.Errorf("replay after re-use = %+v, want %s replayed", created, second)
	}
	_, _, err = submitKeyed(t, s, expiry.Add(time.Second), idem)
	wantCode(t, err, clientele.EINVALID)

	// The same request as the first, after the TTL: a new batch.
	third, created, err := submitKeyed(t, s, expiry.Add(clientele.IdempotencyTTL), idem)
	ok(t, err)
	if created.ID != third || created.Replayed || third == first {
		t.Errorf("same request after the TTL = %+v, want %s stored", created, third)
	}
	wantQueued(t, s, 3)
}

func testIdempotencyConcurrent(t *testing.T, s clientele.Store) {
	const n = 8
	idem := keyed(1, "concurrent", "body")
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		ids     = map[string]int{}
		created int
	)
	for range n {
		wg.Go(func() {
			_, c, err := submitKeyed(t, s, t0, idem)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			ids[c.ID]++
			if !c.Replayed {
				created++
			}
		})
	}
	wg.Wait()
	if len(ids) != 1 || created != 1 {
		t.Errorf("%d concurrent submissions of one key: batch ids %v, %d stored; want one id, one stored", n, ids, created)
	}
	wantQueued(t, s, 1)
}
