package projections

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/taktledger/takt/domain"
)

// Follower is a log that can be followed live: Follow calls fn with every record from sequence
// from on, in order, then with each new one as it is stored, until ctx is done (it returns
// ctx.Err()) or fn returns an error (it returns that error). events.Store implements it.
type Follower interface {
	Follow(ctx context.Context, tenant string, from uint64, fn func(domain.Record) error) error
}

// Projector keeps a tenant's DB up to date with its log. It is configured by its fields; Run does
// the work.
type Projector struct {
	DB     *DB
	Log    domain.Log
	Tenant string
	// BatchSize is the most records applied in one transaction. A batch is applied as soon as it is
	// full or nothing more has arrived.
	BatchSize int
	// Poll is how long Run waits before it reads again once caught up, when Log is no Follower;
	// the wait doubles up to MaxPoll while nothing arrives.
	Poll, MaxPoll time.Duration
	// Retry is how long Run waits after the log failed before it tries again.
	Retry time.Duration
	// Until, if not zero, is the last sequence CatchUp applies: a check compares a rebuild with a
	// live projection at the live one's checkpoint.
	Until  uint64
	Logger *slog.Logger
	// Metrics, if set, measures the batches applied.
	Metrics *Metrics
}

// NewProjector returns a Projector of tenant's log into db with the defaults.
func NewProjector(db *DB, log domain.Log, tenant string) *Projector {
	return &Projector{DB: db, Log: log, Tenant: tenant, BatchSize: 500, Poll: 10 * time.Millisecond,
		MaxPoll: 500 * time.Millisecond, Retry: time.Second, Logger: slog.Default()}
}

func (p *Projector) batchSize() int {
	if p.BatchSize <= 0 {
		return 500
	}
	return p.BatchSize
}

func (p *Projector) logger() *slog.Logger {
	if p.Logger == nil {
		return slog.Default()
	}
	return p.Logger
}

// CatchUp applies every record from the checkpoint + 1 up to the log's head as it is now, in
// batches, and returns the checkpoint reached.
func (p *Projector) CatchUp(ctx context.Context) (uint64, error) {
	err := readBatches(ctx, p.Log, p.Tenant, p.DB.Checkpoint()+1, p.Until, p.batchSize(), p.apply)
	return p.DB.Checkpoint(), err
}

// Run applies the log to the DB until ctx is done, and returns ctx.Err(). It follows the log live
// when the log is a Follower, and polls it otherwise. A failing log is retried; a failing DB stops
// Run with its error.
func (p *Projector) Run(ctx context.Context) error {
	f, follows := p.Log.(Follower)
	wait := p.Poll
	for {
		var err error
		if follows {
			err = p.follow(ctx, f)
		} else {
			before := p.DB.Checkpoint()
			var at uint64
			at, err = p.CatchUp(ctx)
			if err == nil {
				if at > before {
					wait = p.Poll
				} else {
					wait = min(2*wait, p.MaxPoll)
				}
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var fatal dbError
		if errors.As(err, &fatal) {
			return fatal.err
		}
		if err != nil {
			p.logger().Warn("projector: log failed", "tenant", p.Tenant, "err", err)
			wait = p.Retry
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// follow follows the log from the checkpoint + 1, applying what has arrived, up to a batch, each
// time the DB is ready.
func (p *Projector) follow(ctx context.Context, f Follower) error {
	return followBatches(ctx, f, p.Tenant, p.DB.Checkpoint()+1, p.batchSize(), p.apply)
}
