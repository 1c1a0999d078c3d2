package projections_test

import (
	"testing"
	"time"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/projections"
)

// A value describes a part of its year (T1 January–April, T2 January–August, annual the year): as
// of a date, the values in force are those that describe a time that had ended then, as the ledger
// knows them. The tree (from memory, and from the current-state tables when asked of SQLite only),
// an indicator read (from history) and a tree known at an earlier sequence must all say the same.
func TestValuesInForceAsOf(t *testing.T) {
	e := newEnv(t)
	e.base(t)
	report := func(when, id string, year int, point string, v float64) uint64 {
		return e.at(t, when, &domain.ReportValue{ID: "i1", ValueID: id, Organ: "buf", Year: year, Point: point, Value: f(v)})
	}
	report("2024-01-31", "v2023", 2023, "annual", 70)
	report("2024-05-20", "v2024t1", 2024, "T1", 80)
	t2 := report("2024-09-20", "v2024t2", 2024, "T2", 86)
	report("2025-02-01", "v2024", 2024, "annual", 84)
	e.at(t, "2025-03-15", &domain.CorrectValue{ID: "i1", Corrects: "v2024t2", ValueID: "v2024t2b", Organ: "buf",
		Value: f(87), Reason: "Fel i underlaget"})
	last := report("2025-05-10", "v2025t1", 2025, "T1", 90)

	for _, c := range []struct {
		asOf   string
		known  uint64 // 0: all
		latest string // "" for none
		target float64
		values int
		status string
	}{
		{asOf: "2023-12-30", status: domain.NoValue},
		{asOf: "2023-12-31", latest: "v2023", values: 1, status: domain.NoTarget},
		{asOf: "2024-04-29", latest: "v2023", values: 1, status: domain.NoTarget},
		{asOf: "2024-04-30", latest: "v2024t1", target: 85, values: 2, status: domain.OffTrack},
		{asOf: "2024-08-31", latest: "v2024t2b", target: 85, values: 4, status: domain.OnTrack},
		{asOf: "2024-08-31", known: t2, latest: "v2024t2", target: 85, values: 3, status: domain.OnTrack},
		{asOf: "2024-12-31", latest: "v2024", target: 85, values: 5, status: domain.OffTrack},
		{asOf: "2025-04-29", latest: "v2024", target: 85, values: 5, status: domain.OffTrack},
		{asOf: "2025-04-30", latest: "v2025t1", target: 88, values: 6, status: domain.OnTrack},
		{asOf: "2030-01-01", latest: "v2025t1", target: 88, values: 6, status: domain.OnTrack},
	} {
		opts := domain.ReadOptions{AsOf: domain.Date(c.asOf), KnownAt: c.known, MinSeq: last}
		in, err := e.db.Indicator(ctx, tenant, "i1", opts)
		if err != nil {
			t.Fatal(err)
		}
		check := func(how string, in domain.IndicatorView) {
			t.Helper()
			got := ""
			if in.Latest != nil {
				got = in.Latest.ID
			}
			target := 0.0
			if in.Target != nil {
				target = in.Target.Value
			}
			if got != c.latest || in.Status != c.status || target != c.target {
				t.Errorf("as_of %s known_at %d, %s: latest %q status %s target %v, want %q %s %v", c.asOf, c.known, how,
					got, in.Status, target, c.latest, c.status, c.target)
			}
		}
		check("indicator", *in)
		if len(in.Values) != c.values {
			t.Errorf("as_of %s known_at %d: %d values, want %d", c.asOf, c.known, len(in.Values), c.values)
		}
		tree, err := e.db.Goals(ctx, tenant, domain.GoalFilter{Period: "2023-2026"}, opts)
		if err != nil {
			t.Fatal(err)
		}
		check("tree", tree.Goals[0].Indicators[0])
		projections.SQLOnly(e.db, func() {
			if tree, err = e.db.Goals(ctx, tenant, domain.GoalFilter{Period: "2023-2026"}, opts); err != nil {
				t.Fatal(err)
			}
		})
		check("tree from SQLite", tree.Goals[0].Indicators[0])
		if c.known == 0 && c.latest != "v2025t1" {
			// The same tree known at the last sequence but one (which knows v2025t1 not yet): its
			// latest values come from history, not from those kept for the checkpoint.
			opts.KnownAt = last - 1
			tree, err = e.db.Goals(ctx, tenant, domain.GoalFilter{Period: "2023-2026"}, opts)
			if err != nil {
				t.Fatal(err)
			}
			check("tree known at the sequence before the last", tree.Goals[0].Indicators[0])
		}
	}
}

