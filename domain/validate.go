package domain

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The enumerations of the catalogue.
var (
	OrganKinds   = []string{"council", "executive_board", "committee", "company_board", "administration", "unit"}
	GoalLevels   = []string{"strategic", "result", "process", "committee", "operational", "company"}
	Measures     = []string{"number", "percent", "currency", "ordinal", "qualitative"}
	Directions   = []string{"higher_is_better", "lower_is_better", "none"}
	Comparisons  = []string{"at_least", "at_most", "exactly"}
	Points       = []string{"T1", "T2", "annual"}
	Attainments  = []string{"achieved", "partly_achieved", "not_achieved", "not_assessable"}
	ValueStatus  = []string{"preliminary", "final"}
	Progress     = []string{"on_track", "at_risk", "off_track"}
	Strengths    = []string{"full", "partial"}
	SourceKinds  = []string{"kolada", "survey", "internal", "other"}
	councilLevel = []string{"strategic", "result"}
)

const (
	maxShort = 500   // names, titles, paragraphs
	maxLong  = 20000 // texts, motivations
)

var (
	idPattern     = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)
	periodPattern = regexp.MustCompile(`^([0-9]{4})-([0-9]{4})$`)
)

// ParsePeriod splits a mandate period id "2023-2026" into its first and last year. A mandate period
// is one to four calendar years.
func ParsePeriod(id string) (first, last int, ok bool) {
	m := periodPattern.FindStringSubmatch(id)
	if m == nil {
		return 0, 0, false
	}
	first, _ = strconv.Atoi(m[1])
	last, _ = strconv.Atoi(m[2])
	return first, last, first >= 1900 && last >= first && last-first <= 3
}

// PeriodFilter checks a read's filter by mandate period: none, or one in the form of a period. That
// the ledger knows it is the read's to say.
func PeriodFilter(p string) error {
	if p == "" {
		return nil
	}
	var c check
	c.period("period", p)
	return c.err
}

// check collects the first shape error of a command; later checks do nothing once one failed, so a
// Validate reads as a flat list of rules.
type check struct{ err error }

func (c *check) fail(field, rule, format string, args ...any) {
	if c.err == nil {
		c.err = Invalid(field, rule, format, args...)
	}
}

func (c *check) text(field, v string, required bool, max int) {
	if strings.TrimSpace(v) == "" {
		if required || v != "" {
			c.fail(field, "required", "%s must not be empty.", field)
		}
	} else if len(v) > max {
		c.fail(field, "max_length", "%s is longer than %d bytes.", field, max)
	}
}

func (c *check) id(field, v string, required bool) {
	if v == "" {
		if required {
			c.fail(field, "required", "%s must not be empty.", field)
		}
	} else if !idPattern.MatchString(v) {
		c.fail(field, "id", "%s must be 1-64 letters, digits, '-' or '_', starting with a letter or digit.", field)
	}
}

func (c *check) date(field string, d Date, required bool) {
	if d == "" {
		if required {
			c.fail(field, "required", "%s must not be empty.", field)
		}
	} else if !d.Valid() {
		c.fail(field, "date", "%s %q is not a date in the form YYYY-MM-DD.", field, string(d))
	}
}

func (c *check) oneOf(field, v string, required bool, allowed []string) {
	if v == "" {
		if required {
			c.fail(field, "required", "%s must not be empty.", field)
		}
	} else if !slices.Contains(allowed, v) {
		c.fail(field, "enum", "%s must be one of %s.", field, strings.Join(allowed, ", "))
	}
}

func (c *check) year(field string, y int, required bool) {
	if y == 0 {
		if required {
			c.fail(field, "required", "%s must be given.", field)
		}
	} else if y < 1900 || y > 2200 {
		c.fail(field, "year", "%s %d is not a plausible year.", field, y)
	}
}

func (c *check) period(field, p string) {
	if p == "" {
		c.fail(field, "required", "%s must not be empty.", field)
	} else if _, _, ok := ParsePeriod(p); !ok {
		c.fail(field, "period_format", "%s %q must be a mandate period of one to four years, like 2023-2026.", field, p)
	}
}

func (c *check) decision(field string, d DecisionRef) {
	c.id(field+".organ", d.Organ, true)
	c.date(field+".meeting_date", d.MeetingDate, true)
	c.text(field+".paragraph", d.Paragraph, true, maxShort)
	c.text(field+".case_number", d.CaseNumber, true, maxShort)
}

func (c *check) decided(d Decided) {
	c.period("period", d.Period)
	c.decision("decision", d.Decision)
	c.date("effective", d.Effective, false)
}

func (c *check) source(field string, s *Source) {
	if s == nil {
		return
	}
	c.oneOf(field+".kind", s.Kind, true, SourceKinds)
	if s.Kind == "kolada" {
		c.text(field+".kpi", s.KPI, true, 64)
	}
	c.text(field+".description", s.Description, false, maxShort)
}

