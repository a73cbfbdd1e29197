package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/clientele/clientele"
	"github.com/clientele/clientele/internal/postgres"
	"github.com/clientele/clientele/internal/sqlite"
)

// defaultDB is the embedded store next to the working directory.
const defaultDB = "sqlite:clientele.db"

// openStore opens the store a --db value names: "sqlite:PATH" (or a bare
// path) for the embedded store; postgres:// (or postgresql://) URLs select
// PostgreSQL, which any number of nodes may share.
func openStore(ctx context.Context, dsn string) (clientele.Store, error) {
	switch {
	case isPostgresDSN(dsn):
		s, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, fmt.Errorf("--db %s: %w", redactDSN(dsn), err)
		}
		return s, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		return sqlite.Open(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	case dsn == "":
		return nil, usageError("--db is empty")
	default:
		return sqlite.Open(ctx, dsn)
	}
}

// isPostgresDSN reports whether a --db value names a PostgreSQL database.
func isPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// redactDSN hides a password in a database URL before it reaches output.
func redactDSN(dsn string) string {
	at := strings.LastIndex(dsn, "@")
	scheme := strings.Index(dsn, "://")
	if at < 0 || scheme < 0 {
		return dsn
	}
	userinfo := dsn[scheme+3 : at]
	if user, _, ok := strings.Cut(userinfo, ":"); ok {
		return dsn[:scheme+3] + user + ":***" + dsn[at:]
	}
	return dsn
}
