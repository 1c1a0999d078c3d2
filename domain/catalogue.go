package domain

// This file is the event catalogue (DESIGN §3): the data of every event, current version. Field names
// are the JSON contract on the stream; changing one is a schema change and bumps the type's version
// (see the events package's registry and its upcasters).

// DecisionRef says which organ decided, at which meeting, under which minute paragraph and case number.
type DecisionRef struct {
	Organ       string `json:"organ"`
	MeetingDate Date   `json:"meeting_date"`
	Paragraph   string `json:"paragraph"`
	CaseNumber  string `json:"case_number"`
}

// Source says where a reported value or an indicator comes from.
type Source struct {
	Kind         string `json:"kind"`                   // kolada, survey, internal, other
	KPI          string `json:"kpi,omitempty"`          // a Kolada KPI id, "N00945"
	Municipality string `json:"municipality,omitempty"` // a Kolada municipality id, "0484"
	Unit         string `json:"unit,omitempty"`         // a Kolada organisational unit id
	Description  string `json:"description,omitempty"`
}

// Link says that a goal contributes to another, with an optional weight in (0, 1].
type Link struct {
	Goal   string   `json:"goal"`
	Weight *float64 `json:"weight,omitempty"`
}

// SDGLink ties a goal to one of the 17 Sustainable Development Goals, fully or partly.
type SDGLink struct {
	SDG      int    `json:"sdg"`
	Strength string `json:"strength"` // full, partial
}

// Baseline is an indicator's starting value (utgångsvärde).
type Baseline struct {
	Value float64 `json:"value"`
	Year  int     `json:"year"`
}

// Breakdown divides a value by gender, as Kolada does (K: kvinnor, M: män); the value itself is the total (T).
type Breakdown struct {
	Women *float64 `json:"women,omitempty"`
	Men   *float64 `json:"men,omitempty"`
}

// Measure makes a commitment quantifiable: what is measured, in which unit, and the target.
type Measure struct {
	Description string   `json:"description"`
	Unit        string   `json:"unit"`
	Baseline    *float64 `json:"baseline,omitempty"`
	Target      *float64 `json:"target"`
}

// AssessmentBasis is one indicator's part in the computed suggestion of an assessment.
type AssessmentBasis struct {
	Indicator string   `json:"indicator"`
	Value     *float64 `json:"value,omitempty"`
	Target    *float64 `json:"target,omitempty"`
	Met       *bool    `json:"met,omitempty"`
}

// Organs.

type OrganRegistered struct {
	Name     string       `json:"name"`
	Kind     string       `json:"kind"`
	Parent   string       `json:"parent,omitempty"`
	Decision *DecisionRef `json:"decision,omitempty"`
}

type OrganRenamed struct {
	Name     string       `json:"name"`
	Previous string       `json:"previous"`
	Decision *DecisionRef `json:"decision,omitempty"`
}

type OrganDissolved struct {
	Successor string       `json:"successor,omitempty"`
	Reason    string       `json:"reason,omitempty"`
	Decision  *DecisionRef `json:"decision,omitempty"`
}

// Mandate periods.

type PeriodOpened struct {
	FirstYear int          `json:"first_year"`
	LastYear  int          `json:"last_year"`
	Decision  *DecisionRef `json:"decision,omitempty"`
}

type PeriodClosed struct {
	Decision DecisionRef `json:"decision"`
}

// Visions.

type VisionAdopted struct {
	Text     string      `json:"text"`
	Horizon  string      `json:"horizon,omitempty"`
	Decision DecisionRef `json:"decision"`
}

type VisionRevised struct {
	Text     string      `json:"text"`
	Reason   string      `json:"reason"`
	Decision DecisionRef `json:"decision"`
}

// Goals.

type GoalAdopted struct {
	Title         string      `json:"title"`
	Description   string      `json:"description,omitempty"`
	Level         string      `json:"level"`
	Owner         string      `json:"owner"`
	GoalArea      string      `json:"goal_area,omitempty"`
	ContributesTo []Link      `json:"contributes_to,omitempty"`
	SDGs          []SDGLink   `json:"sdgs,omitempty"`
	Decision      DecisionRef `json:"decision"`
}

// GoalRevised carries only what changed; a nil field was left as it was.
type GoalRevised struct {
	Title       *string     `json:"title,omitempty"`
	Description *string     `json:"description,omitempty"`
	Level       *string     `json:"level,omitempty"`
	Owner       *string     `json:"owner,omitempty"`
	GoalArea    *string     `json:"goal_area,omitempty"`
	Reason      string      `json:"reason"`
	Decision    DecisionRef `json:"decision"`
}