func (c *check) links(field string, links []Link) {
	seen := map[string]bool{}
	for i, l := range links {
		f := fmt.Sprintf("%s[%d]", field, i)
		c.id(f+".goal", l.Goal, true)
		if seen[l.Goal] {
			c.fail(f+".goal", "unique", "%s links to goal %s twice.", field, l.Goal)
		}
		seen[l.Goal] = true
		if l.Weight != nil && (*l.Weight <= 0 || *l.Weight > 1) {
			c.fail(f+".weight", "range", "A link's weight must be greater than 0 and at most 1.")
		}
	}
}

func (c *check) sdgs(field string, links []SDGLink) {
	seen := map[int]bool{}
	for i, l := range links {
		f := fmt.Sprintf("%s[%d]", field, i)
		if l.SDG < 1 || l.SDG > 17 {
			c.fail(f+".sdg", "range", "An SDG is numbered 1 to 17.")
		}
		if seen[l.SDG] {
			c.fail(f+".sdg", "unique", "SDG %d is linked twice.", l.SDG)
		}
		seen[l.SDG] = true
		c.oneOf(f+".strength", l.Strength, true, Strengths)
	}
}

func (c *check) indicator(field string, s IndicatorSpec) {
	c.id(field+"id", s.ID, false)
	c.text(field+"name", s.Name, true, maxShort)
	c.text(field+"description", s.Description, false, maxLong)
	c.oneOf(field+"measure", s.Measure, true, Measures)
	if s.Measure != "qualitative" {
		c.text(field+"unit", s.Unit, true, 64)
	}
	c.oneOf(field+"direction", s.Direction, true, Directions)
	if s.Direction == "none" && s.Measure != "qualitative" && s.Measure != "" {
		c.fail(field+"direction", "direction", "Only a qualitative indicator has no direction.")
	}
	c.source(field+"source", s.Source)
	if s.Baseline != nil {
		c.year(field+"baseline.year", s.Baseline.Year, true)
	}
	for i, t := range s.Targets {
		c.target(fmt.Sprintf("%stargets[%d].", field, i), t.Year, t.TermEnd, t.Value, t.Comparison)
	}
}

func (c *check) target(field string, year int, termEnd bool, value *float64, comparison string) {
	if termEnd && year != 0 {
		c.fail(field+"year", "target_when", "A target is for a year or for the end of the term, not both.")
	} else if !termEnd {
		c.year(field+"year", year, true)
	}
	if value == nil {
		c.fail(field+"value", "required", "%svalue must be given.", field)
	}
	c.oneOf(field+"comparison", comparison, false, Comparisons)
}

func (c *check) measure(field string, m *Measure) {
	// A commitment that cannot be measured fails TAKT's "kvantifierbart".
	if m == nil {
		c.fail(field, "takt.quantifiable", "A commitment must be quantifiable: give a measure with a target.")
		return
	}
	if strings.TrimSpace(m.Description) == "" {
		c.fail(field+".description", "takt.quantifiable", "A commitment must be quantifiable: say what is measured.")
	}
	if m.Target == nil {
		c.fail(field+".target", "takt.quantifiable", "A commitment must be quantifiable: give a target value.")
	}
	c.text(field+".unit", m.Unit, false, 64)
}

func (c *RegisterOrgan) Validate() error {
	var k check
	k.id("id", c.ID, false)
	k.text("name", c.Name, true, maxShort)
	k.oneOf("kind", c.Kind, true, OrganKinds)
	k.id("parent", c.Parent, false)
	if c.Decision != nil {
		k.decision("decision", *c.Decision)
	}
	k.date("effective", c.Effective, false)
	return k.err
}

func (c *RenameOrgan) Validate() error {
	var k check
	k.id("id", c.ID, true)
	k.text("name", c.Name, true, maxShort)
	if c.Decision != nil {
		k.decision("decision", *c.Decision)
	}
	k.date("effective", c.Effective, false)
	return k.err
}

func (c *DissolveOrgan) Validate() error {
	var k check
	k.id("id", c.ID, true)
	k.id("successor", c.Successor, false)
	if c.Successor == c.ID && c.ID != "" {
		k.fail("successor", "successor", "An organ cannot succeed itself.")
	}
	k.text("reason", c.Reason, false, maxLong)
	k.decision("decision", c.Decision)
	k.date("effective", c.Effective, false)
	return k.err
}

func (c *OpenPeriod) Validate() error {
	var k check
	k.period("id", c.ID)
	if c.Decision != nil {
		k.decision("decision", *c.Decision)
	}
	k.date("effective", c.Effective, false)
	return k.err
}

func (c *ClosePeriod) Validate() error {
	var k check
	k.period("id", c.ID)
	k.decision("decision", c.Decision)
	k.date("effective", c.Effective, false)
	return k.err
}

