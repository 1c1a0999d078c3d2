package domain_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/taktledger/takt/domain"
)

// The rules, as tables: given the commands that built the ledger, when a command, then these event
// types or this error (code, field, rule).

func f(v float64) *float64 { return &v }
func s(v string) *string   { return &v }

func ref(organ, date, para string) domain.DecisionRef {
	return domain.DecisionRef{Organ: organ, MeetingDate: domain.Date(date), Paragraph: para, CaseNumber: "KS 2023/" + para}
}

func kf(para string) domain.Decided {
	return domain.Decided{Period: "2023-2026", Decision: ref("kf", "2023-02-13", para)}
}

func bun(para string) domain.Decided {
	return domain.Decided{Period: "2023-2026", Decision: ref("bun", "2023-03-01", para)}
}

// base is a small municipality: a council, a committee, an administration, one open period, one
// council goal with an indicator that has targets and a value, and a committee goal below it.
func base() []domain.Command {
	return []domain.Command{
		&domain.RegisterOrgan{ID: "kf", Name: "Kommunfullmäktige", Kind: "council"},
		&domain.RegisterOrgan{ID: "bun", Name: "Barn- och utbildningsnämnden", Kind: "committee", Parent: "kf"},
		&domain.RegisterOrgan{ID: "buf", Name: "Barn- och utbildningsförvaltningen", Kind: "administration", Parent: "bun"},
		&domain.OpenPeriod{ID: "2023-2026"},
		&domain.AdoptGoal{ID: "g1", Title: "Alla elever ska nå sin fulla potential", Level: "strategic", Owner: "kf",
			GoalArea: "Utbildning", SDGs: []domain.SDGLink{{SDG: 4, Strength: "full"}},
			Indicators: []domain.IndicatorSpec{{ID: "i1", Name: "Behörighet till gymnasiet", Unit: "%", Measure: "percent",
				Direction: "higher_is_better", GenderDivided: true,
				Targets: []domain.TargetSpec{{Year: 2024, Value: f(85)}, {TermEnd: true, Value: f(90)}}}},
			Decided: kf("12")},
		&domain.ReportValue{ID: "i1", ValueID: "v2024", Organ: "buf", Year: 2024, Value: f(86.5)},
		&domain.AdoptGoal{ID: "g2", Title: "Fler elever läser på fritiden", Level: "committee", Owner: "bun",
			ContributesTo: []domain.Link{{Goal: "g1", Weight: f(0.5)}}, Decided: bun("3")},
	}
}

func with(cmds ...domain.Command) []domain.Command { return append(base(), cmds...) }

var (
	retired = with(&domain.RetireGoal{ID: "g2", Reason: "Ersatt", Decided: bun("9")})
	closed  = with(&domain.ClosePeriod{ID: "2023-2026", Decision: ref("kf", "2027-04-20", "40")},
		&domain.OpenPeriod{ID: "2027-2030"})
	founded = with(&domain.RegisterOrgan{ID: "kfn", Name: "Kultur- och fritidsnämnden", Kind: "committee", Parent: "kf",
		Decision: &domain.DecisionRef{Organ: "kf", MeetingDate: "2024-06-17", Paragraph: "§ 71", CaseNumber: "KS 2024/71"}, Effective: "2025-01-01"})
	dissolved = with(&domain.RegisterOrgan{ID: "kun", Name: "Kultur- och utbildningsnämnden", Kind: "committee"},
		&domain.DissolveOrgan{ID: "bun", Successor: "kun", Decision: ref("kf", "2024-12-01", "99")})
)

type harness struct {
	state *domain.State
	seq   uint64
	ids   int
	env   domain.Env
}

func given(t *testing.T, cmds []domain.Command) *harness {
	t.Helper()
	h := &harness{state: domain.NewState()}
	h.env = domain.Env{Tenant: "test", Actor: "tester", Now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
		NewID: func() string { h.ids++; return fmt.Sprintf("id%d", h.ids) }}
	for i, c := range cmds {
		if _, err := h.do(c); err != nil {
			t.Fatalf("given[%d] %T: %v", i, c, err)
		}
	}
	return h
}

func (h *harness) do(c domain.Command) ([]domain.Event, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	evs, err := domain.Decide(h.state, c, h.env)
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		h.seq++
		e.Seq = h.seq
		h.state.Apply(e)
	}
	return evs, nil
}

