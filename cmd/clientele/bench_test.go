package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/postgres"
	"github.com/clientele/clientele/internal/postgres/pgtest"
	"github.com/clientele/clientele/internal/sqlite"
)

// BenchmarkBatchHTTP measures profiles per second from the first request to
// the last batch completed: JSON over HTTP to the real handler, the durable
// queue, the workers and the store, wired exactly as `clientele serve`
// wires them. Run it with -benchtime=1x; each run loads benchProfiles
// profiles. It runs on SQLite ("new", "matched"), and, when
// CLIENTELE_BENCH_POSTGRES names a PostgreSQL database, on a fresh schema of
// it with one and with two nodes ("postgres-1node/new" …): each node is a
// store with its own connection pool, handler and workers, as separate
// processes would be, and the senders spread the batches over the nodes.
//
//	go test ./cmd/clientele -run '^$' -bench BatchHTTP -benchtime=1x
//	CLIENTELE_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./cmd/clientele -run '^$' -bench BatchHTTP -benchtime=1x
func BenchmarkBatchHTTP(b *testing.B) {
	for _, workload := range []string{"new", "matched"} {
		b.Run(workload, func(b *testing.B) {
			benchWorkload(b, workload, func(b *testing.B) ([]string, string) {
				store, err := sqlite.Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
				if err != nil {
					b.Fatal(err)
				}
				return benchNodes(b, []clientele.Store{store})
			})
		})
	}
	dsn := os.Getenv("CLIENTELE_BENCH_POSTGRES")
	if dsn == "" {
		return
	}
	for _, nodes := range []int{1, 2} {
		for _, workload := range []string{"new", "matched"} {
			b.Run(fmt.Sprintf("postgres-%dnode/%s", nodes, workload), func(b *testing.B) {
				benchWorkload(b, workload, func(b *testing.B) ([]string, string) {
					schema := pgtest.Schema(b, dsn)
					stores := make([]clientele.Store, nodes)
					for i := range stores {
						s, err := postgres.Open(b.Context(), schema)
						if err != nil {
							b.Fatal(err)
						}
						stores[i] = s
					}
					return benchNodes(b, stores)
				})
			})
		}
	}
}

// benchWorkload runs one workload on nodes that start makes afresh for
// every run: "new" loads benchProfiles new profiles, "matched" loads them
// first (untimed), then again with changed data.
func benchWorkload(b *testing.B, workload string, start func(*testing.B) ([]string, string)) {
	const benchProfiles, batchSize, senders = 20000, 500, 4
	for b.Loop() {
		b.StopTimer()
		urls, token := start(b)
		if workload == "matched" {
			postAll(b, urls, token, benchBatches(benchProfiles, batchSize, 0), senders)
		}
		batches := benchBatches(benchProfiles, batchSize, 1)
		b.StartTimer()
		began := time.Now()
		postAll(b, urls, token, batches, senders)
		b.ReportMetric(float64(benchProfiles)/time.Since(began).Seconds(), "profiles/s")
	}
}

