package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
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
	c.bootstrapToken = getenv("CLIENTELE_BOOTSTRAP_TOKEN")
	return c, nil
}

func runServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, err := parseServeFlags(args, getenv, stderr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))

	store, err := openStore(ctx, cfg.db)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := ensureAdminToken(ctx, store, cfg.bootstrapToken, stderr, logger); err != nil {
		return err
	}

	handler, pool := newService(store, cfg, logger)

	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	// HTTP/1.1 only: Omneo clients assert reason phrases ("OK", "Not
	// Found"), which HTTP/2 does not carry (spec §1).
	srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { pool.Run(workCtx) })

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

// newService wires the API to the batch workers of this node: the one place
// that does, shared by serve and the benchmark.
func newService(store clientele.Store, cfg serveConfig, logger *slog.Logger) (http.Handler, *worker.Pool) {
	host, _ := os.Hostname()
	pool := worker.New(worker.Config{
		Store:       store,
		Logger:      logger,
		Owner:       fmt.Sprintf("%s/%d", host, os.Getpid()),
		Workers:     cfg.workers,
		LeaseTTL:    cfg.leaseTTL,
		PhoneRegion: cfg.phoneRegion,
	})
	handler := api.NewHandler(api.Deps{
		Store:        store,
		Logger:       logger,
		Now:          time.Now,
		MaxBatchSize: cfg.maxBatchSize,
		MaxBodyBytes: cfg.maxBodyBytes,
		Notify:       pool.Notify,
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
