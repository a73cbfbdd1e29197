package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/api"
	"github.com/clientele/clientele/internal/worker"
)

// serveConfig is everything `serve` is told by flags and environment.
type serveConfig struct {
	addr           string
	db             string
	workers        int
	maxBatchSize   int
	maxBodyBytes   int64
	phoneRegion    string
	leaseTTL       time.Duration
	logLevel       slog.Level
	bootstrapToken string
	queueLimit     int
	rateLimit      float64
	webhook        webhookConfig
}

func parseServeFlags(args []string, getenv func(string) string, stderr io.Writer) (serveConfig, error) {
	var c serveConfig
	fs := newFlagSet("serve", stderr)
	fs.StringVar(&c.addr, "addr", ":8080", "listen address")
	fs.StringVar(&c.db, "db", defaultDB, "database: sqlite:PATH or a postgres:// URL")
	fs.IntVar(&c.workers, "workers", 2, "batches applied at once on this node")
	fs.IntVar(&c.maxBatchSize, "max-batch-size", clientele.DefaultMaxBatchSize, fmt.Sprintf("most profiles in one batch (up to %d)", clientele.MaxMaxBatchSize))
	fs.Int64Var(&c.maxBodyBytes, "max-body-bytes", api.DefaultMaxBodyBytes, "largest request body accepted")
	fs.StringVar(&c.phoneRegion, "phone-region", "", `region for national phone numbers, e.g. "AU" (empty: E.164 required)`)
	fs.DurationVar(&c.leaseTTL, "lease-ttl", worker.DefaultLeaseTTL, "how long a crashed node's batches wait before another node resumes them")
	fs.TextVar(&c.logLevel, "log-level", slog.LevelInfo, "debug, info, warn or error")
	fs.IntVar(&c.queueLimit, "queue-limit", api.DefaultQueueLimit, "most queued (unapplied) profiles; batches beyond it get 429 (0: no limit)")
	fs.Float64Var(&c.rateLimit, "rate-limit", 0, "requests per second per token on this node (0: no limit)")
	addWebhookFlags(fs, &c.webhook)
	if err := parseFlags(fs, args, getenv); err != nil {
		return c, err
	}
	if c.maxBatchSize < 1 || c.maxBatchSize > clientele.MaxMaxBatchSize {
		return c, usageError(fmt.Sprintf("--max-batch-size must be between 1 and %d", clientele.MaxMaxBatchSize))
	}
	if c.workers < 1 {
		return c, usageError("--workers must be at least 1")
	}
	if c.maxBodyBytes < 1024 {
		return c, usageError("--max-body-bytes must be at least 1024")
	}
	if c.leaseTTL < time.Second {
		return c, usageError("--lease-ttl must be at least 1s")
	}
	if c.queueLimit < 0 {
		return c, usageError("--queue-limit must be 0 (no limit) or more")
	}
	if c.rateLimit < 0 || math.IsNaN(c.rateLimit) || math.IsInf(c.rateLimit, 0) {
		return c, usageError("--rate-limit must be 0 (no limit) or a positive number")
	}
	if err := c.webhook.check(); err != nil {
		return c, err
	}
	c.bootstrapToken = getenv("CLIENTELE_BOOTSTRAP_TOKEN")
	return c, nil
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := parseServeFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	tuneGC(getenv, tuningFor(cfg.db))

	store, err := openStore(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := ensureAdminToken(ctx, store, cfg.bootstrapToken, stderr, logger); err != nil {
		return err
	}

	handler, pool := newService(store, cfg, logger)
	hooks, err := newWebhooks(ctx, store, cfg, logger)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler: handler,
		// Bounds on what one connection can hold (spec §13 E10-E11): the
		// header block, and the time to send headers and body (a slow
		// client cannot pin a body buffer for ever). ReadTimeout allows a
		// full-size body over a slow link; WriteTimeout also covers the
		// handler, which stores a batch in well under a second.
		MaxHeaderBytes:    maxHeaderBytes,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// HTTP/1.1 only: Omneo clients assert reason phrases ("OK", "Not
	// Found"), which HTTP/2 does not carry (spec §1).
	srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { pool.Run(workCtx) })
	wg.Go(func() { hooks.Run(workCtx) })

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	logger.Info("listening", "addr", ln.Addr().String(), "db", redactDSN(cfg.db))

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		logger.Info("shutting down")
		shutCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err = srv.Shutdown(shutCtx)
		cancel()
	}
	stopWork()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// serveGCPercent is serve's GOGC unless the environment sets one. A batch
// load allocates about 10 KB per profile (decoded items, merged profiles,
// the driver's parameter buffers) over a live heap of about 40 MB, so at
// the default 100 the collector ran every few chunks and took about a tenth
// of the process's CPU. At 400 it ran a third as often, the process used
// about 10% less CPU, and the PostgreSQL HTTP benchmark loaded 5–10% more
// profiles a second; the heap peaked at about 200 MB instead of 80 MB.
// GOGC (and GOMEMLIMIT, which bounds the heap either way) stay the
// operator's to set.
const serveGCPercent = 400

