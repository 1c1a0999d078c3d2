package projections_test

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/projections"
)

// The size of the generated log: TAKT_PROPERTY_EVENTS or -property.events. CI runs the default,
// 50 000 events (about two minutes on two cores); a quicker run while working sets 5000.
var (
	propertyEvents = flag.Int("property.events", envInt("TAKT_PROPERTY_EVENTS", 50_000), "events in the generated log")
	propertySeed   = flag.Uint64("property.seed", uint64(envInt("TAKT_PROPERTY_SEED", 0)), "seed of the generated log (0: random)")
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return v
	}
	return def
}

// generator makes a random valid log: random commands decided by the ledger's own rules against
// the state so far. Commands the rules refuse are dropped.
type generator struct {
	r      *rand.Rand
	state  *domain.State
	env    domain.Env
	seq    uint64
	ids    int
	events []domain.Event

	organs, goals, indicators, commitments []string
	values                                 map[string][]string
}

func newGenerator(seed uint64) *generator {
	g := &generator{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), state: domain.NewState(), values: map[string][]string{}}
	g.env = domain.Env{Tenant: tenant, Actor: "gen", Now: time.Date(2023, 1, 1, 8, 0, 0, 0, time.UTC), NewID: g.newID}
	return g
}

func (g *generator) newID() string {
	g.ids++
	return fmt.Sprintf("0190a000-0000-7000-8000-%012d", g.ids)
}

func (g *generator) do(c domain.Command) bool {
	g.env.Now = g.env.Now.Add(time.Duration(1+g.r.IntN(600)) * time.Second)
	if c.Validate() != nil {
		return false
	}
	evs, err := domain.Decide(g.state, c, g.env)
	if err != nil {
		return false
	}
	for _, e := range evs {
		g.seq++
		e.Seq = g.seq
		g.state.Apply(e)
		g.events = append(g.events, e)
	}
	return true
}

func (g *generator) pick(ids []string) string {
	if len(ids) == 0 {
		return "none"
	}
	return ids[g.r.IntN(len(ids))]
}

func (g *generator) date() domain.Date {
	return domain.Date(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(4*365)).Format(time.DateOnly))
}

func (g *generator) decided(organ string) domain.Decided {
	d := domain.Decided{Period: "2023-2026", Decision: domain.DecisionRef{Organ: organ, MeetingDate: g.date(),
		Paragraph: strconv.Itoa(g.r.IntN(200)), CaseNumber: fmt.Sprintf("KS %d", g.r.IntN(9999))}}
	if g.r.IntN(4) == 0 {
		d.Effective = g.date() // valid time out of step with recording time
	}
	return d
}

func (g *generator) year() int { return 2023 + g.r.IntN(4) }

func (g *generator) run(n int) []domain.Event {
	g.do(&domain.RegisterOrgan{ID: "kf", Name: "Kommunfullmäktige", Kind: "council", Effective: "2023-01-01"})
	for i := range 4 {
		id := fmt.Sprintf("n%d", i)
		g.do(&domain.RegisterOrgan{ID: id, Name: "Nämnd " + id, Kind: "committee", Parent: "kf", Effective: "2023-01-01"})
		g.organs = append(g.organs, id)
	}
	g.do(&domain.RegisterOrgan{ID: "adm", Name: "Förvaltningen", Kind: "administration", Effective: "2023-01-01"})
	g.do(&domain.OpenPeriod{ID: "2023-2026"})
	g.do(&domain.AdoptVision{ID: "vision", Text: "Tillsammans", Decided: g.decided("kf")})
	for len(g.events) < n {
		g.step()
	}
	return g.events
}

