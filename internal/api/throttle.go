package api

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// msgTooMany is the 429 body (spec §2, Laravel's wording).
const msgTooMany = "Too Many Attempts."

// tooManyError is a 429 with its Retry-After (and, for a rate limit, the
// RateLimit-* headers already set on the response). It unwraps to the
// 429 statusError, so writeError renders it like the other status errors.
type tooManyError struct {
	retryAfter time.Duration
}

var errTooManyStatus = &statusError{http.StatusTooManyRequests, msgTooMany}

func (e *tooManyError) Error() string { return errTooManyStatus.Error() }
func (e *tooManyError) Unwrap() error { return errTooManyStatus }

// setHeaders adds Retry-After in whole seconds, rounded up and at least 1:
// a client told 0 would retry at once.
func (e *tooManyError) setHeaders(h http.Header) {
	h.Set("Retry-After", strconv.Itoa(ceilSeconds(e.retryAfter)))
}

// ceilSeconds is d in whole seconds, rounded up, at least 1.
func ceilSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// rateLimiter holds one token bucket per API token on this node (spec §13
// E11; off unless --rate-limit is set). Buckets are per node: with N nodes
// behind a balancer a token gets up to N times the rate, which is the
// price of keeping the API stateless (DESIGN §1).
//
// Memory stays bounded: a bucket left alone for idle is full again, exactly
// like a new one, so it is dropped by the next sweep; the map holds only
// the tokens used in the last idle+sweepEvery, and only authenticated
// tokens reach it.
type rateLimiter struct {
	rps        rate.Limit
	burst      int
	idle       time.Duration
	sweepEvery time.Duration

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

// bucket is one token's limiter and when it was last used.
type bucket struct {
	lim  *rate.Limiter
	used time.Time
}

// newRateLimiter returns a limiter of rps requests per second per token,
// with a burst of one second's worth (at least 1), or nil when rps <= 0.
func newRateLimiter(rps float64) *rateLimiter {
	if rps <= 0 || math.IsNaN(rps) || math.IsInf(rps, 0) {
		return nil
	}
	burst := max(1, int(math.Ceil(rps)))
	idle := time.Duration(float64(burst) / rps * float64(time.Second))
	return &rateLimiter{
		rps:        rate.Limit(rps),
		burst:      burst,
		idle:       max(idle, time.Second),
		sweepEvery: max(idle, time.Minute),
		buckets:    map[string]*bucket{},
	}
}

// allow takes one request of token id at now. It sets the RateLimit-*
// headers (draft-ietf-httpapi-ratelimit-headers names) on h and returns a
// tooManyError when the bucket is empty.
func (rl *rateLimiter) allow(id string, now time.Time, h http.Header) error {
	rl.mu.Lock()
	b, ok := rl.buckets[id]
	if !ok {
		b = &bucket{lim: rate.NewLimiter(rl.rps, rl.burst)}
		rl.buckets[id] = b
	}
	b.used = now
	if now.Sub(rl.lastSweep) >= rl.sweepEvery {
		rl.sweep(now)
	}
	rl.mu.Unlock()

	allowed := b.lim.AllowN(now, 1)
	tokens := max(0, b.lim.TokensAt(now))
	h.Set("RateLimit-Limit", strconv.Itoa(rl.burst))
	h.Set("RateLimit-Remaining", strconv.Itoa(int(math.Floor(tokens))))
	h.Set("RateLimit-Reset", strconv.Itoa(int(math.Ceil((float64(rl.burst)-tokens)/float64(rl.rps)))))
	if allowed {
		return nil
	}
	wait := time.Duration((1 - tokens) / float64(rl.rps) * float64(time.Second))
	return &tooManyError{retryAfter: wait}
}

// sweep drops the buckets idle long enough to be full again. rl.mu is held.
func (rl *rateLimiter) sweep(now time.Time) {
	for id, b := range rl.buckets {
		if now.Sub(b.used) >= rl.idle {
			delete(rl.buckets, id)
		}
	}
	rl.lastSweep = now
}

// size is the number of buckets held, for tests.
func (rl *rateLimiter) size() int {
	rl.mu.Lock()
	defer rl.mu.Unlock()
	return len(rl.buckets)
}

// throttle applies the per-token rate limit to an authenticated request.
func (s *server) throttle(w http.ResponseWriter, r *http.Request) error {
	if s.limiter == nil {
		return nil
	}
	t, ok := tokenFrom(r.Context())
	if !ok {
		return nil
	}
	return s.limiter.allow(t.ID, s.now(), w.Header())
}
