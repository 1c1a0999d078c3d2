package events_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	cloudevents "github.com/cloudevents/sdk-go/v2"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/events/logtest"
	"github.com/taktledger/takt/events/natstest"
)

func TestStore_Log(t *testing.T) {
	// One server for the whole contract: each subtest works in tenants of its own.
	nc := natstest.Conn(t, MustOpenServer(t))
	logtest.TestLog(t, func(t *testing.T) domain.Log { return events.NewStore(nc) })
}

func TestStore_StreamIsALedger(t *testing.T) {
	ctx := context.Background()
	st := MustOpenStore(t, "demo")
	goal := domain.Ref{Kind: domain.KindGoal, ID: "g"}
	for i := range 3 {
		if _, err := st.Append(ctx, "demo", []domain.Append{{Event: testEvent(t, "demo", "goal.adopted", goal, fmt.Sprint("e", i))}}); err != nil {
			t.Fatal(err)
		}
	}
	js, err := jetstream.New(st.Conn)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, "TAKT_DEMO")
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.DeleteMsg(ctx, 2); err == nil {
		t.Error("DeleteMsg: want an error")
	}
	if err := stream.SecureDeleteMsg(ctx, 2); err == nil {
		t.Error("SecureDeleteMsg: want an error")
	}
	if err := stream.Purge(ctx); err == nil {
		t.Error("Purge: want an error")
	}
	if err := stream.Purge(ctx, jetstream.WithPurgeSubject(events.Subject("demo", goal))); err == nil {
		t.Error("Purge of a subject: want an error")
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != 3 || info.State.FirstSeq != 1 || info.State.LastSeq != 3 {
		t.Errorf("after delete and purge: %+v, want 3 messages 1..3", info.State)
	}

	c := info.Config
	if c.Subjects[0] != "takt.demo.>" || c.Storage != jetstream.FileStorage || c.Replicas != 1 {
		t.Errorf("subjects %v, storage %v, replicas %d", c.Subjects, c.Storage, c.Replicas)
	}
	if !c.DenyDelete || !c.DenyPurge || c.AllowRollup || c.AllowMsgTTL || !c.AllowAtomicPublish || !c.AllowDirect {
		t.Errorf("deny delete %v, deny purge %v, rollup %v, ttl %v, atomic %v, direct %v",
			c.DenyDelete, c.DenyPurge, c.AllowRollup, c.AllowMsgTTL, c.AllowAtomicPublish, c.AllowDirect)
	}
	if c.MaxAge != 0 || c.MaxMsgs != -1 || c.MaxBytes != -1 || c.MaxMsgsPerSubject != -1 {
		t.Errorf("limits: age %v, msgs %d, bytes %d, per subject %d; want none", c.MaxAge, c.MaxMsgs, c.MaxBytes, c.MaxMsgsPerSubject)
	}
	if c.Duplicates != 24*time.Hour {
		t.Errorf("duplicate window: got %v, want 24h", c.Duplicates)
	}
}

