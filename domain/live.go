package domain

import "context"

// Follower is a tenant's log followed live. The api's event streams read it; events.Store is one.
type Follower interface {
	// Follow calls fn with every record of the tenant's log from sequence from on, in order, then
	// with each new one as it is stored, until ctx is done (it returns ctx.Err()) or fn returns an
	// error (it returns that error). It returns ENOTFOUND for a tenant it does not serve and
	// EUNAVAILABLE when the log cannot be reached.
	Follow(ctx context.Context, tenant string, from uint64, fn func(Record) error) error
}

// ProjectionProgress says how far a tenant's read models have come.
type ProjectionProgress interface {
	// WaitFor returns nil once the projection of tenant has applied sequence seq. It returns
	// EUNAVAILABLE when it has not by ctx's deadline (or a default wait, for a ctx without one),
	// and ENOTFOUND for a tenant it does not serve.
	WaitFor(ctx context.Context, tenant string, seq uint64) error
}
