package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
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

// verifyFlags are takt verify's flags: where the log is, which tenants, and the key.
type verifyFlags struct {
	offlineFlags
	Key    string // the verifier key, or a file holding it
	Backup string // a directory of stream backups
	URL    string // a running takt
	Token  string // a bearer token for URL
}

const verifyUsage = `Usage: takt verify [flags]

Verifies the log of each tenant against its signed checkpoints: it recomputes the Merkle tree from
the events and checks every checkpoint's signature, root, consistency with the one before and the
inclusion of its last event, and fails naming the sequence of the first event that does not match.

The log is read from one of:

  --data DIR       a data directory (the default), offline: stop takt serve on it first, or
                   verify a copy of it; its tree files narrow a mismatch down to one event
  --nats-url URL   a NATS server or cluster holding the streams (with --data for the tree files)
  --backup DIR     stream backups as takt backup or nats stream backup write them
                   (DIR/TAKT_<TENANT> and DIR/TAKT_<TENANT>_CHECKPOINTS), restored into a NATS
                   of its own in a temporary directory; nothing needs restoring beforehand
  --url URL        a running takt (http://host:port), through its API: the events as stored
                   (/log), the checkpoints, and the proofs it serves (/proof), which are checked
                   too; with --tenant, and an auditor's token in --token or TAKT_TOKEN

Give --key the key published in the minutes: the data directory's own key proves nothing to an
auditor, and --backup and --url take none from anywhere else. docs/auditing.md says it step by
step.

`

// runVerify is `takt verify`.
func runVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c verifyFlags
	fs := newTenantsFlagSet("verify", verifyUsage, "the data directory, NATS or backup", &c.offlineFlags, stderr)
	fs.StringVar(&c.Key, "key", "", "the verifier `key` (name+hash+base64) or a file holding it; by default <data>/keys/"+audit.VerifierKeyFile+", which proves nothing to an auditor")
	fs.StringVar(&c.Backup, "backup", "", "verify the stream backups in this `directory` instead of a data directory's log")
	fs.StringVar(&c.URL, "url", "", "verify the log a running takt serves at this `url` (http://host:port)")
	fs.StringVar(&c.Token, "token", "", "the bearer `token` for --url, an auditor's (default $TAKT_TOKEN)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if c.Token == "" {
		c.Token = os.Getenv("TAKT_TOKEN")
	}
	return verify(ctx, stdout, stderr, c)
}

// verify verifies the logs of the tenants c names with the verifier key c gives (or the data
// directory's own) and writes what it checked to w. It stops at the first tenant that fails.
func verify(ctx context.Context, w, stderr io.Writer, c verifyFlags) error {
	var where []string
	for name, v := range map[string]string{"--backup": c.Backup, "--nats-url": c.NATSURL, "--url": c.URL} {
		if v != "" {
			where = append(where, name)
		}
	}
	if len(where) > 1 {
		sort.Strings(where)
		return fmt.Errorf("%s each say where the log is: give one", strings.Join(where, " and "))
	}
	if c.URL != "" && c.Tenant == "all" {
		return errURLTenants
	}
	if err := errors.Join(c.check(), c.checkTenants()); err != nil {
		return err
	}
	verifier, err := c.verifier(w)
	if err != nil {
		return err
	}
	src, err := openVerifySource(ctx, w, stderr, c)
	if err != nil {
		return err
	}
	defer src.Close()
	tenants := splitList(c.Tenant)
	if c.Tenant == "all" {
		if tenants, err = src.tenants(ctx); err != nil {
			return err
		}
	}
	for _, tenant := range tenants {
		if err := verifyTenant(ctx, w, src, tenant, verifier); err != nil {
			return fmt.Errorf("tenant %s: %w", tenant, err)
		}
	}
	return nil
}

// verifier reads --key, or else the data directory's key, saying so.
func (c verifyFlags) verifier(w io.Writer) (note.Verifier, error) {
	if c.Key != "" {
		return audit.ParseVerifierKey(c.Key)
	}
	for name, v := range map[string]string{"--backup": c.Backup, "--url": c.URL} {
		if v != "" {
			return nil, fmt.Errorf("%s needs --key: the key published in the minutes (takt key prints it)", name)
		}
	}
	k, err := audit.LoadKey(keyDir(c.DataDir))
	if err != nil {
		return nil, fmt.Errorf("no --key given and %w", err)
	}
	fmt.Fprintf(w, "key          %s, from the data directory: pass --key with the published key to verify against it\n", k.VKey)
	return k.Verifier, nil
}

// verifySource is where takt verify reads the logs and checkpoints of tenants.
type verifySource interface {
	// tenants lists the tenants whose logs it holds.
	tenants(ctx context.Context) ([]string, error)
	// checkpoints returns the tenant's checkpoints, in order; none when it has no checkpoint log.
	checkpoints(ctx context.Context, tenant string) ([]domain.Checkpoint, error)
	// read passes the tenant's stored events to fn, from sequence 1 in order.
	read(ctx context.Context, tenant string, fn func(domain.Record) error) error
	// reference returns a copy of the tenant's tree to take proofs from, not trusted, and a
	// function that releases it; nil when there is none.
	reference(ctx context.Context, tenant string, cps []domain.Checkpoint) (*audit.Reference, func() error, error)
	Close() error
}