// GoalRelinked replaces the goal's upward links, and its SDG links when SDGs is not nil.
type GoalRelinked struct {
	ContributesTo []Link      `json:"contributes_to"`
	SDGs          []SDGLink   `json:"sdgs,omitempty"`
	Reason        string      `json:"reason"`
	Decision      DecisionRef `json:"decision"`
}

// GoalCarriedForward moves a goal into the next mandate period: the same goal, a new term.
type GoalCarriedForward struct {
	FromPeriod string      `json:"from_period"`
	ToPeriod   string      `json:"to_period"`
	Decision   DecisionRef `json:"decision"`
}

type GoalRetired struct {
	Reason   string      `json:"reason"`
	Decision DecisionRef `json:"decision"`
}

// GoalAssessed is the verdict on a goal's attainment at a follow-up point. Suggested is what the
// indicators say (computed when the assessment is recorded), kept beside the human verdict.
type GoalAssessed struct {
	Point      string            `json:"point"` // T1, T2, annual
	Year       int               `json:"year"`
	Attainment string            `json:"attainment"`
	Suggested  string            `json:"suggested"`
	Basis      []AssessmentBasis `json:"basis,omitempty"`
	Motivation string            `json:"motivation"`
	Late       bool              `json:"late,omitempty"`
	Decision   DecisionRef       `json:"decision"`
}

// Indicators.

type IndicatorDefined struct {
	Name          string       `json:"name"`
	Description   string       `json:"description,omitempty"`
	Goal          string       `json:"goal,omitempty"`
	Unit          string       `json:"unit"`
	Measure       string       `json:"measure"`   // number, percent, currency, ordinal, qualitative
	Direction     string       `json:"direction"` // higher_is_better, lower_is_better, none
	Source        *Source      `json:"source,omitempty"`
	Baseline      *Baseline    `json:"baseline,omitempty"`
	GenderDivided bool         `json:"gender_divided,omitempty"`
	Decision      *DecisionRef `json:"decision,omitempty"`
}

// TargetSet sets the target value for a year, or for the end of the term. A revised target is a
// new TargetSet; the old one stays in the history.
type TargetSet struct {
	Year       int         `json:"year,omitempty"`
	TermEnd    bool        `json:"term_end,omitempty"`
	Value      float64     `json:"value"`
	Comparison string      `json:"comparison"` // at_least, at_most, exactly
	Decision   DecisionRef `json:"decision"`
}

type ValueReported struct {
	ValueID   string     `json:"value_id"`
	Year      int        `json:"year"`
	Point     string     `json:"point"` // T1, T2, annual
	Value     *float64   `json:"value,omitempty"`
	Text      string     `json:"text,omitempty"` // for qualitative indicators
	Breakdown *Breakdown `json:"breakdown,omitempty"`
	Status    string     `json:"status"` // preliminary, final
	Source    *Source    `json:"source,omitempty"`
	Late      bool       `json:"late,omitempty"`
}

// ValueCorrected never overwrites: it is a new value that points at the one it corrects.
type ValueCorrected struct {
	ValueID   string     `json:"value_id"`
	Corrects  string     `json:"corrects"`
	Year      int        `json:"year"`
	Point     string     `json:"point"`
	Value     *float64   `json:"value,omitempty"`
	Text      string     `json:"text,omitempty"`
	Breakdown *Breakdown `json:"breakdown,omitempty"`
	Status    string     `json:"status"`
	Reason    string     `json:"reason"`
	Source    *Source    `json:"source,omitempty"`
	Late      bool       `json:"late,omitempty"`
}

// MethodChanged is a comparability break: trends are not drawn across FromYear.
type MethodChanged struct {
	Description string       `json:"description"`
	FromYear    int          `json:"from_year"`
	Unit        string       `json:"unit,omitempty"`
	Source      *Source      `json:"source,omitempty"`
	Decision    *DecisionRef `json:"decision,omitempty"`
}

type IndicatorRetired struct {
	Reason   string      `json:"reason"`
	Decision DecisionRef `json:"decision"`
}

// Commitments.

type CommitmentMade struct {
	Text        string      `json:"text"`
	Responsible string      `json:"responsible"`
	Goal        string      `json:"goal,omitempty"`
	Measure     Measure     `json:"measure"`
	Year        int         `json:"year"`
	Due         Date        `json:"due"`
	Decision    DecisionRef `json:"decision"`
}

