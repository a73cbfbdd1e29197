// Package api is clientele's HTTP surface: the Omneo API v3 wire contract
// (spec/api.md) over the clientele domain and its Store. routes.go holds the
// one route table; json.go renders every response body and error.
package api

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/clientele/clientele"
)

// Default limits for Deps fields left at zero.
const (
	DefaultMaxBodyBytes int64 = 32 << 20
)

// Deps is everything the handler needs. NewHandler keeps no other state
// but this node's backpressure counters (the rate limit's token buckets,
// the queue estimate, the body budget), none of which matters on restart.
type Deps struct {
	Store  clientele.Store
	Logger *slog.Logger
	// Now is the clock for token expiry and derived profile fields
	// (birth_days); time.Now when nil.
	Now func() time.Time
	// MaxBatchSize is the most profiles one batch may carry;
	// clientele.DefaultMaxBatchSize when zero.
	MaxBatchSize int
	// MaxBodyBytes bounds every request body (413 above it);
	// DefaultMaxBodyBytes when zero.
	MaxBodyBytes int64
	// PhoneRegion is the region for national phone numbers in queries
	// (filter[mobile_phone], availability), as --phone-region is for
	// batches; "" means E.164 only.
	PhoneRegion string
	// Notify is called after a batch is stored, to wake the local worker
	// at once instead of at its next poll. May be nil.
	Notify func()
	// Handoff, when set, is given each batch's decoded, validated items
	// before the batch is stored (a worker may claim it the moment it
	// commits), and told to drop them if it is not stored after all.
	Handoff Handoff
	// QueueLimit is the queued (accepted, unapplied) items at which new
	// batches get 429 with Retry-After (spec §13 E11); DefaultQueueLimit
	// when zero, no limit when negative.
	QueueLimit int
	// RateLimit is the requests per second each token may make on this
	// node, with a burst of one second's worth (429 with Retry-After and
	// RateLimit-* headers above it); zero means no limit.
	RateLimit float64
}

// Handoff carries accepted batches' decoded items to this node's workers
// (worker.Handoff).
type Handoff interface {
	Put(batchID string, inputs []*clientele.ProfileInput)
	Drop(batchID string)
}

// server carries Deps to the handlers, which are its methods.
type server struct {
	store    clientele.Store
	log      *slog.Logger
	now      func() time.Time
	maxBatch int
	maxBody  int64
	notify   func()
	handoff  Handoff
	region   string
	queue    *queueGate   // nil: no queue limit
	budget   *bodyBudget  // request bodies held in memory at once
	limiter  *rateLimiter // nil: no rate limit
}

// handlerFunc is an endpoint: it writes a success response itself and
// returns any error for json.go to render, so no handler formats an error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one row of the route table.
type route struct {
	method  string
	pattern string
	// public routes skip authentication entirely (a sent token is ignored).
	public bool
	// scopes: the token needs any one of them; empty means any valid token.
	scopes []string
	handle handlerFunc
}

// Scope names (spec §3).
const (
	scopeReadProfiles   = "read-profiles"
	scopeCreateProfiles = "create-profiles"
	scopeUpdateProfiles = "update-profiles"
	scopeDeleteProfiles = "delete-profiles"
	scopeReadImports    = "read-imports"
	scopeReadIdentities = "read-identities"

	scopeReadWebhooks   = "read-webhooks"
	scopeCreateWebhooks = "create-webhooks"
	scopeUpdateWebhooks = "update-webhooks"
	scopeDeleteWebhooks = "delete-webhooks"

	scopeReadRegion   = "read-region"
	scopeCreateRegion = "create-region"
	scopeUpdateRegion = "update-region"
	scopeDeleteRegion = "delete-region"
)

