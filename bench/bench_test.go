// Package bench measures takt against the raw parts it is built on, in the same run, and reports
// ratios: absolute rates depend on the machine, ratios say what takt costs on top of JetStream.
package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
)

// BenchmarkDecisions records indicator values through the whole command path — decode the JSON
// body, validate, decide, append with the expected sequence — and, in the same run on the same
// sync-always server, publishes the same bodies raw to JetStream with the same header. It reports
// decisions/s, raw publishes/s and their ratio (target ≥ 0.8).
func BenchmarkDecisions(b *testing.B) {
	ctx := context.Background()
	srv := events.NewServer() // sync-always, as takt serve runs
	srv.StoreDir = b.TempDir()
	if err := srv.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	nc, err := srv.InProcessConn()
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	store := events.NewStore(nc)
	ledger := domain.NewLedger(store, func() string { return uuid.Must(uuid.NewV7()).String() })
	ledger.Tenants = []string{"bench"}
	ledger.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := ledger.Open(ctx); err != nil {
		b.Fatal(err)
	}
	for _, c := range []domain.Command{
		&domain.RegisterOrgan{ID: "kf", Name: "Kommunfullmäktige", Kind: "council"},
		&domain.RegisterOrgan{ID: "buf", Name: "Förvaltningen", Kind: "administration"},
		&domain.OpenPeriod{ID: "2023-2026"},
		&domain.DefineIndicator{ID: "i1", Name: "Andel", Unit: "%", Measure: "percent", Direction: "higher_is_better",
			Decided: domain.Decided{Period: "2023-2026", Decision: domain.DecisionRef{Organ: "kf", MeetingDate: "2023-02-01", Paragraph: "1", CaseNumber: "1"}}},
	} {
		if _, err := ledger.Record(ctx, domain.Request{Tenant: "bench", Actor: "bench", Command: c}); err != nil {
			b.Fatal(err)
		}
	}
	body := []byte(`{"organ":"buf","year":2024,"value":71.5,"status":"preliminary","source":{"kind":"kolada","kpi":"N15419"}}`)

	// Raw: the encoded event of such a decision, published with the expected-sequence header.
	var sample domain.ReportValue
	json.Unmarshal(body, &sample)
	js, _ := jetstream.New(nc)
	subject := "takt.bench.indicator.raw"
	var last uint64
	raw := func(n int) time.Duration {
		start := time.Now()
		for i := range n {
			e := domain.Event{ID: uuid.Must(uuid.NewV7()).String(), Type: "indicator.value_reported", Tenant: "bench",
				Aggregate: domain.Ref{Kind: domain.KindIndicator, ID: "raw"}, Organ: "buf", Period: "2023-2026",
				Effective: "2024-12-31", Actor: "bench", Time: time.Now(),
				Data: &domain.ValueReported{ValueID: fmt.Sprint(i), Year: 2024, Point: "annual", Value: sample.Value, Status: "final"}}
			msg, _ := events.Types.EncodeMsg(e, "")
			msg.Subject = subject
			msg.Header.Set("Nats-Expected-Last-Subject-Sequence", strconv.FormatUint(last, 10))
			ack, err := js.PublishMsg(ctx, msg)
			if err != nil {
				b.Fatal(err)
			}
			last = ack.Sequence
		}
		return time.Since(start)
	}
	var n atomic.Int64
	decide := func(count int) time.Duration {
		start := time.Now()
		for range count {
			cmd := &domain.ReportValue{ID: "i1"}
			if err := json.Unmarshal(body, cmd); err != nil {
				b.Fatal(err)
			}
			cmd.ValueID = fmt.Sprint("v", n.Add(1))
			if _, err := ledger.Record(ctx, domain.Request{Tenant: "bench", Actor: "bench", Command: cmd}); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	raw(50) // warm up both paths
	decide(50)
	b.ResetTimer()
	// Interleave the two in rounds, so that neither gets the quieter half of the run.
	var tRaw, tCmd time.Duration
	for done := 0; done < b.N; {
		k := min(200, b.N-done)
		tRaw += raw(k)
		tCmd += decide(k)
		done += k
	}
	b.StopTimer()
	rawRate := float64(b.N) / tRaw.Seconds()
	cmdRate := float64(b.N) / tCmd.Seconds()
	b.ReportMetric(rawRate, "raw-publish/s")
	b.ReportMetric(cmdRate, "decisions/s")
	b.ReportMetric(cmdRate/rawRate, "ratio")
}