func TestStore_EnsureTenantRepairsSettings(t *testing.T) {
	ctx := context.Background()
	st := MustOpenStore(t)
	js, _ := jetstream.New(st.Conn)
	cfg := jetstream.StreamConfig{Name: "TAKT_OLD", Subjects: []string{"takt.old.>"}, Storage: jetstream.FileStorage, MaxAge: time.Hour}
	if _, err := js.CreateStream(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	if err := st.EnsureTenant(ctx, "old"); err != nil {
		t.Fatal(err)
	}
	stream, _ := js.Stream(ctx, "TAKT_OLD")
	c := stream.CachedInfo().Config
	if !c.DenyDelete || !c.DenyPurge || !c.AllowAtomicPublish || c.MaxAge != 0 {
		t.Errorf("after EnsureTenant: deny delete %v, purge %v, atomic %v, max age %v", c.DenyDelete, c.DenyPurge, c.AllowAtomicPublish, c.MaxAge)
	}
}

func TestStore_MalformedMessages(t *testing.T) {
	ctx := context.Background()
	st := MustOpenStore(t, "demo")
	st.Logger = slog.New(slog.DiscardHandler)
	goal := domain.Ref{Kind: domain.KindGoal, ID: "x"}
	good := testEvent(t, "demo", "goal.adopted", goal, "e1")
	if _, err := st.Append(ctx, "demo", []domain.Append{{Event: good}}); err != nil {
		t.Fatal(err)
	}
	body, _ := events.Encode(testEvent(t, "demo", "goal.retired", goal, "e9"))
	raw := []string{
		`{not json`,
		`{"specversion":"1.0","id":"e2","source":"/tenants/demo","type":"se.takt.goal.exploded.v1","subject":"goal/x","time":"2025-03-01T09:12:44Z","data":{}}`,
		`{"specversion":"1.0","id":"e3","source":"/tenants/demo","type":"se.takt.goal.adopted.v9","subject":"goal/x","time":"2025-03-01T09:12:44Z","data":{}}`,
		`{"specversion":"1.0","id":"e4","source":"/tenants/demo","type":"se.takt.goal.adopted.v2","subject":"goal/x","data":{}}`,
		`{"specversion":"1.0","id":"e5","source":"/tenants/other","type":"se.takt.goal.adopted.v2","subject":"goal/x","time":"2025-03-01T09:12:44Z","data":{}}`,
	}
	js, _ := jetstream.New(st.Conn)
	for _, r := range raw {
		if _, err := js.Publish(ctx, "takt.demo.goal.x", []byte(r)); err != nil {
			t.Fatal(err)
		}
	}
	// A valid event on the wrong subject is not the aggregate's either.
	if _, err := js.Publish(ctx, "takt.demo.goal.y", body); err != nil {
		t.Fatal(err)
	}
	after := testEvent(t, "demo", "goal.retired", goal, "e10")
	if _, err := st.Append(ctx, "demo", []domain.Append{{Event: after}}); err != nil {
		t.Fatal(err)
	}

	var recs []domain.Record
	if err := st.Read(ctx, "demo", 1, func(r domain.Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(recs) != 8 {
		t.Fatalf("got %d records, want 8", len(recs))
	}
	if recs[0].Err != nil || recs[7].Err != nil {
		t.Fatalf("good records: %v, %v", recs[0].Err, recs[7].Err)
	}
	for _, r := range recs[1:7] {
		if r.Err == nil {
			t.Errorf("seq %d: want an error for %s", r.Seq, r.Data)
		}
		t.Logf("seq %d: %v", r.Seq, r.Err)
	}
	if recs[7].Event.ID != "e10" || recs[7].Seq != 8 {
		t.Errorf("after the malformed ones: %+v", recs[7].Event)
	}

	// Load sets the bad ones aside.
	got, err := st.Load(ctx, "demo", goal)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "e1" || got[1].ID != "e10" || got[1].Seq != 8 {
		t.Errorf("Load: got %d events %+v", len(got), got)
	}
}

func TestStore_CloudEventsSDKReadsTheStream(t *testing.T) {
	ctx := context.Background()
	st := MustOpenStore(t, "demo")
	e := testEvent(t, "demo", "goal.adopted", domain.Ref{Kind: domain.KindGoal, ID: "kf-trygghet"}, "0193a5e4-7c2a-7d3e-9a51-3f0c2b8e4d11")
	e.Data = &domain.GoalAdopted{Title: "Trygghet", Level: "strategic", Owner: "kf", SDGs: []domain.SDGLink{{SDG: 16, Strength: "full"}}}
	if _, err := st.Append(ctx, "demo", []domain.Append{{Event: e}}); err != nil {
		t.Fatal(err)
	}
	js, _ := jetstream.New(st.Conn)
	stream, _ := js.Stream(ctx, "TAKT_DEMO")
	msg, err := stream.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("Content-Type"); got != "application/cloudevents+json" {
		t.Errorf("Content-Type: %q", got)
	}
	if got := msg.Header.Get("Nats-Msg-Id"); got != e.ID {
		t.Errorf("Nats-Msg-Id: %q", got)
	}

	ce := cloudevents.NewEvent()
	if err := json.Unmarshal(msg.Data, &ce); err != nil {
		t.Fatal(err)
	}
	if err := ce.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"specversion", ce.SpecVersion(), "1.0"},
		{"id", ce.ID(), e.ID},
		{"type", ce.Type(), "se.takt.goal.adopted.v2"},
		{"source", ce.Source(), "/tenants/demo/organs/kf"},
		{"subject", ce.Subject(), "goal/kf-trygghet"},
		{"datacontenttype", ce.DataContentType(), "application/json"},
		{"taktperiod", fmt.Sprint(ce.Extensions()["taktperiod"]), "2023-2026"},
		{"takteffective", fmt.Sprint(ce.Extensions()["takteffective"]), "2025-01-01"},
		{"taktactor", fmt.Sprint(ce.Extensions()["taktactor"]), "anna"},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, c.got, c.want)
		}
	}
	if !ce.Time().Equal(e.Time) {
		t.Errorf("time: got %v, want %v", ce.Time(), e.Time)
	}
	var data domain.GoalAdopted
	if err := ce.DataAs(&data); err != nil {
		t.Fatal(err)
	}
	if data.Title != "Trygghet" || len(data.SDGs) != 1 || data.SDGs[0] != (domain.SDGLink{SDG: 16, Strength: "full"}) {
		t.Errorf("data: %+v", data)
	}
}

