package domain

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
)

// The read side's types: what the projections answer with, and what the api serves as JSON. Each
// view of an aggregate carries Seq, the stream sequence of the version shown, and ValidFrom, the
// date from which that version applies.

// PeriodView is a mandate period.
type PeriodView struct {
	ID        string       `json:"id"`
	FirstYear int          `json:"first_year"`
	LastYear  int          `json:"last_year"`
	Closed    bool         `json:"closed"`
	Opened    *DecisionRef `json:"opened_by,omitempty"`
	ClosedBy  *DecisionRef `json:"closed_by,omitempty"`
	ValidFrom Date         `json:"valid_from"`
	Seq       uint64       `json:"seq"`
}

// OrganView is an organ, with its dissolution and successor.
type OrganView struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Kind        string       `json:"kind"`
	Parent      string       `json:"parent,omitempty"`
	Dissolved   bool         `json:"dissolved"`
	DissolvedOn Date         `json:"dissolved_on,omitempty"`
	Successor   string       `json:"successor,omitempty"`
	Decision    *DecisionRef `json:"decision,omitempty"`
	ValidFrom   Date         `json:"valid_from"`
	Seq         uint64       `json:"seq"`
}

// VisionView is a vision as adopted or last revised.
type VisionView struct {
	ID        string      `json:"id"`
	Period    string      `json:"period"`
	Text      string      `json:"text"`
	Horizon   string      `json:"horizon,omitempty"`
	Decision  DecisionRef `json:"decision"`
	ValidFrom Date        `json:"valid_from"`
	Seq       uint64      `json:"seq"`
}

// Goal statuses.
const (
	StatusActive  = "active"
	StatusRetired = "retired"
)

// GoalView is a goal, with what a dashboard shows beside it: its indicators against their targets
// and its latest assessment.
type GoalView struct {
	ID            string          `json:"id"`
	Period        string          `json:"period"`
	Periods       []string        `json:"periods"`
	Title         string          `json:"title"`
	Description   string          `json:"description,omitempty"`
	Level         string          `json:"level"`
	Owner         string          `json:"owner"`
	GoalArea      string          `json:"goal_area,omitempty"`
	ContributesTo []Link          `json:"contributes_to"`
	SDGs          []SDGLink       `json:"sdgs"`
	Status        string          `json:"status"` // active, retired
	Assessment    *AssessmentView `json:"assessment,omitempty"`
	Decision      DecisionRef     `json:"decision"` // of the version shown
	ValidFrom     Date            `json:"valid_from"`
	Seq           uint64          `json:"seq"`

	// Filled in by the queries, never part of a version.
	Contributors []string        `json:"contributors,omitempty"` // goals that contribute to this one
	Indicators   []IndicatorView `json:"indicators,omitempty"`
}

// AssessmentView is a verdict on a goal's attainment at a follow-up point, with the suggestion the
// indicators gave when it was recorded.
type AssessmentView struct {
	Point      string            `json:"point"`
	Year       int               `json:"year"`
	Attainment string            `json:"attainment"`
	Suggested  string            `json:"suggested"`
	Basis      []AssessmentBasis `json:"basis,omitempty"`
	Motivation string            `json:"motivation"`
	Late       bool              `json:"late,omitempty"`
	Decision   DecisionRef       `json:"decision"`
	ValidFrom  Date              `json:"valid_from"`
	Seq        uint64            `json:"seq"`
}

// Indicator statuses: the latest value against the target in force for its year.
const (
	OnTrack  = "on_track"
	OffTrack = "off_track"
	NoTarget = "no_target"
	NoValue  = "no_value"
)

// IndicatorView is an indicator with its targets, its values and the breaks in its method.
type IndicatorView struct {
	ID            string        `json:"id"`
	Goal          string        `json:"goal,omitempty"`
	Period        string        `json:"period"`
	Name          string        `json:"name"`
	Description   string        `json:"description,omitempty"`
	Unit          string        `json:"unit"`
	Measure       string        `json:"measure"`
	Direction     string        `json:"direction"`
	Source        *Source       `json:"source,omitempty"`
	Baseline      *Baseline     `json:"baseline,omitempty"`
	GenderDivided bool          `json:"gender_divided,omitempty"`
	Retired       bool          `json:"retired"`
	Breaks        []MethodBreak `json:"method_breaks"`
	Decision      *DecisionRef  `json:"decision,omitempty"`
	ValidFrom     Date          `json:"valid_from"`
	Seq           uint64        `json:"seq"`

	// Filled in by the queries, never part of a version.
	Targets []TargetView `json:"targets,omitempty"` // the targets in force, by year (term end last)
	// TargetHistory is every target version known, in the order they were set.
	TargetHistory []TargetView `json:"target_history,omitempty"`
	Values        []ValueView  `json:"values,omitempty"` // every value known, corrected ones too, by year, point, seq
	Latest        *ValueView   `json:"latest,omitempty"` // the latest value in force
	Target        *TargetView  `json:"target,omitempty"` // the target in force for the latest value's year
	Status        string       `json:"status,omitempty"` // on_track, off_track, no_target, no_value
}

