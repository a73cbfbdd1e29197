package main

import (
	"bytes"
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/sqlite"
	"github.com/clientele/clientele/internal/worker"
)

func noEnv(string) string { return "" }

func TestTokenCreatePrintsAUsableToken(t *testing.T) {
	db := filepath.Join(t.TempDir(), "c.db")
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"token", "create", "--db", "sqlite:" + db, "--name", "ci", "--scopes", "read-profiles, create-profiles"}, noEnv, nil, &out, &errb)
	if err != nil {
		t.Fatalf("token create: %v (%s)", err, errb.String())
	}
	secret := strings.TrimSpace(out.String())
	if len(secret) < 32 {
		t.Fatalf("secret %q too short", secret)
	}
	s, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tok, err := s.TokenByHash(context.Background(), clientele.HashToken(secret))
	if err != nil {
		t.Fatalf("stored token not found by its secret: %v", err)
	}
	if tok.Name != "ci" || !slices.Equal(tok.Scopes, []string{"read-profiles", "create-profiles"}) {
		t.Errorf("token %+v", tok)
	}
}

func TestTokenCreateRejectsBadInput(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "c.db")
	for _, args := range [][]string{
		{"token"},
		{"token", "create", "--db", db, "--scopes", "read-profiles"},
		{"token", "create", "--db", db, "--name", "x"},
		{"token", "create", "--db", db, "--name", "x", "--scopes", "Read Profiles"},
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), args, noEnv, nil, &out, &errb)
		if err == nil || exitCode(err) != 2 || out.Len() != 0 {
			t.Errorf("%v: err %v (exit %d), stdout %q; want a usage error and no token", args, err, exitCode(err), out.String())
		}
	}
}

func TestServeFlagsFromEnvironmentAndFlagsWin(t *testing.T) {
	env := map[string]string{"CLIENTELE_MAX_BATCH_SIZE": "2000", "CLIENTELE_PHONE_REGION": "NZ", "CLIENTELE_ADDR": ":9999"}
	cfg, err := parseServeFlags([]string{"--addr", ":7000"}, func(k string) string { return env[k] }, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.maxBatchSize != 2000 || cfg.phoneRegion != "NZ" || cfg.addr != ":7000" {
		t.Errorf("config %+v", cfg)
	}
	for _, bad := range [][]string{{"--max-batch-size", "10001"}, {"--max-batch-size", "0"}, {"--workers", "0"}, {"extra"}} {
		if _, err := parseServeFlags(bad, noEnv, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}

func TestRedactDSN(t *testing.T) {
	if got := redactDSN("postgres://app:s3cret@db:5432/x"); got != "postgres://app:***@db:5432/x" {
		t.Errorf("got %q", got)
	}
}

// A PostgreSQL server, whose database's caches live elsewhere, spends
// more of the memory bound on its heap and handoff than a SQLite one, and
// only SQLite, with its one writer, applies chunks in parts.
func TestTuningFor(t *testing.T) {
	sqliteTuning := storeTuning{serveMemoryLimit, worker.DefaultHandoffItems, sqliteApplySize}
	pgTuning := storeTuning{serveMemoryLimitPostgres, 3 * worker.DefaultHandoffItems, 0}
	for _, tc := range []struct {
		dsn  string
		want storeTuning
	}{
		{"sqlite:c.db", sqliteTuning},
		{"c.db", sqliteTuning},
		{"postgres://u@h/db", pgTuning},
		{"postgresql://u@h/db", pgTuning},
	} {
		if got := tuningFor(tc.dsn); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.dsn, got, tc.want)
		}
	}
	if serveMemoryLimitPostgres <= serveMemoryLimit {
		t.Error("the PostgreSQL heap limit is not above SQLite's")
	}
	if sqliteApplySize <= 0 || sqliteApplySize >= clientele.ChunkSize {
		t.Errorf("sqliteApplySize %d does not split a chunk of %d", sqliteApplySize, clientele.ChunkSize)
	}
}
