package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/taktledger/takt/audit"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/projections"
)

// runVerify is `takt verify`: offline, from a data directory (or against a NATS given by
// --nats-url), it recomputes each tenant's Merkle tree from the events and checks every checkpoint
// against it — signature, root, consistency with the one before, inclusion of its last event — and
// fails naming the sequence of the first event that does not match.
func runVerify(ctx context.Context, args []string) error {
	var c offlineFlags
	c.DataDir = DefaultConfig().DataDir
	fs := flag.NewFlagSet("takt verify", flag.ContinueOnError)
	c.logConfig.flags(fs)
	fs.StringVar(&c.Tenant, "tenant", "all", "comma-separated tenant `ids`, or all: every tenant whose log the data directory holds")
	keyArg := fs.String("key", "", "the verifier `key` (name+hash+base64) or a file holding it; by default <data>/keys/"+audit.VerifierKeyFile+", which proves nothing to an auditor")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: takt verify [flags]\n\nVerifies the log of each tenant against its signed checkpoints, offline. Stop takt serve on the\ndata directory first, or verify a copy of it.\n\n")
		fs.PrintDefaults()
	}
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("takt verify takes no arguments, got %q", rest)
	}
	return verify(ctx, os.Stdout, os.Stderr, c, *keyArg)
}

// verify verifies the logs of the tenants c names with the verifier key in keyArg (or the data
// directory's own) and writes what it checked to w.
func verify(ctx context.Context, w, stderr io.Writer, c offlineFlags, keyArg string) error {
	var verifier note.Verifier
	if keyArg != "" {
		v, err := audit.ParseVerifierKey(keyArg)
		if err != nil {
			return err
		}
		verifier = v
	} else {
		k, err := audit.LoadKey(keyDir(c.DataDir))
		if err != nil {
			return fmt.Errorf("no --key given and %w", err)
		}
		verifier = k.Verifier
		fmt.Fprintf(w, "key          %s, from the data directory: pass --key with the published key to verify against it\n", k.VKey)
	}

	o, err := openOffline(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer o.Close()
	o.store.Timeout = time.Minute
	tenants := splitList(c.Tenant)
	if c.Tenant == "all" {
		if tenants, err = tenantsIn(ctx, o.log.read); err != nil {
			return err
		}
		if len(tenants) == 0 {
			return fmt.Errorf("%s holds no tenant's log", c.DataDir)
		}
	}
	for _, tenant := range tenants {
		if err := verifyTenant(ctx, w, c.DataDir, o.store, tenant, verifier); err != nil {
			return fmt.Errorf("tenant %s: %w", tenant, err)
		}
	}
	return nil
}

// tenantsIn lists the tenants whose event streams the server holds.
func tenantsIn(ctx context.Context, nc *nats.Conn) ([]string, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	var out []string
	names := js.StreamNames(ctx)
	for name := range names.Name() {
		if strings.HasPrefix(name, events.StreamPrefix) && !strings.HasSuffix(name, events.CheckpointStreamSuffix) {
			out = append(out, strings.ToLower(strings.TrimPrefix(name, events.StreamPrefix)))
		}
	}
	if err := names.Err(); err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

func verifyTenant(ctx context.Context, w io.Writer, dataDir string, store *events.Store, tenant string, verifier note.Verifier) error {
	start := time.Now()
	var cps []domain.Checkpoint
	if err := store.ReadCheckpoints(ctx, tenant, 1, func(c domain.Checkpoint) error {
		cps = append(cps, c)
		return nil
	}); err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
		return err
	}
	opts := audit.Options{Tenant: tenant, Verifiers: note.VerifierList(verifier)}
	if path := treePath(dataDir, tenant); fileExists(path) {
		tree := projections.NewTree(path, tenant)
		if err := tree.Open(ctx); err != nil {
			return err
		}
		defer tree.Close()
		opts.Reference = &audit.Reference{Size: tree.Size(), Hashes: tree.Hashes(ctx)}
	}
	report, err := audit.Verify(ctx, opts, func(fn func(domain.Record) error) error {
		return store.ReadRaw(ctx, tenant, 1, fn)
	}, cps)
	printReport(w, report, verifier, opts.Reference != nil, time.Since(start))
	if err != nil {
		fmt.Fprintf(w, "FAILED       %v\n", err)
		return err
	}
	if len(cps) == 0 {
		return errors.New("no checkpoint to verify the log against")
	}
	fmt.Fprintln(w, "ok")
	return nil
}

func printReport(w io.Writer, r *audit.Report, v note.Verifier, tree bool, took time.Duration) {
	fmt.Fprintf(w, "tenant       %s\n", r.Tenant)
	fmt.Fprintf(w, "events       %d read and hashed (seq 1 to %d) in %s\n", r.Events, r.Events, took.Round(time.Millisecond))
	fmt.Fprintf(w, "checkpoints  %d read, %d signatures verified with key %s+%08x\n", r.Checkpoints, r.Signatures, v.Name(), v.KeyHash())
	fmt.Fprintf(w, "roots        %d checkpoints match the recomputed tree\n", r.Roots)
	fmt.Fprintf(w, "inclusion    %d proofs verified (the last event of each checkpoint), from the %s\n", r.Inclusion, r.ProofSource)
	fmt.Fprintf(w, "consistency  %d proofs verified (each checkpoint against the one before), from the %s\n", r.Consistency, r.ProofSource)
	if !tree {
		fmt.Fprintf(w, "tree file    none: a mismatch is located between two checkpoints, not to one event\n")
	}
	if c := r.Last; c != nil {
		fmt.Fprintf(w, "last         checkpoint %d, size %d, root %s (%s)\n", c.Seq, c.Size, tlog.Hash(c.Root), c.Reason)
		if r.Events > c.Size {
			fmt.Fprintf(w, "uncovered    %d events after the last checkpoint (seq %d to %d)\n", r.Events-c.Size, c.Size+1, r.Events)
		}
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