// CommitmentRevised carries only what changed; a nil field was left as it was.
type CommitmentRevised struct {
	Text        *string     `json:"text,omitempty"`
	Responsible *string     `json:"responsible,omitempty"`
	Measure     *Measure    `json:"measure,omitempty"`
	Due         *Date       `json:"due,omitempty"`
	Reason      string      `json:"reason"`
	Decision    DecisionRef `json:"decision"`
}

type ProgressReported struct {
	Value   *float64 `json:"value,omitempty"`
	Status  string   `json:"status"` // on_track, at_risk, off_track
	Comment string   `json:"comment,omitempty"`
	Source  *Source  `json:"source,omitempty"`
}

type CommitmentCompleted struct {
	Outcome  string      `json:"outcome"`
	Value    *float64    `json:"value,omitempty"`
	Decision DecisionRef `json:"decision"`
}

type CommitmentCancelled struct {
	Reason   string      `json:"reason"`
	Decision DecisionRef `json:"decision"`
}

// Follow-up.

// FollowUpAdopted freezes the state a report was written on: the ledger as it stood just before this
// event (its stream sequence), seen as in force on AsOf.
type FollowUpAdopted struct {
	Point    string      `json:"point"` // T1, T2, annual
	Year     int         `json:"year"`
	Title    string      `json:"title"`
	AsOf     Date        `json:"as_of"`
	Decision DecisionRef `json:"decision"`
}

func (OrganRegistered) EventType() string     { return "organ.registered" }
func (OrganRenamed) EventType() string        { return "organ.renamed" }
func (OrganDissolved) EventType() string      { return "organ.dissolved" }
func (PeriodOpened) EventType() string        { return "period.opened" }
func (PeriodClosed) EventType() string        { return "period.closed" }
func (VisionAdopted) EventType() string       { return "vision.adopted" }
func (VisionRevised) EventType() string       { return "vision.revised" }
func (GoalAdopted) EventType() string         { return "goal.adopted" }
func (GoalRevised) EventType() string         { return "goal.revised" }
func (GoalRelinked) EventType() string        { return "goal.relinked" }
func (GoalCarriedForward) EventType() string  { return "goal.carried_forward" }
func (GoalRetired) EventType() string         { return "goal.retired" }
func (GoalAssessed) EventType() string        { return "goal.assessed" }
func (IndicatorDefined) EventType() string    { return "indicator.defined" }
func (TargetSet) EventType() string           { return "indicator.target_set" }
func (ValueReported) EventType() string       { return "indicator.value_reported" }
func (ValueCorrected) EventType() string      { return "indicator.value_corrected" }
func (MethodChanged) EventType() string       { return "indicator.method_changed" }
func (IndicatorRetired) EventType() string    { return "indicator.retired" }
func (CommitmentMade) EventType() string      { return "commitment.made" }
func (CommitmentRevised) EventType() string   { return "commitment.revised" }
func (ProgressReported) EventType() string    { return "commitment.progress_reported" }
func (CommitmentCompleted) EventType() string { return "commitment.completed" }
func (CommitmentCancelled) EventType() string { return "commitment.cancelled" }
func (FollowUpAdopted) EventType() string     { return "followup.adopted" }

func init() {
	register(
		func() Payload { return &OrganRegistered{} },
		func() Payload { return &OrganRenamed{} },
		func() Payload { return &OrganDissolved{} },
		func() Payload { return &PeriodOpened{} },
		func() Payload { return &PeriodClosed{} },
		func() Payload { return &VisionAdopted{} },
		func() Payload { return &VisionRevised{} },
		func() Payload { return &GoalAdopted{} },
		func() Payload { return &GoalRevised{} },
		func() Payload { return &GoalRelinked{} },
		func() Payload { return &GoalCarriedForward{} },
		func() Payload { return &GoalRetired{} },
		func() Payload { return &GoalAssessed{} },
		func() Payload { return &IndicatorDefined{} },
		func() Payload { return &TargetSet{} },
		func() Payload { return &ValueReported{} },
		func() Payload { return &ValueCorrected{} },
		func() Payload { return &MethodChanged{} },
		func() Payload { return &IndicatorRetired{} },
		func() Payload { return &CommitmentMade{} },
		func() Payload { return &CommitmentRevised{} },
		func() Payload { return &ProgressReported{} },
		func() Payload { return &CommitmentCompleted{} },
		func() Payload { return &CommitmentCancelled{} },
		func() Payload { return &FollowUpAdopted{} },
	)
}
