package events_test

import (
	"context"
	"testing"
	"time"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/events/natstest"
)

// MustOpenServer starts an embedded nats-server with JetStream on a random port, storing in a
// temporary directory, and stops it when the test ends.
func MustOpenServer(tb testing.TB) *events.Server {
	tb.Helper()
	return natstest.Server(tb)
}

// MustOpenStore returns a Store on a server of its own with the tenants' logs created.
func MustOpenStore(tb testing.TB, tenants ...string) *events.Store {
	tb.Helper()
	st := events.NewStore(natstest.Conn(tb, MustOpenServer(tb)))
	for _, tenant := range tenants {
		if err := st.EnsureTenant(context.Background(), tenant); err != nil {
			tb.Fatal(err)
		}
	}
	return st
}

// testEvent returns an event with an empty payload of eventType.
func testEvent(tb testing.TB, tenant, eventType string, ref domain.Ref, id string) domain.Event {
	tb.Helper()
	p, ok := domain.NewPayload(eventType)
	if !ok {
		tb.Fatalf("no event type %s", eventType)
	}
	return domain.Event{ID: id, Type: eventType, Tenant: tenant, Aggregate: ref, Organ: "kf",
		Period: "2023-2026", Effective: "2025-01-01", Actor: "anna",
		Time: time.Date(2025, 3, 1, 9, 12, 44, 318000000, time.UTC), Data: p}
}