func (c *AdoptVision) Validate() error {
	var k check
	k.id("id", c.ID, false)
	k.text("text", c.Text, true, maxLong)
	k.text("horizon", c.Horizon, false, 64)
	k.decided(c.Decided)
	return k.err
}

func (c *ReviseVision) Validate() error {
	var k check
	k.id("id", c.ID, true)
	k.text("text", c.Text, true, maxLong)
	k.text("reason", c.Reason, true, maxLong)
	k.decided(c.Decided)
	return k.err
}

func (c *AdoptGoal) Validate() error {
	var k check
	k.id("id", c.ID, false)
	k.text("title", c.Title, true, maxShort)
	k.text("description", c.Description, false, maxLong)
	k.oneOf("level", c.Level, true, GoalLevels)
	k.id("owner", c.Owner, true)
	k.text("goal_area", c.GoalArea, false, maxShort)
	k.links("contributes_to", c.ContributesTo)
	k.sdgs("sdgs", c.SDGs)
	ids := map[string]bool{}
	for i, s := range c.Indicators {
		k.indicator(fmt.Sprintf("indicators[%d].", i), s)
		if s.ID != "" && ids[s.ID] {
			k.fail(fmt.Sprintf("indicators[%d].id", i), "unique", "Indicator id %s is given twice.", s.ID)
		}
		ids[s.ID] = true
	}
	k.decided(c.Decided)
	return k.err
}

func (c *ReviseGoal) Validate() error {
	var k check
	k.id("id", c.ID, true)
	if c.Title != nil {
		k.text("title", *c.Title, true, maxShort)
	}
	if c.Description != nil {
		k.text("description", *c.Description, false, maxLong)
	}
	if c.Level != nil {
		k.oneOf("level", *c.Level, true, GoalLevels)
	}
	if c.Owner != nil {
		k.id("owner", *c.Owner, true)
	}
	if c.GoalArea != nil {
		k.text("goal_area", *c.GoalArea, false, maxShort)
	}
	if c.Title == nil && c.Description == nil && c.Level == nil && c.Owner == nil && c.GoalArea == nil {
		k.fail("title", "no_change", "A revision must change at least one of title, description, level, owner, goal_area.")
	}
	k.text("reason", c.Reason, true, maxLong)
	k.decided(c.Decided)
	return k.err
}

func (c *RelinkGoal) Validate() error {
	var k check
	k.id("id", c.ID, true)
	k.links("contributes_to", c.ContributesTo)
	k.sdgs("sdgs", c.SDGs)
	for i, l := range c.ContributesTo {
		if l.Goal == c.ID {
			k.fail(fmt.Sprintf("contributes_to[%d].goal", i), "cycle", "A goal cannot contribute to itself.")
		}
	}
	k.text("reason", c.Reason, true, maxLong)
	k.decided(c.Decided)
	return k.err
}

func (c *CarryForwardGoal) Validate() error {
	var k check
	k.id("id", c.ID, true)
	k.decided(c.Decided)
	return k.err
}

func (c *RetireGoal) Validate() error {
	var k check
	k.id("id", c.ID, true)
	k.text("reason", c.Reason, true, maxLong)
	k.decided(c.Decided)
	return k.err
}

func (c *AssessGoal) Validate() error {
	var k check
	k.id("id", c.ID, true)
	k.oneOf("point", c.Point, true, Points)
	k.year("year", c.Year, true)
	k.oneOf("attainment", c.Attainment, true, Attainments)
	k.text("motivation", c.Motivation, true, maxLong)
	k.decided(c.Decided)
	return k.err
}

func (c *DefineIndicator) Validate() error {
	var k check
	k.id("goal", c.Goal, false)
	k.indicator("", IndicatorSpec{ID: c.ID, Name: c.Name, Description: c.Description, Unit: c.Unit, Measure: c.Measure,
		Direction: c.Direction, Source: c.Source, Baseline: c.Baseline, GenderDivided: c.GenderDivided})
	k.decided(c.Decided)
	return k.err
}

func (c *SetTarget) Validate() error {
	var k check
	k.id("id", c.ID, true)
	k.target("", c.Year, c.TermEnd, c.Value, c.Comparison)
	k.decided(c.Decided)
	return k.err
}

func (c *ReportValue) Validate() error {
	var k check
	k.id("id", c.ID, true)
	k.id("value_id", c.ValueID, false)
	k.id("organ", c.Organ, true)
	k.year("year", c.Year, true)
	k.oneOf("point", c.Point, false, Points)
	if c.Value == nil && strings.TrimSpace(c.Text) == "" {
		k.fail("value", "required", "A reported value needs a value (or a text, for a qualitative indicator).")
	}
	k.text("text", c.Text, false, maxLong)
	k.oneOf("status", c.Status, false, ValueStatus)
	k.source("source", c.Source)
	k.date("effective", c.Effective, false)
	return k.err
}

