// Package logtest is the contract every implementation of domain.Log must pass. An implementation's
// own tests call TestLog with a function that opens a fresh, empty log.
package logtest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/taktledger/takt/domain"
)

// TestLog runs the contract of domain.Log against the logs open returns. Each subtest opens its own
// log and works in tenants of its own, so the subtests do not see each other's events.
func TestLog(t *testing.T, open func(t *testing.T) domain.Log) {
	tests := []struct {
		name string
		fn   func(t *testing.T, log domain.Log, tenant string)
	}{
		{"RoundTrip", testRoundTrip},
		{"ExpectedSequence", testExpectedSequence},
		{"Conflict", testConflict},
		{"Batch", testBatch},
		{"BatchAllOrNothing", testBatchAllOrNothing},
		{"Idempotency", testIdempotency},
		{"ReadFromMiddle", testReadFromMiddle},
		{"ReadStopsOnError", testReadStopsOnError},
		{"LoadUnknownAggregate", testLoadUnknown},
		{"UnknownTenant", testUnknownTenant},
		{"EnsureTenantIsIdempotent", testEnsureTenantTwice},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := open(t)
			tenant := fmt.Sprintf("contract-%d", i)
			if err := log.EnsureTenant(context.Background(), tenant); err != nil {
				t.Fatalf("EnsureTenant: %v", err)
			}
			tt.fn(t, log, tenant)
		})
	}
}

var ids atomic.Int64

// newEvent returns an event of tenant on ref with an empty payload of a catalogue type of ref's kind,
// so that the contract does not depend on the fields of any payload.
func newEvent(t *testing.T, tenant string, ref domain.Ref) domain.Event {
	t.Helper()
	n := ids.Add(1)
	return domain.Event{
		ID:        fmt.Sprintf("0190a000-0000-7000-8000-%012d", n),
		Type:      payloadOf(t, ref.Kind).EventType(),
		Tenant:    tenant,
		Aggregate: ref,
		Organ:     "kf",
		Period:    "2023-2026",
		Effective: "2025-01-01",
		Actor:     "contract",
		Time:      time.Date(2025, 3, 1, 9, 12, 44, int(n)*1000, time.UTC),
		Data:      payloadOf(t, ref.Kind),
	}
}

func payloadOf(t *testing.T, kind domain.Kind) domain.Payload {
	t.Helper()
	for _, typ := range domain.EventTypes() {
		if len(typ) > len(kind) && typ[:len(kind)+1] == string(kind)+"." {
			p, _ := domain.NewPayload(typ)
			return p
		}
	}
	t.Fatalf("the catalogue has no event type of kind %s", kind)
	return nil
}

func goal(id string) domain.Ref { return domain.Ref{Kind: domain.KindGoal, ID: id} }

func appendOK(t *testing.T, log domain.Log, tenant string, appends ...domain.Append) []domain.Appended {
	t.Helper()
	acks, err := log.Append(context.Background(), tenant, appends)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	if len(acks) != len(appends) {
		t.Fatalf("Append: got %d acks, want %d", len(acks), len(appends))
	}
	return acks
}

func head(t *testing.T, log domain.Log, tenant string) uint64 {
	t.Helper()
	h, err := log.Head(context.Background(), tenant)
	if err != nil {
		t.Fatalf("Head: %v", err)
	}
	return h
}