// routes is the route table: every endpoint, its scopes and its handler.
// Fixed segments are registered literally: ServeMux ranks them above
// wildcards (/profiles/batch beats /profiles/{id}), and a "{x}.json" pattern
// would panic, so the .json twin is its own row.
func (s *server) routes() []route {
	return []route{
		{method: "GET", pattern: "/api/health", public: true, handle: s.health},

		{method: "POST", pattern: "/api/v3/profiles/batch", scopes: []string{scopeCreateProfiles, scopeUpdateProfiles}, handle: s.submitBatch},
		{method: "POST", pattern: "/api/v3/profiles/batch.json", scopes: []string{scopeCreateProfiles, scopeUpdateProfiles}, handle: s.submitBatch},
		{method: "GET", pattern: "/api/v3/batches/{id}", scopes: []string{scopeReadProfiles, scopeReadImports}, handle: s.getBatch},
		{method: "GET", pattern: "/api/v3/batches/{id}/items", scopes: []string{scopeReadProfiles, scopeReadImports}, handle: s.listBatchItems},

		{method: "GET", pattern: "/api/v3/identities", scopes: []string{scopeReadIdentities, scopeReadProfiles}, handle: s.listAllIdentities},
		{method: "GET", pattern: "/api/v3/identities/search", scopes: []string{scopeReadIdentities, scopeReadProfiles}, handle: s.listAllIdentities},
		{method: "GET", pattern: "/api/v3/identities/search-profile/{identifier}", scopes: []string{scopeReadIdentities, scopeReadProfiles}, handle: s.searchProfilesByIdentifier},
		{method: "GET", pattern: "/api/v3/profiles", scopes: []string{scopeReadProfiles}, handle: s.listProfiles},
		// Literal, so that it is not read as /profiles/{id}/... (spec §1, §8.1).
		{method: "GET", pattern: "/api/v3/profiles/attributes/custom", scopes: []string{scopeReadProfiles}, handle: s.findProfilesByAttributes},
		{method: "POST", pattern: "/api/v3/profiles/search-id", scopes: []string{scopeReadProfiles}, handle: s.searchProfileID},
		{method: "POST", pattern: "/api/v3/profiles/availability", scopes: []string{scopeReadProfiles}, handle: s.availability},
		{method: "POST", pattern: "/api/v3/profiles/sync", scopes: []string{scopeUpdateProfiles}, handle: s.syncProfiles},
		{method: "GET", pattern: "/api/v3/profiles/{id}", scopes: []string{scopeReadProfiles}, handle: s.getProfile},
		{method: "GET", pattern: "/api/v3/profiles/{id}/identities", scopes: []string{scopeReadProfiles}, handle: s.listIdentities},
		{method: "GET", pattern: "/api/v3/profiles/{id}/identities/{handle}", scopes: []string{scopeReadProfiles}, handle: s.getIdentityByHandle},
		{method: "GET", pattern: "/api/v3/profiles/{id}/identities/id/{identityId}", scopes: []string{scopeReadProfiles}, handle: s.getIdentityByID},
		{method: "GET", pattern: "/api/v3/profiles/{id}/attributes/custom", scopes: []string{scopeReadProfiles}, handle: s.listCustomAttributes},
		{method: "GET", pattern: "/api/v3/profiles/{id}/attributes/custom/{attribute}", scopes: []string{scopeReadProfiles}, handle: s.getCustomAttribute},
		{method: "GET", pattern: "/api/v3/profiles/{id}/attributes/dates", scopes: []string{scopeReadProfiles}, handle: s.listDates},
		{method: "GET", pattern: "/api/v3/profiles/{id}/attributes/comms", scopes: []string{scopeReadProfiles}, handle: s.getComms},
		{method: "GET", pattern: "/api/v3/profiles/{id}/attributes/appearance", scopes: []string{scopeReadProfiles}, handle: s.getAppearance},
		{method: "GET", pattern: "/api/v3/profiles/{id}/addresses", scopes: []string{scopeReadProfiles}, handle: s.listAddresses},
		{method: "GET", pattern: "/api/v3/profiles/{id}/addresses/{addressId}", scopes: []string{scopeReadProfiles}, handle: s.getAddress},
		{method: "GET", pattern: "/api/v3/profiles/{id}/regions", scopes: []string{scopeReadProfiles}, handle: s.listProfileRegions},

		// Writes (profile_writes.go, profile_part_writes.go).
		{method: "POST", pattern: "/api/v3/profiles", scopes: []string{scopeCreateProfiles}, handle: s.createProfile},
		{method: "PUT", pattern: "/api/v3/profiles/{id}", scopes: []string{scopeUpdateProfiles}, handle: s.updateProfile},
		{method: "PUT", pattern: "/api/v3/profiles/{id}/update-type", scopes: []string{scopeUpdateProfiles}, handle: s.updateProfileType},
		{method: "DELETE", pattern: "/api/v3/profiles/{id}", scopes: []string{scopeDeleteProfiles}, handle: s.deleteProfile},
		{method: "DELETE", pattern: "/api/v3/profiles/{id}/purge", scopes: []string{scopeDeleteProfiles}, handle: s.purgeProfile},
		{method: "POST", pattern: "/api/v3/profiles/{id}/purge", scopes: []string{scopeDeleteProfiles}, handle: s.purgeProfile},
		{method: "POST", pattern: "/api/v3/profiles/{id}/identities", scopes: []string{scopeUpdateProfiles}, handle: s.createIdentity},
		{method: "PUT", pattern: "/api/v3/profiles/{id}/identities/{handle}", scopes: []string{scopeUpdateProfiles}, handle: s.updateIdentity},
		{method: "DELETE", pattern: "/api/v3/profiles/{id}/identities/{handle}", scopes: []string{scopeUpdateProfiles}, handle: s.deleteIdentity},
		{method: "PUT", pattern: "/api/v3/profiles/{id}/identities/id/{identityId}", scopes: []string{scopeUpdateProfiles}, handle: s.updateIdentity},
		{method: "DELETE", pattern: "/api/v3/profiles/{id}/identities/id/{identityId}", scopes: []string{scopeUpdateProfiles}, handle: s.deleteIdentity},
		{method: "PUT", pattern: "/api/v3/profiles/{id}/attributes/custom/{attribute}", scopes: []string{scopeUpdateProfiles}, handle: s.putCustomAttribute},
		{method: "DELETE", pattern: "/api/v3/profiles/{id}/attributes/custom/{attribute}", scopes: []string{scopeUpdateProfiles}, handle: s.deleteCustomAttribute},
		{method: "PUT", pattern: "/api/v3/profiles/{id}/attributes/dates", scopes: []string{scopeUpdateProfiles}, handle: s.putDate},
		{method: "DELETE", pattern: "/api/v3/profiles/{id}/attributes/dates/{dateId}", scopes: []string{scopeUpdateProfiles}, handle: s.deleteDate},
		{method: "PUT", pattern: "/api/v3/profiles/{id}/attributes/comms", scopes: []string{scopeUpdateProfiles}, handle: s.putComms},
		{method: "PUT", pattern: "/api/v3/profiles/{id}/comms", scopes: []string{scopeUpdateProfiles}, handle: s.putComms},
		{method: "PUT", pattern: "/api/v3/profiles/{id}/attributes/appearance", scopes: []string{scopeUpdateProfiles}, handle: s.putAppearance},
		{method: "POST", pattern: "/api/v3/profiles/{id}/addresses", scopes: []string{scopeUpdateProfiles}, handle: s.createAddress},
		{method: "PUT", pattern: "/api/v3/profiles/{id}/addresses/{addressId}", scopes: []string{scopeUpdateProfiles}, handle: s.updateAddress},
		{method: "DELETE", pattern: "/api/v3/profiles/{id}/addresses/{addressId}", scopes: []string{scopeUpdateProfiles}, handle: s.deleteAddress},
		{method: "POST", pattern: "/api/v3/profiles/{id}/regions", scopes: []string{scopeUpdateProfiles}, handle: s.linkRegion},
		{method: "PUT", pattern: "/api/v3/profiles/{id}/regions/{regionId}", scopes: []string{scopeUpdateProfiles}, handle: s.updateRegionLink},
		{method: "DELETE", pattern: "/api/v3/profiles/{id}/regions/{regionId}", scopes: []string{scopeUpdateProfiles}, handle: s.unlinkRegion},

		// Any valid token manages its own user's tokens (spec §3).
		{method: "GET", pattern: "/api/v3/auth/verify", handle: s.verifyToken},
		{method: "POST", pattern: "/api/v3/auth/api-tokens", handle: s.createToken},
		{method: "GET", pattern: "/api/v3/auth/api-tokens", handle: s.listTokens},
		{method: "GET", pattern: "/api/v3/auth/access-tokens", handle: s.listTokens},
		{method: "DELETE", pattern: "/api/v3/auth/api-tokens/{id}", handle: s.revokeToken},

		{method: "GET", pattern: "/api/v3/webhooks", scopes: []string{scopeReadWebhooks}, handle: s.listWebhooks},
		{method: "POST", pattern: "/api/v3/webhooks", scopes: []string{scopeCreateWebhooks}, handle: s.createWebhook},
		{method: "GET", pattern: "/api/v3/webhooks/{id}", scopes: []string{scopeReadWebhooks}, handle: s.getWebhook},
		{method: "PUT", pattern: "/api/v3/webhooks/{id}", scopes: []string{scopeUpdateWebhooks}, handle: s.updateWebhook},
		{method: "DELETE", pattern: "/api/v3/webhooks/{id}", scopes: []string{scopeDeleteWebhooks}, handle: s.deleteWebhook},
		// The delivery log and manual retry (spec §13 E9).
		{method: "GET", pattern: "/api/v3/webhooks/{id}/deliveries", scopes: []string{scopeReadWebhooks}, handle: s.listDeliveries},
		{method: "GET", pattern: "/api/v3/webhooks/{id}/deliveries/{deliveryId}", scopes: []string{scopeReadWebhooks}, handle: s.getDelivery},
		{method: "POST", pattern: "/api/v3/webhooks/{id}/deliveries/{deliveryId}/retry", scopes: []string{scopeUpdateWebhooks}, handle: s.retryDelivery},

		{method: "GET", pattern: "/api/v3/regions", scopes: []string{scopeReadRegion}, handle: s.listRegions},
		{method: "POST", pattern: "/api/v3/regions", scopes: []string{scopeCreateRegion}, handle: s.createRegion},
		{method: "GET", pattern: "/api/v3/regions/{id}", scopes: []string{scopeReadRegion}, handle: s.getRegion},
		{method: "PUT", pattern: "/api/v3/regions/{id}", scopes: []string{scopeUpdateRegion}, handle: s.updateRegion},
		{method: "DELETE", pattern: "/api/v3/regions/{id}", scopes: []string{scopeDeleteRegion}, handle: s.deleteRegion},
	}
}

