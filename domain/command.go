package domain

// A Command asks the ledger to record one decision or one report. Its fields are the JSON body of the
// HTTP request; fields tagged `json:"-"` come from the URL path.
type Command interface {
	// Validate checks the command's shape without looking at the ledger: required fields, formats,
	// enumerations, dates that exist. It returns an EINVALID *Error naming the field and the rule.
	Validate() error
	// Target is the aggregate whose version If-Match and the ETag refer to. Its ID is empty for a
	// new aggregate whose id the ledger is to assign.
	Target() Ref
}

// Decided is what every decision command carries: the mandate period it belongs to, the decision
// reference, and the date it applies from (the meeting date when not given).
type Decided struct {
	Period    string      `json:"period"`
	Decision  DecisionRef `json:"decision"`
	Effective Date        `json:"effective,omitempty"`
}

// Organs.

type RegisterOrgan struct {
	ID        string       `json:"id,omitempty"`
	Name      string       `json:"name"`
	Kind      string       `json:"kind"`
	Parent    string       `json:"parent,omitempty"`
	Decision  *DecisionRef `json:"decision,omitempty"`
	Effective Date         `json:"effective,omitempty"`
}

type RenameOrgan struct {
	ID        string       `json:"-"`
	Name      string       `json:"name"`
	Decision  *DecisionRef `json:"decision,omitempty"`
	Effective Date         `json:"effective,omitempty"`
}

type DissolveOrgan struct {
	ID        string      `json:"-"`
	Successor string      `json:"successor,omitempty"`
	Reason    string      `json:"reason,omitempty"`
	Decision  DecisionRef `json:"decision"`
	Effective Date        `json:"effective,omitempty"`
}

// Mandate periods.

type OpenPeriod struct {
	ID        string       `json:"id"` // "2023-2026"
	Decision  *DecisionRef `json:"decision,omitempty"`
	Effective Date         `json:"effective,omitempty"`
}

type ClosePeriod struct {
	ID        string      `json:"-"`
	Decision  DecisionRef `json:"decision"`
	Effective Date        `json:"effective,omitempty"`
}

// Visions.

type AdoptVision struct {
	ID      string `json:"id,omitempty"`
	Text    string `json:"text"`
	Horizon string `json:"horizon,omitempty"`
	Decided
}

type ReviseVision struct {
	ID     string `json:"-"`
	Text   string `json:"text"`
	Reason string `json:"reason"`
	Decided
}

// Goals.

// IndicatorSpec defines an indicator together with the goal that it measures, with its targets.
type IndicatorSpec struct {
	ID            string       `json:"id,omitempty"`
	Name          string       `json:"name"`
	Description   string       `json:"description,omitempty"`
	Unit          string       `json:"unit"`
	Measure       string       `json:"measure"`
	Direction     string       `json:"direction"`
	Source        *Source      `json:"source,omitempty"`
	Baseline      *Baseline    `json:"baseline,omitempty"`
	GenderDivided bool         `json:"gender_divided,omitempty"`
	Targets       []TargetSpec `json:"targets,omitempty"`
}

// TargetSpec is a target value for a year, or for the end of the term.
type TargetSpec struct {
	Year       int      `json:"year,omitempty"`
	TermEnd    bool     `json:"term_end,omitempty"`
	Value      *float64 `json:"value"`
	Comparison string   `json:"comparison,omitempty"` // default from the indicator's direction
}

// AdoptGoal adopts a goal; given indicators, it defines them and sets their targets in the same
// decision, stored atomically.
type AdoptGoal struct {
	ID            string          `json:"id,omitempty"`
	Title         string          `json:"title"`
	Description   string          `json:"description,omitempty"`
	Level         string          `json:"level"`
	Owner         string          `json:"owner"`
	GoalArea      string          `json:"goal_area,omitempty"`
	ContributesTo []Link          `json:"contributes_to,omitempty"`
	SDGs          []SDGLink       `json:"sdgs,omitempty"`
	Indicators    []IndicatorSpec `json:"indicators,omitempty"`
	Decided
}