func readAll(t *testing.T, log domain.Log, tenant string, from uint64) []domain.Record {
	t.Helper()
	var recs []domain.Record
	err := log.Read(context.Background(), tenant, from, func(r domain.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return recs
}

func load(t *testing.T, log domain.Log, tenant string, ref domain.Ref) []domain.Event {
	t.Helper()
	events, err := log.Load(context.Background(), tenant, ref)
	if err != nil {
		t.Fatalf("Load %s: %v", ref, err)
	}
	return events
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := domain.ErrorCode(err); got != code {
		t.Fatalf("error code: got %q (%v), want %q", got, err, code)
	}
}

// sameEvent compares what the log must keep of an event: everything, with its sequence.
func sameEvent(t *testing.T, got, want domain.Event, seq uint64) {
	t.Helper()
	want.Seq = seq
	if !got.Time.Equal(want.Time) {
		t.Errorf("event %s: time: got %v, want %v", want.ID, got.Time, want.Time)
	}
	got.Time, want.Time = time.Time{}, time.Time{}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("event:\n got %+v\nwant %+v", got, want)
	}
}

func testRoundTrip(t *testing.T, log domain.Log, tenant string) {
	if h := head(t, log, tenant); h != 0 {
		t.Fatalf("Head of a new log: got %d, want 0", h)
	}
	a, b := newEvent(t, tenant, goal("a")), newEvent(t, tenant, goal("b"))
	a2 := newEvent(t, tenant, goal("a"))
	acks := appendOK(t, log, tenant, domain.Append{Event: a, Expect: true})
	acks = append(acks, appendOK(t, log, tenant, domain.Append{Event: b})...)
	acks = append(acks, appendOK(t, log, tenant, domain.Append{Event: a2, Expect: true, Expected: acks[0].Seq})...)
	for i, ack := range acks {
		if ack.Seq != uint64(i+1) || ack.Duplicate {
			t.Fatalf("ack %d: got %+v, want seq %d", i, ack, i+1)
		}
	}
	if h := head(t, log, tenant); h != 3 {
		t.Fatalf("Head: got %d, want 3", h)
	}

	recs := readAll(t, log, tenant, 1)
	if len(recs) != 3 {
		t.Fatalf("Read: got %d records, want 3", len(recs))
	}
	for i, want := range []domain.Event{a, b, a2} {
		r := recs[i]
		if r.Err != nil {
			t.Fatalf("record %d: %v", i, r.Err)
		}
		if r.Seq != uint64(i+1) || r.MsgID != want.ID || r.Stored.IsZero() || len(r.Data) == 0 || r.Subject == "" {
			t.Errorf("record %d: seq %d msgid %q stored %v, %d bytes on %q", i, r.Seq, r.MsgID, r.Stored, len(r.Data), r.Subject)
		}
		sameEvent(t, r.Event, want, uint64(i+1))
	}

	got := load(t, log, tenant, goal("a"))
	if len(got) != 2 {
		t.Fatalf("Load: got %d events, want 2", len(got))
	}
	sameEvent(t, got[0], a, 1)
	sameEvent(t, got[1], a2, 3)
}

func testExpectedSequence(t *testing.T, log domain.Log, tenant string) {
	appendOK(t, log, tenant, domain.Append{Event: newEvent(t, tenant, goal("other"))})
	acks := appendOK(t, log, tenant, domain.Append{Event: newEvent(t, tenant, goal("g")), Expect: true, Expected: 0})
	appendOK(t, log, tenant, domain.Append{Event: newEvent(t, tenant, goal("other"))})
	// The aggregate's own last event counts, not the stream's.
	appendOK(t, log, tenant, domain.Append{Event: newEvent(t, tenant, goal("g")), Expect: true, Expected: acks[0].Seq})
	if n := len(load(t, log, tenant, goal("g"))); n != 2 {
		t.Fatalf("Load: got %d events, want 2", n)
	}
}

func testConflict(t *testing.T, log domain.Log, tenant string) {
	acks := appendOK(t, log, tenant, domain.Append{Event: newEvent(t, tenant, goal("g")), Expect: true})
	before := head(t, log, tenant)
	for _, expected := range []uint64{0, acks[0].Seq + 1, 99} {
		_, err := log.Append(context.Background(), tenant, []domain.Append{
			{Event: newEvent(t, tenant, goal("g")), Expect: true, Expected: expected}})
		wantCode(t, err, domain.ECONFLICT)
	}
	if h := head(t, log, tenant); h != before {
		t.Fatalf("Head after conflicts: got %d, want %d", h, before)
	}
	if n := len(load(t, log, tenant, goal("g"))); n != 1 {
		t.Fatalf("Load: got %d events, want 1", n)
	}
}

func testBatch(t *testing.T, log domain.Log, tenant string) {
	appendOK(t, log, tenant, domain.Append{Event: newEvent(t, tenant, goal("before"))})
	g := newEvent(t, tenant, goal("g"))
	i1 := newEvent(t, tenant, domain.Ref{Kind: domain.KindIndicator, ID: "i1"})
	g2 := newEvent(t, tenant, goal("g"))
	acks := appendOK(t, log, tenant,
		domain.Append{Event: g, Expect: true},
		domain.Append{Event: i1, Expect: true},
		domain.Append{Event: g2},
	)
	for i, ack := range acks {
		if ack.Seq != uint64(i+2) || ack.Duplicate {
			t.Fatalf("ack %d: got %+v, want seq %d", i, ack, i+2)
		}
	}
	recs := readAll(t, log, tenant, 2)
	if len(recs) != 3 {
		t.Fatalf("Read: got %d records, want 3", len(recs))
	}
	for i, want := range []domain.Event{g, i1, g2} {
		if recs[i].Err != nil {
			t.Fatalf("record %d: %v", i, recs[i].Err)
		}
		sameEvent(t, recs[i].Event, want, uint64(i+2))
	}
}

func testBatchAllOrNothing(t *testing.T, log domain.Log, tenant string) {
	acks := appendOK(t, log, tenant, domain.Append{Event: newEvent(t, tenant, goal("old"))})
	before := head(t, log, tenant)
	for _, wrong := range []int{0, 1, 2} {
		appends := []domain.Append{
			{Event: newEvent(t, tenant, goal("new")), Expect: true, Expected: 0},
			{Event: newEvent(t, tenant, goal("old")), Expect: true, Expected: acks[0].Seq},
			{Event: newEvent(t, tenant, domain.Ref{Kind: domain.KindIndicator, ID: "i"}), Expect: true, Expected: 0},
		}
		appends[wrong].Expected = 42
		_, err := log.Append(context.Background(), tenant, appends)
		wantCode(t, err, domain.ECONFLICT)
	}
	if h := head(t, log, tenant); h != before {
		t.Fatalf("Head after failed batches: got %d, want %d", h, before)
	}
	for _, ref := range []domain.Ref{goal("new"), {Kind: domain.KindIndicator, ID: "i"}} {
		if n := len(load(t, log, tenant, ref)); n != 0 {
			t.Fatalf("Load %s: got %d events, want none", ref, n)
		}
	}
	if n := len(load(t, log, tenant, goal("old"))); n != 1 {
		t.Fatalf("Load old: got %d events, want 1", n)
	}
}

func testIdempotency(t *testing.T, log domain.Log, tenant string) {
	first := appendOK(t, log, tenant, domain.Append{Event: newEvent(t, tenant, goal("g")), Expect: true, MsgID: "key-1#0"})
	appendOK(t, log, tenant, domain.Append{Event: newEvent(t, tenant, goal("other"))})
	// A retry: a new event id, the same key, and an expectation that is stale by now.
	again := appendOK(t, log, tenant, domain.Append{Event: newEvent(t, tenant, goal("g")), Expect: true, MsgID: "key-1#0"})
	if !again[0].Duplicate || again[0].Seq != first[0].Seq {
		t.Fatalf("retry: got %+v, want duplicate of seq %d", again[0], first[0].Seq)
	}
	if h := head(t, log, tenant); h != 2 {
		t.Fatalf("Head: got %d, want 2", h)
	}
	recs := readAll(t, log, tenant, 1)
	if recs[0].MsgID != "key-1#0" {
		t.Fatalf("MsgID: got %q, want key-1#0", recs[0].MsgID)
	}
	// The event id is the message id when no key is given.
	e := newEvent(t, tenant, goal("h"))
	first = appendOK(t, log, tenant, domain.Append{Event: e})
	again = appendOK(t, log, tenant, domain.Append{Event: e})
	if !again[0].Duplicate || again[0].Seq != first[0].Seq {
		t.Fatalf("same event twice: got %+v, want duplicate of seq %d", again[0], first[0].Seq)
	}
}

func testReadFromMiddle(t *testing.T, log domain.Log, tenant string) {
	for i := range 5 {
		appendOK(t, log, tenant, domain.Append{Event: newEvent(t, tenant, goal(fmt.Sprint("g", i)))})
	}
	for _, tt := range []struct{ from, first, n uint64 }{{0, 1, 5}, {1, 1, 5}, {3, 3, 3}, {5, 5, 1}, {6, 0, 0}, {100, 0, 0}} {
		recs := readAll(t, log, tenant, tt.from)
		if uint64(len(recs)) != tt.n {
			t.Fatalf("Read from %d: got %d records, want %d", tt.from, len(recs), tt.n)
		}
		for i, r := range recs {
			if r.Seq != tt.first+uint64(i) {
				t.Fatalf("Read from %d: record %d has seq %d, want %d", tt.from, i, r.Seq, tt.first+uint64(i))
			}
		}
	}
	// Read stops at the head as it was when called, even while the log grows.
	var n int
	err := log.Read(context.Background(), tenant, 1, func(r domain.Record) error {
		if n++; n == 1 {
			appendOK(t, log, tenant, domain.Append{Event: newEvent(t, tenant, goal("late"))})
		}
		return nil
	})
	if err != nil || n != 5 {
		t.Fatalf("Read while appending: %d records, err %v; want 5", n, err)
	}
}

func testReadStopsOnError(t *testing.T, log domain.Log, tenant string) {
	for i := range 3 {
		appendOK(t, log, tenant, domain.Append{Event: newEvent(t, tenant, goal(fmt.Sprint("g", i)))})
	}
	stop := errors.New("stop")
	var n int
	err := log.Read(context.Background(), tenant, 1, func(r domain.Record) error {
		if n++; n == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 2 {
		t.Fatalf("Read: %d records, err %v; want 2 and the error of fn", n, err)
	}
}

func testLoadUnknown(t *testing.T, log domain.Log, tenant string) {
	appendOK(t, log, tenant, domain.Append{Event: newEvent(t, tenant, goal("g"))})
	start := time.Now()
	events, err := log.Load(context.Background(), tenant, goal("nothing"))
	if err != nil || len(events) != 0 {
		t.Fatalf("Load of an unknown aggregate: %d events, err %v; want none", len(events), err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Load of an unknown aggregate took %v", d)
	}
}

func testUnknownTenant(t *testing.T, log domain.Log, _ string) {
	ctx := context.Background()
	const tenant = "nobody"
	_, err := log.Head(ctx, tenant)
	wantCode(t, err, domain.ENOTFOUND)
	_, err = log.Append(ctx, tenant, []domain.Append{{Event: newEvent(t, tenant, goal("g"))}})
	wantCode(t, err, domain.ENOTFOUND)
	_, err = log.Append(ctx, tenant, []domain.Append{{Event: newEvent(t, tenant, goal("g"))}, {Event: newEvent(t, tenant, goal("h"))}})
	wantCode(t, err, domain.ENOTFOUND)
	err = log.Read(ctx, tenant, 1, func(domain.Record) error { return nil })
	wantCode(t, err, domain.ENOTFOUND)
	_, err = log.Load(ctx, tenant, goal("g"))
	wantCode(t, err, domain.ENOTFOUND)
}

func testEnsureTenantTwice(t *testing.T, log domain.Log, tenant string) {
	appendOK(t, log, tenant, domain.Append{Event: newEvent(t, tenant, goal("g"))})
	if err := log.EnsureTenant(context.Background(), tenant); err != nil {
		t.Fatalf("EnsureTenant again: %v", err)
	}
	if h := head(t, log, tenant); h != 1 {
		t.Fatalf("Head: got %d, want 1", h)
	}
}
