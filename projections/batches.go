package projections

import (
	"context"
	"errors"

	"github.com/taktledger/takt/domain"
)

// The projector and the checkpointer read the log the same way: from a sequence, in batches, each
// applied to a SQLite file of their own. These do the reading; the callers say what a batch does.

// dbError marks a failure of the file a batch is applied to rather than of the log: a follower
// retries a failing log, but stops on this.
type dbError struct{ err error }

func (e dbError) Error() string { return e.err.Error() }
func (e dbError) Unwrap() error { return e.err }

// errUntil ends readBatches at its until.
var errUntil = errors.New("projections: until reached")

// readBatches passes the records of tenant's log from sequence from up to the log's head as it is
// now (or up to until, when that is not zero) to apply, at most n at a time. Reading and decoding
// the next batch goes on, in the caller's goroutine, while apply works on one in another. An error
// of apply is returned as a dbError.
func readBatches(ctx context.Context, log domain.Log, tenant string, from, until uint64, n int,
	apply func(context.Context, []domain.Record) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan []domain.Record, 1)
	applied := make(chan error, 1)
	go func() {
		var err error
		for b := range batches {
			if err == nil {
				if err = apply(ctx, b); err != nil {
					cancel()
				}
			}
		}
		applied <- err
	}()
	batch := make([]domain.Record, 0, n)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		select {
		case batches <- batch:
		case <-ctx.Done():
			return ctx.Err()
		}
		batch = make([]domain.Record, 0, n)
		return nil
	}
	err := log.Read(ctx, tenant, from, func(r domain.Record) error {
		if until > 0 && r.Seq > until {
			return errUntil
		}
		if batch = append(batch, r); len(batch) < n {
			return nil
		}
		return flush()
	})
	if err == nil || errors.Is(err, errUntil) {
		err = flush()
	}
	close(batches)
	if aerr := <-applied; aerr != nil {
		return dbError{aerr}
	}
	return err
}

// followBatches follows tenant's log from sequence from until ctx is done, and hands apply what
// has arrived, at most n records, each time it is ready for more. An error of apply is returned as
// a dbError.
func followBatches(ctx context.Context, f Follower, tenant string, from uint64, n int,
	apply func(context.Context, []domain.Record) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	records := make(chan domain.Record, n)
	applied := make(chan error, 1)
	go func() {
		applied <- drain(ctx, records, n, apply)
		cancel()
	}()
	err := f.Follow(ctx, tenant, from, func(r domain.Record) error {
		select {
		case records <- r:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(records)
	if aerr := <-applied; aerr != nil {
		return dbError{aerr}
	}
	return err
}

// drain applies what records holds, up to n at a time, until it is closed.
func drain(ctx context.Context, records <-chan domain.Record, n int, apply func(context.Context, []domain.Record) error) error {
	batch := make([]domain.Record, 0, n)
	for {
		r, ok := <-records
		if !ok {
			return nil
		}
		batch = append(batch[:0], r)
	more:
		for len(batch) < n {
			select {
			case r, ok := <-records:
				if !ok {
					break more
				}
				batch = append(batch, r)
			default:
				break more
			}
		}
		if err := apply(ctx, batch); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
}
