package demo

import (
	"context"
	"fmt"
	"sort"

	"github.com/taktledger/takt/domain"
)

// The facts a test or a tour can rely on.
const (
	DefaultTenant = "demo"
	Period        = "2023-2026"
	Actor         = "takt-demo"  // who records the demo's requests
	Today         = "2026-11-23" // the demo's story ends here: nothing it records is later

	// GoalID is a council goal with indicators, contributing committee and company goals, a
	// revision and assessments: a goal worth opening.
	GoalID = "kf-klimat"
	// VisionID is the vision adopted by the council.
	VisionID = "vision-2035"

	// RevisedIndicator's target for RevisedTargetYear was OldTarget until the council revised it to
	// NewTarget, by a decision of 2025 that applies from RevisionEffective. Read as of
	// OldTargetAsOf to see the old one.
	RevisedIndicator  = "i-fossilfria-fordon"
	RevisedTargetYear = 2025
	OldTarget         = 70.0
	NewTarget         = 60.0
	RevisionEffective = "2025-01-01"
	OldTargetAsOf     = "2024-12-31"

	// CorrectedIndicator's value for CorrectedYear, reported as ValueBeforeCorrection under value id
	// CorrectedValueID, was corrected in 2025 to ValueAfterCorrection under CorrectionValueID.
	CorrectedIndicator    = "i-sjukfranvaro"
	CorrectedYear         = 2024
	CorrectedValueID      = "v2024"
	CorrectionValueID     = "v2024-k1"
	ValueBeforeCorrection = 8.1
	ValueAfterCorrection  = 8.6

	// MethodChangedIndicator changed its method from MethodChangeYear: no trend across it.
	MethodChangedIndicator = "i-trygghet"
	MethodChangeYear       = 2024

	// DissolvedOrgan (and the leisure committee, fn) were dissolved into SuccessorOrgan from
	// ReorganisedOn; their goals now belong to it.
	DissolvedOrgan = "kn"
	SuccessorOrgan = "kfn"
	ReorganisedOn  = "2025-01-01"

	// The adopted follow-up reports.
	AnnualReport2024 = "ar-2024"
	InterimReport    = "delar-2025"
	AnnualReport     = "ar-2025"
)

// Summary says what a Load did.
type Summary struct {
	Tenant   string
	Requests int    // requests sent, one per step
	Appended int    // events the ledger appended
	Replayed int    // requests the ledger had recorded before, answered without appending
	LastSeq  uint64 // the highest stream sequence among the answers
}

// Load records Älvby kommun into tenant ("demo" when empty) through rec, as an HTTP client would.
// It stops at the first request the ledger refuses and returns an error naming the step. Loading a
// second time appends nothing.
func Load(ctx context.Context, rec domain.Recorder, tenant string) (Summary, error) {
	if tenant == "" {
		tenant = DefaultTenant
	}
	sum := Summary{Tenant: tenant}
	if !rec.Serves(tenant) {
		return sum, fmt.Errorf("demo: tenant %s is not served by the ledger", tenant)
	}
	for _, s := range steps() {
		r, err := rec.Record(ctx, domain.Request{Tenant: tenant, Actor: Actor, IdempotencyKey: s.key, Command: s.cmd})
		if err != nil {
			return sum, fmt.Errorf("demo step %s (%s): %w", s.key, s.date, err)
		}
		sum.Requests++
		if r.Duplicate {
			sum.Replayed++
		} else {
			sum.Appended += len(r.Events)
		}
		for _, e := range r.Events {
			sum.LastSeq = max(sum.LastSeq, e.Seq)
		}
	}
	return sum, nil
}

// A step is one request: what it records, when it happened in the municipality's calendar, and
// the name its Idempotency-Key is made of.
type step struct {
	date domain.Date
	key  string
	cmd  domain.Command
}

// script collects the steps of the story.
type script []step

func (s *script) add(date, key string, cmd domain.Command) {
	*s = append(*s, step{date: domain.Date(date), key: "demo/" + key, cmd: cmd})
}

// steps returns the whole story in the order of its dates; steps of one date keep the order in
// which they were written, which is the order their dependencies need.
func steps() []step {
	var s script
	s.organs()
	s.goals()
	s.indicatorValues()
	s.commitments()
	s.followUps()
	s.events()
	sort.SliceStable(s, func(i, j int) bool { return s[i].date < s[j].date })
	return s
}

// Decisions.

// caseSeries is the prefix of each organ's case numbers (diarienummer).
var caseSeries = map[string]string{"kf": "KS", "ks": "KS", "bun": "BUN", "sn": "SN", "mbn": "MBN",
	"kn": "KN", "fn": "FN", "kfn": "KFN", "energi": "ÄEAB", "bostad": "ÄH"}

// dec is the decision of organ at its meeting on date under paragraph para. The case number is
// invented from the paragraph: the demo has no registry to take it from.
func dec(organ, date string, para int) domain.DecisionRef {
	return domain.DecisionRef{Organ: organ, MeetingDate: domain.Date(date), Paragraph: fmt.Sprintf("§ %d", para),
		CaseNumber: fmt.Sprintf("%s %s/%d", caseSeries[organ], date[:4], 40+3*para)}
}

// decided is a decision of the demo's mandate period that applies from its meeting date.
func decided(d domain.DecisionRef) domain.Decided { return domain.Decided{Period: Period, Decision: d} }

// from is a decision of the mandate period that applies from effective.
func from(d domain.DecisionRef, effective string) domain.Decided {
	return domain.Decided{Period: Period, Decision: d, Effective: domain.Date(effective)}
}

func num(v float64) *float64 { return &v }
func str(v string) *string   { return &v }
