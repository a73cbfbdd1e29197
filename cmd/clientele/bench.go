package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/benchgen"
)

// benchConfig is what `bench` is told by its flags.
type benchConfig struct {
	url, token  string
	db          string
	profiles    int
	warmup      int
	preload     int
	batchSize   int
	concurrency int
	workloads   []string
	rounds      int
	seed        uint64
	first       int
	phoneRegion string
	storeAlone  bool
	json        bool
	cpuprofile  string
	serveFlags  []string
	keepDB      bool
}

func parseBenchFlags(args []string, stderr io.Writer) (benchConfig, error) {
	c := benchConfig{}
	var workloads, serveFlags string
	fs := newFlagSet("bench", stderr)
	fs.StringVar(&c.url, "url", "", "benchmark the server at this URL (http://host:port) instead of starting one")
	fs.StringVar(&c.token, "token", "", "API token for --url (scope *, or create-profiles and read-profiles)")
	fs.StringVar(&c.db, "db", "", "the started server's database: empty for a temporary SQLite file, sqlite:PATH, or a postgres:// URL (a fresh schema is made in it unless it sets search_path)")
	fs.IntVar(&c.profiles, "profiles", 20000, "profiles per workload")
	fs.IntVar(&c.warmup, "warmup", -1, "new profiles to load before anything else (reported as \"warmup\"), so that the figures after it are of a server past its start-up costs: by default 10000 on a server bench starts, none with --url")
	fs.IntVar(&c.preload, "preload", 0, "profiles to load after the warm-up (reported as \"preload\"), so matched runs against a store of at least this size")
	fs.IntVar(&c.batchSize, "batch-size", clientele.DefaultMaxBatchSize, "profiles per batch")
	fs.IntVar(&c.concurrency, "concurrency", 4, "batches posted at once")
	fs.StringVar(&workloads, "workloads", "new,matched,mixed", "workloads to run, of new, matched and mixed (always run in that order)")
	fs.IntVar(&c.rounds, "rounds", 1, "times to run the workloads, one after another (each round's updates are a new revision): the spread of a workload's rounds shows how far one run can be trusted")
	fs.Uint64Var(&c.seed, "seed", 1, "seed of the generated profiles' data")
	fs.IntVar(&c.first, "first", 0, "index of the first generated profile (the warm-up's first): a fresh range keeps \"new\" new on a server that holds an earlier run's profiles")
	fs.StringVar(&c.phoneRegion, "phone-region", "AU", "the server's --phone-region; with AU a third of the numbers are national (0412 345 678), otherwise all are E.164")
	fs.BoolVar(&c.storeAlone, "store-alone", true, "also apply the same profiles to a fresh store of the same kind in-process, without HTTP")
	fs.BoolVar(&c.json, "json", false, "print the results as JSON")
	fs.StringVar(&c.cpuprofile, "cpuprofile", "", "have the started server write a CPU profile of the whole run to this file")
	fs.StringVar(&serveFlags, "serve-flags", "", `more flags for the started server, e.g. "--workers 4"`)
	fs.BoolVar(&c.keepDB, "keep-db", false, "keep the temporary database (file or schema) and print where it is")
	// Not parseFlags: bench reads no CLIENTELE_* variables, so that a
	// CLIENTELE_DB meant for serve never receives benchmark profiles.
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, usageError(fmt.Sprintf("bench: unexpected argument %q", fs.Arg(0)))
	}
	c.serveFlags = strings.Fields(serveFlags)
	for _, w := range []string{workloadNew, workloadMatched, workloadMixed} {
		if slices.Contains(strings.Split(workloads, ","), w) {
			c.workloads = append(c.workloads, w)
		}
	}
	for w := range strings.SplitSeq(workloads, ",") {
		if !slices.Contains(c.workloads, w) {
			return c, usageError(fmt.Sprintf("--workloads: unknown workload %q (new, matched, mixed)", w))
		}
	}
	if c.warmup == -1 { // not given
		c.warmup = defaultWarmup
		if c.url != "" {
			c.warmup = 0 // another's server: load nothing it was not asked to
		}
	}
	switch {
	case c.profiles < 1 || c.warmup < 0 || c.preload < 0 || c.first < 0:
		return c, usageError("--profiles must be at least 1, --warmup, --preload and --first at least 0")
	case c.rounds < 1 || c.rounds > 1000:
		return c, usageError("--rounds must be between 1 and 1000")
	case c.first+c.warmup+c.preload+2*c.rounds*c.profiles > 100_000_000:
		return c, usageError("bench makes at most 100,000,000 distinct profiles (their mobile numbers run out)")
	case c.batchSize < 1 || c.batchSize > clientele.MaxMaxBatchSize:
		return c, usageError(fmt.Sprintf("--batch-size must be between 1 and %d", clientele.MaxMaxBatchSize))
	case c.concurrency < 1:
		return c, usageError("--concurrency must be at least 1")
	case c.url != "" && c.token == "":
		return c, usageError("--url needs --token")
	case c.url != "" && (c.cpuprofile != "" || len(c.serveFlags) > 0):
		return c, usageError("--cpuprofile and --serve-flags are for a server bench starts, not --url")
	}
	if c.db != "" && !isPostgresDSN(c.db) && !strings.HasPrefix(c.db, "sqlite:") {
		return c, usageError("--db must be sqlite:PATH or a postgres:// URL")
	}
	updates := slices.Contains(c.workloads, workloadMatched) || slices.Contains(c.workloads, workloadMixed)
	if updates && !slices.Contains(c.workloads, workloadNew) {
		// Matched work needs as many profiles to exist as it updates.
		if c.preload == 0 {
			c.preload = max(0, c.profiles-c.warmup)
		}
		if c.warmup+c.preload < c.profiles {
			return c, usageError("--warmup and --preload must load at least --profiles when matched or mixed runs without new")
		}
	}
	return c, nil
}

