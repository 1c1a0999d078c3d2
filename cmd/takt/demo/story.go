package demo

import "github.com/taktledger/takt/domain"

// events records the decisions of the period that change what was decided before, apart from the
// reorganisation (organs.go) and the revised targets and corrected value (indicators.go).
func (s *script) events() {
	klimat := dec("kf", "2024-06-17", 70)
	s.add(string(klimat.MeetingDate), "goal-revise/"+GoalID, &domain.ReviseGoal{ID: GoalID,
		Description: str("Utsläppen av växthusgaser minskar varje år, i kommunkoncernen och i kommunen som geografiskt " +
			"område, enligt den klimatfärdplan som fullmäktige antog i maj 2024."),
		Reason:  "Målet kopplas till den antagna klimatfärdplanen.",
		Decided: decided(klimat)})

	forskola := dec("bun", "2024-03-19", 30)
	s.add(string(forskola.MeetingDate), "goal-relink/bun-forskola", &domain.RelinkGoal{ID: "bun-forskola",
		ContributesTo: up("kf-skola"),
		Reason:        "Förskolans bidrag till föräldrarnas sysselsättning följs inte upp under detta mål.",
		Decided:       decided(forskola)})

	motesplats := dec("fn", "2024-04-17", 21)
	s.add(string(motesplats.MeetingDate), "commitment-revise/c24-fn-motesplats", &domain.ReviseCommitment{ID: "c24-fn-motesplats",
		Due:     datep("2024-09-30"),
		Reason:  "Ombyggnaden av lokalen i Norrby blir klar först i augusti.",
		Decided: decided(motesplats)})

	solceller := dec("bostad", "2025-09-18", 22)
	s.add(string(solceller.MeetingDate), "commitment-cancel/c25-bostad-solceller", &domain.CancelCommitment{ID: "c25-bostad-solceller",
		Reason:  "Elnätet i området förstärks först 2027; investeringen prövas igen i nästa plan.",
		Decided: decided(solceller)})
}

func datep(d string) *domain.Date {
	v := domain.Date(d)
	return &v
}
