package demo

import (
	"fmt"

	"github.com/taktledger/takt/domain"
)

const (
	higher = "higher_is_better"
	lower  = "lower_is_better"

	// municipalityCode is Älvby's invented Kolada municipality id.
	municipalityCode = "2199"
)

func kolada(kpi string) *domain.Source {
	return &domain.Source{Kind: "kolada", KPI: kpi, Municipality: municipalityCode}
}
func survey(what string) *domain.Source   { return &domain.Source{Kind: "survey", Description: what} }
func internal(what string) *domain.Source { return &domain.Source{Kind: "internal", Description: what} }
func other(what string) *domain.Source    { return &domain.Source{Kind: "other", Description: what} }

// An indicator with its baseline (2022), its targets for 2023–2026 and its values for 2023–2025,
// divided by gender when women and men are given. The KPI ids are invented in Kolada's style.
type indicator struct {
	goal, id, name, unit, measure, direction string
	src                                      *domain.Source
	base                                     float64
	targets, values, women, men              []float64
}

func y(v ...float64) []float64 { return v }

var (
	medborgarenkat  = survey("Älvbys medborgarenkät, hösten varje år")
	medarbetarenkat = survey("Kommunens medarbetarenkät")
)

var indicators = []indicator{
	// goal, id, name, unit, measure, direction, source, baseline, targets 2023–2026, values 2023–2025, women, men
	{"kf-skola", "i-behorighet", "Elever i åk 9 som är behöriga till yrkesprogram", "%", "percent", higher, kolada("N91510"),
		82.1, y(83, 84, 86, 88), y(81.4, 84.3, 86.4), y(84.0, 86.5, 88.6), y(78.9, 82.2, 84.3)},
	{"kf-skola", "i-meritvarde", "Genomsnittligt meritvärde i åk 9 (17 ämnen)", "poäng", "number", higher, kolada("N91512"),
		217.5, y(219, 221, 224, 227), y(220.3, 218.6, 224.9), y(231.0, 229.4, 236.2), y(209.8, 208.1, 214.0)},
	{"kf-kultur", "i-fritid-unga", "Unga 13–19 år som deltar i organiserad fritidsverksamhet", "%", "percent", higher,
		survey("Älvbys ungdomsenkät"), 58, y(59, 61, 63, 65), y(57, 60, 63), y(55, 59, 62), y(59, 61, 64)},
	{"kf-kultur", "i-bibliotek", "Utlån på folkbiblioteken per invånare", "lån/inv", "number", higher, kolada("U91320"),
		4.6, y(4.7, 4.9, 5.1, 5.3), y(4.8, 4.9, 5.0), nil, nil},
	{"kf-trygg", "i-trygghet", "Invånare som känner sig trygga utomhus kvällstid i sitt bostadsområde", "%", "percent", higher,
		medborgarenkat, 67, y(68, 70, 72, 74), y(68, 61, 64), y(60, 53, 57), y(76, 69, 71)},
	{"kf-trygg", "i-vald", "Anmälda våldsbrott per 100 000 invånare", "antal", "number", lower, kolada("N91070"),
		1120, y(1100, 1060, 1020, 980), y(1085, 1042, 1068), nil, nil},
	{"kf-omsorg", "i-nojd-hemtjanst", "Brukarbedömning hemtjänst äldreomsorg – helhetsbedömning", "%", "percent", higher, kolada("U91480"),
		87, y(88, 89, 90, 90), y(88, 87, 90), y(89, 88, 91), y(86, 85, 88)},
	{"kf-omsorg", "i-kontinuitet", "Antal personal som en hemtjänsttagare möter under 14 dagar", "antal", "number", lower, kolada("U91475"),
		17, y(16, 15, 14, 13), y(16, 15, 15), nil, nil},
	{"kf-klimat", "i-co2", "Utsläpp av växthusgaser inom kommunens geografiska område", "ton CO2e/inv", "number", lower, kolada("N90401"),
		4.9, y(4.7, 4.4, 4.1, 3.8), y(4.8, 4.4, 4.1), nil, nil},
	{"kf-klimat", RevisedIndicator, "Fossilfria fordon i kommunens fordonsflotta", "%", "percent", higher, internal("Kommunens fordonsregister"),
		31, y(40, 55, OldTarget, 85), y(42, 51, 62), nil, nil},
	{"kf-natur", "i-skyddad-natur", "Skyddad natur av kommunens landareal", "%", "percent", higher, kolada("N90700"),
		4.1, y(4.3, 4.6, 5.0, 5.5), y(4.2, 4.7, 5.1), nil, nil},
	{"kf-natur", "i-vattenstatus", "Ytvattenförekomster med god ekologisk status", "%", "percent", higher, other("Vattenmyndighetens statusklassning"),
		38, y(38, 40, 42, 45), y(38, 39, 41), nil, nil},
	{"kf-bostad", "i-nya-bostader", "Färdigställda bostäder", "antal", "number", higher, internal("Bygglovsregistret"),
		142, y(150, 160, 170, 180), y(131, 168, 174), nil, nil},
	{"kf-bostad", "i-bygglov-tid", "Handläggningstid för bygglov från komplett ansökan, median", "dagar", "number", lower,
		internal("Ärendesystemet för bygglov"), 34, y(30, 28, 25, 21), y(29, 26, 22), nil, nil},
	{"kf-jobb", "i-sysselsattning", "Förvärvsarbetande invånare 20–64 år", "%", "percent", higher, kolada("N91003"),
		79.6, y(80, 80.5, 81, 81.5), y(80.2, 80.6, 80.4), y(78.1, 78.7, 78.9), y(82.2, 82.4, 81.8)},
	{"kf-jobb", "i-ekbistand", "Invånare 20–64 år med långvarigt ekonomiskt bistånd", "%", "percent", lower, kolada("N91092"),
		1.9, y(1.8, 1.7, 1.6, 1.5), y(1.8, 1.8, 1.6), y(1.9, 2.0, 1.7), y(1.7, 1.6, 1.5)},
	{"kf-ekonomi", "i-resultat", "Årets resultat i procent av skatteintäkter och generella statsbidrag", "%", "percent", higher,
		internal("Kommunens ekonomisystem"), 2.8, y(2, 2, 2, 2), y(3.1, 1.4, 2.3), nil, nil},
	{"kf-ekonomi", "i-soliditet", "Soliditet inklusive samtliga pensionsförpliktelser", "%", "percent", higher, kolada("N93012"),
		21, y(21, 22, 23, 24), y(22.4, 21.8, 23.1), nil, nil},
	{"kf-arbetsgivare", CorrectedIndicator, "Sjukfrånvaro bland kommunens medarbetare", "%", "percent", lower, kolada("N90090"),
		8.4, y(8.0, 7.6, 7.2, 6.8), y(8.2, ValueAfterCorrection, 7.4), y(9.4, 9.9, 8.5), y(5.9, 5.9, 5.0)},
	{"kf-arbetsgivare", "i-hme", "Hållbart medarbetarengagemang (HME), totalindex", "index", "number", higher, medarbetarenkat,
		78, y(79, 80, 81, 82), y(79, 80, 81), y(80, 81, 82), y(77, 78, 80)},

	{"bun-las", "i-ak3-svenska", "Elever i åk 3 som klarat alla delprov i svenska", "%", "percent", higher, kolada("N91530"),
		71, y(73, 75, 77, 80), y(72, 76, 75), y(76, 79, 78), y(68, 73, 72)},
	{"bun-narvaro", "i-franvaro", "Elever i grundskolan med mer än 15 procent frånvaro", "%", "percent", lower, internal("Elevregistret"),
		14.2, y(13, 12, 11, 10), y(13.5, 12.1, 11.4), y(14.8, 13.0, 12.0), y(12.3, 11.2, 10.8)},
	{"sn-hemmaplan", "i-placeringar", "Barn och unga 0–20 år placerade utanför hemmet per 1 000 invånare", "antal", "number", lower,
		kolada("U92001"), 8.9, y(8.6, 8.2, 7.8, 7.4), y(8.7, 8.1, 7.9), nil, nil},
	{"sn-arbete", "i-avslut-arbete", "Avslutade försörjningsstöd där hushållet gått till arbete eller studier", "%", "percent", higher,
		internal("Verksamhetssystemet för försörjningsstöd"), 38, y(40, 42, 44, 46), y(39, 43, 45), nil, nil},
	{"mbn-tillsyn", "i-tillsyn", "Genomförda tillsynsbesök enligt tillsynsplanen", "%", "percent", higher, internal("Tillsynsregistret"),
		81, y(85, 90, 95, 95), y(86, 91, 93), nil, nil},
	{"fn-motesplatser", "i-fritidsgard", "Besök på fritidsgårdar och öppna mötesplatser för unga", "besök", "number", higher,
		internal("Besöksräkning på mötesplatserna"), 41200, y(42000, 44000, 46000, 48000), y(42900, 45300, 47100),
		y(16300, 17900, 19300), y(26600, 27400, 27800)},
	{"ks-kompetens", "i-personalomsattning", "Extern personalomsättning bland tillsvidareanställda", "%", "percent", lower,
		internal("Personalsystemet"), 11.2, y(10.5, 10, 9.5, 9), y(10.9, 9.8, 9.2), nil, nil},
	{"energi-fornybar", "i-fjarrvarme", "Förnybar och återvunnen energi i fjärrvärmeproduktionen", "%", "percent", higher,
		internal("Älvby Energis produktionsstatistik"), 91, y(93, 95, 97, 99), y(94, 96, 98), nil, nil},
	{"bostad-nytt", "i-hyresratter", "Färdigställda hyresrätter i Älvbyhems nyproduktion", "antal", "number", higher,
		internal("Älvbyhems projektredovisning"), 0, y(40, 50, 60, 50), y(36, 58, 64), nil, nil},
	{"bostad-energi", "i-energi-bostad", "Energianvändning i Älvbyhems bestånd", "kWh/m² Atemp", "number", lower,
		internal("Älvbyhems energiuppföljning"), 138, y(135, 131, 127, 123), y(134, 129, 128), nil, nil},
}