func (g *generator) step() {
	organ := g.pick(g.organs)
	switch op := g.r.IntN(100); {
	case op < 10:
		c := &domain.AdoptGoal{Title: fmt.Sprintf("Mål %d", g.ids), Level: "committee", Owner: organ, Decided: g.decided(organ)}
		if g.r.IntN(3) == 0 {
			c.Level, c.Owner, c.Decided = "strategic", "kf", g.decided("kf")
		}
		if len(g.goals) > 0 && g.r.IntN(2) == 0 {
			w := float64(1+g.r.IntN(10)) / 10
			c.ContributesTo = []domain.Link{{Goal: g.pick(g.goals), Weight: &w}}
		}
		if g.r.IntN(2) == 0 {
			c.SDGs = []domain.SDGLink{{SDG: 1 + g.r.IntN(17), Strength: "partial"}}
		}
		if g.r.IntN(2) == 0 {
			c.Indicators = []domain.IndicatorSpec{{Name: "Indikator", Unit: "%", Measure: "percent", Direction: "higher_is_better",
				Targets: []domain.TargetSpec{{Year: g.year(), Value: f(float64(g.r.IntN(100)))}, {TermEnd: true, Value: f(90)}}}}
		}
		if g.do(c) {
			for _, e := range g.events[len(g.events)-1-2*len(c.Indicators):] {
				switch e.Type {
				case "goal.adopted":
					g.goals = append(g.goals, e.Aggregate.ID)
				case "indicator.defined":
					g.indicators = append(g.indicators, e.Aggregate.ID)
				}
			}
		}
	case op < 18:
		id := g.pick(g.goals)
		gl := g.state.Goals[id]
		g.do(&domain.ReviseGoal{ID: id, Title: s(fmt.Sprintf("Mål %d rev", g.ids)), Reason: "Reviderat", Decided: g.decided(gl.Owner)})
	case op < 21:
		id := g.pick(g.goals)
		gl := g.state.Goals[id]
		g.do(&domain.ReviseGoal{ID: id, Description: s(fmt.Sprint("Beskrivning ", g.ids)), GoalArea: s("Område"), Reason: "R", Decided: g.decided(gl.Owner)})
	case op < 25:
		id := g.pick(g.goals)
		gl := g.state.Goals[id]
		g.do(&domain.RelinkGoal{ID: id, ContributesTo: []domain.Link{{Goal: g.pick(g.goals)}}, Reason: "Ny länk", Decided: g.decided(gl.Owner)})
	case op < 27:
		id := g.pick(g.goals)
		gl := g.state.Goals[id]
		g.do(&domain.RetireGoal{ID: id, Reason: "Klart", Decided: g.decided(gl.Owner)})
	case op < 32:
		id := g.pick(g.goals)
		gl := g.state.Goals[id]
		g.do(&domain.AssessGoal{ID: id, Point: "annual", Year: g.year(), Attainment: "partly_achieved", Motivation: "Delvis", Decided: g.decided(gl.Owner)})
	case op < 36:
		c := &domain.DefineIndicator{Goal: g.pick(g.goals), Name: "Nyckeltal", Unit: "st", Measure: "number",
			Direction: "lower_is_better", GenderDivided: true, Decided: g.decided("kf")}
		if g.do(c) {
			g.indicators = append(g.indicators, g.events[len(g.events)-1].Aggregate.ID)
		}
	case op < 44:
		c := &domain.SetTarget{ID: g.pick(g.indicators), Year: g.year(), Value: f(float64(g.r.IntN(100))), Decided: g.decided("kf")}
		if g.r.IntN(5) == 0 {
			c.Year, c.TermEnd = 0, true
		}
		g.do(c)
	case op < 64:
		id := g.pick(g.indicators)
		c := &domain.ReportValue{ID: id, Organ: "adm", Year: g.year(), Point: domain.Points[g.r.IntN(3)], Value: f(float64(g.r.IntN(1000)) / 10),
			Effective: g.date()}
		if g.state.Indicators[id].Gendered && g.r.IntN(2) == 0 {
			c.Breakdown = &domain.Breakdown{Women: f(1), Men: f(2)}
		}
		if g.do(c) {
			d := g.events[len(g.events)-1].Data.(*domain.ValueReported)
			g.values[id] = append(g.values[id], d.ValueID)
		}
	case op < 70:
		id := g.pick(g.indicators)
		v := g.pick(g.values[id])
		if val, ok := g.state.Value(id, v); ok && val.CorrectedBy == "" {
			if g.do(&domain.CorrectValue{ID: id, Corrects: v, Organ: "adm", Value: f(float64(g.r.IntN(1000)) / 10), Reason: "Rättelse"}) {
				d := g.events[len(g.events)-1].Data.(*domain.ValueCorrected)
				g.values[id] = append(g.values[id], d.ValueID)
			}
		}
	case op < 72:
		g.do(&domain.ChangeMethod{ID: g.pick(g.indicators), Description: "Ny metod", FromYear: g.year(), Decided: g.decided("kf")})
	case op < 73:
		g.do(&domain.RetireIndicator{ID: g.pick(g.indicators), Reason: "Utgår", Decided: g.decided("kf")})
	case op < 80:
		y := g.year()
		c := &domain.MakeCommitment{Text: "Åtagande", Responsible: organ, Goal: g.pick(g.goals),
			Measure: &domain.Measure{Description: "Antal", Unit: "st", Target: f(10)}, Year: y, Due: domain.Date(fmt.Sprintf("%d-12-31", y)),
			Decided: g.decided(organ)}
		if g.do(c) {
			g.commitments = append(g.commitments, g.events[len(g.events)-1].Aggregate.ID)
		}
	case op < 83:
		id := g.pick(g.commitments)
		c := g.state.Commitments[id]
		g.do(&domain.ReviseCommitment{ID: id, Text: s(fmt.Sprint("Åtagande ", g.ids)), Reason: "R", Decided: g.decided(c.Responsible)})
	case op < 90:
		g.do(&domain.ReportProgress{ID: g.pick(g.commitments), Organ: "adm", Value: f(float64(g.r.IntN(10))),
			Status: domain.Progress[g.r.IntN(3)], Effective: g.date()})
	case op < 92:
		id := g.pick(g.commitments)
		g.do(&domain.CompleteCommitment{ID: id, Outcome: "Klart", Value: f(10), Decided: g.decided(g.state.Commitments[id].Responsible)})
	case op < 93:
		id := g.pick(g.commitments)
		g.do(&domain.CancelCommitment{ID: id, Reason: "Inställt", Decided: g.decided(g.state.Commitments[id].Responsible)})
	case op < 95:
		y := g.year()
		g.do(&domain.AdoptFollowUp{Point: "annual", Year: y, Title: fmt.Sprint("Årsredovisning ", y),
			AsOf: domain.Date(fmt.Sprintf("%d-12-31", y)), Decided: g.decided("kf")})
	case op < 97:
		g.do(&domain.ReviseVision{ID: "vision", Text: fmt.Sprint("Tillsammans ", g.ids), Reason: "R", Decided: g.decided("kf")})
	default:
		g.do(&domain.RenameOrgan{ID: organ, Name: fmt.Sprint("Nämnd ", g.ids), Effective: g.date()})
	}
}

