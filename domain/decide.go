package domain

import (
	"fmt"
	"slices"
	"sort"
	"time"
)

// Env is what a decision needs from outside the ledger: who records it, when, and fresh ids.
type Env struct {
	Tenant string
	Actor  string
	Now    time.Time
	NewID  func() string
}

// Decide applies the ledger's rules to a command against the tenant's current state and answers with
// the events it produces, in order. It is pure: it reads s and env and changes neither. The command
// must have passed Validate. Errors are ERULE (a rule refuses it, naming the field and the rule),
// ENOTFOUND (the aggregate the path names does not exist) and ECONFLICT (creating what exists).
func Decide(s *State, cmd Command, env Env) ([]Event, error) {
	d := decider{s: s, env: env}
	switch c := cmd.(type) {
	case *RegisterOrgan:
		return d.registerOrgan(c)
	case *RenameOrgan:
		return d.renameOrgan(c)
	case *DissolveOrgan:
		return d.dissolveOrgan(c)
	case *OpenPeriod:
		return d.openPeriod(c)
	case *ClosePeriod:
		return d.closePeriod(c)
	case *AdoptVision:
		return d.adoptVision(c)
	case *ReviseVision:
		return d.reviseVision(c)
	case *AdoptGoal:
		return d.adoptGoal(c)
	case *ReviseGoal:
		return d.reviseGoal(c)
	case *RelinkGoal:
		return d.relinkGoal(c)
	case *CarryForwardGoal:
		return d.carryForwardGoal(c)
	case *RetireGoal:
		return d.retireGoal(c)
	case *AssessGoal:
		return d.assessGoal(c)
	case *DefineIndicator:
		return d.defineIndicator(c)
	case *SetTarget:
		return d.setTarget(c)
	case *ReportValue:
		return d.reportValue(c)
	case *CorrectValue:
		return d.correctValue(c)
	case *ChangeMethod:
		return d.changeMethod(c)
	case *RetireIndicator:
		return d.retireIndicator(c)
	case *MakeCommitment:
		return d.makeCommitment(c)
	case *ReviseCommitment:
		return d.reviseCommitment(c)
	case *ReportProgress:
		return d.reportProgress(c)
	case *CompleteCommitment:
		return d.completeCommitment(c)
	case *CancelCommitment:
		return d.cancelCommitment(c)
	case *AdoptFollowUp:
		return d.adoptFollowUp(c)
	}
	return nil, Errorf(EINTERNAL, "no rules for command %T", cmd)
}

type decider struct {
	s   *State
	env Env
}

// meta is what the events of one decision share.
type meta struct {
	organ     string
	period    string
	effective Date
}

func (d *decider) event(ref Ref, m meta, data Payload) Event {
	return Event{ID: d.env.NewID(), Type: data.EventType(), Tenant: d.env.Tenant, Aggregate: ref,
		Organ: m.organ, Period: m.period, Effective: m.effective, Actor: d.env.Actor, Time: d.env.Now, Data: data}
}

func (d *decider) today() Date { return DateOf(d.env.Now) }

// newID returns the id the client chose, or a fresh one; creating what already exists is a conflict.
func (d *decider) newID(kind Kind, field, id string) (string, error) {
	if id == "" {
		return d.env.NewID(), nil
	}
	if d.s.Version(Ref{kind, id}) != 0 {
		return "", &Error{Code: ECONFLICT, Field: field, Rule: "unique", Message: fmt.Sprintf("%s %s already exists.", kind, id)}
	}
	return id, nil
}

// activeOrgan checks that an organ exists on day (today when day is empty): registered by then
// and not dissolved before it. A dissolved organ cannot decide, be reported for, or own anything
// from the day its dissolution takes effect.
func (d *decider) activeOrgan(field, id string, day Date) (Organ, error) {
	o, ok := d.s.Organs[id]
	if !ok {
		return o, Violation(field, "exists", "Organ %s is not registered.", id)
	}
	if day == "" {
		day = d.today()
	}
	if o.ActiveOn(day) {
		return o, nil
	}
	if o.Dissolved && day >= o.DissolvedOn {
		msg := fmt.Sprintf("Organ %s has been dissolved as of %s", id, o.DissolvedOn)
		if o.Successor != "" {
			msg += "; its successor is " + o.Successor
		}
		return o, Violation(field, "organ_active", "%s.", msg)
	}
	return o, Violation(field, "organ_active", "Organ %s exists from %s, not on %s.", id, o.RegisteredOn, day)
}

