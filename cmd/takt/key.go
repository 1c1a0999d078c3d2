package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/taktledger/takt/audit"
)

// keyDir is where a data directory keeps the checkpoint key.
func keyDir(dataDir string) string { return filepath.Join(dataDir, "keys") }

// treePath is the file of a tenant's Merkle tree in a data directory.
func treePath(dataDir, tenant string) string { return filepath.Join(dataDir, "tree", tenant+".db") }

// runKey is `takt key`: it prints the verifier key that checks this ledger's checkpoints, creating
// the key if the data directory has none.
func runKey(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("takt key", flag.ContinueOnError)
	data := fs.String("data", DefaultConfig().DataDir, "data `directory`; the key lives in <data>/keys")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: takt key [flags]\n\nPrints the public key that verifies this ledger's signed checkpoints, creating the key\nif there is none. Publish it where auditors find it (the annual report's minutes).\n\n")
		fs.PrintDefaults()
	}
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	k, created, err := audit.LoadOrCreateKey(keyDir(*data), audit.DefaultKeyName)
	if err != nil {
		return err
	}
	if created {
		fmt.Fprintf(os.Stderr, "takt: created a checkpoint key in %s\n", keyDir(*data))
	}
	fmt.Println(k.VKey)
	return nil
}