// MethodBreak is a comparability break: trends are not drawn across FromYear.
type MethodBreak struct {
	FromYear    int          `json:"from_year"`
	Description string       `json:"description"`
	Unit        string       `json:"unit,omitempty"`
	Source      *Source      `json:"source,omitempty"`
	Decision    *DecisionRef `json:"decision,omitempty"`
	Seq         uint64       `json:"seq"`
}

// TargetView is one target value of an indicator, for a year or the end of the term.
type TargetView struct {
	Indicator  string      `json:"indicator"`
	Year       int         `json:"year,omitempty"`
	TermEnd    bool        `json:"term_end,omitempty"`
	Value      float64     `json:"value"`
	Comparison string      `json:"comparison"`
	Decision   DecisionRef `json:"decision"`
	ValidFrom  Date        `json:"valid_from"`
	Seq        uint64      `json:"seq"`
}

// ValueView is one reported value. A corrected value stays, with CorrectedBy naming its correction.
type ValueView struct {
	ID          string     `json:"id"`
	Indicator   string     `json:"indicator"`
	Year        int        `json:"year"`
	Point       string     `json:"point"`
	Value       *float64   `json:"value,omitempty"`
	Text        string     `json:"text,omitempty"`
	Breakdown   *Breakdown `json:"breakdown,omitempty"`
	Status      string     `json:"status"`
	Source      *Source    `json:"source,omitempty"`
	Late        bool       `json:"late,omitempty"`
	Corrects    string     `json:"corrects,omitempty"`
	CorrectedBy string     `json:"corrected_by,omitempty"`
	Reason      string     `json:"reason,omitempty"`
	Organ       string     `json:"organ"`
	ValidFrom   Date       `json:"valid_from"`
	Seq         uint64     `json:"seq"` // when it was reported (or corrected)
}

// Commitment statuses (and StatusActive).
const (
	StatusCompleted = "completed"
	StatusCancelled = "cancelled"
)

// CommitmentView is a commitment (åtagande) with its progress.
type CommitmentView struct {
	ID          string         `json:"id"`
	Period      string         `json:"period"`
	Text        string         `json:"text"`
	Responsible string         `json:"responsible"`
	Goal        string         `json:"goal,omitempty"`
	Measure     Measure        `json:"measure"`
	Year        int            `json:"year"`
	Due         Date           `json:"due"`
	Status      string         `json:"status"` // active, completed, cancelled
	Outcome     string         `json:"outcome,omitempty"`
	Value       *float64       `json:"value,omitempty"` // the outcome's value, when completed
	Reason      string         `json:"reason,omitempty"`
	Progress    *ProgressView  `json:"progress,omitempty"` // the latest report
	Decision    DecisionRef    `json:"decision"`
	ValidFrom   Date           `json:"valid_from"`
	Seq         uint64         `json:"seq"`
	Reports     []ProgressView `json:"reports,omitempty"` // filled in by the queries: every report, in order
}

// ProgressView is one progress report on a commitment.
type ProgressView struct {
	Value     *float64 `json:"value,omitempty"`
	Status    string   `json:"status"`
	Comment   string   `json:"comment,omitempty"`
	Source    *Source  `json:"source,omitempty"`
	Organ     string   `json:"organ"`
	ValidFrom Date     `json:"valid_from"`
	Seq       uint64   `json:"seq"`
}

// FollowUpView is an adopted follow-up report.
type FollowUpView struct {
	ID        string      `json:"id"`
	Period    string      `json:"period"`
	Point     string      `json:"point"`
	Year      int         `json:"year"`
	Title     string      `json:"title"`
	AsOf      Date        `json:"as_of"`
	Decision  DecisionRef `json:"decision"`
	ValidFrom Date        `json:"valid_from"`
	Seq       uint64      `json:"seq"`
}

// FollowUpReport is a follow-up report reopened exactly as adopted: the goal tree as the ledger
// knew it just before the report was adopted (KnownAt is its sequence − 1), in force on its AsOf,
// each goal with its assessment for the report's point and year as known then (or none).
type FollowUpReport struct {
	FollowUp FollowUpView `json:"followup"`
	Tree     GoalTree     `json:"tree"`
}

// GoalTree is the goals of a mandate period with their indicators and assessments. Goals are
// ordered parents before the goals that contribute to them, then by id.
type GoalTree struct {
	Period  string       `json:"period"`
	AsOf    Date         `json:"as_of"`
	KnownAt uint64       `json:"known_at"` // the last sequence the answer is built from
	Visions []VisionView `json:"visions,omitempty"`
	Goals   []GoalView   `json:"goals"`
}