// period checks that a mandate period has been opened and, unless late decisions are allowed, that
// it has not been closed. late reports a decision recorded in a closed period.
func (d *decider) period(field, id string, lateAllowed bool) (p Period, late bool, err error) {
	p, ok := d.s.Periods[id]
	if !ok {
		return p, false, Violation(field, "open_period", "Mandate period %s has not been opened.", id)
	}
	if p.Closed && !lateAllowed {
		return p, false, Violation(field, "open_period", "Mandate period %s is closed.", id)
	}
	return p, p.Closed, nil
}

// decided checks what every decision needs: an active deciding organ and an open mandate period.
func (d *decider) decided(c Decided, lateAllowed bool) (meta, Period, bool, error) {
	if _, err := d.activeOrgan("decision.organ", c.Decision.Organ, c.Decision.MeetingDate); err != nil {
		return meta{}, Period{}, false, err
	}
	p, late, err := d.period("period", c.Period, lateAllowed)
	if err != nil {
		return meta{}, p, false, err
	}
	eff := c.Effective
	if eff == "" {
		eff = c.Decision.MeetingDate
	}
	return meta{organ: c.Decision.Organ, period: c.Period, effective: eff}, p, late, nil
}

func (d *decider) optionalDecision(ref *DecisionRef, eff Date) (meta, error) {
	m := meta{effective: eff}
	if ref != nil {
		if _, err := d.activeOrgan("decision.organ", ref.Organ, ref.MeetingDate); err != nil {
			return m, err
		}
		m.organ = ref.Organ
		if m.effective == "" {
			m.effective = ref.MeetingDate
		}
	}
	if m.effective == "" {
		m.effective = d.today()
	}
	return m, nil
}

func (d *decider) goal(id string) (Goal, error) {
	g, ok := d.s.Goals[id]
	if !ok {
		return g, NotFound("id", "Goal %s does not exist.", id)
	}
	return g, nil
}

func (d *decider) liveGoal(id string) (Goal, error) {
	g, err := d.goal(id)
	if err == nil && g.Retired {
		err = Violation("id", "not_retired", "Goal %s has been retired; a retired goal cannot be changed.", id)
	}
	return g, err
}

func (d *decider) indicator(id string) (Indicator, error) {
	in, ok := d.s.Indicators[id]
	if !ok {
		return in, NotFound("id", "Indicator %s does not exist.", id)
	}
	if in.Retired {
		return in, Violation("id", "not_retired", "Indicator %s has been retired.", id)
	}
	return in, nil
}

func (d *decider) activeCommitment(id string) (Commitment, error) {
	c, ok := d.s.Commitments[id]
	if !ok {
		return c, NotFound("id", "Commitment %s does not exist.", id)
	}
	if c.Status != "active" {
		return c, Violation("id", "active_commitment", "Commitment %s is %s and can no longer change.", id, c.Status)
	}
	return c, nil
}

// links checks that every goal a goal contributes to exists, is in force, belongs to the same
// mandate period, and does not (through its own links) contribute back to the goal.
func (d *decider) links(field, self, period string, links []Link) error {
	for i, l := range links {
		f := fmt.Sprintf("%s[%d].goal", field, i)
		parent, ok := d.s.Goals[l.Goal]
		switch {
		case !ok:
			return Violation(f, "exists", "Goal %s does not exist.", l.Goal)
		case parent.Retired:
			return Violation(f, "not_retired", "Goal %s has been retired.", l.Goal)
		case parent.Period != period:
			return Violation(f, "same_period", "Goal %s belongs to mandate period %s, not %s.", l.Goal, parent.Period, period)
		case self != "" && d.reaches(l.Goal, self, map[string]bool{}):
			return Violation(f, "cycle", "Goal %s contributes to %s already; the links would form a cycle.", l.Goal, self)
		}
	}
	return nil
}

func (d *decider) reaches(from, to string, seen map[string]bool) bool {
	if from == to {
		return true
	}
	if seen[from] {
		return false
	}
	seen[from] = true
	for _, l := range d.s.Goals[from].ContributesTo {
		if d.reaches(l.Goal, to, seen) {
			return true
		}
	}
	return false
}