type ReviseGoal struct {
	ID          string  `json:"-"`
	Title       *string `json:"title,omitempty"`
	Description *string `json:"description,omitempty"`
	Level       *string `json:"level,omitempty"`
	Owner       *string `json:"owner,omitempty"`
	GoalArea    *string `json:"goal_area,omitempty"`
	Reason      string  `json:"reason"`
	Decided
}

type RelinkGoal struct {
	ID            string    `json:"-"`
	ContributesTo []Link    `json:"contributes_to"`
	SDGs          []SDGLink `json:"sdgs,omitempty"`
	Reason        string    `json:"reason"`
	Decided
}

// CarryForwardGoal carries a goal into a later mandate period: Decided.Period is the new term.
type CarryForwardGoal struct {
	ID string `json:"-"`
	Decided
}

type RetireGoal struct {
	ID     string `json:"-"`
	Reason string `json:"reason"`
	Decided
}

type AssessGoal struct {
	ID         string `json:"-"`
	Point      string `json:"point"`
	Year       int    `json:"year"`
	Attainment string `json:"attainment"`
	Motivation string `json:"motivation"`
	Decided
}

// Indicators.

type DefineIndicator struct {
	ID            string    `json:"id,omitempty"`
	Goal          string    `json:"goal,omitempty"`
	Name          string    `json:"name"`
	Description   string    `json:"description,omitempty"`
	Unit          string    `json:"unit"`
	Measure       string    `json:"measure"`
	Direction     string    `json:"direction"`
	Source        *Source   `json:"source,omitempty"`
	Baseline      *Baseline `json:"baseline,omitempty"`
	GenderDivided bool      `json:"gender_divided,omitempty"`
	Decided
}

type SetTarget struct {
	ID         string   `json:"-"`
	Year       int      `json:"year,omitempty"`
	TermEnd    bool     `json:"term_end,omitempty"`
	Value      *float64 `json:"value"`
	Comparison string   `json:"comparison,omitempty"`
	Decided
}

// ReportValue reports an indicator's value for a year (and follow-up point). It is a report, not a
// decision: it carries a source instead of a decision reference, and its mandate period is the
// indicator's.
type ReportValue struct {
	ID        string     `json:"-"`
	ValueID   string     `json:"value_id,omitempty"`
	Organ     string     `json:"organ"` // the reporting organ (administration, committee)
	Year      int        `json:"year"`
	Point     string     `json:"point,omitempty"` // default annual
	Value     *float64   `json:"value"`
	Text      string     `json:"text,omitempty"`
	Breakdown *Breakdown `json:"breakdown,omitempty"`
	Status    string     `json:"status,omitempty"` // default final
	Source    *Source    `json:"source,omitempty"`
	Effective Date       `json:"effective,omitempty"`
}

type CorrectValue struct {
	ID        string     `json:"-"`
	Corrects  string     `json:"-"` // the value id, from the path
	ValueID   string     `json:"value_id,omitempty"`
	Organ     string     `json:"organ"`
	Value     *float64   `json:"value"`
	Text      string     `json:"text,omitempty"`
	Breakdown *Breakdown `json:"breakdown,omitempty"`
	Status    string     `json:"status,omitempty"`
	Reason    string     `json:"reason"`
	Source    *Source    `json:"source,omitempty"`
	Effective Date       `json:"effective,omitempty"`
}

type ChangeMethod struct {
	ID          string  `json:"-"`
	Description string  `json:"description"`
	FromYear    int     `json:"from_year"`
	Unit        string  `json:"unit,omitempty"`
	Source      *Source `json:"source,omitempty"`
	Decided
}

type RetireIndicator struct {
	ID     string `json:"-"`
	Reason string `json:"reason"`
	Decided
}

// Commitments.