// openVerifySource opens the log c names: a data directory's, a NATS server's, backups restored
// into a NATS of their own, or a running takt's.
func openVerifySource(ctx context.Context, w, stderr io.Writer, c verifyFlags) (verifySource, error) {
	if c.URL != "" {
		r, err := newRemoteSource(c.URL, c.Token)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(w, "server       %s: the events as stored (/log), the checkpoints, the proofs it serves (/proof)\n", r.base)
		return r, nil
	}
	if c.Backup != "" {
		r, err := restoreBackups(ctx, c.Backup, stderr)
		if err != nil {
			return nil, err
		}
		for _, t := range splitList(c.Tenant) {
			if c.Tenant != "all" && !slices.ContainsFunc(r.restored, func(b *events.Backup) bool { return b.Stream == events.StreamName(t) }) {
				return nil, errors.Join(fmt.Errorf("%s holds no backup of %s, the event stream of tenant %s", c.Backup, events.StreamName(t), t), r.Close())
			}
		}
		for _, b := range r.restored {
			fmt.Fprintf(w, "backup       %s: %s (seq %d to %d) from %s, restored into a scratch NATS\n", b.Stream, plural(b.Msgs, "message", "messages"), b.FirstSeq, b.LastSeq, b.Dir)
		}
		return &storeSource{store: r.store, where: c.Backup, close: r.Close}, nil
	}
	o, err := openOffline(ctx, c.offlineFlags, stderr)
	if err != nil {
		return nil, err
	}
	o.store.Timeout = time.Minute
	where := c.DataDir
	if c.NATSURL != "" {
		where = c.NATSURL
	}
	return &storeSource{store: o.store, where: where, dataDir: c.DataDir, close: o.Close}, nil
}

// storeSource reads the logs from JetStream, and the tree files from dataDir when it is set.
type storeSource struct {
	store   *events.Store
	where   string // the data directory, NATS or backup, for messages
	dataDir string
	close   func() error
}

func (s *storeSource) tenants(ctx context.Context) ([]string, error) {
	out, err := tenantsIn(ctx, s.store.Conn)
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("%s holds no tenant's log", s.where)
	}
	return out, err
}

func (s *storeSource) checkpoints(ctx context.Context, tenant string) ([]domain.Checkpoint, error) {
	var cps []domain.Checkpoint
	err := s.store.ReadCheckpoints(ctx, tenant, 1, func(c domain.Checkpoint) error {
		cps = append(cps, c)
		return nil
	})
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		err = nil
	}
	return cps, err
}

func (s *storeSource) read(ctx context.Context, tenant string, fn func(domain.Record) error) error {
	return s.store.ReadRaw(ctx, tenant, 1, fn)
}

func (s *storeSource) reference(ctx context.Context, tenant string, _ []domain.Checkpoint) (*audit.Reference, func() error, error) {
	path := treePath(s.dataDir, tenant)
	if s.dataDir == "" || !fileExists(path) {
		return nil, nil, nil
	}
	tree := projections.NewTree(path, tenant)
	if err := tree.Open(ctx); err != nil {
		return nil, nil, err
	}
	return &audit.Reference{Size: tree.Size(), Proofs: tree}, tree.Close, nil
}

// The tree file proves as the API's /proof does, from the same code.
var _ audit.Prover = (*projections.Tree)(nil)

func (s *storeSource) Close() error { return s.close() }

// tenantsIn lists the tenants whose event streams the server holds.
func tenantsIn(ctx context.Context, nc *nats.Conn) ([]string, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	var out []string
	names := js.StreamNames(ctx)
	for name := range names.Name() {
		if tenant, ok := events.TenantOf(name); ok {
			out = append(out, tenant)
		}
	}
	if err := names.Err(); err != nil {
		return nil, err
	}
	sort.Strings(out)
	return out, nil
}

func verifyTenant(ctx context.Context, w io.Writer, src verifySource, tenant string, verifier note.Verifier) error {
	start := time.Now()
	cps, err := src.checkpoints(ctx, tenant)
	if err != nil {
		return err
	}
	opts := audit.Options{Tenant: tenant, Verifiers: note.VerifierList(verifier)}
	ref, release, err := src.reference(ctx, tenant, cps)
	if err != nil {
		return err
	}
	if release != nil {
		defer release()
	}
	opts.Reference = ref
	report, err := audit.Verify(ctx, opts, func(fn func(domain.Record) error) error {
		return src.read(ctx, tenant, fn)
	}, cps)
	printReport(w, report, verifier, ref, time.Since(start))
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

func printReport(w io.Writer, r *audit.Report, v note.Verifier, ref *audit.Reference, took time.Duration) {
	fmt.Fprintf(w, "tenant       %s\n", r.Tenant)
	fmt.Fprintf(w, "events       %d read and hashed (seq 1 to %d) in %s\n", r.Events, r.Events, took.Round(time.Millisecond))
	fmt.Fprintf(w, "checkpoints  %d read, %d signatures verified with key %s+%08x\n", r.Checkpoints, r.Signatures, v.Name(), v.KeyHash())
	fmt.Fprintf(w, "roots        %d checkpoints match the recomputed tree\n", r.Roots)
	fmt.Fprintf(w, "inclusion    %d proofs verified (the last event of each checkpoint), from the %s\n", r.Inclusion, r.ProofSource)
	fmt.Fprintf(w, "consistency  %d proofs verified (each checkpoint against the one before), from the %s\n", r.Consistency, r.ProofSource)
	if ref == nil {
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