func withinPeriod(field string, year int, p Period) error {
	if !p.Contains(year) {
		return Violation(field, "within_period", "Year %d lies outside mandate period %s.", year, p.ID)
	}
	return nil
}

func defaultComparison(direction, given string) string {
	if given != "" {
		return given
	}
	switch direction {
	case "higher_is_better":
		return "at_least"
	case "lower_is_better":
		return "at_most"
	}
	return "exactly"
}

// Organs.

func (d *decider) registerOrgan(c *RegisterOrgan) ([]Event, error) {
	id, err := d.newID(KindOrgan, "id", c.ID)
	if err != nil {
		return nil, err
	}
	m, err := d.optionalDecision(c.Decision, c.Effective)
	if err != nil {
		return nil, err
	}
	if c.Parent != "" {
		if _, err := d.activeOrgan("parent", c.Parent, m.effective); err != nil {
			return nil, err
		}
	}
	if m.organ == "" {
		m.organ = id
	}
	return []Event{d.event(Ref{KindOrgan, id}, m, &OrganRegistered{Name: c.Name, Kind: c.Kind, Parent: c.Parent, Decision: c.Decision})}, nil
}

func (d *decider) renameOrgan(c *RenameOrgan) ([]Event, error) {
	o, ok := d.s.Organs[c.ID]
	if !ok {
		return nil, NotFound("id", "Organ %s is not registered.", c.ID)
	}
	if o.Name == c.Name {
		return nil, Violation("name", "no_change", "Organ %s is already named %q.", c.ID, c.Name)
	}
	m, err := d.optionalDecision(c.Decision, c.Effective)
	if err != nil {
		return nil, err
	}
	if _, err := d.activeOrgan("id", c.ID, m.effective); err != nil {
		return nil, err
	}
	if m.organ == "" {
		m.organ = c.ID
	}
	return []Event{d.event(Ref{KindOrgan, c.ID}, m, &OrganRenamed{Name: c.Name, Previous: o.Name, Decision: c.Decision})}, nil
}

func (d *decider) dissolveOrgan(c *DissolveOrgan) ([]Event, error) {
	if _, ok := d.s.Organs[c.ID]; !ok {
		return nil, NotFound("id", "Organ %s is not registered.", c.ID)
	}
	m, err := d.optionalDecision(&c.Decision, c.Effective)
	if err != nil {
		return nil, err
	}
	if o := d.s.Organs[c.ID]; o.Dissolved {
		return nil, Violation("id", "organ_active", "Organ %s has been dissolved already, as of %s.", c.ID, o.DissolvedOn)
	}
	if _, err := d.activeOrgan("id", c.ID, m.effective); err != nil {
		return nil, err
	}
	if c.Successor != "" {
		if _, err := d.activeOrgan("successor", c.Successor, m.effective); err != nil {
			return nil, err
		}
	}
	return []Event{d.event(Ref{KindOrgan, c.ID}, m, &OrganDissolved{Successor: c.Successor, Reason: c.Reason, Decision: &c.Decision})}, nil
}

// Mandate periods.

func (d *decider) openPeriod(c *OpenPeriod) ([]Event, error) {
	if _, err := d.newID(KindPeriod, "id", c.ID); err != nil {
		return nil, err
	}
	first, last, _ := ParsePeriod(c.ID)
	for _, p := range d.s.Periods {
		if first <= p.LastYear && last >= p.FirstYear {
			return nil, Violation("id", "overlap", "Mandate period %s overlaps %s.", c.ID, p.ID)
		}
	}
	eff := c.Effective
	if eff == "" {
		eff = Date(fmt.Sprintf("%04d-01-01", first))
	}
	m, err := d.optionalDecision(c.Decision, eff)
	if err != nil {
		return nil, err
	}
	m.period = c.ID
	return []Event{d.event(Ref{KindPeriod, c.ID}, m, &PeriodOpened{FirstYear: first, LastYear: last, Decision: c.Decision})}, nil
}

