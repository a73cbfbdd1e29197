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

// Deps is everything the handler needs; NewHandler keeps no other state.
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
	// Notify is called after a batch is stored, to wake the local worker
	// at once instead of at its next poll. May be nil.
	Notify func()
}

// server carries Deps to the handlers, which are its methods.
type server struct {
	store    clientele.Store
	log      *slog.Logger
	now      func() time.Time
	maxBatch int
	maxBody  int64
	notify   func()
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
	scopeReadImports    = "read-imports"
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

		{method: "GET", pattern: "/api/v3/profiles", scopes: []string{scopeReadProfiles}, handle: s.listProfiles},
		{method: "GET", pattern: "/api/v3/profiles/{id}", scopes: []string{scopeReadProfiles}, handle: s.getProfile},
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
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.pattern, s.endpoint(rt))
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
		}
		if err := rt.handle(w, r); err != nil {
			writeError(w, r, s.log, err)
		}
	})
}
