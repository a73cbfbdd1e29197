package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/benchgen"
)

// benchTarget is the load generator: it posts a workload's batches to one
// or more nodes and waits for them, as an importer would.
type benchTarget struct {
	urls        []string // batches go round-robin to these nodes
	token       string
	client      *http.Client
	gen         benchgen.Generator
	batchSize   int
	concurrency int
	// progress, when set, hears how far a long workload has got.
	progress func(format string, a ...any)
}

func newBenchClient(concurrency int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	// The default keeps two idle connections per host: more senders than
	// that would reconnect for every batch and measure TCP set-up.
	tr.MaxIdleConnsPerHost = concurrency + 4
	return &http.Client{Transport: tr, Timeout: 5 * time.Minute}
}

// workloadResult is what one workload measured over HTTP.
type workloadResult struct {
	Workload  string  `json:"workload"`
	Profiles  int     `json:"profiles"`
	Batches   int     `json:"batches"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"profiles_per_second"`
	// Accept latency: from sending a batch to its 202, per batch.
	AcceptP50ms float64 `json:"accept_p50_ms"`
	AcceptP99ms float64 `json:"accept_p99_ms"`
	AcceptMaxms float64 `json:"accept_max_ms"`
	// Throttled counts 429/503 answers, each retried after Retry-After;
	// their wait is not in the accept latency.
	Throttled int `json:"throttled"`
	Created   int `json:"created"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	// ServerPeakRSS is the server's peak resident set during this workload
	// (0 when unknown: a server this run did not start).
	ServerPeakRSS int64 `json:"server_peak_rss_bytes,omitempty"`
}

// pollEvery is how often an unfinished batch is asked after. A poll asks
// only how many items are still pending (GET …/items with a page of one
// pending item); the batch itself, which renders all of its items, is read
// once, when none is left. Polling GET /batches/{id} itself took 5% of the
// server's CPU from the load being measured.
const pollEvery = 25 * time.Millisecond

// preMadeProfiles is the largest workload whose batch bodies are made
// before it is timed: about 16 MB of JSON per 20,000 profiles.
const preMadeProfiles = 100000

// run posts w's batches with t.concurrency senders, waits until every one
// has completed, and reports the rate from the first request to the last
// batch seen completed. It fails if any item failed or the outcomes differ
// from what w plans.
func (t *benchTarget) run(ctx context.Context, w benchWorkload) (workloadResult, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	nb := (w.n + t.batchSize - 1) / t.batchSize
	res := workloadResult{Workload: w.label(), Profiles: w.n, Batches: nb}

	type job struct {
		seq  int
		body []byte
	}
	jobs := make(chan job, t.concurrency)
	accepted := make(chan string, nb) // batch ids in the order accepted
	latency := make([]time.Duration, nb)
	var throttled atomic.Int64

	next := w.items()
	makeBody := func(seq int) []byte {
		items := make([]benchgen.Item, 0, t.batchSize)
		for range min(t.batchSize, w.n-seq*t.batchSize) {
			items = append(items, next())
		}
		return t.gen.AppendBatch(make([]byte, 0, len(items)*1024+64), items)
	}
	// A workload of up to preMadeProfiles has its bodies made before the
	// clock starts: making them costs about a tenth of the machine's CPU
	// during a run, which a real importer spends on another machine, and
	// on a shared 2-core machine it would be taken from the server being
	// measured. A bigger workload is made just ahead of the senders, so
	// that a million-profile run never holds more than a few batches.
	var preMade [][]byte
	if w.n <= preMadeProfiles {
		preMade = make([][]byte, nb)
		for seq := range nb {
			preMade[seq] = makeBody(seq)
		}
	}
	began := time.Now()
	go func() {
		defer close(jobs)
		for seq := range nb {
			var body []byte
			if preMade != nil {
				body, preMade[seq] = preMade[seq], nil
			} else {
				body = makeBody(seq)
			}
			select {
			case jobs <- job{seq, body}:
			case <-ctx.Done():
				return
			}
		}
	}()
	var senders sync.WaitGroup
	for range t.concurrency {
		senders.Go(func() {
			for j := range jobs {
				id, d, n, err := t.post(ctx, t.urls[j.seq%len(t.urls)], j.body)
				throttled.Add(int64(n))
				if err != nil {
					cancel(err)
					return
				}
				latency[j.seq] = d
				accepted <- id
			}
		})
	}
	go func() {
		senders.Wait()
		close(accepted)
	}()

	// Batches are claimed oldest first, so waiting for them in the order
	// they were accepted mostly finds each one done.
	done, told := 0, time.Now()
	for id := range accepted {
		b, err := t.await(ctx, id)
		if err != nil {
			cancel(err)
			break
		}
		res.Created += b.CreatedCount
		res.Updated += b.UpdatedCount
		res.Unchanged += b.UnchangedCount
		done++
		if t.progress != nil && time.Since(told) > 15*time.Second {
			told = time.Now()
			t.progress("%s: %d of %d batches completed, %.0f profiles/s so far", w.label(), done, nb,
				float64(done*t.batchSize)/time.Since(began).Seconds())
		}
	}
	elapsed := time.Since(began)
	if err := context.Cause(ctx); err != nil {
		return res, fmt.Errorf("%s: %w", w.label(), err)
	}
	if res.Created != w.created() || res.Created+res.Updated+res.Unchanged != w.n {
		return res, fmt.Errorf("%s: %d created, %d updated, %d unchanged; want %d created of %d",
			w.label(), res.Created, res.Updated, res.Unchanged, w.created(), w.n)
	}
	res.Seconds = elapsed.Seconds()
	res.PerSecond = float64(w.n) / elapsed.Seconds()
	res.Throttled = int(throttled.Load())
	slices.Sort(latency)
	res.AcceptP50ms = ms(percentile(latency, 50))
	res.AcceptP99ms = ms(percentile(latency, 99))
	res.AcceptMaxms = ms(latency[len(latency)-1])
	return res, nil
}

// percentile is the nearest-rank percentile p of sorted d.
func percentile(d []time.Duration, p int) time.Duration {
	rank := (len(d)*p + 99) / 100
	return d[max(rank, 1)-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// post submits one batch body and returns its id and how long the request
// that got the 202 took. 429 and 503 are waited out (Retry-After) and
// counted, as a well-behaved importer does.
func (t *benchTarget) post(ctx context.Context, base string, body []byte) (string, time.Duration, int, error) {
	throttled := 0
	for {
		req, err := http.NewRequestWithContext(ctx, "POST", base+"/api/v3/profiles/batch.json", bytes.NewReader(body))
		if err != nil {
			return "", 0, throttled, err
		}
		req.Header.Set("Authorization", "Bearer "+t.token)
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := t.client.Do(req)
		if err != nil {
			return "", 0, throttled, err
		}
		raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		d := time.Since(start)
		if err != nil {
			return "", 0, throttled, err
		}
		switch resp.StatusCode {
		case http.StatusAccepted:
			var out struct {
				Data struct {
					BatchID string `json:"batch_id"`
				} `json:"data"`
			}
			if err := json.Unmarshal(raw, &out); err != nil || out.Data.BatchID == "" {
				return "", 0, throttled, fmt.Errorf("POST batch: 202 without a batch_id: %.200s", raw)
			}
			return out.Data.BatchID, d, throttled, nil
		case http.StatusTooManyRequests, http.StatusServiceUnavailable:
			throttled++
			wait := time.Second
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s >= 0 {
				wait = time.Duration(s) * time.Second
			}
			select {
			case <-time.After(wait):
			case <-ctx.Done():
				return "", 0, throttled, context.Cause(ctx)
			}
		default:
			return "", 0, throttled, fmt.Errorf("POST batch: %d %.500s", resp.StatusCode, raw)
		}
	}
}

// batchStatus is the part of GET /batches/{id} the benchmark reads.
type batchStatus struct {
	Status         string `json:"status"`
	CreatedCount   int    `json:"created_count"`
	UpdatedCount   int    `json:"updated_count"`
	UnchangedCount int    `json:"unchanged_count"`
	FailedCount    int    `json:"failed_count"`
}

// await polls a batch until it has completed. A failed item or batch is an
// error: benchmark data is valid, so a failure is a bug to see, not a
// figure to report.
func (t *benchTarget) await(ctx context.Context, id string) (batchStatus, error) {
	for polls := 1; ; polls++ {
		n, err := t.pendingItems(ctx, id)
		if err != nil {
			return batchStatus{}, err
		}
		if n == 0 {
			break
		}
		// A batch that failed as a whole keeps its pending items: look at
		// the batch itself now and then.
		if polls%failedEvery == 0 {
			if b, err := t.batch(ctx, id); err != nil || b.Status == clientele.BatchFailed {
				return b, cmp.Or(err, fmt.Errorf("batch %s failed", id))
			}
		}
		select {
		case <-time.After(pollEvery):
		case <-ctx.Done():
			return batchStatus{}, context.Cause(ctx)
		}
	}
	b, err := t.batch(ctx, id)
	switch {
	case err != nil:
		return b, err
	case b.FailedCount > 0:
		var items struct {
			Data []struct {
				Index  int                 `json:"index"`
				Errors map[string][]string `json:"errors"`
			} `json:"data"`
		}
		_ = t.get(ctx, "/api/v3/batches/"+id+"/items?filter[status]=failed&page[size]=1", &items)
		return b, fmt.Errorf("batch %s: %d items failed, e.g. %+v", id, b.FailedCount, items.Data)
	case b.Status != clientele.BatchCompleted:
		return b, fmt.Errorf("batch %s has no pending items but is %s", id, b.Status)
	}
	return b, nil
}

// failedEvery is how many polls of an unfinished batch go by between two
// looks at its status.
const failedEvery = 40

// pendingItems asks how many of a batch's items are still pending.
func (t *benchTarget) pendingItems(ctx context.Context, id string) (int, error) {
	var page struct {
		Meta struct {
			Total *int `json:"total"`
		} `json:"meta"`
	}
	if err := t.get(ctx, "/api/v3/batches/"+id+"/items?filter[status]=pending&page[size]=1", &page); err != nil {
		return 0, err
	}
	if page.Meta.Total == nil {
		return 0, fmt.Errorf("batch %s: items page without meta.total", id)
	}
	return *page.Meta.Total, nil
}

// batch reads a batch's status and counts.
func (t *benchTarget) batch(ctx context.Context, id string) (batchStatus, error) {
	var out struct {
		Data batchStatus `json:"data"`
	}
	err := t.get(ctx, "/api/v3/batches/"+id, &out)
	return out.Data, err
}

// get GETs path from the first node and decodes its JSON into out.
func (t *benchTarget) get(ctx context.Context, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, "GET", t.urls[0]+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+t.token)
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
		return fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, raw)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}

// countProfiles asks the server how many live profiles it holds.
func (t *benchTarget) countProfiles(ctx context.Context) (int, error) {
	var out struct {
		Meta struct {
			Total *int `json:"total"`
		} `json:"meta"`
	}
	if err := t.get(ctx, "/api/v3/profiles?page[size]=1", &out); err != nil {
		return 0, err
	}
	if out.Meta.Total == nil {
		return 0, errors.New("GET /api/v3/profiles: no meta.total")
	}
	return *out.Meta.Total, nil
}