// A value first reported wrong and corrected later: the indicators table holds the right one.
var corrections = []struct {
	indicator    string
	year         int
	reported     float64
	women, men   float64
	on, reason   string
	valueID, fix string
}{
	{CorrectedIndicator, CorrectedYear, ValueBeforeCorrection, 9.3, 5.6, "2025-05-12",
		"Lönesystemets rapport räknade inte med timanställdas frånvaro; korrigerad efter avstämning med Försäkringskassans underlag.",
		CorrectedValueID, CorrectionValueID},
}

// Preliminary values for the interim report 2025 (January–August).
var interim2025 = []struct {
	indicator  string
	value      float64
	women, men float64 // 0 when the indicator is not divided
	src        *domain.Source
}{
	{CorrectedIndicator, 7.9, 9.0, 5.4, internal("Personalsystemet, januari–augusti")},
	{"i-resultat", 1.9, 0, 0, internal("Delårsbokslutet, prognos för helåret")},
	{"i-ekbistand", 1.7, 1.8, 1.6, internal("Verksamhetssystemet för försörjningsstöd, januari–augusti")},
}

func breakdown(women, men float64) *domain.Breakdown {
	return &domain.Breakdown{Women: num(women), Men: num(men)}
}

// indicatorValues reports every indicator's values, each year's at the end of January after it,
// and then the corrections, the method change and the revised targets.
func (s *script) indicatorValues() {
	for _, in := range indicators {
		organ := reporter[ownerOf(in.goal)]
		for i, v := range in.values {
			year := 2023 + i
			c := &domain.ReportValue{ID: in.id, ValueID: fmt.Sprintf("v%d", year), Organ: organ, Year: year, Value: num(v),
				Source: in.src, Effective: domain.Date(fmt.Sprintf("%d-01-31", year+1))}
			if in.women != nil {
				c.Breakdown = breakdown(in.women[i], in.men[i])
			}
			for _, k := range corrections {
				if k.indicator == in.id && k.year == year {
					c.ValueID, c.Value, c.Breakdown = k.valueID, num(k.reported), breakdown(k.women, k.men)
					s.add(k.on, "correct/"+in.id+"/"+k.valueID, &domain.CorrectValue{ID: in.id, Corrects: k.valueID, ValueID: k.fix,
						Organ: organ, Value: num(v), Breakdown: breakdown(in.women[i], in.men[i]), Reason: k.reason,
						Source: in.src, Effective: domain.Date(k.on)})
				}
			}
			s.add(string(c.Effective), "value/"+in.id+"/"+c.ValueID, c)
		}
	}
	for _, v := range interim2025 {
		c := &domain.ReportValue{ID: v.indicator, ValueID: "v2025-t2", Organ: "klk", Year: 2025, Point: "T2", Value: num(v.value),
			Status: "preliminary", Source: v.src, Effective: "2025-09-15"}
		if v.women != 0 {
			c.Breakdown = breakdown(v.women, v.men)
		}
		s.add(string(c.Effective), "value/"+v.indicator+"/"+c.ValueID, c)
	}

	s.add("2024-02-07", "method/"+MethodChangedIndicator, &domain.ChangeMethod{ID: MethodChangedIndicator, FromYear: MethodChangeYear,
		Description: "Medborgarenkäten görs från 2024 som webbpanel i stället för postenkät, med ett nytt urval. " +
			"Svaren är inte jämförbara med tidigare år.",
		Source: survey("Älvbys medborgarenkät, webbpanel"), Decided: decided(dec("ks", "2024-02-07", 15))})

	revision := from(dec("kf", "2025-03-24", 34), RevisionEffective)
	for _, t := range []domain.TargetSpec{{Year: RevisedTargetYear, Value: num(NewTarget)}, {Year: 2026, Value: num(75)}} {
		s.add(string(revision.Decision.MeetingDate), fmt.Sprintf("target/%s/%d", RevisedIndicator, t.Year),
			&domain.SetTarget{ID: RevisedIndicator, Year: t.Year, Value: t.Value, Decided: revision})
	}
}
