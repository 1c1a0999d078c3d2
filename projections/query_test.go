package projections_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/taktledger/takt/domain"
)

var ctx = context.Background()

// A target revised by a 2025 decision effective 2025-01-01, and a 2024 value corrected in March
// 2025: what was in force, and what the ledger knew, when.
func TestBitemporal(t *testing.T) {
	e := newEnv(t)
	e.base(t)
	e.at(t, "2025-02-01", &domain.ReportValue{ID: "i1", ValueID: "v2024", Organ: "buf", Year: 2024, Value: f(86.5), Effective: "2025-02-01"})
	revised := e.at(t, "2025-01-20", &domain.SetTarget{ID: "i1", Year: 2025, Value: f(90),
		Decided: domain.Decided{Period: "2023-2026", Decision: ref("kf", "2025-01-20", "4"), Effective: "2025-01-01"}})
	corrected := e.at(t, "2025-03-15", &domain.CorrectValue{ID: "i1", Corrects: "v2024", ValueID: "v2024b", Organ: "buf",
		Value: f(84.1), Reason: "Fel i underlaget", Effective: "2025-03-15"})

	target2025 := func(in *domain.IndicatorView) float64 {
		for _, tg := range in.Targets {
			if tg.Year == 2025 {
				return tg.Value
			}
		}
		t.Fatalf("no 2025 target in %+v", in.Targets)
		return 0
	}
	in, err := e.db.Indicator(ctx, tenant, "i1", read(asOf("2024-12-31"), minSeq(corrected)))
	if err != nil {
		t.Fatal(err)
	}
	if got := target2025(in); got != 88 {
		t.Errorf("as_of 2024-12-31: 2025 target %v, want the old 88", got)
	}
	in, err = e.db.Indicator(ctx, tenant, "i1", read(asOf("2025-01-01")))
	if err != nil {
		t.Fatal(err)
	}
	if got := target2025(in); got != 90 {
		t.Errorf("as_of 2025-01-01: 2025 target %v, want the revised 90", got)
	}
	// Before the revision was recorded, the ledger did not know of it even for dates after 2025-01-01.
	in, err = e.db.Indicator(ctx, tenant, "i1", read(asOf("2025-06-30"), knownAt(revised-1)))
	if err != nil {
		t.Fatal(err)
	}
	if got := target2025(in); got != 88 {
		t.Errorf("known_at before the revision: 2025 target %v, want 88", got)
	}

	// The value: before the correction was recorded the old one, after it the corrected one.
	in, err = e.db.Indicator(ctx, tenant, "i1", read(asOf("2025-06-30"), knownAt(corrected-1)))
	if err != nil {
		t.Fatal(err)
	}
	if in.Latest == nil || *in.Latest.Value != 86.5 || in.Status != domain.OnTrack || len(in.Values) != 1 {
		t.Errorf("known_at before the correction: latest %+v status %s values %d, want 86.5 on track, 1 value", in.Latest, in.Status, len(in.Values))
	}
	in, err = e.db.Indicator(ctx, tenant, "i1", read(asOf("2025-06-30")))
	if err != nil {
		t.Fatal(err)
	}
	if in.Latest == nil || *in.Latest.Value != 84.1 || in.Latest.Corrects != "v2024" || in.Status != domain.OffTrack {
		t.Errorf("after the correction: latest %+v status %s, want 84.1 off track", in.Latest, in.Status)
	}
	if len(in.Values) != 2 || in.Values[0].ID != "v2024" || in.Values[0].CorrectedBy != "v2024b" || *in.Values[0].Value != 86.5 {
		t.Errorf("values %+v: want the corrected one kept beside its correction", in.Values)
	}
	// Known at a recording time: the correction was recorded on 2025-03-15.
	in, err = e.db.Indicator(ctx, tenant, "i1", domain.ReadOptions{AsOf: "2025-06-30", KnownAtTime: time.Date(2025, 3, 14, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if in.Latest == nil || *in.Latest.Value != 86.5 {
		t.Errorf("known_at 2025-03-14: latest %+v, want 86.5", in.Latest)
	}

	// The history keeps both 2025 targets with their decisions.
	in, _ = e.db.Indicator(ctx, tenant, "i1", read())
	var hist []string
	for _, tg := range in.TargetHistory {
		if tg.Year == 2025 {
			hist = append(hist, string(tg.Decision.MeetingDate)+" §"+tg.Decision.Paragraph)
		}
	}
	if want := []string{"2023-02-13 §12", "2025-01-20 §4"}; !slices.Equal(hist, want) {
		t.Errorf("2025 target history %v, want %v", hist, want)
	}
	rows, err := e.db.Audit(ctx, tenant, domain.AuditFilter{Period: "2023-2026", From: "2025-01-01"}, read())
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, r := range rows {
		types = append(types, r.EventType+" "+r.Kind+"/"+r.ID)
	}
	want := []string{"indicator.target_set target/i1/2025", "indicator.value_reported value/i1/v2024",
		"indicator.value_corrected value/i1/v2024", "indicator.value_corrected value/i1/v2024b"}
	slices.Sort(types)
	slices.Sort(want)
	if !slices.Equal(types, want) {
		t.Errorf("audit from 2025-01-01: %v, want %v", types, want)
	}
}

// A whole term of one goal: adopted, revised twice, relinked, assessed and retired, each version
// with its decision and its diff, in order.
func TestGoalTerm(t *testing.T) {
	e := newEnv(t)
	e.base(t)
	e.at(t, "2023-03-02", &domain.AdoptGoal{ID: "g0", Title: "Ett livslångt lärande", Level: "strategic", Owner: "kf", Decided: decided("kf", "2023-03-01", "20")})
	e.at(t, "2023-03-02", &domain.AdoptGoal{ID: "g2", Title: "Fler elever läser", Level: "committee", Owner: "bun",
		ContributesTo: []domain.Link{{Goal: "g1", Weight: f(0.5)}}, Decided: decided("bun", "2023-03-01", "3")})
	steps := []struct {
		when string
		cmd  domain.Command
	}{
		{"2024-02-01", &domain.ReviseGoal{ID: "g2", Title: s("Fler elever läser varje dag"), Reason: "Skärpt", Decided: decided("bun", "2024-01-31", "7")}},
		{"2024-06-01", &domain.ReviseGoal{ID: "g2", Description: s("Läsning på fritiden"), Reason: "Förtydligat", Decided: decided("bun", "2024-05-30", "31")}},
		{"2024-09-01", &domain.RelinkGoal{ID: "g2", ContributesTo: []domain.Link{{Goal: "g0"}}, Reason: "Ny inriktning", Decided: decided("bun", "2024-08-29", "44")}},
		{"2025-02-20", &domain.AssessGoal{ID: "g2", Point: "annual", Year: 2024, Attainment: "partly_achieved", Motivation: "Delvis", Decided: decided("bun", "2025-02-19", "9")}},
		{"2026-12-10", &domain.RetireGoal{ID: "g2", Reason: "Ersatt", Decided: decided("bun", "2026-12-09", "80")}},
	}
	var last uint64
	for _, st := range steps {
		last = e.at(t, st.when, st.cmd)
	}

	hist, err := e.db.GoalHistory(ctx, tenant, "g2", domain.HistoryFilter{}, read(minSeq(last)))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		typ, para, valid string
		diff             []string
	}{
		{"goal.adopted", "3", "2023-03-01", []string{"contributes_to", "id", "level", "owner", "period", "periods", "sdgs", "status", "title"}},
		{"goal.revised", "7", "2024-01-31", []string{"title"}},
		{"goal.revised", "31", "2024-05-30", []string{"description"}},
		{"goal.relinked", "44", "2024-08-29", []string{"contributes_to"}},
		{"goal.assessed", "9", "2025-02-19", []string{"assessment"}},
		{"goal.retired", "80", "2026-12-09", []string{"status"}},
	}
	if len(hist) != len(want) {
		t.Fatalf("got %d versions, want %d", len(hist), len(want))
	}
	for i, v := range hist {
		w := want[i]
		changes, err := v.Diff.Changes()
		if err != nil {
			t.Fatal(err)
		}
		keys := slices.Sorted(maps.Keys(changes))
		if v.EventType != w.typ || v.Decision == nil || v.Decision.Paragraph != w.para || string(v.ValidFrom) != w.valid ||
			v.Version != i+1 || !slices.Equal(keys, w.diff) || v.Actor != "anna" {
			t.Errorf("version %d: %s §%v from %s v%d diff %v; want %s §%s from %s diff %v",
				i+1, v.EventType, v.Decision, v.ValidFrom, v.Version, keys, w.typ, w.para, w.valid, w.diff)
		}
		if i+1 < len(hist) && v.ValidTo != hist[i+1].ValidFrom {
			t.Errorf("version %d valid to %s, want %s", i+1, v.ValidTo, hist[i+1].ValidFrom)
		}
	}
	changes, err := hist[1].Diff.Changes()
	if err != nil {
		t.Fatal(err)
	}
	if d := changes["title"]; string(d.Before) != `"Fler elever läser"` || string(d.After) != `"Fler elever läser varje dag"` {
		t.Errorf("title diff %s → %s", d.Before, d.After)
	}
	if hist[len(hist)-1].ValidTo != "" {
		t.Errorf("the last version is valid to %s, want open", hist[len(hist)-1].ValidTo)
	}
	// In SQL, the view history_valid gives each version the same valid_to.
	raw, err := sql.Open("sqlite3", "file:"+e.db.Path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.Query("SELECT coalesce(valid_to, '') FROM history_valid WHERE kind = 'goal' AND id = 'g2' ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	var viewed []domain.Date
	for rows.Next() {
		var to domain.Date
		if err := rows.Scan(&to); err != nil {
			t.Fatal(err)
		}
		viewed = append(viewed, to)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	asRead := make([]domain.Date, len(hist))
	for i, v := range hist {
		asRead[i] = v.ValidTo
	}
	if !slices.Equal(viewed, asRead) {
		t.Errorf("history_valid: valid_to %q, want %q as read", viewed, asRead)
	}

	// Known at the relink, the history ends there and its last version is open.
	part, err := e.db.GoalHistory(ctx, tenant, "g2", domain.HistoryFilter{}, read(knownAt(hist[3].Seq)))
	if err != nil {
		t.Fatal(err)
	}
	if len(part) != 4 || part[3].ValidTo != "" {
		t.Errorf("known at the relink: %d versions, last valid to %q", len(part), part[len(part)-1].ValidTo)
	}
	// Changes during 2024 only.
	part, err = e.db.GoalHistory(ctx, tenant, "g2", domain.HistoryFilter{From: "2024-01-01", To: "2024-12-31"}, read())
	if err != nil {
		t.Fatal(err)
	}
	if len(part) != 3 {
		t.Errorf("changes during 2024: %d, want 3", len(part))
	}

	// What was in force on a date.
	for _, c := range []struct {
		asOf, title, parent, status string
	}{
		{"2023-12-31", "Fler elever läser", "g1", domain.StatusActive},
		{"2024-07-01", "Fler elever läser varje dag", "g1", domain.StatusActive},
		{"2025-06-30", "Fler elever läser varje dag", "g0", domain.StatusActive},
		{"2026-12-31", "Fler elever läser varje dag", "g0", domain.StatusRetired},
	} {
		g, err := e.db.Goal(ctx, tenant, "g2", read(asOf(c.asOf)))
		if err != nil {
			t.Fatal(err)
		}
		if g.Title != c.title || g.ContributesTo[0].Goal != c.parent || g.Status != c.status {
			t.Errorf("as of %s: %q → %s %s; want %q → %s %s", c.asOf, g.Title, g.ContributesTo[0].Goal, g.Status, c.title, c.parent, c.status)
		}
	}
	if _, err := e.db.Goal(ctx, tenant, "g2", read(asOf("2023-02-28"))); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("before its adoption: %v, want not found", err)
	}

	// The tree: parents first, retired goals left out unless asked for.
	tree, err := e.db.Goals(ctx, tenant, domain.GoalFilter{Period: "2023-2026"}, read(asOf("2025-06-30")))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, g := range tree.Goals {
		ids = append(ids, g.ID)
	}
	if !slices.Equal(ids, []string{"g0", "g1", "g2"}) || !slices.Equal(tree.Goals[0].Contributors, []string{"g2"}) {
		t.Errorf("tree %v, contributors of g0 %v", ids, tree.Goals[0].Contributors)
	}
	if g1 := tree.Goals[1]; len(g1.Indicators) != 1 || g1.Indicators[0].Status != domain.NoValue || len(g1.Indicators[0].Targets) != 2 {
		t.Errorf("g1 indicators %+v", g1.Indicators)
	}
	if g2 := tree.Goals[2]; g2.Assessment == nil || g2.Assessment.Attainment != "partly_achieved" || g2.Assessment.Suggested != "not_assessable" {
		t.Errorf("g2 assessment %+v", g2.Assessment)
	}
	tree, err = e.db.Goals(ctx, tenant, domain.GoalFilter{Period: "2023-2026", Organ: "bun"}, read(asOf("2027-01-01")))
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Goals) != 0 {
		t.Errorf("retired goal in the tree: %+v", tree.Goals)
	}
	tree, err = e.db.Goals(ctx, tenant, domain.GoalFilter{Period: "2023-2026", Organ: "bun", IncludeRetired: true}, read(asOf("2027-01-01")))
	if err != nil || len(tree.Goals) != 1 {
		t.Errorf("with retired: %v %+v", err, tree)
	}
}

// A follow-up report reopens exactly as adopted, whatever was decided after it.
func TestFollowUpReopensAsAdopted(t *testing.T) {
	e := newEnv(t)
	e.base(t)
	e.at(t, "2024-09-20", &domain.AssessGoal{ID: "g1", Point: "T2", Year: 2024, Attainment: "partly_achieved", Motivation: "Delvis", Decided: decided("kf", "2024-09-19", "3")})
	e.at(t, "2025-02-01", &domain.ReportValue{ID: "i1", ValueID: "v2024", Organ: "buf", Year: 2024, Value: f(86.5), Effective: "2025-02-01"})
	// The report's verdict, at the meeting that adopts it: it applies from then, after the report's date.
	last := e.at(t, "2025-04-15", &domain.AssessGoal{ID: "g1", Point: "annual", Year: 2024, Attainment: "achieved", Motivation: "Nått", Decided: decided("kf", "2025-04-14", "29")})
	before, err := e.db.Goals(ctx, tenant, domain.GoalFilter{Period: "2023-2026"}, read(asOf("2024-12-31"), minSeq(last)))
	if err != nil {
		t.Fatal(err)
	}
	if a := before.Goals[0].Assessment; a == nil || a.Point != "T2" {
		t.Fatalf("as of 2024-12-31 the T2 verdict is in force, got %+v", a)
	}
	verdict, err := e.db.Goal(ctx, tenant, "g1", read(minSeq(last)))
	if err != nil {
		t.Fatal(err)
	}
	copied := *before // the tree read is shared with the tree cache: changed only in a copy
	copied.Goals = slices.Clone(before.Goals)
	copied.Goals[0].Assessment = verdict.Assessment // what the report says of g1
	before = &copied
	adopted := e.at(t, "2025-04-15", &domain.AdoptFollowUp{ID: "ar2024", Point: "annual", Year: 2024, Title: "Årsredovisning 2024",
		AsOf: "2024-12-31", Decided: decided("kf", "2025-04-14", "30")})
	// Assessed again for the same point after the report: not what the report said.
	e.at(t, "2025-04-20", &domain.AssessGoal{ID: "g1", Point: "annual", Year: 2024, Attainment: "not_achieved", Motivation: "Omprövat", Decided: decided("kf", "2025-04-19", "31")})

	// Later decisions, some of them reaching back before the report's date.
	e.at(t, "2025-05-01", &domain.ReviseGoal{ID: "g1", Title: s("Varje elev når sin fulla potential"), Reason: "R",
		Decided: domain.Decided{Period: "2023-2026", Decision: ref("kf", "2025-04-30", "40"), Effective: "2024-01-01"}})
	e.at(t, "2025-05-02", &domain.CorrectValue{ID: "i1", Corrects: "v2024", Organ: "buf", Value: f(80), Reason: "Fel"})
	e.at(t, "2025-05-03", &domain.SetTarget{ID: "i1", Year: 2024, Value: f(70), Decided: domain.Decided{Period: "2023-2026",
		Decision: ref("kf", "2025-05-02", "41"), Effective: "2024-01-01"}})
	end := e.at(t, "2025-05-04", &domain.AdoptGoal{ID: "g9", Title: "Nytt", Level: "result", Owner: "kf", Decided: domain.Decided{
		Period: "2023-2026", Decision: ref("kf", "2025-05-03", "42"), Effective: "2024-06-01"}})

	report, err := e.db.FollowUp(ctx, tenant, "ar2024", read(minSeq(end)))
	if err != nil {
		t.Fatal(err)
	}
	if report.FollowUp.Seq != adopted || report.FollowUp.Title != "Årsredovisning 2024" || report.Tree.KnownAt != adopted-1 {
		t.Errorf("follow-up %+v known at %d", report.FollowUp, report.Tree.KnownAt)
	}
	got, _ := json.Marshal(report.Tree)
	want, _ := json.Marshal(before)
	if string(got) != string(want) {
		t.Errorf("reopened:\n%s\nas adopted:\n%s", got, want)
	}
	// The present view does see the later decisions.
	now, err := e.db.Goals(ctx, tenant, domain.GoalFilter{Period: "2023-2026"}, read(asOf("2024-12-31")))
	if err != nil {
		t.Fatal(err)
	}
	if len(now.Goals) != 2 || now.Goals[0].Title != "Varje elev når sin fulla potential" || now.Goals[0].Indicators[0].Status != domain.OnTrack ||
		*now.Goals[0].Indicators[0].Latest.Value != 80 {
		t.Errorf("present view: %+v", now.Goals)
	}
}

// A read that names the sequence of a write it made sees that write, without sleeping.
func TestReadYourWrites(t *testing.T) {
	e := newEnv(t)
	e.base(t)
	for i := range 20 {
		id := "rw" + string(rune('a'+i))
		seq := e.do(t, &domain.AdoptGoal{ID: id, Title: "Mål " + id, Level: "result", Owner: "kf", Decided: decided("kf", "2023-02-13", id)})
		g, err := e.db.Goal(ctx, tenant, id, read(minSeq(seq), asOf("2023-12-31")))
		if err != nil {
			t.Fatalf("goal %s at seq %d: %v", id, seq, err)
		}
		if g.Seq != seq {
			t.Fatalf("goal %s seq %d, want %d", id, g.Seq, seq)
		}
	}
	// A sequence the log has not reached yet is waited for until the context gives up.
	c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := e.db.Periods(c, tenant, read(minSeq(1_000_000))); domain.ErrorCode(err) != domain.EUNAVAILABLE {
		t.Errorf("waiting for an unreached sequence: %v, want unavailable", err)
	}
}

func TestQueries(t *testing.T) {
	e := newEnv(t)
	e.base(t)
	e.at(t, "2024-03-01", &domain.MakeCommitment{ID: "c1", Text: "Läxhjälp på alla skolor", Responsible: "bun", Goal: "g1",
		Measure: &domain.Measure{Description: "Skolor", Unit: "st", Target: f(12)}, Year: 2024, Due: "2024-12-31", Decided: decided("bun", "2024-02-28", "5")})
	e.at(t, "2024-06-01", &domain.ReportProgress{ID: "c1", Organ: "buf", Value: f(6), Status: "on_track", Effective: "2024-06-01"})
	e.at(t, "2024-09-01", &domain.ReportProgress{ID: "c1", Organ: "buf", Value: f(9), Status: "at_risk", Effective: "2024-09-01"})
	e.at(t, "2024-10-01", &domain.ChangeMethod{ID: "i1", Description: "Ny definition", FromYear: 2025, Decided: decided("kf", "2024-09-30", "60")})
	e.at(t, "2024-12-01", &domain.RegisterOrgan{ID: "kun", Name: "Kultur- och utbildningsnämnden", Kind: "committee", Effective: "2025-01-01"})
	last := e.at(t, "2024-12-02", &domain.DissolveOrgan{ID: "bun", Successor: "kun", Decision: ref("kf", "2024-12-01", "99"), Effective: "2025-01-01"})

	cs, err := e.db.Commitments(ctx, tenant, domain.CommitmentFilter{Organ: "bun", Year: 2024}, read(minSeq(last), asOf("2024-12-31")))
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Progress == nil || *cs[0].Progress.Value != 9 || len(cs[0].Reports) != 2 {
		t.Fatalf("commitments %+v", cs)
	}
	cs, _ = e.db.Commitments(ctx, tenant, domain.CommitmentFilter{Year: 2024}, read(asOf("2024-07-01")))
	if len(cs) != 1 || len(cs[0].Reports) != 1 || cs[0].Progress.Status != "on_track" {
		t.Errorf("commitments as of July %+v", cs)
	}
	if cs, _ := e.db.Commitments(ctx, tenant, domain.CommitmentFilter{Year: 2025}, read()); len(cs) != 0 {
		t.Errorf("commitments of 2025 %+v", cs)
	}

	organs, err := e.db.Organs(ctx, tenant, read(asOf("2025-01-01")))
	if err != nil {
		t.Fatal(err)
	}
	if len(organs) != 4 || organs[0].ID != "buf" || !organs[1].Dissolved || organs[1].Successor != "kun" {
		t.Errorf("organs %+v", organs)
	}
	organs, _ = e.db.Organs(ctx, tenant, read(asOf("2024-12-31")))
	if len(organs) != 3 || organs[0].Dissolved || organs[1].Dissolved {
		t.Errorf("organs before the reorganisation %+v", organs)
	}
	periods, err := e.db.Periods(ctx, tenant, read())
	if err != nil || len(periods) != 1 || periods[0].FirstYear != 2023 || periods[0].Closed {
		t.Errorf("periods %+v %v", periods, err)
	}
	in, err := e.db.Indicator(ctx, tenant, "i1", read())
	if err != nil || len(in.Breaks) != 1 || in.Breaks[0].FromYear != 2025 {
		t.Errorf("method breaks %+v %v", in, err)
	}

	// Bad options and unknown things.
	if _, err := e.db.Goals(ctx, tenant, domain.GoalFilter{}, read()); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("tree without period: %v", err)
	}
	if _, err := e.db.Goal(ctx, tenant, "g1", read(asOf("2024-13-01"))); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("bad as_of: %v", err)
	}
	if _, err := e.db.Goal(ctx, "other", "g1", read()); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("other tenant: %v", err)
	}
	if _, err := e.db.Indicator(ctx, tenant, "nope", read()); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown indicator: %v", err)
	}
	if _, err := e.db.GoalHistory(ctx, tenant, "nope", domain.HistoryFilter{}, read()); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown goal history: %v", err)
	}
	if _, err := e.db.FollowUp(ctx, tenant, "nope", read()); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown follow-up: %v", err)
	}
	rows, err := e.db.Audit(ctx, tenant, domain.AuditFilter{Period: "2023-2026", Organ: "buf"}, read())
	if err != nil {
		t.Fatal(err)
	}
	// The administration's own registration in the term, and what it reported.
	if len(rows) != 3 || rows[0].EventType != "organ.registered" || rows[1].EventType != "commitment.progress_reported" ||
		len(rows[1].Fields()) != len(domain.AuditColumns) {
		t.Errorf("audit of buf %+v", rows)
	}
	// An organ registered for a date before the term is not in its log; one dissolved in it is.
	old := e.at(t, "2024-10-01", &domain.RegisterOrgan{ID: "gammal", Name: "Gamla nämnden", Kind: "committee", Parent: "kf", Effective: "2019-06-01"})
	gone := e.at(t, "2024-10-02", &domain.DissolveOrgan{ID: "gammal", Successor: "bun", Decision: ref("kf", "2024-10-01", "77")})
	rows, err = e.db.Audit(ctx, tenant, domain.AuditFilter{Period: "2023-2026"}, read(minSeq(gone)))
	if err != nil {
		t.Fatal(err)
	}
	var gammal []domain.AuditRow
	for _, r := range rows {
		if r.Kind == "organ" && r.ID == "gammal" {
			gammal = append(gammal, r)
		}
	}
	if len(gammal) != 1 || gammal[0].Seq != gone || gammal[0].EventType != "organ.dissolved" || gammal[0].Paragraph != "77" {
		t.Errorf("audit of an organ registered before the term (seq %d) and dissolved in it (seq %d): %+v", old, gone, gammal)
	}
}
