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
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/sqlite"
)

// BenchmarkBatchHTTP measures profiles per second from the first request to
// the last batch completed: JSON over HTTP to the real handler, the durable
// queue, the workers and SQLite, wired exactly as `clientele serve` wires
// them. Run it with -benchtime=1x; each run loads benchProfiles profiles.
//
//	go test ./cmd/clientele -run '^$' -bench BatchHTTP -benchtime=1x
func BenchmarkBatchHTTP(b *testing.B) {
	const benchProfiles, batchSize, senders = 20000, 500, 4
	for _, workload := range []string{"new", "matched"} {
		b.Run(workload, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				srv, token := benchServer(b)
				if workload == "matched" {
					postAll(b, srv.URL, token, benchBatches(benchProfiles, batchSize, 0), senders)
				}
				batches := benchBatches(benchProfiles, batchSize, 1)
				b.StartTimer()
				start := time.Now()
				postAll(b, srv.URL, token, batches, senders)
				b.ReportMetric(float64(benchProfiles)/time.Since(start).Seconds(), "profiles/s")
			}
		})
	}
}

func benchServer(b *testing.B) (*httptest.Server, string) {
	ctx, cancel := context.WithCancel(context.Background())
	store, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	token, secret := clientele.NewToken("bench", []string{clientele.ScopeAll}, 1, time.Now())
	if err := store.CreateToken(ctx, token); err != nil {
		b.Fatal(err)
	}
	cfg, err := parseServeFlags([]string{"--phone-region", "AU"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	handler, pool := newService(store, cfg, slog.New(slog.DiscardHandler))
	var wg sync.WaitGroup
	wg.Go(func() { pool.Run(ctx) })
	srv := httptest.NewServer(handler)
	b.Cleanup(func() { srv.Close(); cancel(); wg.Wait(); store.Close() })
	return srv, secret
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

// postAll posts every batch with `senders` concurrent clients, then waits
// until every batch has completed.
func postAll(b *testing.B, base, token string, batches [][]byte, senders int) {
	ids := make([]string, len(batches))
	var wg sync.WaitGroup
	next := make(chan int)
	for range senders {
		wg.Go(func() {
			for i := range next {
				ids[i] = benchPost(b, base, token, batches[i])
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
			benchGet(b, base+"/api/v3/batches/"+id, token, &batch)
			if batch.Data.Status == clientele.BatchCompleted {
				if batch.Data.FailedCount != 0 {
					b.Fatalf("batch %s: %d failed items", id, batch.Data.FailedCount)
				}
				break
			}
			time.Sleep(5 * time.Millisecond)
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