// defaultWarmup is --warmup's value on a server bench starts. A fresh
// server pays for its memory page by page (on one 2-core VM, 11 µs a 4 KiB
// page, 68,000 pages) and for its first cache misses in its first 10,000
// to 20,000 profiles; after 10,000, SQLite's first workload of new
// profiles ran at 9,000–10,600/s there, against 5,000–8,400 cold.
const defaultWarmup = 10000

// benchReport is everything a run measured; --json prints it as is.
type benchReport struct {
	Started     time.Time `json:"started"`
	Go          string    `json:"go"`
	CPUs        int       `json:"cpus"`
	Store       string    `json:"store"`  // sqlite, postgres, or "" for --url
	Server      string    `json:"server"` // what was measured
	Profiles    int       `json:"profiles_per_workload"`
	BatchSize   int       `json:"batch_size"`
	Concurrency int       `json:"concurrency"`
	Seed        uint64    `json:"seed"`

	Workloads      []workloadResult `json:"workloads"`
	ServerProfiles int              `json:"server_profiles"` // live profiles afterwards
	// ServerPeakRSS is the started server's peak resident set over the run.
	ServerPeakRSS int64 `json:"server_peak_rss_bytes,omitempty"`
	// BenchPeakRSS is this process's: the load generator and the
	// store-alone run.
	BenchPeakRSS   int64         `json:"bench_peak_rss_bytes"`
	StoreAlone     []storeResult `json:"store_alone,omitempty"`
	ServerProblems []string      `json:"server_problems,omitempty"`
	// LoadAvg is the machine's 1-minute load average when the run began
	// and ended: well above the CPU count means other work shared the
	// machine and the figures are low.
	LoadAvg [2]float64 `json:"load_average"`
}