// NewHandler returns the HTTP handler of the whole API.
func NewHandler(d Deps) http.Handler {
	s := &server{
		store:    d.Store,
		log:      d.Logger,
		now:      d.Now,
		maxBatch: d.MaxBatchSize,
		maxBody:  d.MaxBodyBytes,
		notify:   d.Notify,
		handoff:  d.Handoff,
		region:   d.PhoneRegion,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.maxBatch <= 0 {
		s.maxBatch = clientele.DefaultMaxBatchSize
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	queueLimit := d.QueueLimit
	if queueLimit == 0 {
		queueLimit = DefaultQueueLimit
	}
	s.queue = newQueueGate(d.Store, queueLimit)
	s.budget = newBodyBudget(s.maxBody)
	s.limiter = newRateLimiter(d.RateLimit)
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.pattern, s.endpoint(rt))
	}
	// The literal POST routes under /profiles/ (spec §1) would otherwise
	// hand PUT and DELETE to /profiles/{id}, which 404s a profile called
	// "batch"; a known route with another method is a 405 (spec §2).
	for _, seg := range []string{"batch", "batch.json", "search-id", "availability", "sync"} {
		for _, method := range []string{"PUT", "DELETE"} {
			mux.Handle(method+" /api/v3/profiles/"+seg, onlyPost(s))
		}
	}
	return s.observe(s.fallback(mux))
}

// endpoint wraps a route's handler with authentication and error rendering.
func (s *server) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !rt.public {
			var err error
			if r, err = s.authenticate(r, rt.scopes); err != nil {
				writeError(w, r, s.log, err)
				return
			}
			if err := s.throttle(w, r); err != nil {
				writeError(w, r, s.log, err)
				return
			}
		}
		if err := rt.handle(w, r); err != nil {
			writeError(w, r, s.log, err)
		}
	})
}

// onlyPost answers 405 with "Allow: POST", as ServeMux does for a route
// registered with POST only.
func onlyPost(s *server) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "POST")
		writeError(w, r, s.log, errMethodNotAllowed)
	})
}
