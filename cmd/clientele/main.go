// Command clientele is the clientele service and its tools: serve, token,
// migrate, webhook-secret, bench.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "clientele:", err)
		}
		os.Exit(exitCode(err))
	}
}

const usage = `clientele: a self-hosted customer-profile service (Omneo API v3 compatible)

Usage:
  clientele serve   [flags]   run the API, the batch workers, everything
  clientele token create --name NAME --scopes a,b [--db DSN]
                              print a new API token on stdout
  clientele migrate [--db DSN]
                              apply database migrations and exit
  clientele webhook-secret [--db DSN] [--standard]
                              print the secret webhooks are signed with
  clientele bench [--profiles N] [--db DSN | --url URL --token T]
                              measure batch import throughput (docs/performance.md)

Every flag but bench's can also be set as CLIENTELE_<FLAG> (e.g.
CLIENTELE_DB); a flag on the command line wins. Run "clientele COMMAND -h" for a command's flags.
`

// run is the whole program; main only wires it to the process. Nothing
// reads globals: configuration comes from args and getenv.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError("no command given")
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], getenv, stderr)
	case "token":
		return runToken(ctx, args[1:], getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, args[1:], getenv, stdout, stderr)
	case "webhook-secret":
		return runWebhookSecret(ctx, args[1:], getenv, stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], getenv, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError(fmt.Sprintf("unknown command %q", args[0]))
	}
}

type usageError string

func (e usageError) Error() string { return string(e) }

func exitCode(err error) int {
	var u usageError
	if errors.As(err, &u) || errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}
