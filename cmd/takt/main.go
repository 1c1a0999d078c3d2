// Command takt runs the ledger of a municipality's planning decisions.
//
//	takt serve [flags]   the HTTP API over an embedded (or external) NATS JetStream
package main

import (
	"context"
	"fmt"
	"os"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "takt:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		usage()
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:])
	case "help", "-h", "--help":
		usage()
		return nil
	}
	usage()
	return fmt.Errorf("unknown command %q", args[0])
}

func usage() {
	fmt.Fprint(os.Stderr, `takt records the planning decisions of municipalities as events on NATS JetStream.

Usage:
	takt serve [flags]    run the HTTP API (takt serve --help for the flags)
`)
}