func (d *decider) closePeriod(c *ClosePeriod) ([]Event, error) {
	p, ok := d.s.Periods[c.ID]
	if !ok {
		return nil, NotFound("id", "Mandate period %s has not been opened.", c.ID)
	}
	if p.Closed {
		return nil, Violation("id", "open_period", "Mandate period %s is already closed.", c.ID)
	}
	m, err := d.optionalDecision(&c.Decision, c.Effective)
	if err != nil {
		return nil, err
	}
	m.period = c.ID
	return []Event{d.event(Ref{KindPeriod, c.ID}, m, &PeriodClosed{Decision: c.Decision})}, nil
}

// Visions.

func (d *decider) adoptVision(c *AdoptVision) ([]Event, error) {
	id, err := d.newID(KindVision, "id", c.ID)
	if err != nil {
		return nil, err
	}
	m, _, _, err := d.decided(c.Decided, false)
	if err != nil {
		return nil, err
	}
	return []Event{d.event(Ref{KindVision, id}, m, &VisionAdopted{Text: c.Text, Horizon: c.Horizon, Decision: c.Decision})}, nil
}

func (d *decider) reviseVision(c *ReviseVision) ([]Event, error) {
	v, ok := d.s.Visions[c.ID]
	if !ok {
		return nil, NotFound("id", "Vision %s does not exist.", c.ID)
	}
	if v.Text == c.Text {
		return nil, Violation("text", "no_change", "The vision already reads so.")
	}
	m, _, _, err := d.decided(c.Decided, false)
	if err != nil {
		return nil, err
	}
	return []Event{d.event(Ref{KindVision, c.ID}, m, &VisionRevised{Text: c.Text, Reason: c.Reason, Decision: c.Decision})}, nil
}

// Goals.

// councilGoal checks that a strategic or result goal, a council goal, is decided by the council.
func (d *decider) councilGoal(field, level, organ string) error {
	if slices.Contains(councilLevel, level) && d.s.Organs[organ].Kind != "council" {
		return Violation(field, "council_goal", "A %s goal is a council goal; organ %s is not the council.", level, organ)
	}
	return nil
}

func (d *decider) adoptGoal(c *AdoptGoal) ([]Event, error) {
	id, err := d.newID(KindGoal, "id", c.ID)
	if err != nil {
		return nil, err
	}
	m, p, _, err := d.decided(c.Decided, false)
	if err != nil {
		return nil, err
	}
	if _, err := d.activeOrgan("owner", c.Owner, m.effective); err != nil {
		return nil, err
	}
	if err := d.councilGoal("level", c.Level, c.Decision.Organ); err != nil {
		return nil, err
	}
	if err := d.links("contributes_to", "", c.Period, c.ContributesTo); err != nil {
		return nil, err
	}
	evs := []Event{d.event(Ref{KindGoal, id}, m, &GoalAdopted{Title: c.Title, Description: c.Description, Level: c.Level,
		Owner: c.Owner, GoalArea: c.GoalArea, ContributesTo: c.ContributesTo, SDGs: c.SDGs, Decision: c.Decision})}
	for i, spec := range c.Indicators {
		field := fmt.Sprintf("indicators[%d].", i)
		iid, err := d.newID(KindIndicator, field+"id", spec.ID)
		if err != nil {
			return nil, err
		}
		ref := Ref{KindIndicator, iid}
		evs = append(evs, d.event(ref, m, &IndicatorDefined{Name: spec.Name, Description: spec.Description, Goal: id,
			Unit: spec.Unit, Measure: spec.Measure, Direction: spec.Direction, Source: spec.Source,
			Baseline: spec.Baseline, GenderDivided: spec.GenderDivided, Decision: &c.Decision}))
		for j, t := range spec.Targets {
			if !t.TermEnd {
				if err := withinPeriod(fmt.Sprintf("%stargets[%d].year", field, j), t.Year, p); err != nil {
					return nil, err
				}
			}
			evs = append(evs, d.event(ref, m, &TargetSet{Year: t.Year, TermEnd: t.TermEnd, Value: *t.Value,
				Comparison: defaultComparison(spec.Direction, t.Comparison), Decision: c.Decision}))
		}
	}
	return evs, nil
}

