package main

import (
	"context"
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
	return forEachTenant(ctx, "rebuild", "rebuild [flags]\n\nReplays a tenant's log into a fresh projection and swaps it in atomically.\nStop takt serve on the data directory first. --tenant takes a comma-separated list; all rebuilds every projection.", args, stderr,
		func(o *offline, _ uint64) error {
			tenant := o.flags.Tenant
			path := projectionPath(o.flags.DataDir, tenant)
			if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
				return err
			}
			start := time.Now()
			seq, err := projections.Rebuild(ctx, o.store, tenant, path)
			if err != nil {
				return err
			}
			db, err := readOnlyProjection(ctx, path, tenant, o.logger)
			if err != nil {
				return err
			}
			aside := db.Quarantined()
			if err := db.Close(); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "rebuilt %s: %s in %s, %s set aside\n", path, plural(seq, "event", "events"),
				time.Since(start).Round(time.Millisecond), plural(aside, "record", "records"))
			return nil
		})
}