// runBench is `clientele bench`: it loads generated profiles into a server
// over HTTP and reports throughput, accept latency and memory (DESIGN §7).
func runBench(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == benchChildCPUProfile {
		return runProfiledServe(ctx, args[1:], getenv, stderr)
	}
	cfg, err := parseBenchFlags(args, stderr)
	if err != nil {
		return err
	}
	progress := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }
	rep := &benchReport{Started: time.Now().UTC(), Go: runtime.Version(), CPUs: runtime.NumCPU(),
		Profiles: cfg.profiles, BatchSize: cfg.batchSize, Concurrency: cfg.concurrency, Seed: cfg.seed}
	rep.LoadAvg[0] = loadAverage()

	planner := newBenchPlanner(cfg.first, cfg.batchSize)
	var plans []benchWorkload
	if cfg.warmup > 0 {
		plans = append(plans, planner.plan(workloadWarmup, cfg.warmup))
	}
	if cfg.preload > 0 {
		plans = append(plans, planner.plan(workloadPreload, cfg.preload))
	}
	for round := range cfg.rounds {
		for _, name := range cfg.workloads {
			w := planner.plan(name, cfg.profiles)
			if cfg.rounds > 1 {
				w.round = round + 1
			}
			plans = append(plans, w)
		}
	}
	gen := benchgen.Generator{Seed: cfg.seed, National: strings.EqualFold(cfg.phoneRegion, "AU")}

	tmp, err := os.MkdirTemp("", "clientele-bench-")
	if err != nil {
		return err
	}
	var cleanups []func()
	defer func() {
		for _, f := range slices.Backward(cleanups) {
			f()
		}
	}()
	if cfg.keepDB {
		progress("keeping %s", tmp)
	} else {
		cleanups = append(cleanups, func() { os.RemoveAll(tmp) })
	}
	// dropLater drops a PostgreSQL schema bench made when the run ends.
	dropLater := func(dsn string, drop func(context.Context) error) {
		if cfg.keepDB {
			progress("keeping %s", redactDSN(dsn))
			return
		}
		cleanups = append(cleanups, func() {
			ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
			defer cancel()
			if err := drop(ctx); err != nil {
				progress("dropping the schema: %v", err)
			}
		})
	}

	target := &benchTarget{client: newBenchClient(cfg.concurrency), gen: gen, batchSize: cfg.batchSize,
		concurrency: cfg.concurrency, progress: progress}
	var srv *benchServer
	freshDB := false // the server's database held nothing before the run
	if cfg.url != "" {
		target.urls, target.token = []string{strings.TrimSuffix(cfg.url, "/")}, cfg.token
		rep.Server = cfg.url
	} else {
		db := cfg.db
		switch {
		case db == "":
			db, freshDB, rep.Store = "sqlite:"+filepath.Join(tmp, "server.db"), true, "sqlite"
			rep.Server = "sqlite (temporary file)"
		case isPostgresDSN(db) && !hasSearchPath(db):
			dsn, drop, err := benchSchema(ctx, db)
			if err != nil {
				return err
			}
			dropLater(dsn, drop)
			db, freshDB, rep.Store = dsn, true, "postgres"
			rep.Server = "postgres (fresh schema)"
		case isPostgresDSN(db):
			rep.Store, rep.Server = "postgres", "postgres (given search_path)"
		default:
			_, statErr := os.Stat(strings.TrimPrefix(db, "sqlite:"))
			freshDB, rep.Store, rep.Server = errors.Is(statErr, os.ErrNotExist), "sqlite", db
		}
		exe, err := os.Executable()
		if err != nil {
			return err
		}
		serveArgs := []string{"--phone-region", cfg.phoneRegion}
		if cfg.batchSize > clientele.DefaultMaxBatchSize {
			serveArgs = append(serveArgs, "--max-batch-size", strconv.Itoa(cfg.batchSize))
		}
		serveArgs = append(serveArgs, cfg.serveFlags...)
		if cfg.cpuprofile != "" {
			if cfg.cpuprofile, err = filepath.Abs(cfg.cpuprofile); err != nil {
				return err
			}
		}
		target.token = randomHex(24)
		if srv, err = startBenchServer(ctx, exe, db, target.token, cfg.cpuprofile, serveArgs); err != nil {
			return err
		}
		cleanups = append(cleanups, func() { srv.Stop() })
		target.urls = []string{srv.URL}
		rep.Server += fmt.Sprintf(", pid %d, serve %s", srv.cmd.Process.Pid, strings.Join(serveArgs, " "))
		progress("server pid %d at %s on %s", srv.cmd.Process.Pid, srv.URL, redactDSN(db))
	}

	runErr := func() error {
		for _, w := range plans {
			perWorkload := srv != nil && resetPeakRSS(srv.cmd.Process.Pid)
			res, err := target.run(ctx, w)
			if err != nil {
				return err
			}
			if srv != nil {
				res.ServerPeakRSS = peakRSS(srv.cmd.Process.Pid)
				rep.ServerPeakRSS = max(rep.ServerPeakRSS, res.ServerPeakRSS)
				if !perWorkload {
					res.ServerPeakRSS = 0 // since the start: not this workload's
				}
			}
			rep.Workloads = append(rep.Workloads, res)
			progress("%s: %d profiles in %.1fs, %.0f/s", w.label(), res.Profiles, res.Seconds, res.PerSecond)
		}
		n, err := target.countProfiles(ctx)
		if err != nil {
			return err
		}
		rep.ServerProfiles = n
		if created := sumCreated(rep.Workloads); freshDB && n != created {
			return fmt.Errorf("the server holds %d profiles; the batches report %d created", n, created)
		}
		return nil
	}()
	if srv != nil {
		if rss := peakRSS(srv.cmd.Process.Pid); rep.ServerPeakRSS == 0 {
			rep.ServerPeakRSS = rss
		}
		if err := srv.Stop(); err != nil && runErr == nil {
			runErr = err
		}
		rep.ServerProblems = srv.Problems()
		if runErr != nil {
			progress("server log tail:\n%s", srv.Tail())
		}
	}

	if runErr == nil && cfg.storeAlone && rep.Store != "" {
		runErr = benchStoreAlone(ctx, cfg, rep, plans, gen, tmp, dropLater, progress)
	}
	rep.BenchPeakRSS = peakRSS(0)
	rep.LoadAvg[1] = loadAverage()
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		printBenchReport(stdout, rep)
	}
	return runErr
}