func types(evs []domain.Event) []string {
	var ts []string
	for _, e := range evs {
		ts = append(ts, e.Type)
	}
	return ts
}

func TestDecide(t *testing.T) {
	for _, tt := range []struct {
		name  string
		given []domain.Command
		when  domain.Command
		then  []string // event types, when the command is accepted
		code  string   // else the error code,
		field string   // the field
		rule  string   // and the rule
	}{
		// A goal adopted with its indicators and targets is one decision.
		{name: "adopt goal with indicators", given: base(), when: &domain.AdoptGoal{Title: "Trygg kommun", Level: "result", Owner: "kf",
			Indicators: []domain.IndicatorSpec{
				{Name: "Andel som känner sig trygga", Unit: "%", Measure: "percent", Direction: "higher_is_better",
					Targets: []domain.TargetSpec{{Year: 2025, Value: f(80)}}},
				{Name: "Anmälda brott", Unit: "per 1000", Measure: "number", Direction: "lower_is_better",
					Targets: []domain.TargetSpec{{Year: 2025, Value: f(70)}, {Year: 2026, Value: f(65)}}}},
			Decided: kf("13")},
			then: []string{"goal.adopted", "indicator.defined", "indicator.target_set", "indicator.defined", "indicator.target_set", "indicator.target_set"}},
		{name: "member of a decision invalid", given: base(), when: &domain.AdoptGoal{Title: "Trygg kommun", Level: "result", Owner: "kf",
			Indicators: []domain.IndicatorSpec{
				{Name: "A", Unit: "%", Measure: "percent", Direction: "higher_is_better", Targets: []domain.TargetSpec{{Year: 2025, Value: f(1)}}},
				{Name: "B", Unit: "%", Measure: "percent", Direction: "higher_is_better", Targets: []domain.TargetSpec{{Year: 2031, Value: f(1)}}}},
			Decided: kf("13")},
			code: domain.ERULE, field: "indicators[1].targets[0].year", rule: "within_period"},
		{name: "council goal by a committee", given: base(), when: &domain.AdoptGoal{Title: "X", Level: "strategic", Owner: "bun", Decided: bun("4")},
			code: domain.ERULE, field: "level", rule: "council_goal"},
		{name: "existing id", given: base(), when: &domain.AdoptGoal{ID: "g1", Title: "X", Level: "committee", Owner: "bun", Decided: bun("4")},
			code: domain.ECONFLICT, field: "id", rule: "unique"},

		// A retired goal cannot be revised, relinked, assessed or carried forward.
		{name: "revise", given: base(), when: &domain.ReviseGoal{ID: "g2", Title: s("Fler elever läser varje dag"), Reason: "Skärpt", Decided: bun("5")},
			then: []string{"goal.revised"}},
		{name: "revise retired", given: retired, when: &domain.ReviseGoal{ID: "g2", Title: s("Y"), Reason: "R", Decided: bun("10")},
			code: domain.ERULE, field: "id", rule: "not_retired"},
		{name: "relink retired", given: retired, when: &domain.RelinkGoal{ID: "g2", ContributesTo: []domain.Link{{Goal: "g1"}}, Reason: "R", Decided: bun("10")},
			code: domain.ERULE, field: "id", rule: "not_retired"},
		{name: "assess retired", given: retired, when: &domain.AssessGoal{ID: "g2", Point: "annual", Year: 2024, Attainment: "achieved", Motivation: "M", Decided: bun("10")},
			code: domain.ERULE, field: "id", rule: "not_retired"},
		{name: "carry forward retired", given: append(retired, &domain.OpenPeriod{ID: "2027-2030"}),
			when: &domain.CarryForwardGoal{ID: "g2", Decided: domain.Decided{Period: "2027-2030", Decision: ref("bun", "2027-01-20", "2")}},
			code: domain.ERULE, field: "id", rule: "not_retired"},
		{name: "retire retired", given: retired, when: &domain.RetireGoal{ID: "g2", Reason: "R", Decided: bun("10")},
			code: domain.ERULE, field: "id", rule: "not_retired"},
		{name: "carry forward", given: with(&domain.OpenPeriod{ID: "2027-2030"}),
			when: &domain.CarryForwardGoal{ID: "g1", Decided: domain.Decided{Period: "2027-2030", Decision: ref("kf", "2027-01-20", "2")}},
			then: []string{"goal.carried_forward"}},
		{name: "carry backward", given: with(&domain.OpenPeriod{ID: "2019-2022"}),
			when: &domain.CarryForwardGoal{ID: "g1", Decided: domain.Decided{Period: "2019-2022", Decision: ref("kf", "2027-01-20", "2")}},
			code: domain.ERULE, field: "period", rule: "later_period"},
		{name: "revise unknown goal", given: base(), when: &domain.ReviseGoal{ID: "nope", Title: s("Y"), Reason: "R", Decided: bun("10")},
			code: domain.ENOTFOUND, field: "id", rule: "exists"},
		{name: "revise that changes nothing", given: base(), when: &domain.ReviseGoal{ID: "g2", Title: s("Fler elever läser på fritiden"), Reason: "R", Decided: bun("10")},
			code: domain.ERULE, field: "title", rule: "no_change"},

		// Decisions need an open period.
		{name: "period never opened", given: base(), when: &domain.AdoptGoal{Title: "X", Level: "committee", Owner: "bun",
			Decided: domain.Decided{Period: "2027-2030", Decision: ref("bun", "2027-01-01", "1")}},
			code: domain.ERULE, field: "period", rule: "open_period"},
		{name: "period closed", given: closed, when: &domain.ReviseGoal{ID: "g2", Title: s("Y"), Reason: "R", Decided: bun("10")},
			code: domain.ERULE, field: "period", rule: "open_period"},
		{name: "late value in a closed period is recorded", given: closed,
			when: &domain.ReportValue{ID: "i1", Organ: "buf", Year: 2026, Value: f(88)}, then: []string{"indicator.value_reported"}},
		{name: "overlapping period", given: base(), when: &domain.OpenPeriod{ID: "2025-2028"},
			code: domain.ERULE, field: "id", rule: "overlap"},

		// A reported value's period lies inside the indicator's mandate period.
		{name: "value outside the period", given: base(), when: &domain.ReportValue{ID: "i1", Organ: "buf", Year: 2027, Value: f(1)},
			code: domain.ERULE, field: "year", rule: "within_period"},
		{name: "value for unknown indicator", given: base(), when: &domain.ReportValue{ID: "nope", Organ: "buf", Year: 2024, Value: f(1)},
			code: domain.ENOTFOUND, field: "id", rule: "exists"},
		{name: "target for unknown indicator", given: base(), when: &domain.SetTarget{ID: "nope", Year: 2025, Value: f(1), Decided: kf("20")},
			code: domain.ENOTFOUND, field: "id", rule: "exists"},
		{name: "target outside the period", given: base(), when: &domain.SetTarget{ID: "i1", Year: 2022, Value: f(1), Decided: kf("20")},
			code: domain.ERULE, field: "year", rule: "within_period"},
		{name: "revised target", given: base(), when: &domain.SetTarget{ID: "i1", Year: 2025, Value: f(88), Decided: kf("20")},
			then: []string{"indicator.target_set"}},
		{name: "breakdown on an undivided indicator", given: with(&domain.DefineIndicator{ID: "i2", Name: "N", Unit: "st", Measure: "number", Direction: "higher_is_better", Decided: kf("21")}),
			when: &domain.ReportValue{ID: "i2", Organ: "buf", Year: 2024, Value: f(3), Breakdown: &domain.Breakdown{Women: f(1), Men: f(2)}},
			code: domain.ERULE, field: "breakdown", rule: "gender_divided"},

		// A goal links only to goals that exist.
		{name: "link to nothing", given: base(), when: &domain.AdoptGoal{Title: "X", Level: "committee", Owner: "bun",
			ContributesTo: []domain.Link{{Goal: "g1"}, {Goal: "ghost"}}, Decided: bun("4")},
			code: domain.ERULE, field: "contributes_to[1].goal", rule: "exists"},
		{name: "relink to nothing", given: base(), when: &domain.RelinkGoal{ID: "g2", ContributesTo: []domain.Link{{Goal: "ghost"}}, Reason: "R", Decided: bun("4")},
			code: domain.ERULE, field: "contributes_to[0].goal", rule: "exists"},
		{name: "relink into a cycle", given: base(), when: &domain.RelinkGoal{ID: "g1", ContributesTo: []domain.Link{{Goal: "g2"}}, Reason: "R", Decided: kf("30")},
			code: domain.ERULE, field: "contributes_to[0].goal", rule: "cycle"},
		{name: "link to a retired goal", given: with(&domain.RetireGoal{ID: "g1", Reason: "R", Decided: kf("31")}),
			when: &domain.AdoptGoal{Title: "X", Level: "committee", Owner: "bun", ContributesTo: []domain.Link{{Goal: "g1"}}, Decided: bun("4")},
			code: domain.ERULE, field: "contributes_to[0].goal", rule: "not_retired"},

		// A commitment must be TAKT.
		{name: "TAKT commitment", given: base(), when: commitment(func(c *domain.MakeCommitment) {}), then: []string{"commitment.made"}},
		{name: "not clear", given: base(), when: commitment(func(c *domain.MakeCommitment) { c.Text = "  " }),
			code: domain.EINVALID, field: "text", rule: "takt.clear"},
		{name: "not assigned", given: base(), when: commitment(func(c *domain.MakeCommitment) { c.Responsible = "" }),
			code: domain.EINVALID, field: "responsible", rule: "takt.assigned"},
		{name: "not quantifiable", given: base(), when: commitment(func(c *domain.MakeCommitment) { c.Measure = nil }),
			code: domain.EINVALID, field: "measure", rule: "takt.quantifiable"},
		{name: "no target", given: base(), when: commitment(func(c *domain.MakeCommitment) { c.Measure.Target = nil }),
			code: domain.EINVALID, field: "measure.target", rule: "takt.quantifiable"},
		{name: "no due date", given: base(), when: commitment(func(c *domain.MakeCommitment) { c.Due = "" }),
			code: domain.EINVALID, field: "due", rule: "takt.time_bound"},
		{name: "due outside its year", given: base(), when: commitment(func(c *domain.MakeCommitment) { c.Due = "2026-01-15" }),
			code: domain.EINVALID, field: "due", rule: "takt.time_bound"},
		{name: "responsible unknown", given: base(), when: commitment(func(c *domain.MakeCommitment) { c.Responsible = "ghost" }),
			code: domain.ERULE, field: "responsible", rule: "exists"},
		{name: "revised out of its year", given: with(commitment(func(c *domain.MakeCommitment) { c.ID = "c1" })),
			when: &domain.ReviseCommitment{ID: "c1", Due: func() *domain.Date { d := domain.Date("2026-03-01"); return &d }(), Reason: "R", Decided: bun("8")},
			code: domain.ERULE, field: "due", rule: "takt.time_bound"},
		{name: "progress on a completed commitment", given: with(commitment(func(c *domain.MakeCommitment) { c.ID = "c1" }),
			&domain.CompleteCommitment{ID: "c1", Outcome: "Klart", Decided: bun("9")}),
			when: &domain.ReportProgress{ID: "c1", Organ: "buf", Status: "on_track"},
			code: domain.ERULE, field: "id", rule: "active_commitment"},

		// A correction names a value that exists.
		{name: "correct", given: base(), when: &domain.CorrectValue{ID: "i1", Corrects: "v2024", Organ: "buf", Value: f(84.1), Reason: "Fel i underlaget"},
			then: []string{"indicator.value_corrected"}},
		{name: "correct nothing", given: base(), when: &domain.CorrectValue{ID: "i1", Corrects: "v1999", Organ: "buf", Value: f(1), Reason: "R"},
			code: domain.ENOTFOUND, field: "value_id", rule: "exists"},
		{name: "correct a corrected value", given: with(&domain.CorrectValue{ID: "i1", Corrects: "v2024", ValueID: "v2", Organ: "buf", Value: f(84.1), Reason: "R"}),
			when: &domain.CorrectValue{ID: "i1", Corrects: "v2024", Organ: "buf", Value: f(1), Reason: "R"},
			code: domain.ERULE, field: "value_id", rule: "latest_value"},

		// A dissolved organ cannot decide from the day its dissolution takes effect; a meeting it
		// held before then may be recorded later. An organ founded by a decision decides from the
		// day the founding takes effect.
		{name: "dissolved organ decides", given: dissolved, when: &domain.AdoptGoal{Title: "X", Level: "committee", Owner: "kun",
			Decided: domain.Decided{Period: "2023-2026", Decision: ref("bun", "2025-01-10", "50")}},
			code: domain.ERULE, field: "decision.organ", rule: "organ_active"},
		{name: "dissolved organ's earlier meeting recorded late", given: dissolved, when: &domain.AdoptGoal{Title: "X", Level: "committee",
			Owner: "bun", Decided: domain.Decided{Period: "2023-2026", Decision: ref("bun", "2024-11-20", "48")}}, then: []string{"goal.adopted"}},
		{name: "founded organ decides before its founding", given: founded, when: &domain.AdoptGoal{Title: "X", Level: "committee", Owner: "kfn",
			Decided: domain.Decided{Period: "2023-2026", Decision: ref("kfn", "2024-12-20", "1")}},
			code: domain.ERULE, field: "decision.organ", rule: "organ_active"},
		{name: "founded organ decides once founded", given: founded, when: &domain.AdoptGoal{Title: "X", Level: "committee", Owner: "kfn",
			Decided: domain.Decided{Period: "2023-2026", Decision: ref("kfn", "2025-01-21", "1")}}, then: []string{"goal.adopted"}},
		{name: "dissolved organ owns", given: dissolved, when: &domain.AdoptGoal{Title: "X", Level: "committee", Owner: "bun",
			Decided: domain.Decided{Period: "2023-2026", Decision: ref("kun", "2025-01-10", "1")}},
			code: domain.ERULE, field: "owner", rule: "organ_active"},
		{name: "dissolved organ reports", given: dissolved, when: &domain.ReportValue{ID: "i1", Organ: "bun", Year: 2024, Value: f(1)},
			code: domain.ERULE, field: "organ", rule: "organ_active"},
		{name: "successor decides", given: dissolved, when: &domain.AdoptGoal{Title: "X", Level: "committee", Owner: "kun",
			Decided: domain.Decided{Period: "2023-2026", Decision: ref("kun", "2025-01-10", "1")}}, then: []string{"goal.adopted"}},

		// Shape: impossible dates and the like never reach the rules.
		{name: "impossible date", given: base(), when: &domain.RetireGoal{ID: "g2", Reason: "R",
			Decided: domain.Decided{Period: "2023-2026", Decision: ref("bun", "2025-02-30", "1")}},
			code: domain.EINVALID, field: "decision.meeting_date", rule: "date"},
		{name: "period of five years", given: base(), when: &domain.OpenPeriod{ID: "2027-2031"},
			code: domain.EINVALID, field: "id", rule: "period_format"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := given(t, tt.given)
			before := h.seq
			evs, err := h.do(tt.when)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("got error %v, want %v", err, tt.then)
				}
				if got := types(evs); !slices.Equal(got, tt.then) {
					t.Fatalf("got events %v, want %v", got, tt.then)
				}
				// Who may send a command is who may record its events.
				for _, e := range evs {
					if by := domain.RecordedBy(tt.when); domain.RecordsAs(e.Type) != by {
						t.Fatalf("%T is sent by the %s role, but %s is recorded by %s", tt.when, by, e.Type, domain.RecordsAs(e.Type))
					}
				}
				return
			}
			var e *domain.Error
			if err == nil {
				t.Fatalf("got events %v, want error %s %s %s", types(evs), tt.code, tt.field, tt.rule)
			}
			e, _ = err.(*domain.Error)
			if e == nil || e.Code != tt.code || e.Field != tt.field || e.Rule != tt.rule {
				t.Fatalf("got %v, want code=%s field=%s rule=%s", err, tt.code, tt.field, tt.rule)
			}
			if h.seq != before {
				t.Fatalf("a refused command changed the state")
			}
		})
	}
}