func (c *CorrectValue) Validate() error {
	var k check
	k.id("id", c.ID, true)
	k.id("value_id", c.Corrects, true)
	k.id("new_value_id", c.ValueID, false)
	k.id("organ", c.Organ, true)
	if c.Value == nil && strings.TrimSpace(c.Text) == "" {
		k.fail("value", "required", "A correction needs the corrected value (or a text, for a qualitative indicator).")
	}
	k.text("text", c.Text, false, maxLong)
	k.oneOf("status", c.Status, false, ValueStatus)
	k.text("reason", c.Reason, true, maxLong)
	k.source("source", c.Source)
	k.date("effective", c.Effective, false)
	return k.err
}

func (c *ChangeMethod) Validate() error {
	var k check
	k.id("id", c.ID, true)
	k.text("description", c.Description, true, maxLong)
	k.year("from_year", c.FromYear, true)
	k.text("unit", c.Unit, false, 64)
	k.source("source", c.Source)
	k.decided(c.Decided)
	return k.err
}

func (c *RetireIndicator) Validate() error {
	var k check
	k.id("id", c.ID, true)
	k.text("reason", c.Reason, true, maxLong)
	k.decided(c.Decided)
	return k.err
}

func (c *MakeCommitment) Validate() error {
	var k check
	k.id("id", c.ID, false)
	// TAKT: tydligt, ansvarsfördelat, kvantifierbart, tidssatt.
	if strings.TrimSpace(c.Text) == "" {
		k.fail("text", "takt.clear", "A commitment must be clear: its text must not be empty.")
	}
	k.text("text", c.Text, true, maxLong)
	if c.Responsible == "" {
		k.fail("responsible", "takt.assigned", "A commitment must be assigned: name the responsible organ.")
	}
	k.id("responsible", c.Responsible, true)
	k.id("goal", c.Goal, false)
	k.measure("measure", c.Measure)
	k.year("year", c.Year, true)
	if c.Due == "" {
		k.fail("due", "takt.time_bound", "A commitment must be time-bound: give a due date.")
	}
	k.date("due", c.Due, true)
	if k.err == nil && c.Due.Year() != c.Year {
		k.fail("due", "takt.time_bound", "A commitment's due date %s must lie inside its year %d.", c.Due, c.Year)
	}
	k.decided(c.Decided)
	return k.err
}

func (c *ReviseCommitment) Validate() error {
	var k check
	k.id("id", c.ID, true)
	if c.Text != nil && strings.TrimSpace(*c.Text) == "" {
		k.fail("text", "takt.clear", "A commitment must be clear: its text must not be empty.")
	}
	if c.Text != nil {
		k.text("text", *c.Text, true, maxLong)
	}
	if c.Responsible != nil && *c.Responsible == "" {
		k.fail("responsible", "takt.assigned", "A commitment must be assigned: name the responsible organ.")
	}
	if c.Responsible != nil {
		k.id("responsible", *c.Responsible, true)
	}
	if c.Measure != nil {
		k.measure("measure", c.Measure)
	}
	if c.Due != nil {
		if *c.Due == "" {
			k.fail("due", "takt.time_bound", "A commitment must be time-bound: give a due date.")
		}
		k.date("due", *c.Due, true)
	}
	if c.Text == nil && c.Responsible == nil && c.Measure == nil && c.Due == nil {
		k.fail("text", "no_change", "A revision must change at least one of text, responsible, measure, due.")
	}
	k.text("reason", c.Reason, true, maxLong)
	k.decided(c.Decided)
	return k.err
}

func (c *ReportProgress) Validate() error {
	var k check
	k.id("id", c.ID, true)
	k.id("organ", c.Organ, true)
	k.oneOf("status", c.Status, true, Progress)
	k.text("comment", c.Comment, false, maxLong)
	k.source("source", c.Source)
	k.date("effective", c.Effective, false)
	return k.err
}

func (c *CompleteCommitment) Validate() error {
	var k check
	k.id("id", c.ID, true)
	k.text("outcome", c.Outcome, true, maxLong)
	k.decided(c.Decided)
	return k.err
}

func (c *CancelCommitment) Validate() error {
	var k check
	k.id("id", c.ID, true)
	k.text("reason", c.Reason, true, maxLong)
	k.decided(c.Decided)
	return k.err
}

func (c *AdoptFollowUp) Validate() error {
	var k check
	k.id("id", c.ID, false)
	k.oneOf("point", c.Point, true, Points)
	k.year("year", c.Year, true)
	k.text("title", c.Title, true, maxShort)
	k.date("as_of", c.AsOf, true)
	k.decided(c.Decided)
	return k.err
}
