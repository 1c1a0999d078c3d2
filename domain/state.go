package domain

import "cmp"

// The command side's view of each aggregate: what Decide needs to know to apply the rules. Each
// Evolve is pure: it returns the state after one event, and never changes the state it was given.
// Version is the stream sequence of the aggregate's last event: the ETag.

type Organ struct {
	ID           string
	Name         string
	Kind         string
	Parent       string
	RegisteredOn Date // the organ decides from this date, when a decision founded it
	Dissolved    bool
	DissolvedOn  Date // and until the day before this one
	Successor    string
	Version      uint64
}

// ActiveOn reports whether the organ exists on day: registered by then and not yet dissolved. A
// reorganisation decided in June to take effect in January leaves the old committee deciding
// until December, and lets the new one decide only from January.
func (o Organ) ActiveOn(day Date) bool {
	return (o.RegisteredOn == "" || day >= o.RegisteredOn) && (!o.Dissolved || day < o.DissolvedOn)
}

func (o Organ) Evolve(e Event) Organ {
	switch d := e.Data.(type) {
	case *OrganRegistered:
		o = Organ{ID: e.Aggregate.ID, Name: d.Name, Kind: d.Kind, Parent: d.Parent}
		if d.Decision != nil {
			// An organ founded by a recorded decision exists from its effective date; one merely
			// registered (the council, as the ledger is set up) has always existed.
			o.RegisteredOn = e.Effective
		}
	case *OrganRenamed:
		o.Name = d.Name
	case *OrganDissolved:
		o.Dissolved, o.DissolvedOn, o.Successor = true, e.Effective, d.Successor
	}
	o.Version = e.Seq
	return o
}

type Period struct {
	ID        string
	FirstYear int
	LastYear  int
	Closed    bool
	Version   uint64
}

// Contains reports whether year lies inside the period.
func (p Period) Contains(year int) bool { return year >= p.FirstYear && year <= p.LastYear }

func (p Period) Evolve(e Event) Period {
	switch d := e.Data.(type) {
	case *PeriodOpened:
		p = Period{ID: e.Aggregate.ID, FirstYear: d.FirstYear, LastYear: d.LastYear}
	case *PeriodClosed:
		p.Closed = true
	}
	p.Version = e.Seq
	return p
}

type Vision struct {
	ID      string
	Text    string
	Period  string
	Organ   string // the organ that adopted it, which alone may revise it
	Version uint64
}

func (v Vision) Evolve(e Event) Vision {
	switch d := e.Data.(type) {
	case *VisionAdopted:
		v = Vision{ID: e.Aggregate.ID, Text: d.Text, Period: e.Period, Organ: e.Organ}
	case *VisionRevised:
		v.Text = d.Text
	}
	v.Version = e.Seq
	return v
}

type Goal struct {
	ID            string
	Title         string
	Description   string
	Level         string
	Owner         string
	GoalArea      string
	Period        string   // the mandate period it now belongs to
	Periods       []string // every period it has belonged to, in order
	ContributesTo []Link
	SDGs          []SDGLink
	Retired       bool
	Version       uint64
}

func (g Goal) Evolve(e Event) Goal {
	switch d := e.Data.(type) {
	case *GoalAdopted:
		g = Goal{ID: e.Aggregate.ID, Title: d.Title, Description: d.Description, Level: d.Level, Owner: d.Owner,
			GoalArea: d.GoalArea, Period: e.Period, Periods: []string{e.Period},
			ContributesTo: d.ContributesTo, SDGs: d.SDGs}
	case *GoalRevised:
		set(&g.Title, d.Title)
		set(&g.Description, d.Description)
		set(&g.Level, d.Level)
		set(&g.Owner, d.Owner)
		set(&g.GoalArea, d.GoalArea)
	case *GoalRelinked:
		g.ContributesTo = d.ContributesTo
		if d.SDGs != nil {
			g.SDGs = d.SDGs
		}
	case *GoalCarriedForward:
		g.Period = d.ToPeriod
		g.Periods = append(g.Periods[:len(g.Periods):len(g.Periods)], d.ToPeriod)
	case *GoalRetired:
		g.Retired = true
	}
	g.Version = e.Seq
	return g
}