// A tree read as of a date is kept for its checkpoint: once a value for an earlier point arrives, the
// same date read again at the next checkpoint shows it.
func TestValuesAsOfAcrossCheckpoints(t *testing.T) {
	e := newEnv(t)
	e.base(t)
	first := e.at(t, "2025-02-01", &domain.ReportValue{ID: "i1", ValueID: "v2025t1", Organ: "buf", Year: 2025, Point: "T1", Value: f(90)})
	latest := func(seq uint64) string {
		t.Helper()
		tree, err := e.db.Goals(ctx, tenant, domain.GoalFilter{Period: "2023-2026"}, domain.ReadOptions{AsOf: "2025-03-01", MinSeq: seq})
		if err != nil {
			t.Fatal(err)
		}
		if l := tree.Goals[0].Indicators[0].Latest; l != nil {
			return l.ID
		}
		return ""
	}
	if got := latest(first); got != "" {
		t.Fatalf("as of 2025-03-01, before T1 ended: latest %q, want none", got)
	}
	late := e.at(t, "2025-02-02", &domain.ReportValue{ID: "i1", ValueID: "v2024", Organ: "buf", Year: 2024, Value: f(80)})
	if got := latest(late); got != "v2024" {
		t.Fatalf("after the 2024 value arrived: latest %q, want v2024", got)
	}
}

// A correction that moves a value to another year (no command does that today: a correction keeps
// the point it corrects; a log written by something else may) leaves the corrected value out of
// the latest values of its own point, in memory, from SQLite, and in a file opened again.
func TestCorrectionToAnotherYear(t *testing.T) {
	e := newEnv(t)
	e.base(t)
	e.at(t, "2025-02-01", &domain.ReportValue{ID: "i1", ValueID: "v2024", Organ: "buf", Year: 2024, Value: f(86.5)})
	moved := domain.Event{ID: "0190a000-0000-7000-8000-000000000003", Type: "indicator.value_corrected", Tenant: tenant,
		Aggregate: domain.Ref{Kind: domain.KindIndicator, ID: "i1"}, Organ: "buf", Period: "2023-2026", Effective: "2025-03-01",
		Actor: "anna", Time: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
		Data: &domain.ValueCorrected{ValueID: "v2023", Corrects: "v2024", Year: 2023, Point: "annual", Value: f(70),
			Status: "final", Reason: "Fel år"}}
	if _, err := e.store.Append(ctx, tenant, []domain.Append{{Event: moved}}); err != nil {
		t.Fatal(err)
	}
	last := e.at(t, "2025-03-02", &domain.AdoptGoal{ID: "g9", Title: "Efter", Level: "result", Owner: "kf",
		Decided: decided("kf", "2025-03-01", "9")})
	latest := func(how string, db *projections.DB) {
		t.Helper()
		opts := domain.ReadOptions{AsOf: "2030-01-01", MinSeq: last}
		tree, err := db.Goals(ctx, tenant, domain.GoalFilter{Period: "2023-2026"}, opts)
		if err != nil {
			t.Fatal(err)
		}
		var fromSQL *domain.GoalTree
		projections.SQLOnly(db, func() {
			if fromSQL, err = db.Goals(ctx, tenant, domain.GoalFilter{Period: "2023-2026"}, opts); err != nil {
				t.Fatal(err)
			}
		})
		in, err := db.Indicator(ctx, tenant, "i1", opts)
		if err != nil {
			t.Fatal(err)
		}
		for where, l := range map[string]*domain.ValueView{"tree": tree.Goals[0].Indicators[0].Latest,
			"tree from SQLite": fromSQL.Goals[0].Indicators[0].Latest, "indicator": in.Latest} {
			if l == nil || l.ID != "v2023" || l.Year != 2023 {
				t.Errorf("%s, %s: latest %+v, want v2023 for 2023", how, where, l)
			}
		}
	}
	latest("applied", e.db)
	latest("opened again", MustOpenDB(t, e.path))
}
