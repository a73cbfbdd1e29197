package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/clientele/clientele"
)

func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return usageError("usage: clientele token create --name NAME --scopes a,b [--db DSN]")
	}
	fs := newFlagSet("token create", stderr)
	db := fs.String("db", defaultDB, "database: sqlite:PATH or a postgres:// URL")
	name := fs.String("name", "", "a name to recognise the token by (required)")
	scopes := fs.String("scopes", "", `comma-separated scopes, "*" for all (required)`)
	if err := parseFlags(fs, args[1:], getenv); err != nil {
		return err
	}
	if strings.TrimSpace(*name) == "" {
		return usageError("token create: --name is required")
	}
	var list []string
	for s := range strings.SplitSeq(*scopes, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !clientele.ValidScope(s) {
			return usageError(fmt.Sprintf("token create: invalid scope %q", s))
		}
		list = append(list, s)
	}
	if len(list) == 0 {
		return usageError("token create: --scopes is required")
	}
	store, err := openStore(ctx, *db)
	if err != nil {
		return err
	}
	defer store.Close()
	t, secret := clientele.NewToken(*name, list, 1, time.Now().UTC())
	if err := store.CreateToken(ctx, t); err != nil {
		return err
	}
	fmt.Fprintln(stdout, secret)
	return nil
}