// benchStoreAlone runs the warmup, preload, new and matched workloads again on a
// fresh store of the server's kind, in this process.
func benchStoreAlone(ctx context.Context, cfg benchConfig, rep *benchReport, plans []benchWorkload, gen benchgen.Generator,
	tmp string, dropLater func(string, func(context.Context) error), progress func(string, ...any)) error {
	dsn := "sqlite:" + filepath.Join(tmp, "store-alone.db")
	if rep.Store == "postgres" {
		base := cfg.db
		if hasSearchPath(base) {
			base = withoutSearchPath(base)
		}
		var drop func(context.Context) error
		var err error
		if dsn, drop, err = benchSchema(ctx, base); err != nil {
			return err
		}
		dropLater(dsn, drop)
	}
	s, err := openStore(ctx, dsn)
	if err != nil {
		return err
	}
	defer s.Close()
	for _, w := range plans {
		// Mixed work is left out, and so are rounds after the first,
		// whose matched items spread over profiles mixed work created.
		if w.name == workloadMixed || w.round > 1 {
			continue
		}
		res, err := runStoreAlone(ctx, s, gen, w, cfg.phoneRegion)
		if err != nil {
			return err
		}
		rep.StoreAlone = append(rep.StoreAlone, res)
		progress("store alone, %s: %d profiles in %.1fs, %.0f/s", w.label(), res.Profiles, res.Seconds, res.PerSecond)
	}
	return nil
}

