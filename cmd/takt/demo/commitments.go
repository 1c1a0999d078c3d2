package demo

import "github.com/taktledger/takt/domain"

// A commitment (åtagande) made with an organ's plan for its year, TAKT-style: a clear text, the
// organ responsible, a measure with a baseline and a target, a due date in the year. Its progress
// is reported by the organ's administration; with an outcome it was reported completed at the
// organ's review of the year, with the result reached.
type commitment struct {
	id, organ, goal string
	year            int
	text            string
	what, unit      string
	base, target    float64
	due             string
	progress        []progress
	outcome         string
	result          float64
}

type progress struct {
	on      string
	value   float64
	status  string
	comment string
}

func t1(year string, v float64, status, comment string) progress {
	return progress{year + "-04-30", v, status, comment}
}

func t2(year string, v float64, status, comment string) progress {
	return progress{year + "-08-31", v, status, comment}
}

const (
	onTrack  = "on_track"
	atRisk   = "at_risk"
	offTrack = "off_track"
)

var commitments = []commitment{
	// 2023
	{id: "c23-bun-lasombud", organ: "bun", goal: "bun-las", year: 2023, due: "2023-12-31",
		text: "Utse ett läsombud på var och en av kommunens tolv grundskolor.",
		what: "Grundskolor med utsett läsombud", unit: "skolor", base: 3, target: 12,
		progress: []progress{t2("2023", 8, onTrack, "Fyra skolor utser läsombud efter höstlovet.")},
		outcome:  "Samtliga tolv skolor har läsombud som träffas i ett gemensamt nätverk varje månad.", result: 12},
	{id: "c23-sn-familjeteam", organ: "sn", goal: "sn-hemmaplan", year: 2023, due: "2023-12-31",
		text: "Starta ett familjebehandlingsteam som ger stöd i hemmet i stället för placering.",
		what: "Familjer som fått insats från teamet", unit: "familjer", base: 0, target: 40,
		progress: []progress{t2("2023", 18, atRisk, "Rekryteringen av två familjebehandlare blev klar först i juni.")},
		outcome:  "Teamet startade i april och har gett insatser till 37 familjer; målet nås fullt ut under 2024.", result: 37},
	{id: "c23-mbn-etjanst", organ: "mbn", goal: "mbn-bygglov", year: 2023, due: "2023-10-31",
		text: "Införa en e-tjänst för ansökan om bygglov och anmälan.",
		what: "Ansökningar som kommer in digitalt", unit: "%", base: 20, target: 60,
		progress: []progress{t1("2023", 35, onTrack, "E-tjänsten öppnade i mars.")},
		outcome:  "E-tjänsten är i drift och 64 procent av ansökningarna kommer in digitalt.", result: 64},
	{id: "c23-energi-laddare", organ: "energi", goal: "energi-laddning", year: 2023, due: "2023-12-31",
		text: "Bygga 30 nya publika laddpunkter vid handelsplatser och pendlarparkeringar.",
		what: "Publika laddpunkter i drift", unit: "laddpunkter", base: 12, target: 42,
		progress: []progress{t2("2023", 30, onTrack, "Laddgatan vid resecentrum är klar.")},
		outcome:  "44 publika laddpunkter i drift vid årets slut.", result: 44},
	{id: "c23-kn-bokstart", organ: "kn", goal: "kn-lasande", year: 2023, due: "2023-12-31",
		text: "Erbjuda alla familjer med barn mellan sex och tolv månader ett hembesök med bokgåva.",
		what: "Familjer som fått hembesök med bokgåva", unit: "%", base: 0, target: 80,
		progress: []progress{t2("2023", 61, onTrack, "Samarbetet med barnavårdscentralen fungerar väl.")},
		outcome:  "83 procent av familjerna har fått besök; arbetssättet blir ordinarie verksamhet.", result: 83},
	{id: "c23-ks-elbilar", organ: "ks", goal: "ks-klimat", year: 2023, due: "2023-12-31",
		text: "Byta 25 fossildrivna personbilar i kommunens bilpool mot elbilar.",
		what: "Utbytta personbilar", unit: "bilar", base: 0, target: 25,
		progress: []progress{t2("2023", 14, atRisk, "Leverantören har aviserat leveransförseningar.")},
		outcome:  "22 bilar är utbytta; de tre sista levereras i februari.", result: 22},

	// 2024
	{id: "c24-bun-narvaroteam", organ: "bun", goal: "bun-narvaro", year: 2024, due: "2024-08-15",
		text: "Inrätta närvaroteam med kurator, skolsköterska och specialpedagog på alla fyra högstadieskolor.",
		what: "Högstadieskolor med närvaroteam", unit: "skolor", base: 1, target: 4,
		progress: []progress{t1("2024", 3, onTrack, "Det sista teamet startar till höstterminen.")},
		outcome:  "Alla fyra högstadieskolor har närvaroteam från höstterminen 2024.", result: 4},
	{id: "c24-sn-genomforandeplaner", organ: "sn", goal: "sn-aldre", year: 2024, due: "2024-12-31",
		text: "Upprätta genomförandeplaner tillsammans med varje hemtjänsttagare.",
		what: "Hemtjänsttagare med aktuell genomförandeplan", unit: "%", base: 61, target: 90,
		progress: []progress{t1("2024", 72, onTrack, ""), t2("2024", 81, onTrack, "")},
		outcome:  "92 procent av hemtjänsttagarna har en genomförandeplan som följts upp under året.", result: 92},
	{id: "c24-mbn-livsmedel", organ: "mbn", goal: "mbn-tillsyn", year: 2024, due: "2024-12-31",
		text: "Genomföra samtliga planerade livsmedelskontroller enligt kontrollplanen.",
		what: "Utförda planerade livsmedelskontroller", unit: "%", base: 84, target: 100,
		progress: []progress{t2("2024", 62, atRisk, "Två inspektörer har varit föräldralediga under våren.")},
		outcome:  "96 procent av kontrollerna är gjorda; resten prioriteras i början av 2025.", result: 96},
	{id: "c24-fn-motesplats", organ: "fn", goal: "fn-motesplatser", year: 2024, due: "2024-06-30",
		text: "Öppna en ny mötesplats för unga i Norrby med kvälls- och helgöppet.",
		what: "Öppethållande timmar per vecka", unit: "timmar", base: 0, target: 20,
		progress: []progress{t1("2024", 0, atRisk, "Lokalen blir klar först i augusti."), t2("2024", 20, onTrack, "")},
		outcome:  "Mötesplatsen Norrby öppnade den 26 augusti och har öppet 20 timmar i veckan.", result: 20},
	{id: "c24-kn-fotoarkiv", organ: "kn", goal: "kn-kulturarv", year: 2024, due: "2024-12-31",
		text: "Digitalisera hembygdsarkivets fotosamling och göra den sökbar på webben.",
		what: "Digitaliserade fotografier", unit: "fotografier", base: 2000, target: 8000,
		progress: []progress{t2("2024", 6100, onTrack, "")},
		outcome:  "8 400 fotografier är digitaliserade och publicerade.", result: 8400},
	{id: "c24-bostad-forsen", organ: "bostad", goal: "bostad-nytt", year: 2024, due: "2024-06-30",
		text: "Påbörja byggnationen av kvarteret Forsen med 60 hyreslägenheter.",
		what: "Lägenheter i produktion", unit: "lägenheter", base: 0, target: 60,
		outcome: "Byggstart i maj för samtliga 60 lägenheter.", result: 60},
	{id: "c24-ks-heltid", organ: "ks", goal: "ks-kompetens", year: 2024, due: "2024-12-31",
		text: "Erbjuda heltidsanställning till alla deltidsanställda inom vård och omsorg som vill arbeta heltid.",
		what: "Tillsvidareanställda inom vård och omsorg med heltid", unit: "%", base: 68, target: 80,
		progress: []progress{t2("2024", 74, atRisk, "Schemaläggningen kräver fler helgpass än beräknat.")},
		outcome:  "78 procent har heltid; arbetet fortsätter inom ordinarie schemaplanering.", result: 78},

	// 2025
	{id: "c25-bun-lasgaranti", organ: "bun", goal: "bun-las", year: 2025, due: "2025-06-15",
		text: "Kartlägga läsförmågan hos alla elever i åk 1 och sätta in stöd inom fyra veckor vid behov.",
		what: "Elever i åk 1 som kartlagts och vid behov fått stöd", unit: "%", base: 70, target: 100,
		progress: []progress{t1("2025", 88, onTrack, "")},
		outcome:  "Alla elever i åk 1 är kartlagda; 46 elever har fått intensivträning i läsning.", result: 100},
	{id: "c25-sn-arbetsmarknad", organ: "sn", goal: "sn-arbete", year: 2025, due: "2025-12-31",
		text: "Ge fler personer med försörjningsstöd en plats i praktik, studier eller subventionerad anställning.",
		what: "Deltagare i arbetsmarknadsinsats", unit: "personer", base: 80, target: 150,
		progress: []progress{t1("2025", 52, onTrack, ""), t2("2025", 104, onTrack, "")},
		outcome:  "161 personer har deltagit; 58 av dem har gått vidare till arbete eller studier.", result: 161},
	{id: "c25-mbn-detaljplaner", organ: "mbn", goal: "mbn-bygglov", year: 2025, due: "2025-12-31",
		text: "Ta fram och lägga fram tre detaljplaner för bostäder för antagande.",
		what: "Antagna detaljplaner för bostäder", unit: "planer", base: 0, target: 3,
		progress: []progress{t2("2025", 1, atRisk, "Planen för Älvstranden har överklagats.")},
		outcome:  "Två planer är antagna och har vunnit laga kraft; den tredje är överklagad.", result: 2},
	{id: "c25-fn-konstgras", organ: "fn", goal: "fn-idrott", year: 2025, due: "2025-11-30",
		text: "Förlänga säsongen på de två konstgräsplanerna genom undervärme från fjärrvärmenätet.",
		what: "Veckor per år som planerna kan användas", unit: "veckor", base: 30, target: 44,
		progress: []progress{t2("2025", 30, onTrack, "Undervärmen installeras i september som planerat.")},
		outcome:  "Planerna kan användas 46 veckor om året.", result: 46},
	{id: "c25-kfn-kulturskola", organ: "kfn", goal: "kf-kultur", year: 2025, due: "2025-12-31",
		text: "Erbjuda avgiftsfri kulturskoleverksamhet på eftermiddagen på alla grundskolor.",
		what: "Grundskolor med avgiftsfri kulturskoleverksamhet", unit: "skolor", base: 5, target: 12,
		progress: []progress{t2("2025", 9, onTrack, "")},
		outcome:  "Kulturskolan finns nu på alla tolv grundskolor.", result: 12},
	{id: "c25-ks-elfordon", organ: "ks", goal: "ks-klimat", year: 2025, due: "2025-12-31",
		text: "Upphandla och ta i drift 30 eldrivna lätta lastbilar i hemtjänsten och fastighetsskötseln.",
		what: "Eldrivna lätta lastbilar i drift", unit: "fordon", base: 0, target: 30,
		progress: []progress{t1("2025", 6, atRisk, "Upphandlingen har överprövats."), t2("2025", 19, atRisk, "")},
		outcome:  "28 fordon är i drift; två levereras i januari.", result: 28},
	{id: "c25-energi-bioolja", organ: "energi", goal: "energi-fornybar", year: 2025, due: "2025-10-31",
		text: "Ställa om de två återstående reservpannorna från eldningsolja till bioolja.",
		what: "Reservpannor som drivs med förnybart bränsle", unit: "pannor", base: 1, target: 3,
		outcome: "Alla tre reservpannor går på bioolja sedan oktober.", result: 3},
	{id: "c25-bostad-matning", organ: "bostad", goal: "bostad-energi", year: 2025, due: "2025-12-31",
		text: "Installera individuell mätning och debitering av varmvatten i 400 lägenheter.",
		what: "Lägenheter med individuell varmvattenmätning", unit: "lägenheter", base: 250, target: 650,
		progress: []progress{t2("2025", 480, onTrack, "")},
		outcome:  "640 lägenheter har individuell mätning; tio återstår efter stambyte.", result: 640},
	{id: "c25-bostad-solceller", organ: "bostad", goal: "bostad-energi", year: 2025, due: "2025-12-31",
		text: "Installera solceller på taken till fem flerbostadshus.",
		what: "Flerbostadshus med solceller", unit: "hus", base: 2, target: 7,
		progress: []progress{t1("2025", 2, offTrack, "Elnätet i området kan inte ta emot mer produktion förrän det förstärkts.")}},

	// 2026
	{id: "c26-bun-narvaroregistrering", organ: "bun", goal: "bun-narvaro", year: 2026, due: "2026-12-31",
		text: "Införa digital närvaroregistrering med besked till vårdnadshavare samma dag på alla grundskolor.",
		what: "Grundskolor med digital närvaroregistrering", unit: "skolor", base: 4, target: 12,
		progress: []progress{t1("2026", 7, onTrack, ""), t2("2026", 10, onTrack, "")}},
	{id: "c26-sn-oppenvard", organ: "sn", goal: "sn-hemmaplan", year: 2026, due: "2026-12-31",
		text: "Minska vårddygnen i externa placeringar genom en förstärkt öppenvård för unga.",
		what: "Vårddygn i externa placeringar under året (prognos)", unit: "dygn", base: 9800, target: 8000,
		progress: []progress{t1("2026", 8900, atRisk, ""), t2("2026", 8500, atRisk, "Två nya placeringar under sommaren.")}},
	{id: "c26-mbn-komplettering", organ: "mbn", goal: "mbn-bygglov", year: 2026, due: "2026-12-31",
		text: "Ge besked om komplettering av bygglovsansökan inom fem arbetsdagar.",
		what: "Ansökningar med besked om komplettering inom fem arbetsdagar", unit: "%", base: 71, target: 95,
		progress: []progress{t2("2026", 89, onTrack, "")}},
	{id: "c26-kfn-meroppet", organ: "kfn", goal: "kn-lasande", year: 2026, due: "2026-10-31",
		text: "Göra biblioteken i kommundelarna meröppna, med tillgång med lånekort även utan personal.",
		what: "Meröppna bibliotek", unit: "bibliotek", base: 1, target: 4,
		progress: []progress{t1("2026", 2, onTrack, "")},
		outcome:  "Alla fyra kommundelsbibliotek är meröppna sedan oktober.", result: 4},
	{id: "c26-energi-laddare", organ: "energi", goal: "energi-laddning", year: 2026, due: "2026-12-31",
		text: "Bygga 40 nya publika laddpunkter i kommundelarna utanför centralorten.",
		what: "Publika laddpunkter i drift", unit: "laddpunkter", base: 44, target: 84,
		progress: []progress{t2("2026", 70, onTrack, "")}},
	{id: "c26-ks-rehab", organ: "ks", goal: "kf-arbetsgivare", year: 2026, due: "2026-12-31",
		text: "Ge varje medarbetare med ett sjukfall längre än fjorton dagar en rehabiliteringsplan inom 30 dagar.",
		what: "Sjukfall med rehabiliteringsplan inom 30 dagar", unit: "%", base: 55, target: 90,
		progress: []progress{t1("2026", 74, atRisk, ""), t2("2026", 83, onTrack, "")}},
}

func (s *script) commitments() {
	for _, c := range commitments {
		plan := plans[c.organ][c.year]
		s.add(string(plan.MeetingDate), "commitment/"+c.id, &domain.MakeCommitment{ID: c.id, Text: c.text, Responsible: c.organ,
			Goal: c.goal, Measure: &domain.Measure{Description: c.what, Unit: c.unit, Baseline: num(c.base), Target: num(c.target)},
			Year: c.year, Due: domain.Date(c.due), Decided: decided(plan)})
		for _, p := range c.progress {
			s.add(p.on, "progress/"+c.id+"/"+p.on, &domain.ReportProgress{ID: c.id, Organ: reporter[c.organ], Value: num(p.value),
				Status: p.status, Comment: p.comment, Effective: domain.Date(p.on)})
		}
		if c.outcome != "" {
			review := reviews[responsible(c.organ, c.year)][c.year]
			s.add(string(review.MeetingDate), "complete/"+c.id, &domain.CompleteCommitment{ID: c.id, Outcome: c.outcome,
				Value: num(c.result), Decided: decided(review)})
		}
	}
}
