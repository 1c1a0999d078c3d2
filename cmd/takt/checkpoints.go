package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/taktledger/takt/audit"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/projections"
)

// checkpointers runs a Checkpointer per tenant — the tenant's Merkle tree in <data>/tree and its
// signed checkpoints, with the key in <data>/keys, created on first start — beside the ledger.
type checkpointers struct {
	Trees projections.Trees // for the API: checkpoints and proofs
	Key   *audit.Key

	cancel context.CancelFunc
	done   chan error
	n      int
}

// startCheckpointers opens the key and each tenant's tree file under dataDir and starts a
// Checkpointer per tenant that reads and publishes through store. Interval is how often a grown
// tree is checkpointed besides after follow-up reports and closed periods. Close stops them.
func startCheckpointers(ctx context.Context, dataDir string, store *events.Store, tenants []string, interval time.Duration, logger *slog.Logger) (*checkpointers, error) {
	key, created, err := audit.LoadOrCreateKey(keyDir(dataDir), audit.DefaultKeyName)
	if err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	if created {
		logger.Info("checkpoint key created", "dir", keyDir(dataDir), "vkey", key.VKey)
	}
	c := &checkpointers{Trees: projections.Trees{}, Key: key, done: make(chan error, len(tenants))}
	for _, tenant := range tenants {
		path := treePath(dataDir, tenant)
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, errors.Join(err, c.Close())
		}
		tree := projections.NewTree(path, tenant)
		if err := tree.Open(ctx); err != nil {
			return nil, errors.Join(err, c.Close())
		}
		c.Trees[tenant] = tree
	}
	ctx, c.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for _, tree := range c.Trees {
		cp := projections.NewCheckpointer(tree, store, store, key)
		cp.Interval = interval
		cp.Logger = logger.With("component", "checkpointer")
		c.n++
		go func() {
			err := cp.Run(ctx)
			if err != nil && !errors.Is(err, context.Canceled) {
				logger.Error("checkpointer stopped", "tenant", cp.Tenant, "err", err)
			}
			c.done <- err
		}()
	}
	return c, nil
}

// Close stops the checkpointers and closes the tree files.
func (c *checkpointers) Close() error {
	if c.cancel != nil {
		c.cancel()
	}
	for ; c.n > 0; c.n-- {
		<-c.done
	}
	var errs []error
	for _, t := range c.Trees {
		errs = append(errs, t.Close())
	}
	return errors.Join(errs...)
}
