package projections_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/projections"
)

// The goal trees read from the in-memory index of versions are those read from SQLite, for every
// as_of, known_at (a sequence or a time), min_seq and filter: on an index kept up to date batch by
// batch, records set aside among them, and on one loaded with the file.
func TestIndexAnswersAsSQL(t *testing.T) {
	seed := *propertySeed
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d (-property.seed or TAKT_PROPERTY_SEED to repeat)", seed)
	g := newGenerator(seed)
	evs := g.run(2000)
	var records []domain.Record
	for _, e := range evs {
		if g.r.IntN(50) == 0 { // a record that is not a takt event
			records = append(records, domain.Record{Subject: "takt.demo.goal.x", Err: errors.New("not json")})
		}
		if g.r.IntN(80) == 0 { // an event about a goal that does not exist
			records = append(records, domain.Record{Event: domain.Event{ID: "nogoal", Type: "goal.revised", Tenant: tenant,
				Aggregate: domain.Ref{Kind: domain.KindGoal, ID: "nogoal"}, Period: "2023-2026", Time: e.Time,
				Data: &domain.GoalRevised{Title: s("x")}}})
		}
		records = append(records, domain.Record{Subject: "takt.demo." + string(e.Aggregate.Kind), MsgID: e.ID, Stored: e.Time, Event: e})
	}
	for i := range records {
		records[i].Seq = uint64(i + 1)
		records[i].Event.Seq = records[i].Seq
	}
	// The times the events were recorded over; the records that are not takt events have none.
	first, last := evs[0].Time, evs[len(evs)-1].Time

	path := filepath.Join(t.TempDir(), "index.db")
	db := MustOpenDB(t, path)
	compare := func(reads int, followups bool) {
		t.Helper()
		at := db.Checkpoint()
		if !projections.Indexed(db, at) {
			t.Fatalf("no index at checkpoint %d", at)
		}
		for range reads {
			var o domain.ReadOptions
			if g.r.IntN(5) > 0 {
				o.AsOf = domain.DateOf(time.Date(2022, 12, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, g.r.IntN(5*365)))
			}
			if g.r.IntN(2) == 0 {
				o.KnownAt = uint64(g.r.IntN(int(at) + 5))
			}
			if g.r.IntN(4) == 0 {
				o.KnownAtTime = first.Add(time.Duration(g.r.Int64N(int64(last.Sub(first)) + 1)))
			}
			if at > 0 && g.r.IntN(3) == 0 {
				o.MinSeq = 1 + uint64(g.r.IntN(int(at)))
			}
			f := domain.GoalFilter{Period: "2023-2026", IncludeRetired: g.r.IntN(2) == 0}
			switch g.r.IntN(4) {
			case 0:
				f.Organ = g.pick(append(g.organs, "kf"))
			case 1:
				f.Level = []string{"committee", "strategic"}[g.r.IntN(2)]
			}
			got, gerr := db.Goals(ctx, tenant, f, o)
			var want *domain.GoalTree
			var werr error
			projections.SQLOnly(db, func() { want, werr = db.Goals(ctx, tenant, f, o) })
			same(t, fmt.Sprintf("goal tree %+v %+v", f, o), got, want, gerr, werr)
		}
		// Goal histories, as history tells them.
		for range reads {
			var o domain.ReadOptions
			if g.r.IntN(2) == 0 {
				o.KnownAt = uint64(g.r.IntN(int(at) + 5))
			}
			id := g.pick(append(g.goals, "nogoal"))
			got, gerr := db.GoalHistory(ctx, tenant, id, domain.HistoryFilter{}, o)
			want, werr := projections.GoalHistoryFromHistory(ctx, db, id, o)
			same(t, fmt.Sprintf("goal history %s %+v", id, o), got, want, gerr, werr)
		}
		if !followups {
			return
		}
		// Every follow-up report, reopened as adopted.
		rows, err := db.Audit(ctx, tenant, domain.AuditFilter{Period: "2023-2026"}, domain.ReadOptions{})
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			if ps, perr := db.Periods(ctx, tenant, domain.ReadOptions{}); perr == nil && len(ps) == 0 {
				return // the period is not opened yet
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.Kind != "followup" {
				continue
			}
			got, gerr := db.FollowUp(ctx, tenant, r.ID, domain.ReadOptions{})
			var want *domain.FollowUpReport
			var werr error
			projections.SQLOnly(db, func() { want, werr = db.FollowUp(ctx, tenant, r.ID, domain.ReadOptions{}) })
			same(t, "follow-up "+r.ID, got, want, gerr, werr)
		}
	}
	compare(5, true)
	for at := 0; at < len(records); {
		n := 1 + g.r.IntN(300)
		if err := db.Apply(ctx, records[at:min(at+n, len(records))]); err != nil {
			t.Fatal(err)
		}
		at += n
		compare(5, g.r.IntN(4) == 0)
	}
	if db.Quarantined() == 0 {
		t.Error("no record was set aside")
	}
	db.Close()
	db = MustOpenDB(t, path)
	compare(100, true)
}

func same(t *testing.T, what string, got, want any, gerr, werr error) {
	t.Helper()
	if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) {
		t.Fatalf("%s: index %v, SQLite %v", what, gerr, werr)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("%s:\nindex  %s\nSQLite %s", what, g, w)
	}
}