type Target struct {
	Year       int
	TermEnd    bool
	Value      float64
	Comparison string
	Effective  Date
}

// Value is one reported value of an indicator, kept in State.Values rather than in the Indicator:
// an indicator gathers values for years, and copying them all with every report would make recording
// a value cost more the more values there are.
//
// Value is one reported value of an indicator. A corrected value stays, marked as corrected by the
// value that replaced it.
type Value struct {
	ID          string
	Year        int
	Point       string
	Value       *float64
	Corrects    string
	CorrectedBy string
	Seq         uint64
}

type Indicator struct {
	ID        string
	Goal      string
	Organ     string // the organ that defined it: what it belongs to when it serves no goal
	Name      string
	Measure   string
	Direction string
	Gendered  bool
	Period    string
	Targets   []Target // every target set, in order; a later one for the same year replaces an earlier
	Breaks    []int    // years from which a new method applies
	Retired   bool
	Version   uint64
}

func (in Indicator) Evolve(e Event) Indicator {
	switch d := e.Data.(type) {
	case *IndicatorDefined:
		in = Indicator{ID: e.Aggregate.ID, Goal: d.Goal, Organ: e.Organ, Name: d.Name, Measure: d.Measure, Direction: d.Direction,
			Gendered: d.GenderDivided, Period: e.Period}
	case *TargetSet:
		in.Targets = append(in.Targets[:len(in.Targets):len(in.Targets)],
			Target{Year: d.Year, TermEnd: d.TermEnd, Value: d.Value, Comparison: d.Comparison, Effective: e.Effective})
	case *MethodChanged:
		in.Breaks = append(in.Breaks[:len(in.Breaks):len(in.Breaks)], d.FromYear)
	case *IndicatorRetired:
		in.Retired = true
	}
	in.Version = e.Seq
	return in
}

// TargetFor returns the target in force for year: the latest one set for that year, else the latest
// one set for the end of the term.
func (in Indicator) TargetFor(year int) (Target, bool) {
	var found, termEnd *Target
	for i := range in.Targets {
		t := &in.Targets[i]
		if t.TermEnd {
			termEnd = t
		} else if t.Year == year {
			found = t
		}
	}
	if found != nil {
		return *found, true
	} else if termEnd != nil {
		return *termEnd, true
	}
	return Target{}, false
}

type Commitment struct {
	ID          string
	Text        string
	Responsible string
	Goal        string
	Measure     Measure
	Year        int
	Due         Date
	Period      string
	Status      string // active, completed, cancelled
	Version     uint64
}

func (c Commitment) Evolve(e Event) Commitment {
	switch d := e.Data.(type) {
	case *CommitmentMade:
		c = Commitment{ID: e.Aggregate.ID, Text: d.Text, Responsible: d.Responsible, Goal: d.Goal,
			Measure: d.Measure, Year: d.Year, Due: d.Due, Period: e.Period, Status: "active"}
	case *CommitmentRevised:
		set(&c.Text, d.Text)
		set(&c.Responsible, d.Responsible)
		set(&c.Measure, d.Measure)
		set(&c.Due, d.Due)
	case *CommitmentCompleted:
		c.Status = "completed"
	case *CommitmentCancelled:
		c.Status = "cancelled"
	}
	c.Version = e.Seq
	return c
}

type FollowUp struct {
	ID      string
	Point   string
	Year    int
	Period  string
	Version uint64
}

