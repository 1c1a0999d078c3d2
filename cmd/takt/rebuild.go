package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/taktledger/takt/projections"
)

// runRebuild is `takt rebuild`: replay a tenant's log from sequence 1 into a fresh file, then swap
// it in for the live projection atomically.
func runRebuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c offlineFlags
	fs := newFlagSet("rebuild", "rebuild [flags]\n\nReplays a tenant's log into a fresh projection and swaps it in atomically.\nStop takt serve on the data directory first. --tenant all rebuilds every projection.", &c)
	if rest, err := parse(fs, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return fmt.Errorf("takt rebuild takes no arguments, got %q", rest)
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
		if _, err := o.head(ctx); err != nil {
			return err
		}
		path := projectionPath(c.DataDir, tenant)
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return err
		}
		start := time.Now()
		seq, err := projections.Rebuild(ctx, o.store, tenant, path)
		if err != nil {
			return err
		}
		aside, err := setAside(ctx, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "rebuilt %s: %s in %s, %s set aside\n", path, plural(seq, "event", "events"),
			time.Since(start).Round(time.Millisecond), plural(aside, "record", "records"))
	}
	return nil
}

// setAside counts the records a projection file has set aside.
func setAside(ctx context.Context, path string) (uint64, error) {
	db := projections.NewDB(path)
	if err := db.Open(ctx); err != nil {
		return 0, err
	}
	n := db.Quarantined()
	return n, errors.Join(db.Close())
}
