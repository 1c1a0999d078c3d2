package events_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/events/natstest"
)

// BenchmarkStore_Read replays a log of 100 000 events; ns/op is per event.
func BenchmarkStore_Read(b *testing.B) {
	const n = 100_000
	ctx := context.Background()
	s := MustOpenServer(b)
	st := events.NewStore(natstest.Conn(b, s))
	if err := st.EnsureTenant(ctx, "demo"); err != nil {
		b.Fatal(err)
	}
	js, _ := jetstream.New(st.Conn)
	for i := range n {
		e := testEvent(b, "demo", "goal.adopted", domain.Ref{Kind: domain.KindGoal, ID: fmt.Sprint("g", i%1000)}, fmt.Sprint("e", i))
		msg, err := events.Types.EncodeMsg(e, "")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := js.PublishMsgAsync(msg); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(time.Minute):
		b.Fatal("publish did not complete")
	}
	// The projector reads over TCP.
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	reader := events.NewStore(nc)
	b.ResetTimer()
	for range b.N {
		var count int
		if err := reader.Read(ctx, "demo", 1, func(r domain.Record) error {
			if r.Err != nil {
				return r.Err
			}
			count++
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		if count != n {
			b.Fatalf("read %d, want %d", count, n)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
}
