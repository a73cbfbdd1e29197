package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/benchgen"
	"github.com/clientele/clientele/internal/postgres"
	"github.com/clientele/clientele/internal/postgres/pgtest"
	"github.com/clientele/clientele/internal/sqlite"
)

// BenchmarkBatchHTTP measures profiles per second from the first request to
// the last batch completed: JSON over HTTP to the real handler, the durable
// queue, the workers and the store, wired exactly as `clientele serve`
// wires them. Run it with -benchtime=1x; each run loads benchProfiles
// profiles. It runs on SQLite ("new", "matched", "mixed"), and, when
// CLIENTELE_BENCH_POSTGRES names a PostgreSQL database, on a fresh schema of
// it with one and with two nodes ("postgres-1node/new" …): each node is a
// store with its own connection pool, handler and workers, as separate
// processes would be, and the senders spread the batches over the nodes.
//
//	go test ./cmd/clientele -run '^$' -bench BatchHTTP -benchtime=1x
//	CLIENTELE_BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./cmd/clientele -run '^$' -bench BatchHTTP -benchtime=1x
func BenchmarkBatchHTTP(b *testing.B) {
	for _, workload := range []string{workloadNew, workloadMatched, workloadMixed} {
		b.Run(workload, func(b *testing.B) {
			benchHTTPWorkload(b, workload, func(b *testing.B) ([]string, string) {
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
		for _, workload := range []string{workloadNew, workloadMatched, workloadMixed} {
			b.Run(fmt.Sprintf("postgres-%dnode/%s", nodes, workload), func(b *testing.B) {
				benchHTTPWorkload(b, workload, func(b *testing.B) ([]string, string) {
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

// benchHTTPWorkload runs one workload on nodes that start makes afresh for
// every run, with the load generator of `clientele bench`: "new" loads
// benchProfiles new profiles; "matched" and "mixed" load them first
// (untimed), then update them all, or half of them beside as many new.
func benchHTTPWorkload(b *testing.B, workload string, start func(*testing.B) ([]string, string)) {
	const benchProfiles, batchSize, senders = 20000, 500, 4
	for b.Loop() {
		b.StopTimer()
		urls, token := start(b)
		t := &benchTarget{urls: urls, token: token, client: newBenchClient(senders),
			gen: benchgen.Generator{Seed: 1, National: true}, batchSize: batchSize, concurrency: senders}
		plans := newBenchPlanner(0, batchSize)
		if workload != workloadNew {
			if _, err := t.run(b.Context(), plans.plan(workloadNew, benchProfiles)); err != nil {
				b.Fatal(err)
			}
		}
		w := plans.plan(workload, benchProfiles)
		b.StartTimer()
		res, err := t.run(b.Context(), w)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.PerSecond, "profiles/s")
		b.ReportMetric(res.AcceptP99ms, "accept-p99-ms")
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

// benchBatches makes n profiles in revision version as batch bodies of
// size profiles, for benchmarks that post prepared bodies with postAll.
func benchBatches(n, size, version int) [][]byte {
	gen := benchgen.Generator{Seed: 1, National: true}
	var out [][]byte
	for start := 0; start < n; start += size {
		var items []benchgen.Item
		for i := start; i < min(start+size, n); i++ {
			items = append(items, benchgen.Item{Index: i, Rev: version})
		}
		out = append(out, gen.AppendBatch(nil, items))
	}
	return out
}

// postAll posts every batch with `senders` concurrent clients, spreading
// the batches over the nodes, then waits until every batch has completed.
func postAll(b *testing.B, bases []string, token string, batches [][]byte, senders int) {
	t := &benchTarget{urls: bases, token: token, client: newBenchClient(senders), concurrency: senders}
	ids := make([]string, len(batches))
	var wg sync.WaitGroup
	next := make(chan int)
	for range senders {
		wg.Go(func() {
			for i := range next {
				id, _, _, err := t.post(b.Context(), bases[i%len(bases)], batches[i])
				if err != nil {
					b.Error(err)
				}
				ids[i] = id
			}
		})
	}
	for i := range batches {
		next <- i
	}
	close(next)
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	for _, id := range ids {
		if _, err := t.await(b.Context(), id); err != nil {
			b.Fatal(err)
		}
	}
}

// TestBenchCommand runs `clientele bench` as a user would, small: a
// warm-up and every workload on a server it starts on SQLite, then the
// store alone. The report must name every workload with its profiles and
// outcomes, and the database, opened afterwards by a server of its own,
// must hold exactly the profiles the run created.
func TestBenchCommand(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "bench.db")
	rep := runBenchJSON(t, "--db", "sqlite:"+dbPath, "--warmup", "300", "--profiles", "1000", "--batch-size", "250")
	// mixed: per batch of 250, 125 new, 100 matched and 25 repeats of
	// profiles created earlier in the same batch.
	checkBenchWorkloads(t, rep, map[string][3]int{
		"warmup": {300, 300, 0}, "new": {1000, 1000, 0}, "matched": {1000, 0, 1000}, "mixed": {1000, 500, 500},
	})
	if len(rep.StoreAlone) != 3 || rep.StoreAlone[0].Created != 300 || rep.StoreAlone[1].Created != 1000 ||
		rep.StoreAlone[2].Updated != 1000 {
		t.Errorf("store alone: %+v, want warmup (300 created), new (1000 created) and matched (1000 updated)", rep.StoreAlone)
	}
	if rep.ServerPeakRSS < 1<<20 || rep.Workloads[0].ServerPeakRSS < 1<<20 {
		t.Errorf("server peak RSS %d, warmup's %d: not measured", rep.ServerPeakRSS, rep.Workloads[0].ServerPeakRSS)
	}
	if rep.ServerProfiles != 1800 || len(rep.ServerProblems) > 0 {
		t.Errorf("the bench saw %d profiles (want 1800), server problems %q", rep.ServerProfiles, rep.ServerProblems)
	}
	if got := profileTotal(t, startNode(t, dbPath)); got != 1800 {
		t.Errorf("the database holds %d profiles, want 1800", got)
	}
}

// TestBenchCommandURL benchmarks a server that is already running, and
// checks the table the command prints. With --url there is no warm-up
// unless asked for: the server holds exactly the profiles of the run.
func TestBenchCommandURL(t *testing.T) {
	n := startNode(t, filepath.Join(t.TempDir(), "c.db"))
	out := runBenchCmd(t, "--url", n.URL, "--token", n.Token, "--profiles", "600", "--batch-size", "200",
		"--workloads", "new,matched", "--store-alone=false")
	rows := map[string][]string{}
	for line := range strings.Lines(out) {
		if f := strings.Fields(line); len(f) > 2 {
			rows[f[0]] = f
		}
	}
	for _, w := range []string{"new", "matched"} {
		if rows[w] == nil || rows[w][1] != "600" {
			t.Errorf("no row %q with 600 profiles in:\n%s", w, out)
		}
	}
	if rows["mixed"] != nil || !strings.Contains(out, "server holds 600 profiles") {
		t.Errorf("want new and matched only, 600 profiles, in:\n%s", out)
	}
	if got := profileTotal(t, n); got != 600 {
		t.Errorf("the server holds %d profiles, want 600", got)
	}
}

// TestBenchRounds runs the matched workload twice: each round updates
// every profile it sends (a revision of its own), is reported under its
// round, and the summary gives the median of the rounds.
func TestBenchRounds(t *testing.T) {
	n := startNode(t, filepath.Join(t.TempDir(), "c.db"))
	out := runBenchCmd(t, "--url", n.URL, "--token", n.Token, "--warmup", "300", "--profiles", "300",
		"--batch-size", "100", "--workloads", "matched", "--rounds", "2", "--store-alone=false")
	rows := map[string][]string{}
	for line := range strings.Lines(out) {
		if f := strings.Fields(line); len(f) > 11 {
			rows[f[0]] = f
		}
	}
	for _, w := range []string{"matched/1", "matched/2"} {
		if r := rows[w]; r == nil || r[1] != "300" || r[10] != "0" || r[11] != "300" {
			t.Errorf("want a row %q of 300 profiles, 0 created, 300 updated, in:\n%s", w, out)
		}
	}
	if !strings.Contains(out, "matched: median of 2 rounds") || rows["matched"] != nil {
		t.Errorf("want the rounds' summary and no unnumbered row in:\n%s", out)
	}
}

// TestBenchRoundsStoreAlone: with the default workloads, a second round's
// matched work spreads over profiles the first round's mixed work created,
// which the store-alone run (no mixed work) never made; it replays the
// first round only.
func TestBenchRoundsStoreAlone(t *testing.T) {
	rep := runBenchJSON(t, "--warmup", "200", "--profiles", "200", "--batch-size", "100", "--rounds", "2")
	var names []string
	for _, w := range rep.Workloads {
		names = append(names, w.Workload)
	}
	want := []string{"warmup", "new/1", "matched/1", "mixed/1", "new/2", "matched/2", "mixed/2"}
	if !slices.Equal(names, want) {
		t.Errorf("workloads %v, want %v", names, want)
	}
	names = nil
	for _, w := range rep.StoreAlone {
		names = append(names, w.Workload)
	}
	if want := []string{"warmup", "new/1", "matched/1"}; !slices.Equal(names, want) {
		t.Errorf("store alone %v, want %v", names, want)
	}
}

func TestRoundsSummary(t *testing.T) {
	got := roundsSummary([]workloadResult{
		{Workload: "warmup", PerSecond: 1},
		{Workload: "new/1", PerSecond: 100}, {Workload: "matched/1", PerSecond: 400},
		{Workload: "new/2", PerSecond: 300}, {Workload: "matched/2", PerSecond: 200},
		{Workload: "new/3", PerSecond: 200},
	})
	want := []string{"",
		"new: median of 3 rounds 200 profiles/s (5000.0 µs/profile), range 100–300",
		"matched: median of 2 rounds 300 profiles/s (3333.3 µs/profile), range 200–400"}
	if !slices.Equal(got, want) {
		t.Errorf("roundsSummary:\n%q\nwant\n%q", got, want)
	}
}

// TestBenchCommandPostgres is a smoke run on PostgreSQL, in a schema of
// the test's own that the server uses as given.
func TestBenchCommandPostgres(t *testing.T) {
	schema := pgtest.Schema(t, pgtest.DSN(t))
	rep := runBenchJSON(t, "--db", schema, "--warmup", "0", "--profiles", "500", "--batch-size", "250", "--workloads", "new,mixed")
	checkBenchWorkloads(t, rep, map[string][3]int{"new": {500, 500, 0}, "mixed": {500, 250, 250}})
	if len(rep.StoreAlone) != 1 || rep.StoreAlone[0].Created != 500 {
		t.Errorf("store alone: %+v, want new, 500 created", rep.StoreAlone)
	}
	s, err := postgres.Open(t.Context(), schema)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, total, err := s.ListProfiles(t.Context(), clientele.ProfileFilter{Limit: 1}); err != nil || total != 750 {
		t.Errorf("the schema holds %d profiles (%v), want 750", total, err)
	}
}

func runBenchCmd(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(binPath, append([]string{"bench"}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("clientele bench: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

func runBenchJSON(t *testing.T, args ...string) benchReport {
	t.Helper()
	out := runBenchCmd(t, append(args, "--json")...)
	var rep benchReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in %s", err, out)
	}
	return rep
}

// checkBenchWorkloads checks the report's workloads, in order, against
// want: profiles, created and updated of each.
func checkBenchWorkloads(t *testing.T, rep benchReport, want map[string][3]int) {
	t.Helper()
	var names []string
	for _, w := range rep.Workloads {
		names = append(names, w.Workload)
		got := [3]int{w.Profiles, w.Created, w.Updated}
		if got != want[w.Workload] || w.PerSecond <= 0 || w.AcceptMaxms <= 0 {
			t.Errorf("%s: profiles, created, updated %v, want %v (%+v)", w.Workload, got, want[w.Workload], w)
		}
	}
	if len(names) != len(want) {
		t.Errorf("workloads %v, want %d", names, len(want))
	}
}

// profileTotal is meta.total of GET /api/v3/profiles: the live profiles.
func profileTotal(t *testing.T, n *node) int {
	t.Helper()
	var page struct {
		Meta struct{ Total int } `json:"meta"`
	}
	if code := n.do("GET", "/api/v3/profiles?page[size]=1", nil, &page); code != 200 {
		t.Fatalf("GET /api/v3/profiles: %d", code)
	}
	return page.Meta.Total
}

// The warm-up's default depends on whose server it is, and it counts
// toward the profiles a matched-only run needs.
func TestBenchFlagsWarmup(t *testing.T) {
	for _, c := range []struct {
		args            []string
		warmup, preload int
		wantErr         bool
	}{
		{args: nil, warmup: defaultWarmup},
		{args: []string{"--url", "http://x", "--token", "t"}, warmup: 0},
		{args: []string{"--url", "http://x", "--token", "t", "--warmup", "500"}, warmup: 500},
		{args: []string{"--workloads", "matched", "--profiles", "20000"}, warmup: defaultWarmup, preload: 20000 - defaultWarmup},
		{args: []string{"--workloads", "matched", "--profiles", "20000", "--warmup", "50000", "--preload", "100"}, warmup: 50000, preload: 100},
		{args: []string{"--workloads", "matched", "--profiles", "20000", "--warmup", "0"}, warmup: 0, preload: 20000},
		{args: []string{"--workloads", "matched", "--profiles", "20000", "--warmup", "0", "--preload", "100"}, wantErr: true},
		{args: []string{"--warmup", "-5"}, wantErr: true},
		{args: []string{"--rounds", "0"}, wantErr: true},
		{args: []string{"--rounds", "4611686018427387904"}, wantErr: true},
	} {
		cfg, err := parseBenchFlags(c.args, io.Discard)
		if (err != nil) != c.wantErr || err == nil && (cfg.warmup != c.warmup || cfg.preload != c.preload) {
			t.Errorf("%q: warmup %d, preload %d, error %v; want %d, %d, error %v", c.args, cfg.warmup, cfg.preload, err,
				c.warmup, c.preload, c.wantErr)
		}
	}
}

// TestBenchPlanRoundsSpread: each round of matched work updates profiles
// that exist, each once, and other profiles than the rounds before it did,
// so that at scale a round does not find the last round's pages cached.
func TestBenchPlanRoundsSpread(t *testing.T) {
	p := newBenchPlanner(7, 500)
	p.plan(workloadPreload, 100_000)
	seen := map[int]int{} // profile index -> round
	for round := 1; round <= 4; round++ {
		w := p.plan(workloadMatched, 1000)
		next := w.items()
		for range w.n {
			it := next()
			if it.Index < 7 || it.Index >= 7+100_000 || it.Rev != w.rev {
				t.Fatalf("round %d: item %+v, want an existing profile (7–100006) in revision %d", round, it, w.rev)
			}
			if r, ok := seen[it.Index]; ok {
				t.Fatalf("round %d updates profile %d, as round %d did", round, it.Index, r)
			}
			seen[it.Index] = round
		}
	}
	// With fewer profiles than items the spread repeats none the less
	// evenly: every existing profile once or twice, none outside.
	q := newBenchPlanner(0, 500)
	q.plan(workloadWarmup, 300)
	w := q.plan(workloadMatched, 500)
	count := map[int]int{}
	next := w.items()
	for range w.n {
		count[next().Index]++
	}
	for i := range 300 {
		if c := count[i]; c < 1 || c > 2 {
			t.Errorf("profile %d updated %d times, want 1 or 2", i, c)
		}
	}
	if len(count) != 300 {
		t.Errorf("%d profiles updated, want the 300 that exist", len(count))
	}
}
