package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/projections"
)

// The offline commands (rebuild, check, history, export) work on a data directory with no server.

// offlineFlags are the flags every offline command takes.
type offlineFlags struct {
	logConfig
	Tenant string
}

func newFlagSet(name, usage string, c *offlineFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("takt "+name, flag.ContinueOnError)
	c.DataDir = "./takt-data"
	c.Tenant = "demo"
	c.logConfig.flags(fs)
	fs.StringVar(&c.Tenant, "tenant", c.Tenant, "the tenant `id`")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: takt %s\n\n", usage)
		fs.PrintDefaults()
	}
	return fs
}

// newTenantsFlagSet is the flag set of a command over the logs of many tenants (backup, verify):
// where the log is, and --tenant, a list of tenants or all of those whose logs where holds.
func newTenantsFlagSet(name, usage, where string, c *offlineFlags, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("takt "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c.DataDir = DefaultConfig().DataDir
	c.logConfig.flags(fs)
	fs.StringVar(&c.Tenant, "tenant", "all", "comma-separated tenant `ids`, or all: every tenant whose log "+where+" holds")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usage)
		fs.PrintDefaults()
	}
	return fs
}

// readFlags are the flags of the offline reads (history, export): what the ledger knew, and which
// dates of validity.
type readFlags struct{ knownAt, from, to *string }

func addReadFlags(fs *flag.FlagSet) readFlags {
	return readFlags{
		knownAt: fs.String("known-at", "", "only what the ledger knew then: a time (RFC 3339), a date, or seq:N"),
		from:    fs.String("from", "", "only versions that apply from this `date` on"),
		to:      fs.String("to", "", "only versions that apply from this `date` or earlier"),
	}
}

// options reads --known-at as the HTTP API reads known_at, and returns --from and --to.
func (r readFlags) options() (opts domain.ReadOptions, from, to domain.Date, err error) {
	err = domain.ParseKnownAt(*r.knownAt, &opts)
	return opts, domain.Date(*r.from), domain.Date(*r.to), err
}

// locations are the settings an offline command shares with takt serve: where the data and the log
// are. A flag the command line leaves alone is taken from its TAKT_* variable, as serve takes it,
// so that a command run beside a configured server finds the server's data directory.
var locations = []string{"data", "nats-url", "nats-creds"}

// parse parses args, flags and arguments in any order, and returns the arguments.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			return nil, err
		} else if err != nil {
			return nil, errUsage
		}
		if fs.NArg() == 0 {
			return rest, locate(fs, os.Getenv)
		}
		rest = append(rest, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// parseNoArgs parses args as parse does, for a command that takes flags and no arguments.
func parseNoArgs(fs *flag.FlagSet, args []string) error {
	rest, err := parse(fs, args)
	if err == nil && len(rest) > 0 {
		err = fmt.Errorf("%s takes no arguments, got %q", fs.Name(), rest)
	}
	return err
}

// locate sets the location flags of fs that the command line left alone from the environment.
func locate(fs *flag.FlagSet, getenv func(string) string) error {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, name := range locations {
		if v := getenv(envName(name)); v != "" && !set[name] && fs.Lookup(name) != nil {
			if err := fs.Set(name, v); err != nil {
				return fmt.Errorf("%s=%q: %w", envName(name), v, err)
			}
		}
	}
	return nil
}

// offline is a data directory taken by an offline command: its lock and its log.
type offline struct {
	flags  offlineFlags
	logger *slog.Logger
	lock   *os.File
	log    *logConn
	store  *events.Store
}

// openOffline takes the data directory and opens its log. It fails with errBusy when takt serve
// (or another command) holds the directory.
func openOffline(ctx context.Context, c offlineFlags, stderr io.Writer) (*offline, error) {
	if err := c.check(); err != nil {
		return nil, err
	}
	if err := c.checkTenants(); err != nil {
		return nil, err
	}
	if c.NATSURL == "" {
		// The embedded log lives in the data directory: without it there is no log to read, and
		// creating an empty one would only hide a mistyped --data.
		if _, err := os.Stat(filepath.Join(c.DataDir, "nats")); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no log in a data directory at %s (takt serve makes it; --data or TAKT_DATA names another)", c.DataDir)
		}
	}
	o := &offline{flags: c, logger: quietLogger(stderr)}
	var err error
	if o.lock, err = lockData(c.DataDir); err != nil {
		return nil, err
	}
	if o.log, err = openLog(ctx, c.logConfig, o.logger); err != nil {
		return nil, errors.Join(err, o.Close())
	}
	o.store = events.NewStore(o.log.read)
	o.store.Logger = o.logger
	return o, nil
}