// serveMemoryLimit is serve's soft memory limit unless GOMEMLIMIT is set:
// with GOGC at 400 the heap may grow to five times what is live, and the
// limit makes the collector work harder instead once the heap nears it,
// so that the process stays under 300 MB (issue 7; 286 MiB) through a
// load of a million profiles. With SQLite, its page caches (about 100 MB)
// live in the process too, and the heap gets 112 MiB: at 128 the peak
// was 282-289 MiB, at 112 it was 269, with rates within the noise; with
// PostgreSQL the caches are the database's, and the heap may have more
// (see storeTuning).
const (
	serveMemoryLimit         = 112 << 20
	serveMemoryLimitPostgres = 200 << 20
)

// storeTuning is what a server does differently by database: its heap's
// soft limit, how many decoded items the handoff holds, and how many
// items it applies in one transaction.
//
// Memory: a PostgreSQL server ran at 140 MB with SQLite's budget; given
// the room, a handoff of 30,000 items (about 2.5 KB each) takes the whole
// backlog of a load posted faster than it is applied (the bench's 40
// batches), so that no item is decoded twice, which was a tenth of the
// server's CPU.
//
// Transactions: SQLite's one writer is held for a chunk's writes, and an
// accepted batch waits for it; applying 250 items at a time instead of
// 500 halves that wait. Over 200 batches a workload, accept p50 fell from
// 47-58 to 35-41 ms and p99 from 103-126 to 72-104 in five of six runs,
// for about 5% fewer new profiles a second. PostgreSQL has no one writer
// to wait for, and takes whole chunks.
type storeTuning struct {
	heapLimit    int64
	handoffItems int
	applySize    int // 0: a whole chunk (clientele.ChunkSize)
}

// tuningFor is the tuning of a server on the database dsn.
func tuningFor(dsn string) storeTuning {
	if isPostgresDSN(dsn) {
		return storeTuning{heapLimit: serveMemoryLimitPostgres, handoffItems: 3 * worker.DefaultHandoffItems}
	}
	return storeTuning{heapLimit: serveMemoryLimit, handoffItems: worker.DefaultHandoffItems, applySize: sqliteApplySize}
}

// sqliteApplySize is how many items a SQLite server applies in one
// transaction (see storeTuning).
const sqliteApplySize = 250

// tuneGC applies serveGCPercent and the tuning's heap limit, leaving an
// operator's GOGC and GOMEMLIMIT alone.
func tuneGC(getenv func(string) string, b storeTuning) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(serveGCPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(b.heapLimit)
	}
}

// maxHeaderBytes bounds a request's header block: far above a bearer
// token, an Idempotency-Key and the usual headers, far below the 1 MB
// net/http allows by default.
const maxHeaderBytes = 64 << 10

// apiQueueLimit maps --queue-limit (0: no limit) to api.Deps.QueueLimit
// (0: the default, negative: no limit).
func apiQueueLimit(flag int) int {
	if flag == 0 {
		return -1
	}
	return flag
}

// newService wires the API to the batch workers of this node: the one place
// that does, shared by serve and the benchmark.
func newService(store clientele.Store, cfg serveConfig, logger *slog.Logger) (http.Handler, *worker.Pool) {
	host, _ := os.Hostname()
	tuning := tuningFor(cfg.db)
	handoff := worker.NewHandoff(tuning.handoffItems)
	pool := worker.New(worker.Config{
		Store:       store,
		Logger:      logger,
		Owner:       fmt.Sprintf("%s/%d", host, os.Getpid()),
		Workers:     cfg.workers,
		LeaseTTL:    cfg.leaseTTL,
		PhoneRegion: cfg.phoneRegion,
		Handoff:     handoff,
		ApplySize:   tuning.applySize,
	})
	handler := api.NewHandler(api.Deps{
		Store:        store,
		Logger:       logger,
		Now:          time.Now,
		MaxBatchSize: cfg.maxBatchSize,
		MaxBodyBytes: cfg.maxBodyBytes,
		PhoneRegion:  cfg.phoneRegion,
		Notify:       pool.Notify,
		Handoff:      handoff,
		QueueLimit:   apiQueueLimit(cfg.queueLimit),
		RateLimit:    cfg.rateLimit,
	})
	return handler, pool
}

// ensureAdminToken makes sure someone can call the API (DESIGN §4): the
// token in CLIENTELE_BOOTSTRAP_TOKEN is stored with scope "*" when set;
// otherwise, on a database without tokens, an admin token is created and
// printed once to stderr. Only its hash is kept.
func ensureAdminToken(ctx context.Context, store clientele.Store, bootstrap string, stderr io.Writer, logger *slog.Logger) error {
	now := time.Now().UTC()
	if bootstrap != "" {
		t, _ := clientele.NewToken("bootstrap", []string{clientele.ScopeAll}, 1, now)
		t.Hash = clientele.HashToken(bootstrap)
		stored, err := store.EnsureToken(ctx, t)
		if err != nil {
			return fmt.Errorf("bootstrap token: %w", err)
		}
		if stored {
			logger.Info("bootstrap token stored", "token_id", t.ID)
		}
		return nil
	}
	n, err := store.CountTokens(ctx)
	if err != nil {
		return fmt.Errorf("count tokens: %w", err)
	}
	if n > 0 {
		return nil
	}
	t, secret := clientele.NewToken("admin", []string{clientele.ScopeAll}, 1, now)
	if err := store.CreateToken(ctx, t); err != nil {
		return fmt.Errorf("admin token: %w", err)
	}
	fmt.Fprintf(stderr, "clientele: created an admin token (scope *); it is shown only this once:\n\n    %s\n\n", secret)
	return nil
}
