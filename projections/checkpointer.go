package projections

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/taktledger/takt/audit"
	"github.com/taktledger/takt/domain"
)

// Signer signs the checkpoint of a tenant's tree of size events with the given root, returning the
// signed note. *audit.Key is one.
type Signer interface {
	Sign(tenant string, size uint64, root [32]byte) ([]byte, error)
}

// DefaultTriggers are the event types after which a checkpoint is taken: a follow-up report
// adopted, a period closed. Each freezes what the ledger says at that point.
var DefaultTriggers = []string{"followup.adopted", "period.closed"}

// Checkpointer keeps a tenant's Tree up to date with its log, takes a checkpoint after each trigger
// event and, every Interval, of a tree that has grown, and publishes each one, signed, on the
// tenant's checkpoint log. It is configured by its fields; Run does the work.
//
// Taking a checkpoint is written with the batch that reaches it; publishing follows. A crash in
// between leaves the checkpoint taken and not published, and Run publishes it when it starts
// again. Published checkpoints only grow: one taken at a size the checkpoint log has already
// passed is dropped.
type Checkpointer struct {
	Tree        *Tree
	Log         domain.Log
	Checkpoints domain.CheckpointLog
	Signer      Signer
	Tenant      string
	// Triggers are the event types that take a checkpoint at their own sequence.
	Triggers []string
	// Interval is how often a checkpoint is taken of a tree that has grown since the last one;
	// 0 never.
	Interval time.Duration
	// BatchSize is the most records added to the tree in one transaction.
	BatchSize int
	// Poll is how long Run waits before it reads again once caught up, when Log is no Follower.
	Poll time.Duration
	// Retry is how long Run waits after the log or the checkpoint log failed.
	Retry  time.Duration
	Now    func() time.Time
	Logger *slog.Logger

	mu sync.Mutex // one publisher at a time
}

// NewCheckpointer returns a Checkpointer of tree's tenant with the defaults: the default
// triggers, a checkpoint every hour when the tree has grown.
func NewCheckpointer(tree *Tree, log domain.Log, checkpoints domain.CheckpointLog, signer Signer) *Checkpointer {
	return &Checkpointer{Tree: tree, Log: log, Checkpoints: checkpoints, Signer: signer, Tenant: tree.Tenant,
		Triggers: DefaultTriggers, Interval: time.Hour, BatchSize: 1000, Poll: 100 * time.Millisecond,
		Retry: time.Second, Now: time.Now, Logger: slog.Default()}
}

func (c *Checkpointer) logger() *slog.Logger {
	if c.Logger == nil {
		return slog.Default()
	}
	return c.Logger
}

func (c *Checkpointer) now() time.Time {
	if c.Now == nil {
		return time.Now()
	}
	return c.Now()
}

