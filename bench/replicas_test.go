package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/events/natstest"
)

// BenchmarkReplicas records indicator values through the ledger on an in-process 3-node JetStream
// cluster, into an R1 stream and an R3 stream of the same cluster, and, for reference, on the
// single embedded server takt serve runs by default (sync-always, in-process connection),
// interleaved in rounds in the same run: one client after another (each decision waits for its
// acknowledgement), and eight clients at once on eight indicators. It reports decisions/s of each
// and the ratios R3/R1 and R3/embedded.
func BenchmarkReplicas(b *testing.B) {
	ctx := context.Background()
	cluster := natstest.Start(b, 3)
	nc, err := nats.Connect(cluster.Nodes[0].URL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()

	embedded := events.NewServer() // sync-always
	embedded.StoreDir = b.TempDir()
	if err := embedded.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer embedded.Close()
	enc, err := embedded.InProcessConn()
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Close()

	// Ledgers by replicas; 0 is the embedded server.
	const clients = 8
	ledgers := map[int]*domain.Ledger{}
	for _, replicas := range []int{0, 1, 3} {
		store := events.NewStore(nc)
		if replicas == 0 {
			store = events.NewStore(enc)
		}
		store.Replicas = replicas
		tenant := fmt.Sprintf("r%d", replicas)
		ledger := domain.NewLedger(store, func() string { return uuid.Must(uuid.NewV7()).String() })
		ledger.Tenants = []string{tenant}
		ledger.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
		if err := ledger.Open(ctx); err != nil {
			b.Fatal(err)
		}
		decided := domain.Decided{Period: "2023-2026", Decision: domain.DecisionRef{Organ: "kf", MeetingDate: "2023-02-01", Paragraph: "1", CaseNumber: "1"}}
		cmds := []domain.Command{
			&domain.RegisterOrgan{ID: "kf", Name: "Kommunfullmäktige", Kind: "council"},
			&domain.RegisterOrgan{ID: "buf", Name: "Förvaltningen", Kind: "administration"},
			&domain.OpenPeriod{ID: "2023-2026"},
		}
		for i := range clients {
			cmds = append(cmds, &domain.DefineIndicator{ID: fmt.Sprint("i", i), Name: "Andel", Unit: "%", Measure: "percent",
				Direction: "higher_is_better", Decided: decided})
		}
		for _, c := range cmds {
			if _, err := ledger.Record(ctx, domain.Request{Tenant: tenant, Actor: "bench", Command: c}); err != nil {
				b.Fatal(err)
			}
		}
		ledgers[replicas] = ledger
	}

	// An R1 stream led by the node the client is connected to saves a hop; say where it is.
	for _, tenant := range []string{"r1", "r3"} {
		if leader, err := cluster.StreamLeader(ctx, nc, events.StreamName(tenant)); err == nil {
			b.Logf("stream of %s led by %s; the client is connected to %s", tenant, leader.Name, cluster.Nodes[0].Name)
		}
	}

	var n atomic.Int64
	record := func(replicas, indicator int) error {
		v := 71.5
		cmd := &domain.ReportValue{ID: fmt.Sprint("i", indicator), ValueID: fmt.Sprint("v", n.Add(1)), Organ: "buf", Year: 2024,
			Value: &v, Status: "preliminary"}
		_, err := ledgers[replicas].Record(ctx, domain.Request{Tenant: fmt.Sprintf("r%d", replicas), Actor: "bench", Command: cmd})
		return err
	}
	serial := func(replicas, count int) time.Duration {
		start := time.Now()
		for range count {
			if err := record(replicas, 0); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	parallel := func(replicas, count int) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := c; i < count; i += clients {
					if err := record(replicas, c); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	for _, r := range []int{0, 1, 3} { // warm up
		serial(r, 50)
		parallel(r, 200)
	}
	b.ResetTimer()
	var t [6]time.Duration // serial R1, R3, embedded; parallel R1, R3, embedded
	for done := 0; done < b.N; {
		k := min(200, b.N-done)
		t[0] += serial(1, k)
		t[1] += serial(3, k)
		t[2] += serial(0, k)
		t[3] += parallel(1, k)
		t[4] += parallel(3, k)
		t[5] += parallel(0, k)
		done += k
	}
	b.StopTimer()
	rate := func(d time.Duration) float64 { return float64(b.N) / d.Seconds() }
	b.ReportMetric(rate(t[0]), "R1-decisions/s")
	b.ReportMetric(rate(t[1]), "R3-decisions/s")
	b.ReportMetric(rate(t[2]), "embedded-decisions/s")
	b.ReportMetric(rate(t[1])/rate(t[0]), "R3/R1")
	b.ReportMetric(rate(t[1])/rate(t[2]), "R3/embedded")
	b.ReportMetric(rate(t[3]), "R1-8clients-decisions/s")
	b.ReportMetric(rate(t[4]), "R3-8clients-decisions/s")
	b.ReportMetric(rate(t[5]), "embedded-8clients-decisions/s")
	b.ReportMetric(rate(t[4])/rate(t[3]), "R3/R1-8clients")
	b.ReportMetric(rate(t[4])/rate(t[5]), "R3/embedded-8clients")
}
