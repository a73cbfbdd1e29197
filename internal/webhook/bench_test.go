package webhook

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/sqlite"
)

// BenchmarkDeliveries measures deliveries per second from stored
// deliveries to a loopback receiver that answers 200 at once, through the
// whole dispatcher: claims, signing, HTTP, and the record of every attempt.
// It is the dispatcher's ceiling on this machine; a real receiver's
// latency divides it by how long it takes over the concurrency.
//
// It runs with the default limits (16 at once, 4 per host: the receiver is
// one host) and with 16 per host.
//
//	go test ./internal/webhook -run '^$' -bench Deliveries -benchtime=1x
func BenchmarkDeliveries(b *testing.B) {
	for _, perHost := range []int{DefaultPerHost, 16} {
		b.Run(fmt.Sprintf("perhost%d", perHost), func(b *testing.B) { benchDeliveries(b, perHost) })
	}
}

func benchDeliveries(b *testing.B, perHost int) {
	const n = 5000
	for b.Loop() {
		b.StopTimer()
		s, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
		if err != nil {
			b.Fatal(err)
		}
		var got atomic.Int64
		srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got.Add(1) }))
		now := time.Now()
		w, err := s.CreateWebhook(b.Context(), clientele.Webhook{Trigger: "profile.created", URL: srv.URL,
			IsActive: true, CreatedAt: now, UpdatedAt: now})
		if err != nil {
			b.Fatal(err)
		}
		l, err := s.ClaimRouter(b.Context(), "bench", now, time.Minute)
		if err != nil {
			b.Fatal(err)
		}
		body := []byte(`{"id":"92975ecb-5264-4d31-9f2b-789fa01f4555","email":"example@example.com","first_name":"Example"}`)
		var ds []clientele.NewDelivery
		for i := range n {
			ds = append(ds, clientele.NewDelivery{WebhookID: w.ID, EventID: int64(i + 1), EventType: "profile.created",
				MessageID: "msg_" + uuidHex(), Body: body})
		}
		if err := s.RouteEvents(b.Context(), l, clientele.EventPage{}, ds, now, time.Minute); err != nil {
			b.Fatal(err)
		}
		svc := New(Config{Store: s, Owner: "bench", Secret: testSecret, AllowPrivate: true, PerHost: perHost})
		ctx, cancel := context.WithCancel(context.Background())
		b.StartTimer()
		began := time.Now()
		done := make(chan struct{})
		go func() { svc.Dispatcher.Run(ctx); close(done) }()
		for got.Load() < n {
			time.Sleep(time.Millisecond)
		}
		for {
			left, _, err := s.Deliveries(b.Context(), w.ID, clientele.DeliveryFilter{Status: clientele.DeliveryPending, Limit: 1})
			if err != nil {
				b.Fatal(err)
			}
			if len(left) == 0 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		b.ReportMetric(n/time.Since(began).Seconds(), "deliveries/s")
		b.StopTimer()
		cancel()
		<-done
		srv.Close()
		s.Close()
		b.StartTimer()
	}
}
