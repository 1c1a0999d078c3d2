package domain_test

import (
	"testing"

	"github.com/taktledger/takt/domain"
)

// Who may record what, as a table: given base() plus a second committee sn with its own goal and
// commitment, when a principal decides a command, it is authorized, or refused with EFORBIDDEN
// naming the field at fault.
func TestAuthorize(t *testing.T) {
	before := with(
		&domain.RegisterOrgan{ID: "sn", Name: "Socialnämnden", Kind: "committee", Parent: "kf"},
		&domain.RegisterOrgan{ID: "sof", Name: "Socialförvaltningen", Kind: "administration", Parent: "sn"},
		&domain.AdoptGoal{ID: "g3", Title: "Fler i egen försörjning", Level: "committee", Owner: "sn",
			Indicators: []domain.IndicatorSpec{{ID: "i3", Name: "Andel i egen försörjning", Unit: "%", Measure: "percent",
				Direction: "higher_is_better"}},
			Decided: domain.Decided{Period: "2023-2026", Decision: ref("sn", "2023-03-02", "5")}},
		&domain.AdoptVision{ID: "v1", Text: "Älvby 2035", Decided: kf("2")},
		&domain.MakeCommitment{ID: "c1", Text: "Läsfrämjande i alla skolor", Responsible: "bun", Year: 2025, Due: "2025-12-31",
			Measure: &domain.Measure{Description: "skolor", Unit: "st", Target: f(12)}, Decided: bun("20")},
	)
	secretary := func(organ string) *domain.Principal {
		return &domain.Principal{ID: "t1", Name: "Anna", Role: domain.RoleSecretary, Organ: organ}
	}
	reporter := func(organ string) *domain.Principal {
		return &domain.Principal{ID: "t2", Name: "Bo", Role: domain.RoleReporter, Organ: organ}
	}
	admin := &domain.Principal{ID: "t3", Name: "Cecilia", Role: domain.RoleAdmin}
	auditor := &domain.Principal{ID: "t4", Name: "Dan", Role: domain.RoleAuditor}
	snDecided := domain.Decided{Period: "2023-2026", Decision: ref("sn", "2025-03-01", "9")}

	for _, tt := range []struct {
		name  string
		p     *domain.Principal
		when  domain.Command
		field string // "" when authorized
	}{
		{"the process itself", nil, &domain.ReviseGoal{ID: "g3", Title: s("Ny"), Reason: "Omformulerat", Decided: bun("30")}, ""},
		{"secretary revises its organ's goal", secretary("bun"), &domain.ReviseGoal{ID: "g2", Title: s("Ny"), Reason: "Omformulerat", Decided: bun("30")}, ""},
		{"secretary cannot revise another committee's goal", secretary("bun"), &domain.ReviseGoal{ID: "g3", Title: s("Ny"), Reason: "Omformulerat", Decided: bun("30")}, "id"},
		{"secretary cannot record another organ's decision", secretary("bun"), &domain.ReviseGoal{ID: "g3", Title: s("Ny"), Reason: "Omformulerat", Decided: snDecided}, "decision.organ"},
		{"council secretary revises a committee's goal", secretary("kf"), &domain.ReviseGoal{ID: "g3", Title: s("Ny"), Reason: "Omformulerat", Decided: kf("70")}, ""},
		{"committee secretary cannot retire a council goal", secretary("bun"), &domain.RetireGoal{ID: "g1", Reason: "Uppnått", Decided: bun("31")}, "id"},
		{"secretary cannot hand its goal to another committee", secretary("bun"), &domain.ReviseGoal{ID: "g2", Owner: s("sn"), Reason: "Flyttat", Decided: bun("32")}, "owner"},
		{"secretary adopts a goal its organ owns", secretary("bun"), &domain.AdoptGoal{Title: "Mer idrott", Level: "committee", Owner: "bun", Decided: bun("33")}, ""},
		{"secretary cannot adopt a goal for another committee", secretary("bun"), &domain.AdoptGoal{Title: "Mer idrott", Level: "committee", Owner: "sn", Decided: bun("33")}, "owner"},
		{"secretary cannot set a target on another committee's indicator", secretary("bun"), &domain.SetTarget{ID: "i3", Year: 2025, Value: f(50), Decided: bun("34")}, "id"},
		{"secretary cannot make another committee responsible", secretary("bun"), &domain.MakeCommitment{Text: "Fler fritidsgårdar", Responsible: "sn",
			Year: 2025, Due: "2025-12-31", Measure: &domain.Measure{Description: "gårdar", Unit: "st", Target: f(2)}, Decided: bun("35")}, "responsible"},
		{"secretary cannot report a value", secretary("kf"), &domain.ReportValue{ID: "i1", Organ: "kf", Year: 2025, Value: f(88)}, "role"},
		{"a committee's reporter cannot report on a council indicator", reporter("bun"), &domain.ReportValue{ID: "i1", Organ: "buf", Year: 2025, Value: f(88)}, "id"},
		{"council reporter reports on a council goal through an administration", reporter("kf"), &domain.ReportValue{ID: "i1", Organ: "buf", Year: 2025, Value: f(88)}, ""},
		{"reporter reports progress through its administration", reporter("bun"), &domain.ReportProgress{ID: "c1", Organ: "buf", Value: f(4), Status: "on_track", Effective: "2025-06-30"}, ""},
		{"reporter cannot report in another organ's name", reporter("bun"), &domain.ReportProgress{ID: "c1", Organ: "sof", Value: f(4), Status: "on_track", Effective: "2025-06-30"}, "organ"},
		{"reporter cannot report on another committee's indicator", reporter("sof"), &domain.ReportValue{ID: "i3", Organ: "sof", Year: 2025, Value: f(40)}, "id"},
		{"reporter cannot adopt a goal", reporter("bun"), &domain.AdoptGoal{Title: "Mer idrott", Level: "committee", Owner: "bun", Decided: bun("36")}, "role"},
		{"admin registers an organ", admin, &domain.RegisterOrgan{ID: "kn", Name: "Kulturnämnden", Kind: "committee", Parent: "kf"}, ""},
		{"admin cannot adopt a goal", admin, &domain.AdoptGoal{Title: "Mer idrott", Level: "committee", Owner: "bun", Decided: bun("37")}, "role"},
		{"secretary cannot register an organ", secretary("kf"), &domain.RegisterOrgan{ID: "kn", Name: "Kulturnämnden", Kind: "committee", Parent: "kf"}, "role"},
		{"the council's secretary revises the council's vision", secretary("kf"), &domain.ReviseVision{ID: "v1", Text: "Älvby 2040", Reason: "Ny horisont", Decided: kf("80")}, ""},
		{"a committee's secretary cannot revise the council's vision", secretary("bun"), &domain.ReviseVision{ID: "v1", Text: "Älvby 2040", Reason: "Ny horisont", Decided: bun("38")}, "id"},
		{"auditor records nothing", auditor, &domain.ReportValue{ID: "i1", Organ: "buf", Year: 2025, Value: f(88)}, "role"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := given(t, before)
			if err := tt.when.Validate(); err != nil {
				t.Fatalf("invalid command: %v", err)
			}
			evs, err := domain.Decide(h.state, tt.when, h.env)
			if err != nil {
				t.Fatalf("decide: %v", err)
			}
			err = domain.Authorize(h.state, tt.p, evs)
			var e *domain.Error
			switch {
			case tt.field == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.field == "":
			case err == nil:
				t.Fatalf("authorized; want %s refused", tt.field)
			case domain.ErrorCode(err) != domain.EFORBIDDEN || !asError(err, &e) || e.Field != tt.field || e.Rule == "":
				t.Fatalf("got %v; want forbidden on field %s", err, tt.field)
			}
		})
	}
}

func asError(err error, e **domain.Error) bool {
	var ok bool
	*e, ok = err.(*domain.Error)
	return ok
}

// A secretary's or reporter's token of a dissolved organ records nothing, not even through an
// administration under it that still exists; the successor's tokens are its own.
func TestAuthorizeDissolvedOrgan(t *testing.T) {
	h := given(t, dissolved)
	report := &domain.ReportValue{ID: "i1", Organ: "buf", Year: 2025, Value: f(88)}
	evs, err := domain.Decide(h.state, report, h.env)
	if err != nil {
		t.Fatal(err)
	}
	old := &domain.Principal{ID: "t1", Name: "Bo", Role: domain.RoleReporter, Organ: "bun"}
	err = domain.Authorize(h.state, old, evs)
	if e, ok := err.(*domain.Error); !ok || e.Code != domain.EFORBIDDEN || e.Rule != "organ_active" {
		t.Fatalf("a dissolved organ's reporter: %v", err)
	}
	council := &domain.Principal{ID: "t2", Name: "Cia", Role: domain.RoleReporter, Organ: "kf"}
	if err := domain.Authorize(h.state, council, evs); err != nil {
		t.Fatalf("the council's reporter: %v", err)
	}
}
