package demo

import (
	"fmt"

	"github.com/taktledger/takt/domain"
)

// A follow-up round: the council assesses its goals and then adopts the report, at one meeting.
type round struct {
	id, title, point string
	year             int
	asOf             string
	assess, adopt    domain.DecisionRef
}

var rounds = []round{
	{AnnualReport2024, "Årsredovisning 2024", "annual", 2024, "2024-12-31", dec("kf", "2025-04-14", 45), dec("kf", "2025-04-14", 46)},
	{InterimReport, "Delårsrapport januari–augusti 2025", "T2", 2025, "2025-08-31", dec("kf", "2025-10-27", 118), dec("kf", "2025-10-27", 119)},
	{AnnualReport, "Årsredovisning 2025", "annual", 2025, "2025-12-31", dec("kf", "2026-04-20", 41), dec("kf", "2026-04-20", 42)},
}

const (
	achieved      = "achieved"
	partly        = "partly_achieved"
	notAchieved   = "not_achieved"
	notAssessable = "not_assessable"
)

type verdict struct{ attainment, motivation string }

// The council's verdicts on its goals, one per round.
var councilVerdicts = []struct {
	goal     string
	verdicts [3]verdict
}{
	{"kf-skola", [3]verdict{
		{partly, "Behörigheten ökade men meritvärdet sjönk något; skillnaden mellan flickor och pojkar består."},
		{partly, "Läsinsatserna i lågstadiet ger effekt, men resultaten för åk 9 är inte kända förrän i juni."},
		{achieved, "Både behörighet och meritvärde nådde målvärdena för 2025."}}},
	{"kf-kultur", [3]verdict{
		{partly, "Utlåningen nådde målet; deltagandet i fritidsverksamhet ökade men inte till målvärdet."},
		{achieved, "Kulturskolan når fler skolor och besöken på mötesplatserna fortsätter att öka."},
		{partly, "Deltagandet i fritidsverksamhet nådde målvärdet; utlåningen ökade men låg under målet."}}},
	{"kf-trygg", [3]verdict{
		{notAssessable, "Medborgarenkäten har bytt metod och kan inte jämföras med tidigare år; våldsbrotten minskade."},
		{partly, "Det förebyggande arbetet följer plan; enkätresultatet redovisas i årsredovisningen."},
		{notAchieved, "Tryggheten ligger under målvärdet och de anmälda våldsbrotten ökade."}}},
	{"kf-omsorg", [3]verdict{
		{partly, "Kontinuiteten i hemtjänsten förbättrades men brukarnas helhetsbedömning sjönk."},
		{partly, "Genomförandeplanerna ger effekt; personalkontinuiteten är fortfarande för låg."},
		{partly, "Brukarnas helhetsbedömning nådde målet; kontinuiteten förbättras men når inte målvärdet."}}},
	{"kf-klimat", [3]verdict{
		{partly, "Utsläppen minskar i takt med målet men omställningen av fordonsflottan ligger efter."},
		{partly, "Efter det reviderade målvärdet för fordonsflottan följer omställningen plan."},
		{achieved, "Utsläppen minskade enligt plan och fordonsflottan nådde det reviderade målvärdet."}}},
	{"kf-natur", [3]verdict{
		{partly, "Två nya naturreservat bildades; vattenstatusen förbättrades men når inte målvärdet."},
		{partly, "Arbetet med det tredje reservatet är försenat."},
		{partly, "Andelen skyddad natur nådde målvärdet; vattenstatusen förbättras men når inte målvärdet."}}},
	{"kf-bostad", [3]verdict{
		{achieved, "168 bostäder färdigställdes och handläggningstiden för bygglov minskade."},
		{achieved, "Byggtakten är hög och planberedskapen god."},
		{achieved, "174 bostäder färdigställdes och bygglov beslutas på i median 22 dagar."}}},
	{"kf-jobb", [3]verdict{
		{partly, "Sysselsättningen ökade men det långvariga biståndet minskade inte."},
		{partly, "Arbetsmarknadsinsatserna når fler än planerat, men sysselsättningen har planat ut."},
		{partly, "Det långvariga biståndet nådde målvärdet, sysselsättningen gjorde det inte."}}},
	{"kf-ekonomi", [3]verdict{
		{notAchieved, "Resultatet blev 1,4 procent av skatter och statsbidrag, under målet två procent."},
		{partly, "Prognosen för helåret pekar mot ett resultat strax under målet."},
		{achieved, "Resultatet blev 2,3 procent och soliditeten stärktes."}}},
	{"kf-arbetsgivare", [3]verdict{
		{partly, "Engagemanget nådde målvärdet, men sjukfrånvaron ligger över målvärdet."},
		{partly, "Sjukfrånvaron minskar under 2025 men ligger fortfarande över målvärdet."},
		{partly, "Sjukfrånvaron minskade tydligt men nådde inte målvärdet; engagemanget nådde målet."}}},
}