func TestStore_Invalid(t *testing.T) {
	ctx := context.Background()
	st := MustOpenStore(t, "demo")
	goal := domain.Ref{Kind: domain.KindGoal, ID: "g"}
	ev := func(id string) domain.Event { return testEvent(t, "demo", "goal.adopted", goal, id) }
	bad := func(mod func(*domain.Event)) []domain.Append {
		e := ev("e1")
		mod(&e)
		return []domain.Append{{Event: e}}
	}
	for name, c := range map[string]struct {
		tenant  string
		appends []domain.Append
	}{
		"tenant upper case": {"Demo", []domain.Append{{Event: ev("e1")}}},
		"tenant with dot":   {"de.mo", []domain.Append{{Event: ev("e1")}}},
		"nothing":           {"demo", nil},
		"id with dot":       {"demo", bad(func(e *domain.Event) { e.Aggregate.ID = "a.b" })},
		"id with star":      {"demo", bad(func(e *domain.Event) { e.Aggregate.ID = "*" })},
		"id with gt":        {"demo", bad(func(e *domain.Event) { e.Aggregate.ID = "a>" })},
		"id with space":     {"demo", bad(func(e *domain.Event) { e.Aggregate.ID = "a b" })},
		"empty id":          {"demo", bad(func(e *domain.Event) { e.Aggregate.ID = "" })},
		"unknown kind":      {"demo", bad(func(e *domain.Event) { e.Aggregate.Kind = "budget" })},
		"other tenant":      {"demo", bad(func(e *domain.Event) { e.Tenant = "other" })},
		"no data":           {"demo", bad(func(e *domain.Event) { e.Data = nil })},
		"type mismatch":     {"demo", bad(func(e *domain.Event) { e.Type = "goal.retired" })},
		"two expectations on one aggregate": {"demo", []domain.Append{
			{Event: ev("e1"), Expect: true}, {Event: ev("e2"), Expect: true, Expected: 1}}},
		"one message id twice": {"demo", []domain.Append{{Event: ev("e1"), MsgID: "k"}, {Event: ev("e2"), MsgID: "k"}}},
	} {
		_, err := st.Append(ctx, c.tenant, c.appends)
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", name, err)
		}
	}
	if _, err := st.Load(ctx, "demo", domain.Ref{Kind: domain.KindGoal, ID: "a.b"}); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("Load of a.b: got %v, want EINVALID", err)
	}
	if h, _ := st.Head(ctx, "demo"); h != 0 {
		t.Errorf("Head: got %d, want 0", h)
	}

	st.MaxBatch = 3
	many := []domain.Append{{Event: ev("e1")}, {Event: ev("e2")}, {Event: ev("e3")}, {Event: ev("e4")}}
	if _, err := st.Append(ctx, "demo", many); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("batch over MaxBatch: got %v, want EINVALID", err)
	}
}

func TestStore_BatchDuplicate(t *testing.T) {
	ctx := context.Background()
	st := MustOpenStore(t, "demo")
	goal := domain.Ref{Kind: domain.KindGoal, ID: "g"}
	ev := func(id string) domain.Event { return testEvent(t, "demo", "goal.adopted", goal, id) }
	if _, err := st.Append(ctx, "demo", []domain.Append{{Event: ev("e1"), MsgID: "key#0"}, {Event: ev("e2"), MsgID: "key#1"}}); err != nil {
		t.Fatal(err)
	}
	// The Ledger answers retried keys itself; the log refuses a batch it has partly stored already.
	_, err := st.Append(ctx, "demo", []domain.Append{{Event: ev("e3"), MsgID: "key#0"}, {Event: ev("e4"), MsgID: "key#1"}})
	if domain.ErrorCode(err) != domain.ECONFLICT {
		t.Fatalf("got %v, want ECONFLICT", err)
	}
	t.Log(err)
	if h, _ := st.Head(ctx, "demo"); h != 2 {
		t.Errorf("Head: got %d, want 2", h)
	}
}

func TestStore_Unavailable(t *testing.T) {
	ctx := context.Background()
	s := MustOpenServer(t)
	nc := natstest.Conn(t, s)
	st := events.NewStore(nc)
	if err := st.EnsureTenant(ctx, "demo"); err != nil {
		t.Fatal(err)
	}
	nc.Close()
	_, err := st.Append(ctx, "demo", []domain.Append{{Event: testEvent(t, "demo", "goal.adopted", domain.Ref{Kind: domain.KindGoal, ID: "g"}, "e1")}})
	if domain.ErrorCode(err) != domain.EUNAVAILABLE {
		t.Errorf("Append on a closed connection: got %v, want EUNAVAILABLE", err)
	}
	if _, err := st.Head(ctx, "demo"); domain.ErrorCode(err) != domain.EUNAVAILABLE {
		t.Errorf("Head on a closed connection: got %v, want EUNAVAILABLE", err)
	}
}

func TestStore_Follow(t *testing.T) {
	st := MustOpenStore(t, "demo")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	goal := domain.Ref{Kind: domain.KindGoal, ID: "g"}
	if _, err := st.Append(ctx, "demo", []domain.Append{{Event: testEvent(t, "demo", "goal.adopted", goal, "e1")}}); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(50 * time.Millisecond)
		st.Append(ctx, "demo", []domain.Append{{Event: testEvent(t, "demo", "goal.retired", goal, "e2")}})
	}()
	var seqs []uint64
	stop := fmt.Errorf("enough")
	err := st.Follow(ctx, "demo", 1, func(r domain.Record) error {
		seqs = append(seqs, r.Seq)
		if len(seqs) == 2 {
			return stop
		}
		return nil
	})
	if err != stop || len(seqs) != 2 || seqs[1] != 2 {
		t.Fatalf("Follow: %v, err %v", seqs, err)
	}
}
