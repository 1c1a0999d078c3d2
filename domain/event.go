package domain

import (
	"context"
	"time"
)

// Kind names an aggregate type. It is the third token of an event's NATS subject
// (takt.{tenant}.{kind}.{id}) and the first part of its CloudEvents subject ({kind}/{id}).
type Kind string

const (
	KindOrgan      Kind = "organ"
	KindPeriod     Kind = "period"
	KindVision     Kind = "vision"
	KindGoal       Kind = "goal"
	KindIndicator  Kind = "indicator"
	KindCommitment Kind = "commitment"
	KindFollowUp   Kind = "followup"
)

// Kinds lists every aggregate kind.
var Kinds = []Kind{KindOrgan, KindPeriod, KindVision, KindGoal, KindIndicator, KindCommitment, KindFollowUp}

// Ref names one aggregate of a tenant.
type Ref struct {
	Kind Kind
	ID   string
}

func (r Ref) String() string { return string(r.Kind) + "/" + r.ID }

// Payload is the data of an event. Its EventType is the catalogue name without the
// "se.takt." prefix and without the version: "goal.adopted".
type Payload interface {
	EventType() string
}

// Event is one recorded planning decision, or one fact reported to the ledger. Events are never
// changed; a mistake is corrected by a new event.
type Event struct {
	ID        string    // a UUIDv7, so ids sort by time
	Type      string    // "goal.adopted": Data.EventType()
	Tenant    string    // the municipality or region
	Aggregate Ref       // the aggregate the event belongs to
	Organ     string    // the organ that decided or reported (the CloudEvents source)
	Period    string    // the mandate period it belongs to ("2023-2026"); empty for organs
	Effective Date      // valid time: the date from which the decision applies
	Actor     string    // who recorded it
	Time      time.Time // recording time
	Data      Payload

	// Set by the log once the event is stored.
	Seq uint64 // the stream sequence
}

// Record is one message read back from a tenant's log: the event, or why it could not be decoded.
// A record with a non-nil Err is still part of the log; readers set it aside and go on.
type Record struct {
	Seq     uint64
	Subject string    // the NATS subject it was stored on
	Stored  time.Time // when the log stored it
	MsgID   string    // the de-duplication id it was stored with (Idempotency-Key or event id)
	Data    []byte    // the raw message body
	Event   Event     // the decoded event, when Err is nil
	Err     error     // why the message is not a takt event this version can read
}

// Append is one event to be stored, with the concurrency check it is stored under.
type Append struct {
	Event Event
	// Expect, when true, stores the event only if the last event of its aggregate is at stream
	// sequence Expected (0: the aggregate has no events yet).
	Expect   bool
	Expected uint64
	// MsgID is the de-duplication id: the same MsgID stored twice within the log's duplicate window
	// is stored once. Empty means the event id.
	MsgID string
}

// Appended is the answer of the log for one stored event.
type Appended struct {
	Seq       uint64
	Duplicate bool // the log had already stored this MsgID; Seq is the original sequence
}

// Log is a tenant-partitioned, append-only log of events.
type Log interface {
	// EnsureTenant creates the tenant's log if it does not exist, with the settings that make it a
	// ledger (no deletes, no purges, no limits). It is idempotent.
	EnsureTenant(ctx context.Context, tenant string) error

	// Append stores the events as one decision: all of them, or none. Each event whose Expect is
	// set is stored only if its aggregate's last event is at Expected. It returns ECONFLICT when an
	// expectation fails, ENOTFOUND when the tenant has no log, EUNAVAILABLE when the log cannot be
	// reached.
	Append(ctx context.Context, tenant string, events []Append) ([]Appended, error)

	// Read calls fn with every record of the tenant's log from sequence from (1 is the start) up to
	// the log's head as it was when Read was called, in order. A record that cannot be decoded is
	// passed with its Err set. Read stops at the first error fn returns, and returns it.
	Read(ctx context.Context, tenant string, from uint64, fn func(Record) error) error

	// Load returns the events of one aggregate, in order. An aggregate with no events gives an empty
	// slice and no error.
	Load(ctx context.Context, tenant string, ref Ref) ([]Event, error)

	// Head returns the last stream sequence of the tenant's log (0 when it is empty).
	Head(ctx context.Context, tenant string) (uint64, error)
}
