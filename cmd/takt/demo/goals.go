package demo

import "github.com/taktledger/takt/domain"

// The vision, adopted by the council at the meeting that adopted the strategic plan.
const visionText = "Älvby 2035 – där älven, människorna och idéerna möts. Älvby är en trygg, grön och växande " +
	"kommun där alla kan leva ett gott liv hela livet: barn lär sig och växer, äldre bestämmer över sin vardag, " +
	"företag vågar satsa och naturen vi lämnar över är rikare än den vi fick."

// The goal areas of the strategic plan.
const (
	areaLearning = "Lärande och kultur"
	areaSafety   = "Trygghet och hälsa"
	areaClimate  = "Klimat och miljö"
	areaGrowth   = "Attraktiv och växande kommun"
	areaOrg      = "Hållbar organisation och ekonomi"
)

// A goal of the mandate period. A council goal names its goal area and SDGs; a committee or
// company goal names the council goals it contributes to. Its indicators are in the indicators
// table, defined with it in one decision.
type goal struct {
	id, owner, title, desc string
	area                   string
	full, partial          []int // Agenda 2030 goals the goal serves fully or partly
	to                     []domain.Link
	level                  string // committee or company; council goals are strategic
}

// The council goals of the strategic plan 2023–2026.
var councilGoals = []goal{
	{id: "kf-skola", title: "Alla barn och elever når sin fulla potential", area: areaLearning, full: []int{4}, partial: []int{10},
		desc: "Förskola och skola ger varje barn förutsättningar att nå kunskapsmålen och bli behörig till gymnasiet."},
	{id: "kf-kultur", title: "Ett rikt kultur- och fritidsliv som når alla", area: areaLearning, full: []int{11}, partial: []int{3, 10},
		desc: "Kultur och fritid ska vara tillgängligt oavsett var i kommunen man bor och vad man har för bakgrund."},
	{id: "kf-trygg", title: "Invånarna känner sig trygga i hela kommunen", area: areaSafety, full: []int{16}, partial: []int{5, 11},
		desc: "Kommunen arbetar förebyggande tillsammans med polis, föreningar och näringsliv."},
	{id: "kf-omsorg", title: "Äldre och personer med funktionsnedsättning får en god och jämlik omsorg", area: areaSafety, full: []int{3}, partial: []int{10},
		desc: "Omsorgen utgår från den enskildes behov och önskemål och ges med kontinuitet."},
	{id: "kf-klimat", title: "Älvby är en fossilfri kommun 2035", area: areaClimate, full: []int{13}, partial: []int{7, 11},
		desc: "Utsläppen av växthusgaser minskar varje år, i kommunkoncernen och i kommunen som geografiskt område."},
	{id: "kf-natur", title: "Rent vatten och en rik natur", area: areaClimate, full: []int{6, 15}, partial: []int{14},
		desc: "Vattendragen når god ekologisk status och andelen skyddad natur ökar."},
	{id: "kf-bostad", title: "Det byggs bostäder för alla skeden i livet", area: areaGrowth, full: []int{11}, partial: []int{1},
		desc: "Planberedskapen ska räcka för minst 170 nya bostäder om året, i alla kommundelar."},
	{id: "kf-jobb", title: "Fler invånare är självförsörjande genom arbete", area: areaGrowth, full: []int{8}, partial: []int{1, 4},
		desc: "Kommunen samverkar med näringslivet och Arbetsförmedlingen så att fler går från bidrag till arbete."},
	{id: "kf-ekonomi", title: "En ekonomi i balans över tid", area: areaOrg, full: []int{16}, partial: []int{12},
		desc: "Resultatet ska vara minst två procent av skatter och statsbidrag, så att investeringarna kan finansieras."},
	{id: "kf-arbetsgivare", title: "Älvby kommun är en attraktiv arbetsgivare", area: areaOrg, full: []int{8}, partial: []int{3, 5},
		desc: "Medarbetarna är friska, engagerade och vill stanna och utvecklas i kommunen."},
}

func up(goals ...string) []domain.Link {
	links := make([]domain.Link, len(goals))
	for i, g := range goals {
		links[i] = domain.Link{Goal: g}
	}
	return links
}

func weighted(goal string, w float64) domain.Link { return domain.Link{Goal: goal, Weight: num(w)} }

