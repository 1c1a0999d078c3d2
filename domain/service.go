package domain

import (
	"context"
	"strings"
)

// Request is one command to record, with what the caller said about it.
type Request struct {
	Tenant string
	// Actor is recorded as who recorded the events: the principal's name when there is one.
	Actor string
	// Principal, when set, is who sends the request: the ledger refuses with EFORBIDDEN what its
	// role and organ may not record (Authorize). Without it the request is the process's own.
	Principal *Principal
	Command   Command
	// IdempotencyKey makes a retried request harmless: a request with a key the ledger has already
	// recorded is answered with the first answer, and nothing new is written.
	IdempotencyKey string
	// IfMatch, when HasIfMatch is set, is the stream sequence of the target aggregate's last event as
	// the caller saw it (the ETag); 0 means the aggregate must not exist yet.
	IfMatch    uint64
	HasIfMatch bool
}

// RecordedEvent is one event a request appended.
type RecordedEvent struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Aggregate Ref    `json:"-"`
	Subject   string `json:"subject"` // "goal/{id}"
	Seq       uint64 `json:"seq"`
}

// Receipt is the ledger's answer to a recorded request.
type Receipt struct {
	Target    Ref             // the aggregate the command was about, with its id (assigned if new)
	ETag      uint64          // the target aggregate's version after the request: its last event's sequence
	Events    []RecordedEvent // in the order they were appended
	Duplicate bool            // the idempotency key had been seen: this is the first answer again
	Created   bool            // the command created the target aggregate

	fingerprint string // of the request an idempotency key was first used for
}

// Recorder records commands. The api package speaks to the ledger through it.
type Recorder interface {
	// Record validates, decides and appends a command as one decision. It returns EINVALID for a
	// malformed command, ERULE when a rule of the ledger refuses it, ENOTFOUND for an unknown tenant or
	// target aggregate, ECONFLICT when If-Match is stale or another writer won, EUNAVAILABLE when the
	// log cannot be reached. On any error nothing is written.
	Record(ctx context.Context, req Request) (*Receipt, error)

	// Events returns the events of one aggregate in order, and its version (the last event's
	// sequence). It returns ENOTFOUND for an unknown tenant or an aggregate with no events.
	Events(ctx context.Context, tenant string, ref Ref) ([]Event, uint64, error)

	// Serves reports whether the ledger serves tenant. It is asked on every request, so it is cheap.
	Serves(tenant string) bool
}

// MarshalText writes kind/id.
func (r Ref) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads kind/id.
func (r *Ref) UnmarshalText(b []byte) error {
	kind, id, ok := strings.Cut(string(b), "/")
	if !ok || kind == "" || id == "" {
		return Invalid("aggregate", "ref", "%q is not kind/id.", string(b))
	}
	*r = Ref{Kind: Kind(kind), ID: id}
	return nil
}