func (d *decider) reviseGoal(c *ReviseGoal) ([]Event, error) {
	g, err := d.liveGoal(c.ID)
	if err != nil {
		return nil, err
	}
	m, _, _, err := d.decided(c.Decided, false)
	if err != nil {
		return nil, err
	}
	ev := &GoalRevised{Reason: c.Reason, Decision: c.Decision}
	ev.Title = changed(g.Title, c.Title)
	ev.Description = changed(g.Description, c.Description)
	ev.Level = changed(g.Level, c.Level)
	ev.Owner = changed(g.Owner, c.Owner)
	ev.GoalArea = changed(g.GoalArea, c.GoalArea)
	if ev.Title == nil && ev.Description == nil && ev.Level == nil && ev.Owner == nil && ev.GoalArea == nil {
		return nil, Violation("title", "no_change", "The revision changes nothing: goal %s already reads so.", c.ID)
	}
	if ev.Owner != nil {
		if _, err := d.activeOrgan("owner", *ev.Owner, m.effective); err != nil {
			return nil, err
		}
	}
	level := g.Level
	set(&level, ev.Level)
	if err := d.councilGoal("level", level, c.Decision.Organ); err != nil {
		return nil, err
	}
	return []Event{d.event(Ref{KindGoal, c.ID}, m, ev)}, nil
}

// changed returns the new value when it differs from the old one, and nil when nothing changes.
func changed[T comparable](old T, v *T) *T {
	if v == nil || *v == old {
		return nil
	}
	return v
}

func (d *decider) relinkGoal(c *RelinkGoal) ([]Event, error) {
	g, err := d.liveGoal(c.ID)
	if err != nil {
		return nil, err
	}
	m, _, _, err := d.decided(c.Decided, false)
	if err != nil {
		return nil, err
	}
	if err := d.links("contributes_to", c.ID, g.Period, c.ContributesTo); err != nil {
		return nil, err
	}
	links := c.ContributesTo
	if links == nil {
		links = []Link{}
	}
	return []Event{d.event(Ref{KindGoal, c.ID}, m, &GoalRelinked{ContributesTo: links, SDGs: c.SDGs, Reason: c.Reason, Decision: c.Decision})}, nil
}

func (d *decider) carryForwardGoal(c *CarryForwardGoal) ([]Event, error) {
	g, err := d.liveGoal(c.ID)
	if err != nil {
		return nil, err
	}
	m, to, _, err := d.decided(c.Decided, false)
	if err != nil {
		return nil, err
	}
	if from := d.s.Periods[g.Period]; to.FirstYear <= from.FirstYear {
		return nil, Violation("period", "later_period", "Goal %s belongs to %s; it can only be carried forward into a later mandate period.", c.ID, g.Period)
	}
	return []Event{d.event(Ref{KindGoal, c.ID}, m, &GoalCarriedForward{FromPeriod: g.Period, ToPeriod: c.Period, Decision: c.Decision})}, nil
}

func (d *decider) retireGoal(c *RetireGoal) ([]Event, error) {
	if _, err := d.liveGoal(c.ID); err != nil {
		return nil, err
	}
	m, _, _, err := d.decided(c.Decided, false)
	if err != nil {
		return nil, err
	}
	return []Event{d.event(Ref{KindGoal, c.ID}, m, &GoalRetired{Reason: c.Reason, Decision: c.Decision})}, nil
}

func (d *decider) assessGoal(c *AssessGoal) ([]Event, error) {
	g, err := d.liveGoal(c.ID)
	if err != nil {
		return nil, err
	}
	m, _, late, err := d.decided(c.Decided, true)
	if err != nil {
		return nil, err
	}
	if err := withinPeriod("year", c.Year, d.s.Periods[g.Period]); err != nil {
		return nil, err
	}
	suggested, basis := d.suggest(g.ID, c.Year, c.Point)
	return []Event{d.event(Ref{KindGoal, c.ID}, m, &GoalAssessed{Point: c.Point, Year: c.Year, Attainment: c.Attainment,
		Suggested: suggested, Basis: basis, Motivation: c.Motivation, Late: late, Decision: c.Decision})}, nil
}