// The committees' and companies' verdicts on their goals for 2025, at their review of the year.
var goalVerdicts2025 = map[string]verdict{
	"bun-las":         {partly, "Läsgarantin är genomförd men resultaten i åk 3 sjönk något."},
	"bun-narvaro":     {partly, "Andelen elever med hög frånvaro har minskat tre år i rad men ligger över målvärdet."},
	"bun-forskola":    {achieved, "Alla förskolor arbetar med den gemensamma språkplanen."},
	"sn-hemmaplan":    {partly, "Färre barn placeras, men vårddygnen i externa placeringar är fortsatt höga."},
	"sn-aldre":        {achieved, "Nästan alla hemtjänsttagare har en aktuell genomförandeplan."},
	"sn-arbete":       {achieved, "Fler hushåll än planerat har gått till arbete eller studier."},
	"mbn-bygglov":     {partly, "Handläggningstiderna är korta men en av tre detaljplaner har överklagats."},
	"mbn-tillsyn":     {partly, "93 procent av tillsynsplanen genomfördes."},
	"kn-lasande":      {achieved, "Bokstart och meröppna bibliotek når nya familjer."},
	"kn-kulturarv":    {achieved, "Fotosamlingen är sökbar och används i skolornas undervisning."},
	"fn-motesplatser": {achieved, "Besöken på mötesplatserna ökade, särskilt bland flickor."},
	"fn-idrott":       {achieved, "Konstgräsplanerna kan användas 46 veckor om året."},
	"ks-klimat":       {partly, "Omställningen av fordonen går långsammare än planerat."},
	"ks-kompetens":    {achieved, "Personalomsättningen minskade till 9,2 procent."},
	"energi-fornybar": {achieved, "Fjärrvärmen var till 98 procent förnybar, över årets målvärde; hundra procent nås 2026."},
	"energi-laddning": {achieved, "Utbyggnaden av laddpunkter ligger före plan."},
	"bostad-nytt":     {achieved, "158 av 200 hyresrätter är färdigställda."},
	"bostad-energi":   {notAchieved, "Energianvändningen minskade inte 2025 och solcellsprojektet avbröts."},
}

func (s *script) followUps() {
	for i, r := range rounds {
		date := string(r.adopt.MeetingDate)
		for _, g := range councilVerdicts {
			v := g.verdicts[i]
			s.add(date, fmt.Sprintf("assess/%s/%s-%d", g.goal, r.point, r.year), &domain.AssessGoal{ID: g.goal, Point: r.point,
				Year: r.year, Attainment: v.attainment, Motivation: v.motivation, Decided: decided(r.assess)})
		}
		s.add(date, "followup/"+r.id, &domain.AdoptFollowUp{ID: r.id, Point: r.point, Year: r.year, Title: r.title,
			AsOf: domain.Date(r.asOf), Decided: decided(r.adopt)})
	}
	for _, g := range committeeGoals {
		v, ok := goalVerdicts2025[g.id]
		if !ok {
			continue
		}
		review := reviews[responsible(g.owner, 2025)][2025]
		s.add(string(review.MeetingDate), "assess/"+g.id+"/annual-2025", &domain.AssessGoal{ID: g.id, Point: "annual", Year: 2025,
			Attainment: v.attainment, Motivation: v.motivation, Decided: decided(review)})
	}
}