func sumCreated(rs []workloadResult) int {
	n := 0
	for _, r := range rs {
		n += r.Created
	}
	return n
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// printBenchReport writes the report as aligned tables.
func printBenchReport(w io.Writer, r *benchReport) {
	fmt.Fprintf(w, "clientele bench, %s, %s, %d CPUs, load average %.1f at the start, %.1f at the end\n",
		r.Started.Format("2006-01-02 15:04 MST"), r.Go, r.CPUs, r.LoadAvg[0], r.LoadAvg[1])
	fmt.Fprintf(w, "server: %s\n", r.Server)
	fmt.Fprintf(w, "load: %d profiles per workload in batches of %d, %d at once, seed %d\n\n", r.Profiles, r.BatchSize, r.Concurrency, r.Seed)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "workload\tprofiles\tseconds\tprofiles/s\tµs/profile\taccept p50/p99/max ms\tcreated\tupdated\tunchanged\t429s\tserver peak RSS\t")
	for _, x := range r.Workloads {
		fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.0f\t%.1f\t%.1f / %.1f / %.1f\t%d\t%d\t%d\t%d\t%s\t\n", x.Workload, x.Profiles, x.Seconds, x.PerSecond,
			1e6/x.PerSecond, x.AcceptP50ms, x.AcceptP99ms, x.AcceptMaxms, x.Created, x.Updated, x.Unchanged, x.Throttled, mib(x.ServerPeakRSS))
	}
	tw.Flush()
	for _, line := range roundsSummary(r.Workloads) {
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "\nserver holds %d profiles; server peak RSS %s; bench process peak RSS %s\n", r.ServerProfiles, mib(r.ServerPeakRSS), mib(r.BenchPeakRSS))
	if len(r.StoreAlone) > 0 {
		fmt.Fprintf(w, "\nstore alone (%s, in-process, ApplyChunk on chunks of %d, one at a time):\n\n", r.Store, clientele.ChunkSize)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "workload\tprofiles\tseconds\tprofiles/s\tµs/profile\tcreated\tupdated\tunchanged\t")
		for _, x := range r.StoreAlone {
			fmt.Fprintf(tw, "%s\t%d\t%.2f\t%.0f\t%.1f\t%d\t%d\t%d\t\n", x.Workload, x.Profiles, x.Seconds, x.PerSecond, 1e6/x.PerSecond, x.Created, x.Updated, x.Unchanged)
		}
		tw.Flush()
	}
	if len(r.ServerProblems) > 0 {
		fmt.Fprintf(w, "\nthe server logged warnings or errors; the first:\n")
		for _, l := range r.ServerProblems {
			fmt.Fprintf(w, "  %s\n", l)
		}
	}
}

// roundsSummary is a line for every workload that ran in several rounds
// (--rounds): the median of its rounds' profiles/s and their range.
func roundsSummary(rs []workloadResult) []string {
	rates := map[string][]float64{}
	var names []string
	for _, x := range rs {
		name, _, ok := strings.Cut(x.Workload, "/")
		if !ok {
			continue
		}
		if _, seen := rates[name]; !seen {
			names = append(names, name)
		}
		rates[name] = append(rates[name], x.PerSecond)
	}
	var out []string
	for i, name := range names {
		v := rates[name]
		slices.Sort(v)
		med := v[len(v)/2]
		if len(v)%2 == 0 {
			med = (v[len(v)/2-1] + v[len(v)/2]) / 2
		}
		if i == 0 {
			out = append(out, "")
		}
		out = append(out, fmt.Sprintf("%s: median of %d rounds %.0f profiles/s (%.1f µs/profile), range %.0f–%.0f",
			name, len(v), med, 1e6/med, v[0], v[len(v)-1]))
	}
	return out
}

// loadAverage is the machine's 1-minute load average (Linux); 0 when
// unknown.
func loadAverage() float64 {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return 0
	}
	v, _ := strconv.ParseFloat(f[0], 64)
	return v
}

// mib formats a byte count; "-" when unknown.
func mib(b int64) string {
	if b <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}