// suggest computes what the goal's indicators say of its attainment in year: achieved when every
// indicator with a value and a target meets it, not achieved when none does, partly in between,
// and not assessable when no indicator has both.
func (d *decider) suggest(goal string, year int, point string) (string, []AssessmentBasis) {
	var basis []AssessmentBasis
	met, measured := 0, 0
	for _, in := range d.s.Indicators {
		if in.Goal != goal || in.Retired {
			continue
		}
		b := AssessmentBasis{Indicator: in.ID}
		v, hasValue := d.s.LatestValue(in.ID, year, point)
		t, hasTarget := in.TargetFor(year)
		if hasValue {
			b.Value = v.Value
		}
		if hasTarget {
			tv := t.Value
			b.Target = &tv
		}
		if hasValue && hasTarget {
			ok := Meets(*v.Value, t.Value, t.Comparison)
			b.Met = &ok
			measured++
			if ok {
				met++
			}
		}
		basis = append(basis, b)
	}
	sort.Slice(basis, func(i, j int) bool { return basis[i].Indicator < basis[j].Indicator })
	switch {
	case measured == 0:
		return "not_assessable", basis
	case met == measured:
		return "achieved", basis
	case met == 0:
		return "not_achieved", basis
	}
	return "partly_achieved", basis
}

// Meets reports whether value meets target under comparison.
func Meets(value, target float64, comparison string) bool {
	switch comparison {
	case "at_least":
		return value >= target
	case "at_most":
		return value <= target
	}
	return value == target
}

// Indicators.

func (d *decider) defineIndicator(c *DefineIndicator) ([]Event, error) {
	id, err := d.newID(KindIndicator, "id", c.ID)
	if err != nil {
		return nil, err
	}
	m, _, _, err := d.decided(c.Decided, false)
	if err != nil {
		return nil, err
	}
	if c.Goal != "" {
		g, ok := d.s.Goals[c.Goal]
		if !ok {
			return nil, Violation("goal", "exists", "Goal %s does not exist.", c.Goal)
		} else if g.Retired {
			return nil, Violation("goal", "not_retired", "Goal %s has been retired.", c.Goal)
		}
	}
	return []Event{d.event(Ref{KindIndicator, id}, m, &IndicatorDefined{Name: c.Name, Description: c.Description, Goal: c.Goal,
		Unit: c.Unit, Measure: c.Measure, Direction: c.Direction, Source: c.Source, Baseline: c.Baseline,
		GenderDivided: c.GenderDivided, Decision: &c.Decision})}, nil
}

func (d *decider) setTarget(c *SetTarget) ([]Event, error) {
	in, err := d.indicator(c.ID)
	if err != nil {
		return nil, err
	}
	m, _, _, err := d.decided(c.Decided, false)
	if err != nil {
		return nil, err
	}
	if !c.TermEnd {
		if err := withinPeriod("year", c.Year, d.s.Periods[in.Period]); err != nil {
			return nil, err
		}
	}
	return []Event{d.event(Ref{KindIndicator, c.ID}, m, &TargetSet{Year: c.Year, TermEnd: c.TermEnd, Value: *c.Value,
		Comparison: defaultComparison(in.Direction, c.Comparison), Decision: c.Decision})}, nil
}

// reported checks what a report needs: an active reporting organ and the indicator's (or
// commitment's) mandate period, which may be closed: a late report is recorded, and flagged.
func (d *decider) reported(organ, period string, eff Date) (meta, Period, bool, error) {
	if eff == "" {
		eff = d.today()
	}
	if _, err := d.activeOrgan("organ", organ, eff); err != nil {
		return meta{}, Period{}, false, err
	}
	p, late, err := d.period("period", period, true)
	return meta{organ: organ, period: period, effective: eff}, p, late, err
}

func (d *decider) checkValue(in Indicator, value *float64, text string, b *Breakdown) error {
	if in.Measure == "qualitative" {
		if text == "" {
			return Violation("text", "value_kind", "Indicator %s is qualitative: report a text.", in.ID)
		}
	} else if value == nil {
		return Violation("value", "value_kind", "Indicator %s is measured as a %s: report a value.", in.ID, in.Measure)
	}
	if b != nil && !in.Gendered {
		return Violation("breakdown", "gender_divided", "Indicator %s is not divided by gender.", in.ID)
	}
	return nil
}