type MakeCommitment struct {
	ID          string   `json:"id,omitempty"`
	Text        string   `json:"text"`
	Responsible string   `json:"responsible"`
	Goal        string   `json:"goal,omitempty"`
	Measure     *Measure `json:"measure"`
	Year        int      `json:"year"`
	Due         Date     `json:"due"`
	Decided
}

type ReviseCommitment struct {
	ID          string   `json:"-"`
	Text        *string  `json:"text,omitempty"`
	Responsible *string  `json:"responsible,omitempty"`
	Measure     *Measure `json:"measure,omitempty"`
	Due         *Date    `json:"due,omitempty"`
	Reason      string   `json:"reason"`
	Decided
}

type ReportProgress struct {
	ID        string   `json:"-"`
	Organ     string   `json:"organ"`
	Value     *float64 `json:"value,omitempty"`
	Status    string   `json:"status"`
	Comment   string   `json:"comment,omitempty"`
	Source    *Source  `json:"source,omitempty"`
	Effective Date     `json:"effective,omitempty"`
}

type CompleteCommitment struct {
	ID      string   `json:"-"`
	Outcome string   `json:"outcome"`
	Value   *float64 `json:"value,omitempty"`
	Decided
}

type CancelCommitment struct {
	ID     string `json:"-"`
	Reason string `json:"reason"`
	Decided
}

// Follow-up.

type AdoptFollowUp struct {
	ID    string `json:"id,omitempty"`
	Point string `json:"point"`
	Year  int    `json:"year"`
	Title string `json:"title"`
	AsOf  Date   `json:"as_of"`
	Decided
}

func (c *RegisterOrgan) Target() Ref      { return Ref{KindOrgan, c.ID} }
func (c *RenameOrgan) Target() Ref        { return Ref{KindOrgan, c.ID} }
func (c *DissolveOrgan) Target() Ref      { return Ref{KindOrgan, c.ID} }
func (c *OpenPeriod) Target() Ref         { return Ref{KindPeriod, c.ID} }
func (c *ClosePeriod) Target() Ref        { return Ref{KindPeriod, c.ID} }
func (c *AdoptVision) Target() Ref        { return Ref{KindVision, c.ID} }
func (c *ReviseVision) Target() Ref       { return Ref{KindVision, c.ID} }
func (c *AdoptGoal) Target() Ref          { return Ref{KindGoal, c.ID} }
func (c *ReviseGoal) Target() Ref         { return Ref{KindGoal, c.ID} }
func (c *RelinkGoal) Target() Ref         { return Ref{KindGoal, c.ID} }
func (c *CarryForwardGoal) Target() Ref   { return Ref{KindGoal, c.ID} }
func (c *RetireGoal) Target() Ref         { return Ref{KindGoal, c.ID} }
func (c *AssessGoal) Target() Ref         { return Ref{KindGoal, c.ID} }
func (c *DefineIndicator) Target() Ref    { return Ref{KindIndicator, c.ID} }
func (c *SetTarget) Target() Ref          { return Ref{KindIndicator, c.ID} }
func (c *ReportValue) Target() Ref        { return Ref{KindIndicator, c.ID} }
func (c *CorrectValue) Target() Ref       { return Ref{KindIndicator, c.ID} }
func (c *ChangeMethod) Target() Ref       { return Ref{KindIndicator, c.ID} }
func (c *RetireIndicator) Target() Ref    { return Ref{KindIndicator, c.ID} }
func (c *MakeCommitment) Target() Ref     { return Ref{KindCommitment, c.ID} }
func (c *ReviseCommitment) Target() Ref   { return Ref{KindCommitment, c.ID} }
func (c *ReportProgress) Target() Ref     { return Ref{KindCommitment, c.ID} }
func (c *CompleteCommitment) Target() Ref { return Ref{KindCommitment, c.ID} }
func (c *CancelCommitment) Target() Ref   { return Ref{KindCommitment, c.ID} }
func (c *AdoptFollowUp) Target() Ref      { return Ref{KindFollowUp, c.ID} }
