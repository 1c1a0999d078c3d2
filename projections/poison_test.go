package projections_test

import (
	"strings"
	"testing"
	"time"

	"github.com/taktledger/takt/domain"
)

// A malformed message on the stream, an event about an aggregate that does not exist, and a value
// reported twice are set aside and counted; the projector goes on with the events after them.
func TestPoison(t *testing.T) {
	e := newEnv(t)
	e.base(t)
	if err := e.nc.Publish("takt.demo.goal.x", []byte("{not json")); err != nil {
		t.Fatal(err)
	}
	if err := e.nc.Flush(); err != nil {
		t.Fatal(err)
	}
	ghost := domain.Event{ID: "0190a000-0000-7000-8000-000000000001", Type: "goal.revised", Tenant: tenant,
		Aggregate: domain.Ref{Kind: domain.KindGoal, ID: "ghost"}, Organ: "kf", Period: "2023-2026", Effective: "2024-01-01",
		Actor: "anna", Time: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		Data: &domain.GoalRevised{Title: s("Spöke"), Reason: "R", Decision: ref("kf", "2024-01-01", "1")}}
	if _, err := e.store.Append(ctx, tenant, []domain.Append{{Event: ghost}}); err != nil {
		t.Fatal(err)
	}
	// A value whose id its indicator has already reported: the ledger refuses it, a log written
	// by something else need not have.
	e.at(t, "2024-01-20", &domain.ReportValue{ID: "i1", ValueID: "v2023", Organ: "buf", Year: 2023, Value: f(81), Effective: "2024-01-20"})
	twice := domain.Event{ID: "0190a000-0000-7000-8000-000000000002", Type: "indicator.value_reported", Tenant: tenant,
		Aggregate: domain.Ref{Kind: domain.KindIndicator, ID: "i1"}, Organ: "buf", Period: "2023-2026", Effective: "2024-01-21",
		Actor: "anna", Time: time.Date(2024, 1, 21, 0, 0, 0, 0, time.UTC),
		Data: &domain.ValueReported{ValueID: "v2023", Year: 2023, Point: "annual", Value: f(99), Status: "final"}}
	if _, err := e.store.Append(ctx, tenant, []domain.Append{{Event: twice}}); err != nil {
		t.Fatal(err)
	}
	seq := e.at(t, "2024-02-01", &domain.AdoptGoal{ID: "g5", Title: "Efter", Level: "result", Owner: "kf", Decided: decided("kf", "2024-01-31", "3")})

	g, err := e.db.Goal(ctx, tenant, "g5", read(minSeq(seq)))
	if err != nil {
		t.Fatalf("the goal after the bad events: %v", err)
	}
	if g.Title != "Efter" || e.db.Checkpoint() < seq {
		t.Errorf("goal %+v, checkpoint %d", g, e.db.Checkpoint())
	}
	if n := e.db.Quarantined(); n != 3 {
		t.Errorf("quarantined %d, want 3", n)
	}
	q, err := e.db.Quarantine(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 3 || q[0].Subject != "takt.demo.goal.x" || string(q[0].Data) != "{not json" || q[0].Err == "" ||
		q[1].Subject != "takt.demo.goal.ghost" || q[1].Seq != q[0].Seq+1 ||
		q[2].Subject != "takt.demo.indicator.i1" || q[2].Seq+1 != seq || !strings.Contains(q[2].Err, "exists already") {
		t.Errorf("quarantine %+v", q)
	}
	// The value first reported stands.
	in, err := e.db.Indicator(ctx, tenant, "i1", read())
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Values) != 1 || in.Values[0].ID != "v2023" || *in.Values[0].Value != 81 {
		t.Errorf("values %+v", in.Values)
	}
	// Nothing of the ghost reached the read models.
	if _, err := e.db.GoalHistory(ctx, tenant, "ghost", domain.HistoryFilter{}, read()); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("ghost history: %v", err)
	}
	// The count survives a restart.
	db := MustOpenDB(t, e.path)
	if db.Quarantined() != 3 || db.Checkpoint() != e.db.Checkpoint() {
		t.Errorf("reopened: quarantined %d checkpoint %d", db.Quarantined(), db.Checkpoint())
	}
}