// Run builds the tree and publishes checkpoints until ctx is done, and returns ctx.Err(). A failing
// log or checkpoint log is retried; a failing tree file stops Run with its error.
func (c *Checkpointer) Run(ctx context.Context) error {
	for {
		err := c.Sync(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var fatal dbError
		if errors.As(err, &fatal) {
			return fatal.err
		}
		c.logger().Warn("checkpointer: checkpoint log failed", "tenant", c.Tenant, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(c.Retry):
		}
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	wake := make(chan struct{}, 1)
	wake <- struct{}{} // publish what an earlier run took and did not publish
	published := make(chan error, 1)
	go func() {
		published <- c.publishLoop(ctx, wake)
		cancel()
	}()
	err := c.build(ctx, wake)
	cancel()
	if perr := <-published; perr != nil && !errors.Is(perr, context.Canceled) {
		return perr
	}
	return err
}

// build adds the log to the tree until ctx is done; it returns a failing tree's error, or
// ctx.Err().
func (c *Checkpointer) build(ctx context.Context, wake chan struct{}) error {
	f, follows := c.Log.(Follower)
	for {
		var err error
		if follows {
			err = c.follow(ctx, f, wake)
		} else {
			err = c.catchUp(ctx, wake)
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var fatal dbError
		if errors.As(err, &fatal) {
			return fatal.err
		}
		wait := c.Poll
		if err != nil {
			c.logger().Warn("checkpointer: log failed", "tenant", c.Tenant, "err", err)
			wait = c.Retry
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

func (c *Checkpointer) batchSize() int {
	if c.BatchSize <= 0 {
		return 1000
	}
	return c.BatchSize
}

// apply adds a batch to the tree with the checkpoints its trigger events take.
func (c *Checkpointer) apply(ctx context.Context, batch []domain.Record, wake chan struct{}) error {
	if len(batch) == 0 {
		return nil
	}
	var marks []Mark
	for _, r := range batch {
		if r.Err == nil && c.trigger(r.Event.Type) {
			marks = append(marks, Mark{Size: r.Seq, Reason: r.Event.Type})
		}
	}
	if err := c.Tree.Append(ctx, batch, marks); err != nil {
		return err
	}
	if len(marks) > 0 {
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	return nil
}

func (c *Checkpointer) trigger(eventType string) bool {
	for _, t := range c.Triggers {
		if t == eventType {
			return true
		}
	}
	return false
}

// CatchUp adds every record after the tree's last one, up to the log's head as it is now, to the
// tree, and returns the tree's size. It publishes nothing; Publish does.
func (c *Checkpointer) CatchUp(ctx context.Context) (uint64, error) {
	err := c.catchUp(ctx, make(chan struct{}, 1))
	var fatal dbError
	if errors.As(err, &fatal) {
		err = fatal.err
	}
	return c.Tree.Size(), err
}

func (c *Checkpointer) catchUp(ctx context.Context, wake chan struct{}) error {
	return readBatches(ctx, c.Log, c.Tenant, c.Tree.Size()+1, 0, c.batchSize(), c.applier(wake))
}

// follow follows the log from the tree's size + 1, adding what has arrived, up to a batch, each
// time the tree is ready.
func (c *Checkpointer) follow(ctx context.Context, f Follower, wake chan struct{}) error {
	return followBatches(ctx, f, c.Tenant, c.Tree.Size()+1, c.batchSize(), c.applier(wake))
}

func (c *Checkpointer) applier(wake chan struct{}) func(context.Context, []domain.Record) error {
	return func(ctx context.Context, batch []domain.Record) error { return c.apply(ctx, batch, wake) }
}

func (c *Checkpointer) publishLoop(ctx context.Context, wake <-chan struct{}) error {
	var tick <-chan time.Time
	if c.Interval > 0 {
		t := time.NewTicker(c.Interval)
		defer t.Stop()
		tick = t.C
	}
	var retry <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-retry:
		case <-tick:
			if _, err := c.Tree.Mark(ctx, "interval"); err != nil {
				if ctx.Err() != nil {
					return ctx.Err()
				}
				return err
			}
		}
		retry = nil
		if err := c.Publish(ctx); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			var fatal dbError
			if errors.As(err, &fatal) {
				return fatal.err
			}
			c.logger().Warn("checkpointer: publishing failed", "tenant", c.Tenant, "err", err)
			retry = time.After(c.Retry)
		}
	}
}

// Checkpoint takes a checkpoint of the tree as it is now, if it has grown since the last one, and
// publishes it with any taken before.
func (c *Checkpointer) Checkpoint(ctx context.Context, reason string) error {
	if _, err := c.Tree.Mark(ctx, reason); err != nil {
		return err
	}
	return c.Publish(ctx)
}

// Publish signs and publishes the checkpoints taken and not yet published, smallest first. When
// another writer has appended to the checkpoint log, it reads what was published (Sync) and
// returns ECONFLICT; a later call goes on from there.
func (c *Checkpointer) Publish(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	pending, err := c.Tree.Pending(ctx)
	if err != nil {
		return dbError{err}
	}
	for _, p := range pending {
		last, err := c.Tree.LastCheckpoint(ctx)
		if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
			return dbError{err}
		}
		if p.Size <= last.Size {
			continue // dropped by the next Published
		}
		if p.Note, err = c.Signer.Sign(c.Tenant, p.Size, p.Root); err != nil {
			return err
		}
		p.Seq = last.Seq + 1
		seq, err := c.Checkpoints.AppendCheckpoint(ctx, c.Tenant, p)
		if domain.ErrorCode(err) == domain.ECONFLICT {
			return errors.Join(err, c.sync(ctx))
		} else if err != nil {
			return err
		}
		p.Seq, p.Stored = seq, c.now().UTC()
		if err := c.Tree.Published(ctx, p); err != nil {
			return dbError{err}
		}
		c.logger().Info("checkpoint published", "tenant", c.Tenant, "checkpoint", p.Seq, "size", p.Size, "reason", p.Reason)
	}
	return nil
}

// Sync makes the checkpoint log, if no checkpointer has yet, and records in the tree file the
// checkpoints on it that the file does not know of: those published before the file was
// (re)built, or by another process.
func (c *Checkpointer) Sync(ctx context.Context) error {
	if err := c.Checkpoints.EnsureCheckpoints(ctx, c.Tenant); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sync(ctx)
}

func (c *Checkpointer) sync(ctx context.Context) error {
	last, err := c.Tree.LastCheckpoint(ctx)
	if err != nil && domain.ErrorCode(err) != domain.ENOTFOUND {
		return dbError{err}
	}
	return c.Checkpoints.ReadCheckpoints(ctx, c.Tenant, last.Seq+1, func(cp domain.Checkpoint) error {
		_, size, root, err := audit.ReadCheckpoint(cp.Note)
		if err != nil {
			c.logger().Error("checkpoint log holds what is not a checkpoint", "tenant", c.Tenant, "checkpoint", cp.Seq, "err", err)
			return nil
		}
		cp.Size, cp.Root = size, root
		if size <= c.Tree.Size() {
			if ours, err := c.Tree.Root(ctx, size); err == nil && ours != root {
				c.logger().Error("the log does not match a published checkpoint", "tenant", c.Tenant, "checkpoint", cp.Seq, "size", size)
			}
		}
		if err := c.Tree.Published(ctx, cp); err != nil {
			return dbError{err}
		}
		return nil
	})
}
