package demo_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/taktledger/takt/cmd/takt/demo"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/events/natstest"
	"github.com/taktledger/takt/projections"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// mustOpenStore starts an embedded nats-server with JetStream in a temporary directory and returns
// a store over an in-process connection to it.
func mustOpenStore(t *testing.T) *events.Store {
	t.Helper()
	srv := natstest.Server(t)
	nc, err := srv.InProcessConn()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	store := events.NewStore(nc)
	store.Logger = quiet
	return store
}

// mustOpenLedger opens a ledger over store, as a (re)started takt serve would.
func mustOpenLedger(t *testing.T, store *events.Store) *domain.Ledger {
	t.Helper()
	l := domain.NewLedger(store, func() string { return uuid.Must(uuid.NewV7()).String() })
	l.Tenants = []string{demo.DefaultTenant}
	l.Logger = quiet
	if err := l.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	return l
}

func head(t *testing.T, store *events.Store) uint64 {
	t.Helper()
	h, err := store.Head(context.Background(), demo.DefaultTenant)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// replay reads the tenant's whole log into the command side's state, counting events by type.
func replay(t *testing.T, store *events.Store) (*domain.State, map[string]int) {
	t.Helper()
	s, types := domain.NewState(), map[string]int{}
	err := store.Read(context.Background(), demo.DefaultTenant, 1, func(r domain.Record) error {
		if r.Err != nil {
			t.Errorf("seq %d: %v", r.Seq, r.Err)
			return nil
		}
		r.Event.Seq = r.Seq
		s.Apply(r.Event)
		types[r.Event.Type]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, types
}

func atLeast(t *testing.T, what string, got, want int) {
	t.Helper()
	if got < want {
		t.Errorf("%s: got %d, want at least %d", what, got, want)
	}
}

func TestLoad(t *testing.T) {
	ctx := context.Background()
	store := mustOpenStore(t)
	ledger := mustOpenLedger(t, store)

	sum, err := demo.Load(ctx, ledger, "")
	if err != nil {
		t.Fatal(err)
	}
	h := head(t, store)
	if sum.Tenant != demo.DefaultTenant || sum.Replayed != 0 || uint64(sum.Appended) != h || sum.LastSeq != h {
		t.Fatalf("first load: %+v, head %d", sum, h)
	}
	t.Logf("demo: %d requests, %d events", sum.Requests, sum.Appended)

	s, types := replay(t, store)
	t.Logf("events by type: %v", types)
	kinds := map[string]int{}
	for _, o := range s.Organs {
		kinds[o.Kind]++
	}
	if kinds["council"] != 1 || kinds["executive_board"] != 1 {
		t.Errorf("organs by kind: %v", kinds)
	}
	atLeast(t, "committees", kinds["committee"], 3)
	atLeast(t, "company boards", kinds["company_board"], 1)
	if len(s.Visions) != 1 || s.Visions[demo.VisionID].Period != demo.Period {
		t.Errorf("visions: %v", s.Visions)
	}

	areas, council, below := map[string]bool{}, 0, 0
	for _, g := range s.Goals {
		if g.Owner == "kf" {
			council++
			areas[g.GoalArea] = true
			if len(g.SDGs) == 0 {
				t.Errorf("council goal %s has no SDG", g.ID)
			}
			continue
		}
		below++
		if len(g.ContributesTo) == 0 {
			t.Errorf("goal %s contributes to no council goal", g.ID)
		}
		for _, l := range g.ContributesTo {
			if s.Goals[l.Goal].Owner != "kf" {
				t.Errorf("goal %s contributes to %s, not a council goal", g.ID, l.Goal)
			}
		}
	}
	atLeast(t, "council goals", council, 8)
	atLeast(t, "goal areas", len(areas), 4)
	atLeast(t, "committee and company goals", below, 15)

	dirs, gendered := map[string]int{}, 0
	for _, in := range s.Indicators {
		dirs[in.Direction]++
		if in.Gendered {
			gendered++
		}
		for year := 2023; year <= 2025; year++ {
			if _, ok := s.LatestValue(in.ID, year, "annual"); !ok {
				t.Errorf("indicator %s has no value for %d", in.ID, year)
			}
		}
		for year := 2023; year <= 2026; year++ {
			if _, ok := in.TargetFor(year); !ok {
				t.Errorf("indicator %s has no target for %d", in.ID, year)
			}
		}
	}
	atLeast(t, "indicators", len(s.Indicators), 25)
	atLeast(t, "gender-divided indicators", gendered, 1)
	atLeast(t, "indicators where higher is better", dirs["higher_is_better"], 1)
	atLeast(t, "indicators where lower is better", dirs["lower_is_better"], 1)

	revised := s.Indicators[demo.RevisedIndicator]
	if got, _ := revised.TargetFor(demo.RevisedTargetYear); got.Value != demo.NewTarget || got.Effective != demo.RevisionEffective {
		t.Errorf("revised target: got %+v, want %v from %s", got, demo.NewTarget, demo.RevisionEffective)
	}
	if old := revised.Targets[demo.RevisedTargetYear-2023]; old.Value != demo.OldTarget || old.Effective >= demo.OldTargetAsOf {
		t.Errorf("original target: got %+v, want %v before %s", old, demo.OldTarget, demo.OldTargetAsOf)
	}
	if v, _ := s.Value(demo.CorrectedIndicator, demo.CorrectedValueID); v.CorrectedBy != demo.CorrectionValueID || *v.Value != demo.ValueBeforeCorrection {
		t.Errorf("corrected value: %+v", v)
	}
	if v, _ := s.LatestValue(demo.CorrectedIndicator, demo.CorrectedYear, "annual"); *v.Value != demo.ValueAfterCorrection {
		t.Errorf("value after correction: %+v", v)
	}
	if b := s.Indicators[demo.MethodChangedIndicator].Breaks; len(b) != 1 || b[0] != demo.MethodChangeYear {
		t.Errorf("method breaks: %v", b)
	}
	if o := s.Organs[demo.DissolvedOrgan]; !o.Dissolved || o.Successor != demo.SuccessorOrgan {
		t.Errorf("dissolved organ: %+v", o)
	}
	for _, g := range s.Goals {
		if s.Organs[g.Owner].Dissolved {
			t.Errorf("goal %s still belongs to dissolved %s", g.ID, g.Owner)
		}
	}

	status := map[string]int{}
	for _, c := range s.Commitments {
		status[c.Status]++
	}
	atLeast(t, "commitments", len(s.Commitments), 20)
	atLeast(t, "completed commitments", status["completed"], 10)
	atLeast(t, "progress reports", types["commitment.progress_reported"], 20)
	atLeast(t, "assessments", types["goal.assessed"], 8*3)
	for _, id := range []string{demo.AnnualReport2024, demo.InterimReport, demo.AnnualReport} {
		if _, ok := s.FollowUps[id]; !ok {
			t.Errorf("no follow-up %s", id)
		}
	}
	for _, typ := range []string{"indicator.value_corrected", "indicator.method_changed", "organ.dissolved", "goal.revised",
		"goal.relinked", "commitment.revised", "commitment.cancelled"} {
		atLeast(t, typ, types[typ], 1)
	}
	if t.Failed() {
		t.FailNow()
	}

	// Loading again appends nothing: every request is a replay.
	again, err := demo.Load(ctx, ledger, demo.DefaultTenant)
	if err != nil {
		t.Fatal(err)
	}
	if again.Appended != 0 || again.Replayed != sum.Requests || head(t, store) != h {
		t.Fatalf("second load: %+v, head %d, want %d", again, head(t, store), h)
	}
	// So does a restarted ledger, which knows the keys only from the log.
	again, err = demo.Load(ctx, mustOpenLedger(t, store), demo.DefaultTenant)
	if err != nil {
		t.Fatal(err)
	}
	if again.Appended != 0 || head(t, store) != h {
		t.Fatalf("load after restart: %+v, head %d, want %d", again, head(t, store), h)
	}

	// The read side takes all of it.
	db := projections.NewDB(filepath.Join(t.TempDir(), "demo.db"))
	db.Tenant = demo.DefaultTenant
	db.Logger = quiet
	db.Now = func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) }
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	p := projections.NewProjector(db, store, demo.DefaultTenant)
	p.Logger = quiet
	if seq, err := p.CatchUp(ctx); err != nil || seq != h {
		t.Fatalf("catch up: %d, %v; want %d", seq, err, h)
	}
	if n := db.Quarantined(); n != 0 {
		set, _ := db.Quarantine(ctx)
		t.Fatalf("%d events quarantined: %+v", n, set)
	}
	tree, err := db.Goals(ctx, demo.DefaultTenant, domain.GoalFilter{Period: demo.Period}, domain.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tree.Goals) != len(s.Goals) || len(tree.Visions) != 1 {
		t.Errorf("goal tree: %d goals, %d visions; want %d and 1", len(tree.Goals), len(tree.Visions), len(s.Goals))
	}
	for asOf, want := range map[string]float64{demo.OldTargetAsOf: demo.OldTarget, "": demo.NewTarget} {
		in, err := db.Indicator(ctx, demo.DefaultTenant, demo.RevisedIndicator, domain.ReadOptions{AsOf: domain.Date(asOf)})
		if err != nil {
			t.Fatal(err)
		}
		for _, tv := range in.Targets {
			if tv.Year == demo.RevisedTargetYear && tv.Value != want {
				t.Errorf("as of %q: target for %d is %v, want %v", asOf, tv.Year, tv.Value, want)
			}
		}
	}
	g, err := db.Goal(ctx, demo.DefaultTenant, demo.GoalID, domain.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if g.Assessment == nil || g.Assessment.Year != 2025 || g.Assessment.Point != "annual" {
		t.Errorf("goal %s: assessment %+v", demo.GoalID, g.Assessment)
	}
	report, err := db.FollowUp(ctx, demo.DefaultTenant, demo.AnnualReport2024, domain.ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// The annual report 2024 was adopted before the correction: it shows the value as first reported.
	found := false
	for _, g := range report.Tree.Goals {
		for _, in := range g.Indicators {
			if in.ID == demo.CorrectedIndicator {
				found = true
				if in.Latest == nil || *in.Latest.Value != demo.ValueBeforeCorrection {
					t.Errorf("%s in %s: latest %+v, want %v", in.ID, demo.AnnualReport2024, in.Latest, demo.ValueBeforeCorrection)
				}
			}
		}
	}
	if !found {
		t.Errorf("%s: no indicator %s", demo.AnnualReport2024, demo.CorrectedIndicator)
	}
}
