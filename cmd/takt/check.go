package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/taktledger/takt/projections"
)

// errDiffers is a check that found a projection unequal to its rebuild.
var errDiffers = errors.New("projection differs from a rebuild")

// runCheck is `takt check`: rebuild into a temporary file up to the live projection's checkpoint
// and compare the two, table by table.
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var failed []string
	err := forEachTenant(ctx, "check", "check [flags]\n\nRebuilds a tenant's projection into a temporary file, up to the live one's checkpoint,\nand compares the two table by table: identical, or the differences and exit status 1.\nStop takt serve on the data directory first. --tenant takes a comma-separated list; all checks every projection.", args, stderr,
		func(o *offline, head uint64) error {
			same, err := o.check(ctx, head, stdout)
			if err == nil && !same {
				failed = append(failed, o.flags.Tenant)
			}
			return err
		})
	if err == nil && len(failed) > 0 {
		err = fmt.Errorf("%w: %v", errDiffers, failed)
	}
	return err
}

// check compares one tenant's live projection with a rebuild at its checkpoint; head is the
// log's.
func (o *offline) check(ctx context.Context, head uint64, stdout io.Writer) (bool, error) {
	tenant := o.flags.Tenant
	live := projectionPath(o.flags.DataDir, tenant)
	db, err := readOnlyProjection(ctx, live, tenant, o.logger) // a check changes nothing, not even the schema
	if err != nil {
		return false, err
	}
	at := db.Checkpoint()
	if err := db.Close(); err != nil {
		return false, err
	}

	dir, err := os.MkdirTemp(o.flags.DataDir, "check-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	rebuilt := filepath.Join(dir, tenant+".db")
	if _, err := projections.Replay(ctx, o.store, tenant, rebuilt, at, o.logger); err != nil {
		return false, err
	}

	diff, err := projections.Compare(ctx, live, rebuilt)
	if err != nil {
		return false, err
	}
	behind := ""
	if head > at {
		behind = fmt.Sprintf(" (the log is at %d: takt serve catches up when it starts)", head)
	}
	if diff == "" {
		fmt.Fprintf(stdout, "%s: identical to a rebuild at sequence %d%s\n", tenant, at, behind)
		return true, nil
	}
	fmt.Fprintf(stdout, "%s: DIFFERS from a rebuild at sequence %d%s\n%s", tenant, at, behind, diff)
	return false, nil
}