// checkTenants checks each tenant --tenant lists, unless it is all.
func (c offlineFlags) checkTenants() error {
	if c.Tenant == "all" {
		return nil
	}
	for _, t := range splitList(c.Tenant) {
		if !events.ValidTenant(t) {
			return fmt.Errorf("--tenant %q is not a tenant id (a-z, 0-9 and '-', starting with a letter)", t)
		}
	}
	return nil
}

// head is the tenant's last stream sequence; a tenant without a stream is an error that says so.
func (o *offline) head(ctx context.Context) (uint64, error) {
	h, err := o.store.Head(ctx, o.flags.Tenant)
	if err != nil {
		return 0, fmt.Errorf("tenant %s: %w", o.flags.Tenant, err)
	}
	return h, nil
}

func (o *offline) Close() error {
	var errs []error
	if o.log != nil {
		errs = append(errs, o.log.Close())
	}
	if o.lock != nil {
		errs = append(errs, o.lock.Close())
	}
	return errors.Join(errs...)
}

// readProjection opens the tenant's projection for a read. When no server holds the data
// directory, the projection is first brought up to the log's head, so that the answer is never
// stale; when takt serve holds it, its projector keeps the file current and it is read as it is.
func readProjection(ctx context.Context, c offlineFlags, stderr io.Writer) (*projections.DB, error) {
	if !events.ValidTenant(c.Tenant) {
		return nil, fmt.Errorf("--tenant %q is not a tenant id; this command reads one tenant", c.Tenant)
	}
	o, err := openOffline(ctx, c, stderr)
	if errors.Is(err, errBusy) {
		db, err := readOnlyProjection(ctx, projectionPath(c.DataDir, c.Tenant), c.Tenant, quietLogger(stderr))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "takt: %s is in use by takt serve; reading its projection at sequence %d\n", c.DataDir, db.Checkpoint())
		return db, nil
	} else if err != nil {
		return nil, err
	}
	defer o.Close()
	if _, err := o.head(ctx); err != nil {
		return nil, err
	}
	db, err := openProjection(ctx, c.DataDir, c.Tenant, o.logger)
	if err != nil {
		return nil, err
	}
	if _, err := projections.NewProjector(db, o.store, c.Tenant).CatchUp(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// forEachTenant is the body of rebuild and check: it parses args, which name no arguments, takes
// the data directory, and calls fn for each tenant that --tenant names, with o.flags.Tenant set and
// the head of its log.
func forEachTenant(ctx context.Context, name, usage string, args []string, stderr io.Writer, fn func(o *offline, head uint64) error) error {
	var c offlineFlags
	if err := parseNoArgs(newFlagSet(name, usage, &c), args); err != nil {
		return err
	}
	o, err := openOffline(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer o.Close()
	tenants, err := o.tenants()
	if err != nil {
		return err
	}
	for _, tenant := range tenants {
		o.flags.Tenant = tenant
		head, err := o.head(ctx)
		if err != nil {
			return err
		}
		if err := fn(o, head); err != nil {
			return err
		}
	}
	return nil
}

// plural says n things.
func plural(n uint64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprint(n) + " " + many
}

// tenants names the tenants a rebuild or check covers: those --tenant lists, or every tenant with a
// projection when it is "all".
func (o *offline) tenants() ([]string, error) {
	if o.flags.Tenant != "all" {
		return splitList(o.flags.Tenant), nil
	}
	entries, err := os.ReadDir(projectionsDir(o.flags.DataDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".db"); ok && !e.IsDir() {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s holds no projection", o.flags.DataDir)
	}
	return out, nil
}
