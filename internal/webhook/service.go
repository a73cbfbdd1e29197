package webhook

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/clientele/clientele"
)

// Config configures a Service. Zero values take the defaults.
type Config struct {
	Store  clientele.Store
	Logger *slog.Logger
	Now    func() time.Time
	// Owner names this node in the router's and the deliveries' leases.
	Owner string
	// Secret is the shared signing secret (never logged).
	Secret string
	// AllowPrivate lets deliveries reach loopback, private, link-local and
	// metadata addresses: for tests and trusted networks only.
	AllowPrivate bool
	// Resolver resolves webhook hosts for the guard (net.DefaultResolver
	// when nil); tests stub it.
	Resolver Resolver
	// Concurrency bounds the deliveries this node sends at once, PerHost
	// those to one host (host:port).
	Concurrency int
	PerHost     int
	// Timeout bounds one attempt: connection, request and response.
	Timeout time.Duration
	// Schedule is the retry schedule; DefaultSchedule when zero.
	Schedule Schedule
	// PollInterval is how often the router looks for new events and the
	// dispatcher for due deliveries (200ms and 1s when zero); deliveries
	// this node routes are sent at once.
	PollInterval time.Duration
	// RouterLeaseTTL is how long a router's claim lasts unrenewed.
	RouterLeaseTTL time.Duration
	// PageSize is how many events one routing transaction takes.
	PageSize int
	// Rand is the retry jitter's source (uniform in [0, 1)).
	Rand func() float64
}

// Service is the router and the dispatcher of one node.
type Service struct {
	Router     *Router
	Dispatcher *Dispatcher
}

// New returns a Service; Run starts it.
func New(cfg Config) *Service {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Concurrency < 1 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.PerHost < 1 {
		cfg.PerHost = DefaultPerHost
	}
	cfg.PerHost = min(cfg.PerHost, cfg.Concurrency)
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Schedule == (Schedule{}) {
		cfg.Schedule = DefaultSchedule()
	}
	if cfg.RouterLeaseTTL <= 0 {
		cfg.RouterLeaseTTL = DefaultRouterLeaseTTL
	}
	if cfg.PageSize < 1 {
		cfg.PageSize = DefaultPageSize
	}
	if cfg.Rand == nil {
		cfg.Rand = randFloat
	}
	routerPoll, dispatchPoll := 200*time.Millisecond, time.Second
	if cfg.PollInterval > 0 {
		routerPoll, dispatchPoll = cfg.PollInterval, cfg.PollInterval
	}
	guard := &Guard{AllowPrivate: cfg.AllowPrivate, Resolver: cfg.Resolver, Timeout: cfg.Timeout}
	d := &Dispatcher{
		store:       cfg.Store,
		log:         cfg.Logger,
		now:         cfg.Now,
		owner:       cfg.Owner,
		secret:      cfg.Secret,
		client:      newClient(guard, cfg.PerHost, cfg.Timeout),
		schedule:    cfg.Schedule,
		concurrency: cfg.Concurrency,
		perHost:     cfg.PerHost,
		timeout:     cfg.Timeout,
		// Claims are renewed while they wait (Dispatcher.Run), so a lease
		// need only outlast one send and the record after it; it is also
		// how long a dead node's deliveries wait to be sent again.
		leaseTTL: 3 * cfg.Timeout,
		backlog:  max(8*cfg.Concurrency, 64),
		poll:     dispatchPoll,
		rand:     cfg.Rand,
		wake:     make(chan struct{}, 1),
		hosts:    map[string]*hostSlots{},
	}
	r := &Router{
		store:    cfg.Store,
		log:      cfg.Logger,
		now:      cfg.Now,
		owner:    cfg.Owner,
		pageSize: cfg.PageSize,
		ttl:      cfg.RouterLeaseTTL,
		poll:     routerPoll,
		routed:   d.Notify,
	}
	return &Service{Router: r, Dispatcher: d}
}

// Run runs the router and the dispatcher until ctx ends.
func (s *Service) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { s.Router.Run(ctx) })
	wg.Go(func() { s.Dispatcher.Run(ctx) })
	wg.Wait()
}