// The goals of the committees, the executive board and the companies, adopted with their plans
// for 2023.
var committeeGoals = []goal{
	{id: "bun-las", owner: "bun", to: up("kf-skola"), title: "Alla elever har en god läsförmåga när de lämnar lågstadiet"},
	{id: "bun-narvaro", owner: "bun", to: up("kf-skola"), title: "Alla elever är i skolan varje dag"},
	{id: "bun-forskola", owner: "bun", to: up("kf-skola", "kf-jobb"), title: "Förskolan lägger grunden för lärande och språkutveckling"},
	{id: "sn-hemmaplan", owner: "sn", to: up("kf-trygg"), title: "Barn och unga får stöd på hemmaplan i första hand"},
	{id: "sn-aldre", owner: "sn", to: up("kf-omsorg"), title: "Äldre bestämmer över sin egen vardag"},
	{id: "sn-arbete", owner: "sn", to: up("kf-jobb"), title: "Fler hushåll med försörjningsstöd blir självförsörjande"},
	{id: "mbn-bygglov", owner: "mbn", to: up("kf-bostad"), title: "Snabb, rättssäker och förutsägbar bygglovsprövning"},
	{id: "mbn-tillsyn", owner: "mbn", to: up("kf-natur"), title: "Tillsynen skyddar människors hälsa och miljön"},
	{id: "kn-lasande", owner: "kn", to: []domain.Link{weighted("kf-kultur", 0.7), weighted("kf-skola", 0.3)},
		title: "Fler barn och unga läser på fritiden"},
	{id: "kn-kulturarv", owner: "kn", to: up("kf-kultur"), title: "Älvbys kulturarv är tillgängligt för alla"},
	{id: "fn-motesplatser", owner: "fn", to: up("kf-kultur", "kf-trygg"), title: "Unga har trygga mötesplatser i alla kommundelar"},
	{id: "fn-idrott", owner: "fn", to: up("kf-kultur"), title: "Idrotts- och friluftsanläggningar används året runt"},
	{id: "ks-klimat", owner: "ks", to: up("kf-klimat"), title: "Kommunens verksamheter ställer om till fossilfria transporter"},
	{id: "ks-kompetens", owner: "ks", to: up("kf-arbetsgivare"), title: "Kommunen behåller och utvecklar sina medarbetare"},
	{id: "energi-fornybar", owner: "energi", level: "company", to: up("kf-klimat"), title: "Fjärrvärmen är helt förnybar"},
	{id: "energi-laddning", owner: "energi", level: "company", to: up("kf-klimat"), title: "Laddinfrastrukturen byggs ut i hela kommunen"},
	{id: "bostad-nytt", owner: "bostad", level: "company", to: up("kf-bostad"), title: "Älvbyhem bygger 200 nya hyresrätter under mandatperioden"},
	{id: "bostad-energi", owner: "bostad", level: "company", to: up("kf-klimat"), title: "Älvbyhems bostäder blir mer energieffektiva"},
}

func sdgs(full, partial []int) []domain.SDGLink {
	var links []domain.SDGLink
	for _, n := range full {
		links = append(links, domain.SDGLink{SDG: n, Strength: "full"})
	}
	for _, n := range partial {
		links = append(links, domain.SDGLink{SDG: n, Strength: "partial"})
	}
	return links
}

func (s *script) goals() {
	s.add(string(kfPlan.MeetingDate), "vision/"+VisionID, &domain.AdoptVision{ID: VisionID, Text: visionText, Horizon: "2035",
		Decided: decided(dec("kf", string(kfPlan.MeetingDate), 11))})
	for _, g := range councilGoals {
		s.add(string(kfPlan.MeetingDate), "goal/"+g.id, &domain.AdoptGoal{ID: g.id, Title: g.title, Description: g.desc,
			Level: "strategic", Owner: "kf", GoalArea: g.area, SDGs: sdgs(g.full, g.partial), Indicators: indicatorsOf(g.id),
			Decided: decided(kfPlan)})
	}
	for _, g := range committeeGoals {
		plan := plans[g.owner][2023]
		level := g.level
		if level == "" {
			level = "committee"
		}
		s.add(string(plan.MeetingDate), "goal/"+g.id, &domain.AdoptGoal{ID: g.id, Title: g.title, Level: level, Owner: g.owner,
			ContributesTo: g.to, Indicators: indicatorsOf(g.id), Decided: decided(plan)})
	}
}

// indicatorsOf returns the indicators of a goal with their targets for each year of the period.
func indicatorsOf(goal string) []domain.IndicatorSpec {
	var specs []domain.IndicatorSpec
	for _, in := range indicators {
		if in.goal != goal {
			continue
		}
		spec := domain.IndicatorSpec{ID: in.id, Name: in.name, Unit: in.unit, Measure: in.measure, Direction: in.direction,
			Source: in.src, Baseline: &domain.Baseline{Value: in.base, Year: 2022}, GenderDivided: in.women != nil}
		for i, t := range in.targets {
			spec.Targets = append(spec.Targets, domain.TargetSpec{Year: 2023 + i, Value: num(t)})
		}
		specs = append(specs, spec)
	}
	return specs
}

// ownerOf returns who owned a goal when the period began: the council, unless a committee or a
// company did.
func ownerOf(id string) string {
	for _, g := range committeeGoals {
		if g.id == id {
			return g.owner
		}
	}
	return "kf"
}