// benchNodes serves each store as one node: its own handler and workers,
// wired by newService as serve wires them. It returns the nodes' URLs and a
// token they all accept; everything stops when the benchmark ends.
func benchNodes(b *testing.B, stores []clientele.Store) ([]string, string) {
	ctx, cancel := context.WithCancel(context.Background())
	token, secret := clientele.NewToken("bench", []string{clientele.ScopeAll}, 1, time.Now())
	if err := stores[0].CreateToken(ctx, token); err != nil {
		b.Fatal(err)
	}
	cfg, err := parseServeFlags([]string{"--phone-region", "AU"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	var (
		wg   sync.WaitGroup
		urls []string
		srvs []*httptest.Server
	)
	for _, store := range stores {
		handler, pool := newService(store, cfg, slog.New(slog.DiscardHandler))
		wg.Go(func() { pool.Run(ctx) })
		srv := httptest.NewServer(handler)
		srvs = append(srvs, srv)
		urls = append(urls, srv.URL)
	}
	b.Cleanup(func() {
		for _, srv := range srvs {
			srv.Close()
		}
		cancel()
		wg.Wait()
		for _, s := range stores {
			s.Close()
		}
	})
	return urls, secret
}

// benchBatches makes n realistic profiles (about 0.5 KB of JSON each) in
// batches; version varies the data, so loading version 1 over version 0
// updates every profile.
func benchBatches(n, size, version int) [][]byte {
	rng := rand.New(rand.NewPCG(42, 7))
	firsts := []string{"Olivia", "Jack", "Amelia", "Noah", "Isla", "Oliver", "Mia", "William", "Ava", "Leo"}
	lasts := []string{"Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Martin", "Lee", "Walker"}
	var out [][]byte
	for start := 0; start < n; start += size {
		profiles := make([]any, 0, size)
		for i := start; i < min(start+size, n); i++ {
			first, last := firsts[rng.IntN(len(firsts))], lasts[rng.IntN(len(lasts))]
			email := fmt.Sprintf("%s.%s.%d@Example.com", first, last, i)
			if i%2 == 0 {
				email = " " + email
			}
			phone := fmt.Sprintf("+614%08d", i)
			if i%3 == 0 {
				phone = fmt.Sprintf("04%02d %03d %03d", i/1000000%100, i/1000%1000, i%1000)
			}
			identities := []any{map[string]any{"handle": "shopify", "identifier": fmt.Sprintf("shop-%d", i)}}
			if i%2 == 1 {
				identities = append(identities, map[string]any{"handle": "pos", "identifier": fmt.Sprintf("pos-%d", i)})
			}
			profiles = append(profiles, map[string]any{
				"first_name": first, "last_name": last, "email": email, "mobile_phone": phone,
				"gender": []string{"female", "male", "other"}[i%3], "birth_day": 1 + i%28, "birth_month": 1 + i%12, "birth_year": 1950 + i%50,
				"tags":       []string{"vip", fmt.Sprintf("segment %d", i%7)},
				"identities": identities,
				"custom_attributes": []any{
					map[string]any{"namespace": "crm", "handle": "score", "type": "integer", "value": i % 100},
					map[string]any{"namespace": "crm", "handle": "tier", "type": "string", "value": []string{"gold", "silver"}[i%2]},
					map[string]any{"namespace": "crm", "handle": "version", "type": "integer", "value": version},
					map[string]any{"namespace": "prefs", "handle": "language", "type": "string", "value": "EN"},
					map[string]any{"namespace": "prefs", "handle": "newsletter", "type": "boolean", "value": true},
				},
				"addresses": []any{map[string]any{
					"address_line_1": fmt.Sprintf("%d George St", 1+i%200), "city": "Sydney", "postcode": "2000",
					"country": "AU", "state": "NSW", "external_id": "home", "is_default": true,
				}},
			})
		}
		body, err := json.Marshal(map[string]any{"match_criteria": "email", "profiles": profiles})
		if err != nil {
			panic(err)
		}
		out = append(out, body)
	}
	return out
}

// postAll posts every batch with `senders` concurrent clients, spreading
// the batches over the nodes, then waits until every batch has completed.
func postAll(b *testing.B, bases []string, token string, batches [][]byte, senders int) {
	ids := make([]string, len(batches))
	var wg sync.WaitGroup
	next := make(chan int)
	for range senders {
		wg.Go(func() {
			for i := range next {
				ids[i] = benchPost(b, bases[i%len(bases)], token, batches[i])
			}
		})
	}
	for i := range batches {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, id := range ids {
		for {
			var batch struct {
				Data struct {
					Status      string `json:"status"`
					FailedCount int    `json:"failed_count"`
				} `json:"data"`
			}
			benchGet(b, bases[0]+"/api/v3/batches/"+id, token, &batch)
			if batch.Data.Status == clientele.BatchCompleted {
				if batch.Data.FailedCount != 0 {
					b.Fatalf("batch %s: %d failed items", id, batch.Data.FailedCount)
				}
				break
			}
			// Not faster: every poll renders all of a batch's items, and at
			// 5 ms the polls took about a tenth of the CPU being measured.
			time.Sleep(25 * time.Millisecond)
		}
	}
}

func benchPost(b *testing.B, base, token string, body []byte) string {
	req, _ := http.NewRequest("POST", base+"/api/v3/profiles/batch.json", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Data struct {
			BatchID string `json:"batch_id"`
		}
	}
	if resp.StatusCode != http.StatusAccepted || json.NewDecoder(resp.Body).Decode(&out) != nil {
		raw, _ := io.ReadAll(resp.Body)
		b.Fatalf("submit: %d %s", resp.StatusCode, raw)
	}
	return out.Data.BatchID
}

func benchGet(b *testing.B, url, token string, out any) {
	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		b.Fatal(err)
	}
}