func commitment(edit func(*domain.MakeCommitment)) *domain.MakeCommitment {
	c := &domain.MakeCommitment{Text: "Erbjuda läxhjälp på alla skolor", Responsible: "bun", Goal: "g2",
		Measure: &domain.Measure{Description: "Skolor med läxhjälp", Unit: "st", Target: f(12)},
		Year:    2025, Due: "2025-12-31", Decided: bun("7")}
	edit(c)
	return c
}

func TestDecideMetadata(t *testing.T) {
	h := given(t, base())
	evs, err := h.do(&domain.ReviseGoal{ID: "g2", Title: s("Ny titel"), Reason: "Skärpt", Decided: domain.Decided{
		Period: "2023-2026", Decision: ref("bun", "2024-11-20", "88"), Effective: "2025-01-01"}})
	if err != nil {
		t.Fatal(err)
	}
	e := evs[0]
	if e.Organ != "bun" || e.Period != "2023-2026" || e.Effective != "2025-01-01" || e.Actor != "tester" || e.Tenant != "test" || !e.Time.Equal(h.env.Now) {
		t.Fatalf("event metadata %+v", e)
	}
	d := e.Data.(*domain.GoalRevised)
	if d.Title == nil || *d.Title != "Ny titel" || d.Owner != nil || d.Decision.Paragraph != "88" {
		t.Fatalf("data %+v", d)
	}
	// Without an effective date the decision applies from its meeting.
	evs, _ = h.do(&domain.RetireGoal{ID: "g2", Reason: "R", Decided: bun("90")})
	if got := evs[0].Effective; got != "2023-03-01" {
		t.Fatalf("effective %s, want the meeting date", got)
	}
}

