package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
)

const backupUsage = `Usage: takt backup --out DIR [flags]

Backs up each tenant's streams as ` + "`nats stream backup`" + ` does: DIR/TAKT_<TENANT>_CHECKPOINTS and
DIR/TAKT_<TENANT>, each a backup.json and a stream.tar.s2. The checkpoints are backed up first, so
every checkpoint in the backup covers events that are in it. takt serve may go on writing meanwhile
with --nats-url; the embedded NATS of a data directory needs takt serve stopped.

Restore with ` + "`nats stream restore DIR/TAKT_<TENANT>`" + `; verify without restoring with
` + "`takt verify --backup DIR --key <published key>`" + `.

`

// runBackup is `takt backup`: each tenant's checkpoint stream and event stream written to a
// directory in the format of `nats stream backup`, which `nats stream restore` and
// `takt verify --backup` read.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c offlineFlags
	fs := newTenantsFlagSet("backup", backupUsage, "the server", &c, stderr)
	out := fs.String("out", "", "the `directory` to write the backups to, one subdirectory per stream (required)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("takt backup needs --out: the directory to write the backups to")
	}
	if err := errors.Join(c.check(), c.checkTenants()); err != nil {
		return err
	}
	store, closeLog, err := openBackupSource(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer closeLog()
	tenants := splitList(c.Tenant)
	if c.Tenant == "all" {
		if tenants, err = tenantsIn(ctx, store.Conn); err != nil {
			return err
		}
		if len(tenants) == 0 {
			return errors.New("the log holds no tenant's stream")
		}
	}
	for _, tenant := range tenants {
		if err := backupTenant(ctx, stdout, store, tenant, *out); err != nil {
			return fmt.Errorf("tenant %s: %w", tenant, err)
		}
	}
	return nil
}

// openBackupSource opens the log c names for reading its streams: an external NATS as it is, with
// takt serve running, or the embedded one of a data directory, which takes the directory.
func openBackupSource(ctx context.Context, c offlineFlags, stderr io.Writer) (*events.Store, func() error, error) {
	if c.NATSURL == "" {
		o, err := openOffline(ctx, c, stderr)
		if err != nil {
			return nil, nil, err
		}
		return o.store, o.Close, nil
	}
	l, err := openLog(ctx, c.logConfig, quietLogger(stderr))
	if err != nil {
		return nil, nil, err
	}
	store := events.NewStore(l.read)
	store.Logger = quietLogger(stderr)
	return store, l.Close, nil
}

// backupTenant backs up the tenant's checkpoint stream, then its event stream, into dir.
func backupTenant(ctx context.Context, w io.Writer, store *events.Store, tenant, dir string) error {
	if _, err := store.Head(ctx, tenant); err != nil {
		return err
	}
	streams := []string{events.CheckpointStreamName(tenant), events.StreamName(tenant)}
	for _, stream := range streams {
		start := time.Now()
		b, err := store.BackupStream(ctx, stream, filepath.Join(dir, stream))
		if stream == streams[0] && domain.ErrorCode(err) == domain.ENOTFOUND {
			fmt.Fprintf(w, "%-28s none: the tenant has no checkpoint yet\n", stream)
			continue
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%-28s %s: %s (seq %d to %d) in %s\n", stream, b.Dir, plural(b.Msgs, "message", "messages"),
			b.FirstSeq, b.LastSeq, time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// restoredBackups is a directory of stream backups restored into a NATS of its own, the embedded
// one of a temporary data directory, for verify to read: the auditor needs no NATS, and the backup
// is not changed.
type restoredBackups struct {
	dir      string
	log      *logConn
	store    *events.Store
	restored []*events.Backup
}

// restoreBackups finds the stream backups in dir — dir itself, or its subdirectories, as
// `nats stream backup` and `takt backup` lay them out — and restores every takt stream among them,
// the tenants' event and checkpoint streams, into a NATS started for them; at least one must be an
// event stream. Close stops it and removes what it stored.
func restoreBackups(ctx context.Context, dir string, stderr io.Writer) (*restoredBackups, error) {
	found, err := findBackups(dir)
	if err != nil {
		return nil, err
	}
	var streams []*events.Backup
	logs := 0
	for _, b := range found {
		tenant, ok := events.TenantOf(strings.TrimSuffix(b.Stream, events.CheckpointStreamSuffix))
		if !ok {
			continue // another application's stream
		}
		if b.Stream == events.StreamName(tenant) {
			logs++
		}
		streams = append(streams, b)
	}
	if logs == 0 {
		return nil, fmt.Errorf("%s holds no backup of a takt event stream (TAKT_<TENANT>/%s)", dir, events.BackupMetaFile)
	}

	r := &restoredBackups{}
	if r.dir, err = os.MkdirTemp("", "takt-verify-"); err != nil {
		return nil, err
	}
	if r.log, err = openLog(ctx, logConfig{DataDir: r.dir}, quietLogger(stderr)); err != nil {
		return nil, errors.Join(err, r.Close())
	}
	r.store = events.NewStore(r.log.read)
	r.store.Logger = quietLogger(stderr)
	r.store.Timeout = time.Minute
	for _, b := range streams {
		if _, err := r.store.RestoreStream(ctx, b.Dir, 1); err != nil {
			return nil, errors.Join(err, r.Close())
		}
		r.restored = append(r.restored, b)
	}
	return r, nil
}

// findBackups returns the stream backups in dir and its subdirectories.
func findBackups(dir string) ([]*events.Backup, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []*events.Backup
	for _, d := range append([]string{dir}, subdirs(dir, entries)...) {
		b, err := events.ReadBackup(d)
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, err
		}
		for _, o := range out {
			if o.Stream == b.Stream {
				return nil, fmt.Errorf("%s and %s are both backups of %s: verify one at a time", o.Dir, b.Dir, b.Stream)
			}
		}
		out = append(out, b)
	}
	return out, nil
}

func subdirs(dir string, entries []os.DirEntry) []string {
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

// Close stops the NATS and removes its data directory.
func (r *restoredBackups) Close() error {
	var errs []error
	if r.log != nil {
		errs = append(errs, r.log.Close())
	}
	if r.dir != "" {
		errs = append(errs, os.RemoveAll(r.dir))
	}
	return errors.Join(errs...)
}
