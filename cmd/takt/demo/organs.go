package demo

import "github.com/taktledger/takt/domain"

// The organs of Älvby kommun as the mandate period began. Administrations report values and
// progress; the committees, the executive board and the company boards decide.
var organs = []struct{ id, name, kind, parent string }{
	{"kf", "Kommunfullmäktige", "council", ""},
	{"ks", "Kommunstyrelsen", "executive_board", "kf"},
	{"bun", "Barn- och utbildningsnämnden", "committee", "kf"},
	{"sn", "Socialnämnden", "committee", "kf"},
	{"mbn", "Miljö- och byggnadsnämnden", "committee", "kf"},
	{"kn", "Kulturnämnden", "committee", "kf"},
	{"fn", "Fritidsnämnden", "committee", "kf"},
	{"energi", "Älvby Energi AB", "company_board", "kf"},
	{"bostad", "AB Älvbyhem", "company_board", "kf"},
	{"klk", "Kommunledningskontoret", "administration", "ks"},
	{"buf", "Barn- och utbildningsförvaltningen", "administration", "ks"},
	{"sof", "Socialförvaltningen", "administration", "ks"},
	{"sbf", "Samhällsbyggnadsförvaltningen", "administration", "ks"},
	{"kff", "Kultur- och fritidsförvaltningen", "administration", "ks"},
}

// reporter is the organ that reports values and progress for the goals and commitments of an
// organ: its administration, or the company itself.
var reporter = map[string]string{"kf": "klk", "ks": "klk", "bun": "buf", "sn": "sof", "mbn": "sbf",
	"kn": "kff", "fn": "kff", "kfn": "kff", "energi": "energi", "bostad": "bostad"}

// successor says who took over a dissolved committee's work, from ReorganisedOn.
var successor = map[string]string{"kn": SuccessorOrgan, "fn": SuccessorOrgan}

// responsible is the organ in charge of what organ started, in year.
func responsible(organ string, year int) string {
	if s, ok := successor[organ]; ok && year >= 2025 {
		return s
	}
	return organ
}

// plans are the meetings at which each organ adopted its plan for a year, with the commitments
// for it; the plan for 2023 adopted the committee's goals for the mandate period too.
var plans = map[string]map[int]domain.DecisionRef{
	"ks": {2023: dec("ks", "2023-03-08", 31), 2024: dec("ks", "2023-12-06", 198), 2025: dec("ks", "2024-12-04", 205),
		2026: dec("ks", "2025-12-03", 201)},
	"bun": {2023: dec("bun", "2023-03-21", 24), 2024: dec("bun", "2023-12-12", 131), 2025: dec("bun", "2024-12-10", 128),
		2026: dec("bun", "2025-12-09", 126)},
	"sn": {2023: dec("sn", "2023-03-22", 29), 2024: dec("sn", "2023-12-13", 144), 2025: dec("sn", "2024-12-11", 139),
		2026: dec("sn", "2025-12-10", 141)},
	"mbn": {2023: dec("mbn", "2023-03-16", 35), 2024: dec("mbn", "2023-12-14", 162), 2025: dec("mbn", "2024-12-12", 158),
		2026: dec("mbn", "2025-12-11", 160)},
	"kn":     {2023: dec("kn", "2023-03-14", 14), 2024: dec("kn", "2023-12-05", 62)},
	"fn":     {2023: dec("fn", "2023-03-15", 17), 2024: dec("fn", "2023-12-06", 58), 2025: dec("fn", "2024-11-13", 51)},
	"kfn":    {2025: dec("kfn", "2025-01-21", 3), 2026: dec("kfn", "2025-12-09", 88)},
	"energi": {2023: dec("energi", "2023-03-29", 8), 2024: dec("energi", "2023-12-13", 41), 2025: dec("energi", "2024-12-11", 39), 2026: dec("energi", "2025-12-10", 40)},
	"bostad": {2023: dec("bostad", "2023-03-30", 6), 2024: dec("bostad", "2023-12-14", 37), 2025: dec("bostad", "2024-12-12", 35), 2026: dec("bostad", "2025-12-11", 36)},
}

