package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/internal/tune"
)

func main() {
	tune.GC()
	err := run(context.Background(), os.Args[1:])
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "takt:", message(err))
		os.Exit(1)
	}
}

// errUsage is a command line takt cannot make sense of, after what is wrong and the usage have been
// printed.
var errUsage = errors.New("usage")

// run dispatches to a subcommand: one file each, each with its own flag.FlagSet.
func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		usage()
		return errUsage
	}
	switch cmd, args := args[0], args[1:]; cmd {
	case "serve":
		return runServe(ctx, args)
	case "rebuild":
		return runRebuild(ctx, args, os.Stdout, os.Stderr)
	case "check":
		return runCheck(ctx, args, os.Stdout, os.Stderr)
	case "history":
		return runHistory(ctx, args, os.Stdout, os.Stderr)
	case "export":
		return runExport(ctx, args, os.Stdout, os.Stderr)
	case "key":
		return runKey(ctx, args)
	case "verify":
		return runVerify(ctx, args, os.Stdout, os.Stderr)
	case "backup":
		return runBackup(ctx, args, os.Stdout, os.Stderr)
	case "token":
		return runToken(ctx, args, os.Stdout, os.Stderr)
	case "help", "-h", "-help", "--help":
		if len(args) > 0 && args[0] != "help" {
			return run(ctx, []string{args[0], "-h"})
		}
		usage()
		return nil
	default:
		fmt.Fprintf(os.Stderr, "takt: unknown command %q\n\n", cmd)
		usage()
		return errUsage
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `takt records the planning decisions of municipalities as events on NATS JetStream.

Usage:

	takt <command> [flags]

Commands:

	serve    serve the HTTP API and the dashboard
	rebuild  replay a tenant's log into a fresh projection and swap it in
	check    compare a tenant's projection with a rebuild
	history  print every version of a goal, with its decisions
	export   write the decision log of a mandate period as CSV or JSON
	key      print the public key that signs the ledger's checkpoints
	verify   check the log against every signed checkpoint: offline, from a backup, or a server
	backup   write each tenant's streams in the format of nats stream backup
	token    create, list and revoke the bearer tokens of a data directory
	help     describe a command: takt help <command>
`)
}

// message is err as a person at a terminal reads it: a takt error by its message, in whatever
// context wraps it. Commands return takt errors as they come; only here are they said.
func message(err error) string {
	msg := err.Error()
	var e *domain.Error
	if errors.As(err, &e) {
		msg = strings.Replace(msg, e.Error(), e.Message, 1)
	}
	return msg
}