func (d *decider) reportValue(c *ReportValue) ([]Event, error) {
	in, err := d.indicator(c.ID)
	if err != nil {
		return nil, err
	}
	m, p, late, err := d.reported(c.Organ, in.Period, c.Effective)
	if err != nil {
		return nil, err
	}
	if err := withinPeriod("year", c.Year, p); err != nil {
		return nil, err
	}
	if err := d.checkValue(in, c.Value, c.Text, c.Breakdown); err != nil {
		return nil, err
	}
	vid := c.ValueID
	if vid == "" {
		vid = d.env.NewID()
	} else if _, ok := d.s.Value(in.ID, vid); ok {
		return nil, &Error{Code: ECONFLICT, Field: "value_id", Rule: "unique", Message: fmt.Sprintf("Value %s has already been reported.", vid)}
	}
	return []Event{d.event(Ref{KindIndicator, c.ID}, m, &ValueReported{ValueID: vid, Year: c.Year, Point: or(c.Point, "annual"),
		Value: c.Value, Text: c.Text, Breakdown: c.Breakdown, Status: or(c.Status, "final"), Source: c.Source, Late: late})}, nil
}

func (d *decider) correctValue(c *CorrectValue) ([]Event, error) {
	in, err := d.indicator(c.ID)
	if err != nil {
		return nil, err
	}
	old, ok := d.s.Value(in.ID, c.Corrects)
	if !ok {
		return nil, NotFound("value_id", "Indicator %s has no value %s to correct.", c.ID, c.Corrects)
	}
	if old.CorrectedBy != "" {
		return nil, Violation("value_id", "latest_value", "Value %s has already been corrected by %s; correct that one.", c.Corrects, old.CorrectedBy)
	}
	m, _, late, err := d.reported(c.Organ, in.Period, c.Effective)
	if err != nil {
		return nil, err
	}
	if err := d.checkValue(in, c.Value, c.Text, c.Breakdown); err != nil {
		return nil, err
	}
	vid := c.ValueID
	if vid == "" {
		vid = d.env.NewID()
	} else if _, ok := d.s.Value(in.ID, vid); ok {
		return nil, &Error{Code: ECONFLICT, Field: "new_value_id", Rule: "unique", Message: fmt.Sprintf("Value %s already exists.", vid)}
	}
	return []Event{d.event(Ref{KindIndicator, c.ID}, m, &ValueCorrected{ValueID: vid, Corrects: c.Corrects, Year: old.Year,
		Point: old.Point, Value: c.Value, Text: c.Text, Breakdown: c.Breakdown, Status: or(c.Status, "final"),
		Reason: c.Reason, Source: c.Source, Late: late})}, nil
}

func (d *decider) changeMethod(c *ChangeMethod) ([]Event, error) {
	in, err := d.indicator(c.ID)
	if err != nil {
		return nil, err
	}
	m, _, _, err := d.decided(c.Decided, false)
	if err != nil {
		return nil, err
	}
	if err := withinPeriod("from_year", c.FromYear, d.s.Periods[in.Period]); err != nil {
		return nil, err
	}
	return []Event{d.event(Ref{KindIndicator, c.ID}, m, &MethodChanged{Description: c.Description, FromYear: c.FromYear,
		Unit: c.Unit, Source: c.Source, Decision: &c.Decision})}, nil
}

func (d *decider) retireIndicator(c *RetireIndicator) ([]Event, error) {
	if _, err := d.indicator(c.ID); err != nil {
		return nil, err
	}
	m, _, _, err := d.decided(c.Decided, false)
	if err != nil {
		return nil, err
	}
	return []Event{d.event(Ref{KindIndicator, c.ID}, m, &IndicatorRetired{Reason: c.Reason, Decision: c.Decision})}, nil
}

// Commitments.

func (d *decider) makeCommitment(c *MakeCommitment) ([]Event, error) {
	id, err := d.newID(KindCommitment, "id", c.ID)
	if err != nil {
		return nil, err
	}
	m, p, _, err := d.decided(c.Decided, false)
	if err != nil {
		return nil, err
	}
	if _, err := d.activeOrgan("responsible", c.Responsible, m.effective); err != nil {
		return nil, err
	}
	if c.Goal != "" {
		g, ok := d.s.Goals[c.Goal]
		if !ok {
			return nil, Violation("goal", "exists", "Goal %s does not exist.", c.Goal)
		} else if g.Retired {
			return nil, Violation("goal", "not_retired", "Goal %s has been retired.", c.Goal)
		}
	}
	if err := withinPeriod("year", c.Year, p); err != nil {
		return nil, err
	}
	return []Event{d.event(Ref{KindCommitment, id}, m, &CommitmentMade{Text: c.Text, Responsible: c.Responsible, Goal: c.Goal,
		Measure: *c.Measure, Year: c.Year, Due: c.Due, Decision: c.Decision})}, nil
}

