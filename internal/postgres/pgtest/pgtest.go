// Package pgtest gives tests and benchmarks a PostgreSQL schema of their
// own on the database named by CLIENTELE_TEST_POSTGRES (DESIGN §6), so that
// they run in parallel on one database and leave nothing behind.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvDSN is the environment variable that names the test database.
const EnvDSN = "CLIENTELE_TEST_POSTGRES"

// DSN returns the test database's DSN. Without one the test is skipped,
// except in CI (CI=true), where a missing PostgreSQL fails it.
func DSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(EnvDSN)
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set; CI must test the PostgreSQL store", EnvDSN)
		}
		t.Skipf("%s is not set", EnvDSN)
	}
	return dsn
}

// Schema creates an empty schema on the database dsn names, drops it (and
// everything in it) when the test ends, and returns dsn with its
// search_path set to the schema.
func Schema(t testing.TB, dsn string) string {
	t.Helper()
	b := make([]byte, 8)
	rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", EnvDSN, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("pgtest: drop schema %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", name, err)
		}
	})
	return WithSearchPath(dsn, name)
}

// WithSearchPath returns dsn (a URL or a key=value string) with its
// search_path set to schema.
func WithSearchPath(dsn, schema string) string {
	if u, err := url.Parse(dsn); err == nil && (u.Scheme == "postgres" || u.Scheme == "postgresql") {
		// Appended, not re-encoded: the other parameters stay exactly as
		// written (url.Values.Encode would turn their spaces into '+').
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += "search_path=" + url.QueryEscape(schema)
		return u.String()
	}
	return strings.TrimSpace(dsn) + " search_path=" + schema
}