func TestAssessmentSuggestion(t *testing.T) {
	h := given(t, with(
		&domain.DefineIndicator{ID: "i2", Goal: "g1", Name: "Frånvaro", Unit: "%", Measure: "percent", Direction: "lower_is_better", Decided: kf("14")},
		&domain.SetTarget{ID: "i2", Year: 2024, Value: f(5), Decided: kf("15")},
		&domain.ReportValue{ID: "i2", ValueID: "w", Organ: "buf", Year: 2024, Value: f(7)},
	))
	assess := func() *domain.GoalAssessed {
		t.Helper()
		evs, err := h.do(&domain.AssessGoal{ID: "g1", Point: "annual", Year: 2024, Attainment: "partly_achieved", Motivation: "Delvis", Decided: kf("60")})
		if err != nil {
			t.Fatal(err)
		}
		return evs[0].Data.(*domain.GoalAssessed)
	}
	// i1: 86.5 against at least 85, met; i2: 7 against at most 5, not met.
	if a := assess(); a.Suggested != "partly_achieved" || len(a.Basis) != 2 || !*a.Basis[0].Met || *a.Basis[1].Met {
		t.Fatalf("got %+v", a)
	}
	// A correction replaces the value the suggestion is computed from.
	if _, err := h.do(&domain.CorrectValue{ID: "i2", Corrects: "w", Organ: "buf", Value: f(4.5), Reason: "Fel"}); err != nil {
		t.Fatal(err)
	}
	if a := assess(); a.Suggested != "achieved" {
		t.Fatalf("after the correction got %s", a.Suggested)
	}
	// A T1 assessment is of the first tertial: a T2 value reported since does not count in it.
	if _, err := h.do(&domain.ReportValue{ID: "i2", ValueID: "t1", Organ: "buf", Year: 2025, Point: "T1", Value: f(9)}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.do(&domain.ReportValue{ID: "i2", ValueID: "t2", Organ: "buf", Year: 2025, Point: "T2", Value: f(3)}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.do(&domain.SetTarget{ID: "i2", Year: 2025, Value: f(5), Decided: kf("61")}); err != nil {
		t.Fatal(err)
	}
	evs, err := h.do(&domain.AssessGoal{ID: "g1", Point: "T1", Year: 2025, Attainment: "not_achieved", Motivation: "Nej", Decided: kf("62")})
	if err != nil {
		t.Fatal(err)
	}
	a := evs[0].Data.(*domain.GoalAssessed)
	i := slices.IndexFunc(a.Basis, func(b domain.AssessmentBasis) bool { return b.Indicator == "i2" })
	if i < 0 {
		t.Fatalf("T1 2025 basis %+v has no i2", a.Basis)
	}
	if b := a.Basis[i]; b.Value == nil || *b.Value != 9 || b.Met == nil || *b.Met {
		t.Fatalf("T1 2025 basis of i2 %+v, want the T1 value 9, not met", b)
	}
}

func TestApplyIsIdempotent(t *testing.T) {
	h := given(t, base())
	before := h.state.Goals["g1"]
	evs, _ := h.do(&domain.ReviseGoal{ID: "g1", Title: s("Ny"), Reason: "R", Decided: kf("70")})
	e := evs[0]
	e.Seq = h.seq
	h.state.Apply(e) // the same event read back from the log
	if g := h.state.Goals["g1"]; g.Title != "Ny" || g.Version != h.seq || before.Title == "Ny" {
		t.Fatalf("got %+v", g)
	}
}