// An incremental projection, applied in random batches with restarts in between and finished by
// the live projector, is identical, table by table, to one rebuilt from sequence 1.
func TestIncrementalEqualsRebuilt(t *testing.T) {
	seed := *propertySeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (-property.seed or TAKT_PROPERTY_SEED to repeat), %d events", seed, *propertyEvents)
	g := newGenerator(seed)
	evs := g.run(*propertyEvents)
	// Versions are moved into goal_history many times over, at other points than the batches end.
	defer projections.SetGoalHistoryRun(700)()

	srv := MustOpenServer(t)
	nc, err := srv.InProcessConn()
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	store := events.NewStore(nc)
	store.Logger = quiet
	if err := store.EnsureTenant(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	poison := 0
	for len(evs) > 0 {
		n := min(len(evs), 1+g.r.IntN(400))
		appends := make([]domain.Append, n)
		for i, e := range evs[:n] {
			appends[i] = domain.Append{Event: e}
		}
		if _, err := store.Append(ctx, tenant, appends); err != nil {
			t.Fatal(err)
		}
		evs = evs[n:]
		if g.r.IntN(4) == 0 {
			if err := nc.Publish("takt.demo.goal.poison", []byte(fmt.Sprint("{not json ", poison))); err != nil {
				t.Fatal(err)
			}
			poison++
		}
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	head, err := store.Head(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	var records []domain.Record
	if err := store.Read(ctx, tenant, 1, func(r domain.Record) error {
		records = append(records, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if uint64(len(records)) != head {
		t.Fatalf("read %d records, head %d", len(records), head)
	}

	dir := t.TempDir()
	incremental := filepath.Join(dir, "incremental.db")
	// Random batches, reopening the file now and then, sometimes handing over records applied already.
	for at := 0; at < len(records)*2/3; {
		db := projections.NewDB(incremental)
		db.Tenant, db.Logger = tenant, quiet
		if err := db.Open(ctx); err != nil {
			t.Fatal(err)
		}
		if got := db.Checkpoint(); got != records[at].Seq-1 && at > 0 {
			t.Fatalf("reopened at checkpoint %d, want %d", got, records[at].Seq-1)
		}
		for range 1 + g.r.IntN(5) {
			from := max(0, at-g.r.IntN(3))
			n := 1 + g.r.IntN(700)
			to := min(len(records), from+n)
			if err := db.Apply(ctx, records[from:to]); err != nil {
				t.Fatal(err)
			}
			at = to
		}
		db.Close()
	}
	// The rest with the live projector.
	db := projections.NewDB(incremental)
	db.Tenant, db.Logger = tenant, quiet
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	p := projections.NewProjector(db, store, tenant)
	p.BatchSize, p.Logger = 1+g.r.IntN(500), quiet
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- p.Run(runCtx) }()
	// However long the rest takes on a loaded machine: a context with a deadline replaces WaitTimeout.
	waitCtx, stop := context.WithTimeout(ctx, 10*time.Minute)
	defer stop()
	if err := db.WaitFor(waitCtx, head); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("projector: %v", err)
	}
	if got := db.Quarantined(); got != uint64(poison) {
		t.Errorf("quarantined %d, want the %d poison messages", got, poison)
	}

	// Every goal reads as the ledger's own state has it (sequences differ: the poison is not in it).
	for id, want := range g.state.Goals {
		gv, err := db.Goal(ctx, tenant, id, domain.ReadOptions{AsOf: "2100-01-01"})
		if err != nil {
			t.Fatal(err)
		}
		if gv.Title != want.Title || gv.Owner != want.Owner || (gv.Status == domain.StatusRetired) != want.Retired ||
			len(gv.ContributesTo) != len(want.ContributesTo) {
			t.Fatalf("goal %s: %+v, ledger state %+v", id, gv, want)
		}
	}
	// Every goal's history is the one history tells, before and after versions moved to goal_history.
	for id := range g.state.Goals {
		for _, known := range []uint64{0, head / 2, head * 3 / 4} {
			o := domain.ReadOptions{KnownAt: known}
			got, gerr := db.GoalHistory(ctx, tenant, id, domain.HistoryFilter{}, o)
			want, werr := projections.GoalHistoryFromHistory(ctx, db, id, o)
			same(t, fmt.Sprintf("goal history %s known at %d", id, known), got, want, gerr, werr)
		}
	}
	db.Close()

	rebuilt := filepath.Join(dir, "rebuilt.db")
	seq, err := projections.Rebuild(ctx, store, tenant, rebuilt)
	if err != nil {
		t.Fatal(err)
	}
	if seq != head {
		t.Errorf("rebuilt to %d, want %d", seq, head)
	}
	diff, err := projections.Compare(ctx, incremental, rebuilt)
	if err != nil {
		t.Fatal(err)
	}
	if diff != "" {
		t.Fatalf("incremental and rebuilt projections differ:\n%s", diff)
	}

	// A file made before goal_history, and ones whose goal_history holds a row a version, its columns
	// as migration 0007 laid them out or packed as 0008 did, brought up to date by the migrations,
	// are the same too. Those rows are the versions not noted in goal_history_recent, each in the
	// history of the goal migration 0007 found for it. Each of them, and a file made just before
	// migration 0010, stored each version's valid_to.
	// And each had values keyed by id, with the index values_latest, as a file made just before
	// migration 0011 had.
	byID0010 := `CREATE TABLE values_0010 (indicator TEXT NOT NULL, id TEXT NOT NULL, year INTEGER NOT NULL,
		point TEXT NOT NULL, value REAL, text TEXT NOT NULL, women REAL, men REAL, status TEXT NOT NULL, late INTEGER NOT NULL,
		corrects TEXT NOT NULL, corrected_by TEXT NOT NULL, valid_from TEXT NOT NULL, seq INTEGER NOT NULL,
		PRIMARY KEY (indicator, id)) WITHOUT ROWID;
		INSERT INTO values_0010 SELECT indicator, id, year, point, value, text, women, men, status, late, corrects,
			corrected_by, valid_from, seq FROM "values";
		DROP TABLE "values"; ALTER TABLE values_0010 RENAME TO "values";
		CREATE INDEX values_latest ON "values" (indicator, year, point, seq) WHERE corrected_by = '' AND value IS NOT NULL;`
	stored0009 := byID0010 + `DROP VIEW history_valid; ALTER TABLE history ADD COLUMN valid_to TEXT;
		UPDATE history SET valid_to = n.valid_to FROM (SELECT rowid AS version_row,
			lead(valid_from) OVER (PARTITION BY kind, id ORDER BY seq) AS valid_to FROM history) n
		WHERE n.version_row = history.rowid;`
	layout0007 := `CREATE TABLE goal_history_0007 (goal TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL,
		id TEXT NOT NULL, version INTEGER NOT NULL, agg_kind TEXT NOT NULL, agg_id TEXT NOT NULL, event_id TEXT NOT NULL,
		event_type TEXT NOT NULL, actor TEXT NOT NULL, organ TEXT NOT NULL, period TEXT NOT NULL, recorded_at TEXT NOT NULL,
		valid_from TEXT NOT NULL, decision_organ TEXT, meeting_date TEXT, paragraph TEXT, case_number TEXT,
		reason TEXT NOT NULL, diff TEXT NOT NULL, state TEXT NOT NULL, PRIMARY KEY (goal, seq, kind, id)) WITHOUT ROWID;
		INSERT INTO goal_history_0007 SELECT g.goal, h.seq, h.kind, h.id, h.version, h.agg_kind, h.agg_id, h.event_id,
			h.event_type, h.actor, h.organ, h.period, h.recorded_at, h.valid_from, h.decision_organ, h.meeting_date,
			h.paragraph, h.case_number, h.reason, h.diff, h.state
			FROM (SELECT seq, kind, id, id AS goal FROM history WHERE kind = 'goal'
				UNION ALL SELECT seq, kind, id, goal FROM history WHERE kind IN ('indicator', 'commitment')
				UNION ALL SELECT t.seq, t.kind, t.id, i.goal FROM history t
					JOIN history i ON i.kind = 'indicator' AND i.id = t.agg_id AND i.version = 1
					WHERE t.agg_kind = 'indicator' AND t.event_type IN ('indicator.target_set', 'indicator.value_corrected')
					AND t.kind NOT IN ('indicator', 'commitment', 'goal')) g
			JOIN history h ON h.kind = g.kind AND h.id = g.id AND h.seq = g.seq
			WHERE NOT EXISTS (SELECT 1 FROM goal_history_recent r WHERE r.seq = g.seq AND r.kind = g.kind AND r.id = g.id);
		DROP TABLE goal_history;
		ALTER TABLE goal_history_0007 RENAME TO goal_history;`
	packed0008, err := os.ReadFile("migrations/0008_goal_history_packed.sql")
	if err != nil {
		t.Fatal(err)
	}
	for name, undo := range map[string]string{
		"before goal_history": stored0009 + `DROP TABLE goal_history; DROP TABLE goal_history_recent;
			DELETE FROM migrations WHERE name >= '0007_'`,
		"goal_history unpacked":        stored0009 + layout0007 + `DELETE FROM migrations WHERE name >= '0008_'`,
		"goal_history a row a version": stored0009 + layout0007 + string(packed0008) + `; DELETE FROM migrations WHERE name >= '0009_'`,
		"valid_to stored":              stored0009 + `DELETE FROM migrations WHERE name >= '0010_'`,
		"values by id":                 byID0010 + `DELETE FROM migrations WHERE name >= '0011_'`,
	} {
		migrated := filepath.Join(dir, "migrated.db")
		data, err := os.ReadFile(incremental)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(migrated, data, 0o600); err != nil {
			t.Fatal(err)
		}
		raw, err := sql.Open("sqlite3", "file:"+migrated)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := raw.Exec(undo); err != nil {
			t.Fatal(name, err)
		}
		raw.Close()
		MustOpenDB(t, migrated).Close()
		if diff, err := projections.Compare(ctx, migrated, rebuilt); err != nil || diff != "" {
			t.Fatalf("%s: migrated and rebuilt projections differ: %v\n%s", name, err, diff)
		}
	}
}

// Compare notices a difference, and Rebuild swaps a fresh projection over a stale one.
func TestRebuildReplacesAndCompareFindsDifferences(t *testing.T) {
	e := newEnv(t)
	last := e.base(t)
	if err := e.db.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(t.TempDir(), "stale.db")
	db := MustOpenDB(t, stale)
	if err := db.Apply(ctx, nil); err != nil {
		t.Fatal(err)
	}
	db.Close()

	diff, err := projections.Compare(ctx, e.path, stale)
	if err != nil {
		t.Fatal(err)
	}
	if diff == "" {
		t.Fatal("an empty projection compares equal to a full one")
	}
	t.Logf("diff:\n%s", diff)

	if _, err := projections.Rebuild(ctx, e.store, tenant, stale); err != nil {
		t.Fatal(err)
	}
	if diff, err := projections.Compare(ctx, e.path, stale); err != nil || diff != "" {
		t.Fatalf("after rebuild: %v\n%s", err, diff)
	}
	db = MustOpenDB(t, stale)
	if db.Checkpoint() != last {
		t.Errorf("rebuilt checkpoint %d, want %d", db.Checkpoint(), last)
	}
}