func (d *decider) reviseCommitment(c *ReviseCommitment) ([]Event, error) {
	cm, err := d.activeCommitment(c.ID)
	if err != nil {
		return nil, err
	}
	m, _, _, err := d.decided(c.Decided, false)
	if err != nil {
		return nil, err
	}
	ev := &CommitmentRevised{Reason: c.Reason, Decision: c.Decision}
	ev.Text = changed(cm.Text, c.Text)
	ev.Responsible = changed(cm.Responsible, c.Responsible)
	ev.Due = changed(cm.Due, c.Due)
	if c.Measure != nil && !sameMeasure(cm.Measure, *c.Measure) {
		ev.Measure = c.Measure
	}
	if ev.Text == nil && ev.Responsible == nil && ev.Due == nil && ev.Measure == nil {
		return nil, Violation("text", "no_change", "The revision changes nothing: commitment %s already reads so.", c.ID)
	}
	if ev.Responsible != nil {
		if _, err := d.activeOrgan("responsible", *ev.Responsible, m.effective); err != nil {
			return nil, err
		}
	}
	if ev.Due != nil && ev.Due.Year() != cm.Year {
		return nil, Violation("due", "takt.time_bound", "A commitment's due date %s must lie inside its year %d.", *ev.Due, cm.Year)
	}
	return []Event{d.event(Ref{KindCommitment, c.ID}, m, ev)}, nil
}

func sameMeasure(a, b Measure) bool {
	eq := func(x, y *float64) bool { return (x == nil && y == nil) || (x != nil && y != nil && *x == *y) }
	return a.Description == b.Description && a.Unit == b.Unit && eq(a.Baseline, b.Baseline) && eq(a.Target, b.Target)
}

func (d *decider) reportProgress(c *ReportProgress) ([]Event, error) {
	cm, err := d.activeCommitment(c.ID)
	if err != nil {
		return nil, err
	}
	m, _, _, err := d.reported(c.Organ, cm.Period, c.Effective)
	if err != nil {
		return nil, err
	}
	return []Event{d.event(Ref{KindCommitment, c.ID}, m, &ProgressReported{Value: c.Value, Status: c.Status, Comment: c.Comment, Source: c.Source})}, nil
}

func (d *decider) completeCommitment(c *CompleteCommitment) ([]Event, error) {
	if _, err := d.activeCommitment(c.ID); err != nil {
		return nil, err
	}
	m, _, _, err := d.decided(c.Decided, true)
	if err != nil {
		return nil, err
	}
	return []Event{d.event(Ref{KindCommitment, c.ID}, m, &CommitmentCompleted{Outcome: c.Outcome, Value: c.Value, Decision: c.Decision})}, nil
}

func (d *decider) cancelCommitment(c *CancelCommitment) ([]Event, error) {
	if _, err := d.activeCommitment(c.ID); err != nil {
		return nil, err
	}
	m, _, _, err := d.decided(c.Decided, false)
	if err != nil {
		return nil, err
	}
	return []Event{d.event(Ref{KindCommitment, c.ID}, m, &CommitmentCancelled{Reason: c.Reason, Decision: c.Decision})}, nil
}

// Follow-up.

func (d *decider) adoptFollowUp(c *AdoptFollowUp) ([]Event, error) {
	id, err := d.newID(KindFollowUp, "id", c.ID)
	if err != nil {
		return nil, err
	}
	// An annual report is often adopted after its mandate period has closed.
	m, p, _, err := d.decided(c.Decided, true)
	if err != nil {
		return nil, err
	}
	if err := withinPeriod("year", c.Year, p); err != nil {
		return nil, err
	}
	return []Event{d.event(Ref{KindFollowUp, id}, m, &FollowUpAdopted{Point: c.Point, Year: c.Year, Title: c.Title, AsOf: c.AsOf, Decision: c.Decision})}, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