// Change is one field's value before and after a version. Before is absent for a new entity,
// After for a field the version removed.
type Change struct {
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// Diff is what a version changed, as JSON: {"field": {"before": …, "after": …}}, a Change for each
// top-level field of the entity's state that differs from the version before, fields sorted. It is
// kept and served as the projection wrote it; Changes decodes it.
type Diff json.RawMessage

// MarshalJSON returns the diff as it is.
func (d Diff) MarshalJSON() ([]byte, error) {
	if len(d) == 0 {
		return []byte("{}"), nil
	}
	return d, nil
}

// UnmarshalJSON keeps data as it is, as json.RawMessage does (encoding/json would otherwise take
// a Diff for base64), in memory of its own: unlike RawMessage it never writes into the memory d
// held, which a projection may share (Version).
func (d *Diff) UnmarshalJSON(data []byte) error {
	*d = append(Diff(nil), data...)
	return nil
}

// Changes decodes the diff.
func (d Diff) Changes() (map[string]Change, error) {
	out := map[string]Change{}
	if len(d) == 0 {
		return out, nil
	}
	return out, json.Unmarshal(d, &out)
}

// Version is one version of an entity in the history: what changed, when it applied (valid time),
// when the ledger learnt it (recording time and sequence), by which decision, and who recorded it.
type Version struct {
	Seq        uint64       `json:"seq"`
	Kind       string       `json:"kind"` // organ, period, vision, goal, indicator, target, value, commitment, followup
	ID         string       `json:"id"`
	Aggregate  Ref          `json:"aggregate"`
	Version    int          `json:"version"` // 1 for the first version of the entity
	EventID    string       `json:"event_id"`
	EventType  string       `json:"event_type"`
	Actor      string       `json:"actor,omitempty"` // left out for the public role
	Organ      string       `json:"organ"`
	Period     string       `json:"period,omitempty"`
	RecordedAt time.Time    `json:"recorded_at"`
	ValidFrom  Date         `json:"valid_from"`
	ValidTo    Date         `json:"valid_to,omitempty"` // empty: still in force (as far as the ledger knows at KnownAt)
	Decision   *DecisionRef `json:"decision,omitempty"`
	Reason     string       `json:"reason,omitempty"`
	// Diff and State of a version a projection returns share the memory its driver read them
	// into, and are only ever read: decode a Version into one of its own, not into one of those.
	Diff  Diff            `json:"diff"`
	State json.RawMessage `json:"state"` // the entity after this version
}

// AuditRow is one line of the decision log of a period: flat, for JSON and CSV alike.
type AuditRow struct {
	Seq          uint64    `json:"seq"`
	RecordedAt   time.Time `json:"recorded_at"`
	ValidFrom    Date      `json:"valid_from"`
	Period       string    `json:"period"`
	EventType    string    `json:"event_type"`
	Kind         string    `json:"kind"`
	ID           string    `json:"id"`
	Organ        string    `json:"organ"`
	MeetingDate  Date      `json:"meeting_date,omitempty"`
	Paragraph    string    `json:"paragraph,omitempty"`
	CaseNumber   string    `json:"case_number,omitempty"`
	Actor        string    `json:"actor"`
	Reason       string    `json:"reason,omitempty"`
	Diff         string    `json:"diff"` // the before/after diff as JSON
	EventID      string    `json:"event_id"`
	DecisionBody string    `json:"decision_organ,omitempty"`
}

// AuditColumns are the CSV header of AuditRow.Fields.
var AuditColumns = []string{"seq", "recorded_at", "valid_from", "period", "event_type", "kind", "id", "organ",
	"decision_organ", "meeting_date", "paragraph", "case_number", "actor", "reason", "diff", "event_id"}

// Fields returns the row as strings in the order of AuditColumns.
func (r AuditRow) Fields() []string {
	return []string{strconv.FormatUint(r.Seq, 10), r.RecordedAt.UTC().Format(time.RFC3339Nano), string(r.ValidFrom),
		r.Period, r.EventType, r.Kind, r.ID, r.Organ, r.DecisionBody, string(r.MeetingDate), r.Paragraph, r.CaseNumber,
		r.Actor, r.Reason, r.Diff, r.EventID}
}

// WriteAuditCSV writes rows as CSV with the header AuditColumns. A cell that a spreadsheet would
// take for a formula (it starts with =, +, -, @, a tab or a carriage return) gets a leading ', so
// that opening the export can never run what a client wrote into a reason or an actor's name; the
// JSON form of the log carries every value as recorded.
func WriteAuditCSV(w io.Writer, rows []AuditRow) error {
	cw := csv.NewWriter(w)
	cw.Write(AuditColumns)
	for _, r := range rows {
		fields := r.Fields()
		for i, f := range fields {
			if f != "" && strings.ContainsRune("=+-@\t\r", rune(f[0])) && !numeric(f) {
				fields[i] = "'" + f
			}
		}
		cw.Write(fields)
	}
	cw.Flush()
	return cw.Error()
}

// numeric reports whether s is a plain number, which a spreadsheet reads as one, not a formula.
func numeric(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}
