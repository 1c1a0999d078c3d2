package bench

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
)

// publishLog starts an embedded JetStream that does not sync every write — building a log is not
// what the benchmarks that read one measure — and publishes n events to tenant bench as fast as it
// takes them. The server is closed when the benchmark ends.
func publishLog(b *testing.B, n int, event func(i int) domain.Event) *events.Server {
	ctx := context.Background()
	srv := events.NewServer()
	srv.StoreDir = b.TempDir()
	srv.SyncAlways = false
	if err := srv.Open(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	pub, err := srv.InProcessConn()
	if err != nil {
		b.Fatal(err)
	}
	defer pub.Close()
	if err := events.NewStore(pub).EnsureTenant(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	js, _ := jetstream.New(pub, jetstream.WithPublishAsyncMaxPending(4096))
	for i := range n {
		m, err := events.Types.EncodeMsg(event(i), "")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := js.PublishMsgAsync(m); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-js.PublishAsyncComplete():
	case <-time.After(10 * time.Minute):
		b.Fatal("publishing did not complete")
	}
	b.Logf("%d events published in %s", n, time.Since(start).Round(time.Millisecond))
	return srv
}

// tcpStore reads srv's log over TCP, as takt's commands read a NATS of their own, with a timeout
// long enough for a fetch of a million events; the connection closes with the benchmark.
func tcpStore(b *testing.B, srv *events.Server) *events.Store {
	tcp, err := nats.Connect(srv.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(tcp.Close)
	s := events.NewStore(tcp)
	s.Timeout = time.Minute
	return s
}