// reviews are the meetings at which each organ followed up a year: its commitments were reported
// completed and, for 2025, its goals assessed. The dissolved committees reviewed 2024 at their last
// meeting; the successor follows up what it took over.
var reviews = map[string]map[int]domain.DecisionRef{
	"ks":     {2023: dec("ks", "2024-02-07", 14), 2024: dec("ks", "2025-02-05", 12), 2025: dec("ks", "2026-02-04", 11)},
	"bun":    {2023: dec("bun", "2024-02-13", 9), 2024: dec("bun", "2025-02-11", 8), 2025: dec("bun", "2026-02-10", 10)},
	"sn":     {2023: dec("sn", "2024-02-14", 11), 2024: dec("sn", "2025-02-12", 10), 2025: dec("sn", "2026-02-11", 9)},
	"mbn":    {2023: dec("mbn", "2024-02-15", 13), 2024: dec("mbn", "2025-02-13", 12), 2025: dec("mbn", "2026-02-12", 14)},
	"kn":     {2023: dec("kn", "2024-02-06", 4), 2024: dec("kn", "2024-12-10", 66)},
	"fn":     {2023: dec("fn", "2024-02-07", 5), 2024: dec("fn", "2024-12-11", 63)},
	"kfn":    {2025: dec("kfn", "2026-02-10", 7), 2026: dec("kfn", "2026-10-20", 71)},
	"energi": {2023: dec("energi", "2024-02-21", 3), 2024: dec("energi", "2025-02-19", 4), 2025: dec("energi", "2026-02-18", 3)},
	"bostad": {2023: dec("bostad", "2024-02-22", 2), 2024: dec("bostad", "2025-02-20", 3), 2025: dec("bostad", "2026-02-19", 2)},
}

// Council meetings with more than one decision in the story.
var (
	kfPlan    = dec("kf", "2023-02-20", 12) // Strategisk plan 2023–2026
	kfReorgIn = dec("kf", "2024-06-17", 71) // a new committee for culture and leisure from 2025
	kfReorg   = dec("kf", "2024-12-16", 150)
)

func (s *script) organs() {
	for _, o := range organs {
		s.add("2023-01-01", "organ/"+o.id, &domain.RegisterOrgan{ID: o.id, Name: o.name, Kind: o.kind, Parent: o.parent,
			Effective: "2023-01-01"})
	}
	s.add("2023-01-01", "period/"+Period, &domain.OpenPeriod{ID: Period})

	// The reorganisation: the successor is registered first, effective from the new year; the goals
	// and the open commitment of the old committees are handed over, and then they are dissolved.
	s.add(string(kfReorgIn.MeetingDate), "organ/kfn", &domain.RegisterOrgan{ID: SuccessorOrgan, Name: "Kultur- och fritidsnämnden",
		Kind: "committee", Parent: "kf", Decision: &kfReorgIn, Effective: ReorganisedOn})
	for _, g := range committeeGoals {
		if _, ok := successor[g.owner]; ok {
			s.add(string(kfReorg.MeetingDate), "goal-owner/"+g.id, &domain.ReviseGoal{ID: g.id, Owner: str(successor[g.owner]),
				Reason: "Nämnden upphör vid årsskiftet; kultur- och fritidsnämnden tar över målet.", Decided: from(kfReorg, ReorganisedOn)})
		}
	}
	for _, c := range commitments {
		if r := responsible(c.organ, c.year); r != c.organ {
			s.add(string(kfReorg.MeetingDate), "commitment-responsible/"+c.id, &domain.ReviseCommitment{ID: c.id, Responsible: &r,
				Reason:  "Fritidsnämnden upphör vid årsskiftet; åtagandet förs över till kultur- och fritidsnämnden.",
				Decided: from(kfReorg, ReorganisedOn)})
		}
	}
	for _, id := range []string{"kn", "fn"} {
		s.add(string(kfReorg.MeetingDate), "dissolve/"+id, &domain.DissolveOrgan{ID: id, Successor: successor[id],
			Reason:   "Kultur- och fritidsfrågorna samlas i en nämnd från 2025.",
			Decision: dec("kf", string(kfReorg.MeetingDate), 151), Effective: ReorganisedOn})
	}
}