func (f FollowUp) Evolve(e Event) FollowUp {
	if d, ok := e.Data.(*FollowUpAdopted); ok {
		f = FollowUp{ID: e.Aggregate.ID, Point: d.Point, Year: d.Year, Period: e.Period}
	}
	f.Version = e.Seq
	return f
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// State is everything the command side knows of one tenant: the current state of every aggregate.
// Apply is the only way it changes.
type State struct {
	Organs      map[string]Organ
	Periods     map[string]Period
	Visions     map[string]Vision
	Goals       map[string]Goal
	Indicators  map[string]Indicator
	Commitments map[string]Commitment
	FollowUps   map[string]FollowUp
	Values      map[string]map[string]Value // indicator id → value id → value
}

func NewState() *State {
	return &State{Organs: map[string]Organ{}, Periods: map[string]Period{}, Visions: map[string]Vision{},
		Goals: map[string]Goal{}, Indicators: map[string]Indicator{}, Commitments: map[string]Commitment{},
		FollowUps: map[string]FollowUp{}, Values: map[string]map[string]Value{}}
}

// Version returns the version of an aggregate: 0 when it does not exist.
func (s *State) Version(r Ref) uint64 {
	id := r.ID
	switch r.Kind {
	case KindOrgan:
		return s.Organs[id].Version
	case KindPeriod:
		return s.Periods[id].Version
	case KindVision:
		return s.Visions[id].Version
	case KindGoal:
		return s.Goals[id].Version
	case KindIndicator:
		return s.Indicators[id].Version
	case KindCommitment:
		return s.Commitments[id].Version
	case KindFollowUp:
		return s.FollowUps[id].Version
	}
	return 0
}

// Apply evolves the aggregate e belongs to. An event at or below the aggregate's version has been
// applied already and is ignored, so replaying a stretch of the log twice is harmless.
func (s *State) Apply(e Event) {
	if e.Seq != 0 && e.Seq <= s.Version(e.Aggregate) {
		return
	}
	id := e.Aggregate.ID
	switch e.Aggregate.Kind {
	case KindOrgan:
		s.Organs[id] = s.Organs[id].Evolve(e)
	case KindPeriod:
		s.Periods[id] = s.Periods[id].Evolve(e)
	case KindVision:
		s.Visions[id] = s.Visions[id].Evolve(e)
	case KindGoal:
		s.Goals[id] = s.Goals[id].Evolve(e)
	case KindIndicator:
		s.Indicators[id] = s.Indicators[id].Evolve(e)
		s.applyValue(e)
	case KindCommitment:
		s.Commitments[id] = s.Commitments[id].Evolve(e)
	case KindFollowUp:
		s.FollowUps[id] = s.FollowUps[id].Evolve(e)
	}
}

func (s *State) applyValue(e Event) {
	values := s.Values[e.Aggregate.ID]
	if values == nil {
		values = map[string]Value{}
		s.Values[e.Aggregate.ID] = values
	}
	switch d := e.Data.(type) {
	case *ValueReported:
		values[d.ValueID] = Value{ID: d.ValueID, Year: d.Year, Point: d.Point, Value: d.Value, Seq: e.Seq}
	case *ValueCorrected:
		old := values[d.Corrects]
		old.CorrectedBy = d.ValueID
		values[d.Corrects] = old
		values[d.ValueID] = Value{ID: d.ValueID, Year: d.Year, Point: d.Point, Value: d.Value, Corrects: d.Corrects, Seq: e.Seq}
	}
}

// Value returns one value of an indicator.
func (s *State) Value(indicator, id string) (Value, bool) {
	v, ok := s.Values[indicator][id]
	return v, ok
}

// LatestValue returns the latest uncorrected value reported for year up to a follow-up point, one
// of Points: the annual one before T2 before T1, of those up to the point, and of those the last
// recorded. A T1 assessment is of the first tertial, whatever was reported for later ones since.
func (s *State) LatestValue(indicator string, year int, point string) (Value, bool) {
	var best Value
	var ok bool
	for _, v := range s.Values[indicator] {
		if v.Year != year || v.CorrectedBy != "" || v.Value == nil || ComparePoints(year, v.Point, year, point) > 0 {
			continue
		}
		if !ok || cmp.Or(ComparePoints(year, v.Point, year, best.Point), cmp.Compare(v.Seq, best.Seq)) > 0 {
			best, ok = v, true
		}
	}
	return best, ok
}
