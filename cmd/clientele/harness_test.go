package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binPath is the clientele binary built once for the end-to-end tests.
var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "clientele-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "clientele")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build clientele:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// node is one running `clientele serve` process.
type node struct {
	t     *testing.T
	cmd   *exec.Cmd
	URL   string // http://127.0.0.1:PORT
	Token string
	logs  *syncBuffer
	done  chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const testToken = "e2e-bootstrap-token-0123456789abcdef"

// startNode runs the binary on a SQLite file with extra flags and waits
// until it listens. The process is killed when the test ends.
func startNode(t *testing.T, dbPath string, extra ...string) *node {
	t.Helper()
	return startNodeDSN(t, "sqlite:"+dbPath, extra...)
}

// startNodeDSN is startNode for any --db value.
func startNodeDSN(t *testing.T, dsn string, extra ...string) *node {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--db", dsn, "--lease-ttl", "2s", "--phone-region", "AU"}, extra...)
	cmd := exec.Command(binPath, args...)
	cmd.Env = append(os.Environ(), "CLIENTELE_BOOTSTRAP_TOKEN="+testToken)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, cmd: cmd, Token: testToken, logs: &syncBuffer{}, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			n.logs.Write([]byte(line + "\n"))
			var rec struct{ Msg, Addr string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				addr <- rec.Addr
			}
		}
		io.Copy(io.Discard, stderr)
		cmd.Wait()
		close(n.done)
	}()
	t.Cleanup(func() {
		n.kill()
		if t.Failed() {
			t.Logf("node logs:\n%s", n.logs.String())
		}
	})
	select {
	case a := <-addr:
		n.URL = "http://" + a
	case <-n.done:
		t.Fatalf("clientele exited before listening:\n%s", n.logs.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("clientele did not listen in time:\n%s", n.logs.String())
	}
	return n
}

// kill ends the process with SIGKILL: no shutdown code runs.
func (n *node) kill() {
	select {
	case <-n.done:
		return
	default:
	}
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// do sends a request with the node's token and decodes a JSON answer into out.
func (n *node) do(method, path string, body any, out any) int {
	n.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			n.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, n.URL+path, rd)
	if err != nil {
		n.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+n.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		n.t.Fatal(err)
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			n.t.Fatalf("%s %s: %v in %s", method, path, err, strings.TrimSpace(string(raw)))
		}
	}
	return resp.StatusCode
}
