package domain

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// ReadOptions says which state of the ledger a read answers from. Every read takes them.
type ReadOptions struct {
	// AsOf is the effective date: the answer shows what was in force on it. Empty means today.
	AsOf Date
	// KnownAt and KnownAtTime say what the ledger knew: only what was recorded up to stream
	// sequence KnownAt, or up to the recording time KnownAtTime, is considered. Zero means all
	// that the projection has applied. When both are set the earlier one wins.
	KnownAt     uint64
	KnownAtTime time.Time
	// MinSeq makes the read wait until the projection has applied this sequence (read-your-writes:
	// a command answers with the sequences of its events).
	MinSeq uint64
}

// GoalFilter narrows a goal tree.
type GoalFilter struct {
	Period         string // required
	Organ          string // the owning organ
	Level          string
	IncludeRetired bool
}

// CommitmentFilter narrows a list of commitments.
type CommitmentFilter struct {
	Period string
	Organ  string // the responsible organ
	Year   int
}

// HistoryFilter narrows a history to versions that applied from a date in [From, To].
type HistoryFilter struct {
	From Date
	To   Date
}

// AuditFilter narrows the decision log of a period.
type AuditFilter struct {
	Period string // required
	Organ  string // the organ that decided or reported
	From   Date   // effective dates from
	To     Date   // effective dates to, inclusive
}

// Queries answers questions about one tenant's ledger from its read models. Every method waits
// for opts.MinSeq first and returns EUNAVAILABLE when the projection does not reach it in time
// (the context's deadline, or a default), ENOTFOUND for an unknown tenant or entity, and EINVALID
// for malformed options (an AsOf that is not a date, a filter without its required period).
type Queries interface {
	// Periods lists the mandate periods, by first year.
	Periods(ctx context.Context, tenant string, opts ReadOptions) ([]PeriodView, error)

	// Organs lists the organs, dissolved ones too, by id.
	Organs(ctx context.Context, tenant string, opts ReadOptions) ([]OrganView, error)

	// Goals returns the goal tree of a period: its goals (filtered by owner and level), each with
	// its indicators, their latest values against their targets, and its latest assessment.
	Goals(ctx context.Context, tenant string, filter GoalFilter, opts ReadOptions) (*GoalTree, error)

	// Goal returns one goal with its indicators and latest assessment.
	Goal(ctx context.Context, tenant, id string, opts ReadOptions) (*GoalView, error)

	// GoalHistory returns every version known at opts.KnownAt of a goal, of its indicators and their
	// targets, of the values corrected and their corrections, and of its commitments, in the order
	// recorded, each with its decision and diff: the decisions about the goal and what was changed
	// after it was reported. Values as reported are the indicator's. opts.AsOf is ignored.
	GoalHistory(ctx context.Context, tenant, id string, filter HistoryFilter, opts ReadOptions) ([]Version, error)

	// Indicator returns one indicator with its targets (every version), its values over the term
	// (corrections beside the values they correct) and its method breaks.
	Indicator(ctx context.Context, tenant, id string, opts ReadOptions) (*IndicatorView, error)

	// Commitments lists commitments, with their progress reports, by year and id.
	Commitments(ctx context.Context, tenant string, filter CommitmentFilter, opts ReadOptions) ([]CommitmentView, error)

	// FollowUp reopens a follow-up report exactly as adopted. opts.AsOf and opts.KnownAt bound
	// only which follow-up reports are visible; the tree is always the one the report froze.
	FollowUp(ctx context.Context, tenant, id string, opts ReadOptions) (*FollowUpReport, error)

	// Audit returns the decision log of a period in the order recorded: one row per version of an
	// entity.
	Audit(ctx context.Context, tenant string, filter AuditFilter, opts ReadOptions) ([]AuditRow, error)
}

// ParseKnownAt reads the known_at of a read into opts: "seq:N" (up to stream sequence N), an RFC
// 3339 time, or a date, meaning the end of that day in UTC. An empty v leaves opts alone.
func ParseKnownAt(v string, opts *ReadOptions) error {
	if v == "" {
		return nil
	}
	if n, ok := strings.CutPrefix(v, "seq:"); ok {
		seq, err := strconv.ParseUint(n, 10, 64)
		if err != nil || seq == 0 {
			return Invalid("known_at", "seq", "known_at %q: seq:N needs a stream sequence N ≥ 1.", v)
		}
		opts.KnownAt = seq
		return nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		opts.KnownAtTime = t
		return nil
	}
	if d := Date(v); d.Valid() {
		opts.KnownAtTime = d.Time().AddDate(0, 0, 1).Add(-time.Nanosecond)
		return nil
	}
	return Invalid("known_at", "time", "known_at %q is neither a time (RFC 3339), a date nor seq:N.", v)
}
