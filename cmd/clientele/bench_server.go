package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// benchServer is a `clientele serve` child process that bench started. A
// process of its own, so that its memory is measured apart from the load
// generator's, and so that it is the real binary, flags and all.
type benchServer struct {
	cmd  *exec.Cmd
	URL  string
	done chan struct{}

	mu       sync.Mutex
	tail     []string // its last log lines, for errors
	problems []string // its warnings and errors, shown after the run
}

// benchChildCPUProfile is the hidden first argument of `bench` that makes
// it run `serve` with a CPU profile written to a file on exit, for
// --cpuprofile: serve itself has no such flag.
const benchChildCPUProfile = "internal-serve-cpuprofile"

// runProfiledServe is `serve` under the CPU profiler: args are the profile
// file, then serve's flags.
func runProfiledServe(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError("bench " + benchChildCPUProfile + ": no profile file")
	}
	f, err := os.Create(args[0])
	if err != nil {
		return err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return err
	}
	err = runServe(ctx, args[1:], getenv, stderr)
	pprof.StopCPUProfile()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// startBenchServer runs the executable exe as `serve` on db, listening on
// a free loopback port, with token as its bootstrap token; cpuprofile,
// when set, is where it writes a CPU profile as it exits.
func startBenchServer(ctx context.Context, exe, db, token, cpuprofile string, serveArgs []string) (*benchServer, error) {
	args := []string{"serve"}
	if cpuprofile != "" {
		args = []string{"bench", benchChildCPUProfile, cpuprofile}
	}
	// Port 0 and the address the server logs: no window in which another
	// process can take a port chosen in advance.
	args = append(args, "--addr", "127.0.0.1:0", "--db", db)
	args = append(args, serveArgs...)
	cmd := exec.Command(exe, args...)
	// The child reads CLIENTELE_* like any serve (CLIENTELE_WORKERS=4
	// tunes it); the flags above win over the environment.
	cmd.Env = append(os.Environ(), "CLIENTELE_BOOTSTRAP_TOKEN="+token)
	setParentDeathSignal(cmd)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &benchServer{cmd: cmd, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			s.log(sc.Text(), addr)
		}
		io.Copy(io.Discard, stderr)
		cmd.Wait()
		close(s.done)
	}()
	select {
	case a := <-addr:
		s.URL = "http://" + a
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("server exited before listening:\n%s", s.Tail())
	case <-time.After(2 * time.Minute): // migrations of a large database take a while
		s.Stop()
		return nil, fmt.Errorf("server did not listen within 2m:\n%s", s.Tail())
	case <-ctx.Done():
		s.Stop()
		return nil, ctx.Err()
	}
}

// log keeps one line of the server's JSON log.
func (s *benchServer) log(line string, addr chan<- string) {
	var rec struct{ Level, Msg, Addr string }
	if json.Unmarshal([]byte(line), &rec) != nil {
		rec.Level = "WARN" // not a log record: a panic, say
	}
	if rec.Msg == "listening" {
		select {
		case addr <- rec.Addr:
		default:
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tail = append(s.tail, line)
	if len(s.tail) > 40 {
		s.tail = s.tail[len(s.tail)-20:]
	}
	if (rec.Level == "WARN" || rec.Level == "ERROR") && len(s.problems) < 20 {
		s.problems = append(s.problems, line)
	}
}

// Tail is the server's last log lines.
func (s *benchServer) Tail() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.tail, "\n")
}

// Problems is the server's first warnings and errors.
func (s *benchServer) Problems() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.problems)
}

// Stop ends the server as an operator would (SIGTERM: it finishes its
// requests and writes its profile), killing it if it takes too long.
func (s *benchServer) Stop() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return nil
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.done
		return errors.New("server did not stop within 30s of SIGTERM; killed")
	}
}

// resetPeakRSS starts a new peak-RSS measurement of process pid (Linux:
// writing 5 to clear_refs resets VmHWM), so each workload reports its own
// peak. It reports whether it could.
func resetPeakRSS(pid int) bool {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0) == nil
}

// peakRSS is process pid's peak resident set in bytes since it started or
// since resetPeakRSS (Linux VmHWM); 0 when unknown.
func peakRSS(pid int) int64 {
	p := "/proc/self/status"
	if pid > 0 {
		p = fmt.Sprintf("/proc/%d/status", pid)
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// benchSchema makes an empty PostgreSQL schema for a benchmark store on
// the database dsn names and returns dsn with its search_path set to it,
// and a function that drops it. A fresh schema per store keeps a run's
// figures from depending on what earlier runs left behind.
func benchSchema(ctx context.Context, dsn string) (string, func(context.Context) error, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return "", nil, errors.New("--db: not a URL")
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "clientele_bench_" + hex.EncodeToString(b)
	exec := func(ctx context.Context, sql string) error {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			return fmt.Errorf("--db %s: %w", redactDSN(dsn), err)
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	if err := exec(ctx, "CREATE SCHEMA "+name); err != nil {
		return "", nil, err
	}
	drop := func(ctx context.Context) error { return exec(ctx, "DROP SCHEMA "+name+" CASCADE") }
	// Appended, not re-encoded, so the other parameters stay as written.
	if u.RawQuery != "" {
		u.RawQuery += "&"
	}
	u.RawQuery += "search_path=" + name
	return u.String(), drop, nil
}

// hasSearchPath reports whether a postgres:// URL chooses its schema.
func hasSearchPath(dsn string) bool {
	u, err := url.Parse(dsn)
	return err == nil && u.Query().Has("search_path")
}

// withoutSearchPath drops the search_path parameter of a postgres:// URL.
func withoutSearchPath(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	var keep []string
	for p := range strings.SplitSeq(u.RawQuery, "&") {
		if p != "" && !strings.HasPrefix(p, "search_path=") {
			keep = append(keep, p)
		}
	}
	u.RawQuery = strings.Join(keep, "&")
	return u.String()
}
