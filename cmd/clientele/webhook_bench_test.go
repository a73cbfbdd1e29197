package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/postgres"
	"github.com/clientele/clientele/internal/postgres/pgtest"
	"github.com/clientele/clientele/internal/sqlite"
)

// BenchmarkBatchHTTPWebhooks is BenchmarkBatchHTTP/new with the webhook
// router and dispatcher running, as `clientele serve` runs them, on SQLite.
// In "none" no webhook exists, so the router only keeps its cursor at the
// end of the outbox: compare with BatchHTTP/new, the batch path must not
// get slower. In "subscriber" one webhook hears of every profile.created,
// sent to a loopback receiver: profiles/s counts until every batch
// completed, delivered/s until the receiver had every event and the log
// shows every delivery delivered.
//
// With CLIENTELE_BENCH_POSTGRES set, "postgres-none" and
// "postgres-subscriber" run the same on a fresh schema of that database.
//
//	go test ./cmd/clientele -run '^$' -bench BatchHTTPWebhooks -benchtime=1x
func BenchmarkBatchHTTPWebhooks(b *testing.B) {
	modes := []string{"none", "subscriber"}
	if os.Getenv("CLIENTELE_BENCH_POSTGRES") != "" {
		modes = append(modes, "postgres-none", "postgres-subscriber")
	}
	for _, mode := range modes {
		b.Run(mode, func(b *testing.B) {
			const benchProfiles, batchSize, senders = 20000, 500, 4
			for b.Loop() {
				b.StopTimer()
				url, token, received, store := benchWebhookNode(b, strings.HasPrefix(mode, "postgres"),
					strings.HasSuffix(mode, "subscriber"))
				batches := benchBatches(benchProfiles, batchSize, 1)
				b.StartTimer()
				began := time.Now()
				postAll(b, []string{url}, token, batches, senders)
				b.ReportMetric(float64(benchProfiles)/time.Since(began).Seconds(), "profiles/s")
				if !strings.HasSuffix(mode, "subscriber") {
					continue
				}
				for received.Load() < benchProfiles || pendingDeliveries(b, store) > 0 {
					time.Sleep(5 * time.Millisecond)
				}
				b.ReportMetric(float64(benchProfiles)/time.Since(began).Seconds(), "delivered/s")
			}
		})
	}
}

// pendingDeliveries counts the deliveries of webhook 1 not yet settled.
func pendingDeliveries(b *testing.B, s clientele.Store) int {
	_, n, err := s.Deliveries(context.Background(), 1, clientele.DeliveryFilter{Status: clientele.DeliveryPending, Limit: 1})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// benchWebhookNode serves a fresh store (SQLite, or a PostgreSQL schema)
// as one node with its workers and webhooks, and, when subscribe is set, a
// webhook on every profile.created to a loopback receiver that counts what
// it gets.
func benchWebhookNode(b *testing.B, pg, subscribe bool) (string, string, *atomic.Int64, clientele.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	var (
		store clientele.Store
		err   error
	)
	if pg {
		store, err = postgres.Open(ctx, pgtest.Schema(b, os.Getenv("CLIENTELE_BENCH_POSTGRES")))
	} else {
		store, err = sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	}
	if err != nil {
		b.Fatal(err)
	}
	token, secret := clientele.NewToken("bench", []string{clientele.ScopeAll}, 1, time.Now())
	if err := store.CreateToken(ctx, token); err != nil {
		b.Fatal(err)
	}
	cfg, err := parseServeFlags([]string{"--phone-region", "AU", "--webhook-allow-private"},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	var received atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { received.Add(1) }))
	if subscribe {
		now := time.Now()
		if _, err := store.CreateWebhook(ctx, clientele.Webhook{Trigger: clientele.EventProfileCreated,
			URL: receiver.URL, IsActive: true, CreatedAt: now, UpdatedAt: now}); err != nil {
			b.Fatal(err)
		}
	}
	logger := slog.New(slog.DiscardHandler)
	handler, pool := newService(store, cfg, logger)
	hooks, err := newWebhooks(ctx, store, cfg, logger)
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() { pool.Run(ctx) })
	wg.Go(func() { hooks.Run(ctx) })
	srv := httptest.NewServer(handler)
	b.Cleanup(func() {
		srv.Close()
		cancel()
		wg.Wait()
		receiver.Close()
		store.Close()
	})
	return srv.URL, secret, &received, store
}
