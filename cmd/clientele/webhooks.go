package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/webhook"
)

// webhookConfig is what serve is told about webhook delivery.
type webhookConfig struct {
	secret       string
	allowPrivate bool
	concurrency  int
	perHost      int
	timeout      time.Duration
}

// addWebhookFlags registers serve's webhook flags.
func addWebhookFlags(fs *flag.FlagSet, c *webhookConfig) {
	fs.StringVar(&c.secret, "webhook-secret", "", "shared secret that signs webhooks (default: generated once and kept in the database)")
	fs.BoolVar(&c.allowPrivate, "webhook-allow-private", false, "let webhooks reach loopback, private, link-local and metadata addresses")
	fs.IntVar(&c.concurrency, "webhook-concurrency", webhook.DefaultConcurrency, "webhook requests this node sends at once")
	fs.IntVar(&c.perHost, "webhook-per-host", webhook.DefaultPerHost, "webhook requests this node sends at once to one host")
	fs.DurationVar(&c.timeout, "webhook-timeout", webhook.DefaultTimeout, "longest wait for one webhook request")
}

// check validates the webhook flags.
func (c webhookConfig) check() error {
	switch {
	case c.concurrency < 1:
		return usageError("--webhook-concurrency must be at least 1")
	case c.perHost < 1:
		return usageError("--webhook-per-host must be at least 1")
	case c.timeout < 100*time.Millisecond:
		return usageError("--webhook-timeout must be at least 100ms")
	}
	return nil
}

// newWebhooks wires the webhook router and dispatcher of this node. The
// signing secret is the configured one, else the one the database keeps
// (generated on first use, so that every node of the database agrees). The
// secret itself is never logged.
func newWebhooks(ctx context.Context, store clientele.Store, cfg serveConfig, logger *slog.Logger) (*webhook.Service, error) {
	secret := cfg.webhook.secret
	if secret == "" {
		candidate := webhook.GenerateSecret()
		stored, err := store.EnsureWebhookSecret(ctx, candidate)
		if err != nil {
			return nil, fmt.Errorf("webhook secret: %w", err)
		}
		if stored == candidate {
			logger.Info("generated the webhook signing secret; `clientele webhook-secret` prints it")
		}
		secret = stored
	}
	if cfg.webhook.allowPrivate {
		logger.Warn("webhooks may reach loopback, private and metadata addresses (--webhook-allow-private)")
	}
	host, _ := os.Hostname()
	return webhook.New(webhook.Config{
		Store:          store,
		Logger:         logger.With("component", "webhooks"),
		Owner:          fmt.Sprintf("%s/%d", host, os.Getpid()),
		Secret:         secret,
		AllowPrivate:   cfg.webhook.allowPrivate,
		Concurrency:    cfg.webhook.concurrency,
		PerHost:        cfg.webhook.perHost,
		Timeout:        cfg.webhook.timeout,
		RouterLeaseTTL: cfg.leaseTTL,
	}), nil
}

// runWebhookSecret prints the secret webhooks are signed with: the
// configured CLIENTELE_WEBHOOK_SECRET when set, as serve would use it,
// else the database's, generated now if it has none yet. --standard
// prints it in the form Standard Webhooks libraries take (whsec_…).
func runWebhookSecret(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("webhook-secret", stderr)
	db := fs.String("db", defaultDB, "database: sqlite:PATH or a postgres:// URL")
	standard := fs.Bool("standard", false, `print the "whsec_…" form Standard Webhooks libraries take`)
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	secret := getenv("CLIENTELE_WEBHOOK_SECRET")
	if secret != "" {
		fmt.Fprintln(stderr, "clientele: the secret configured in CLIENTELE_WEBHOOK_SECRET:")
	} else {
		store, err := openStore(ctx, *db)
		if err != nil {
			return err
		}
		defer store.Close()
		if secret, err = store.EnsureWebhookSecret(ctx, webhook.GenerateSecret()); err != nil {
			return err
		}
	}
	if *standard {
		secret = webhook.StandardSecret(secret)
	}
	fmt.Fprintln(stdout, secret)
	return nil
}
