package main

import (
	"context"
	"fmt"
	"io"
)

// runMigrate applies migrations: opening a store migrates it, so this is
// for deployments that migrate before starting nodes.
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stderr)
	db := fs.String("db", defaultDB, "database: sqlite:PATH or a postgres:// URL")
	if err := parseFlags(fs, args, getenv); err != nil {
		return err
	}
	store, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	if err := store.Close(); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}
