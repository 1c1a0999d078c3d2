package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/taktledger/takt/audit"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/projections"
)

// BenchmarkVerify verifies a log of TAKT_VERIFY_EVENTS events against ten checkpoints, as takt
// verify does: read the checkpoints, read every event raw over TCP from the embedded server, hash
// it, recompute the tree and check each checkpoint's signature, root, consistency and inclusion
// with the proofs of the tree file. The target is 1 000 000 events in ≤ 30 s; unless the variable
// is set it runs 1 000, so that make bench, which runs it 2 000 times, stays quick. Building the
// log, the tree file and the checkpoints is not timed; the time they took is logged.
func BenchmarkVerify(b *testing.B) {
	n := 1000
	if v := os.Getenv("TAKT_VERIFY_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 10 {
			b.Fatalf("TAKT_VERIFY_EVENTS=%q: want a number of events, at least 10", v)
		}
	}
	ctx := context.Background()
	value := 71.5
	srv := publishLog(b, n, func(i int) domain.Event {
		return domain.Event{ID: fmt.Sprintf("ev%08d", i), Type: "indicator.value_reported", Tenant: "bench",
			Aggregate: domain.Ref{Kind: domain.KindIndicator, ID: fmt.Sprint("i", i%100)}, Organ: "buf", Period: "2023-2026",
			Effective: "2024-12-31", Actor: "bench", Time: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Second),
			Data: &domain.ValueReported{ValueID: fmt.Sprint("v", i), Year: 2024, Point: "annual", Value: &value, Status: "final"}}
	})

	// The tree file and ten checkpoints, as the checkpointer would build them.
	start := time.Now()
	key, _, err := audit.LoadOrCreateKey(filepath.Join(b.TempDir(), "keys"), "")
	if err != nil {
		b.Fatal(err)
	}
	tree := projections.NewTree(filepath.Join(b.TempDir(), "bench.db"), "bench")
	if err := tree.Open(ctx); err != nil {
		b.Fatal(err)
	}
	defer tree.Close()
	reader := tcpStore(b, srv)
	every := uint64(n / 10)
	batch := make([]domain.Record, 0, 1000)
	flush := func() error {
		var marks []projections.Mark
		for _, r := range batch {
			if r.Seq%every == 0 {
				marks = append(marks, projections.Mark{Size: r.Seq, Reason: "interval"})
			}
		}
		err := tree.Append(ctx, batch, marks)
		batch = batch[:0]
		return err
	}
	if err := reader.ReadRaw(ctx, "bench", 1, func(r domain.Record) error {
		if batch = append(batch, r); len(batch) == cap(batch) {
			return flush()
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	if err := flush(); err != nil {
		b.Fatal(err)
	}
	cp := projections.NewCheckpointer(tree, reader, reader, key)
	cp.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := reader.EnsureCheckpoints(ctx, "bench"); err != nil {
		b.Fatal(err)
	}
	if err := cp.Publish(ctx); err != nil {
		b.Fatal(err)
	}
	b.Logf("tree of %d events and its checkpoints built in %s", tree.Size(), time.Since(start).Round(time.Millisecond))

	opts := audit.Options{Tenant: "bench", Verifiers: note.VerifierList(key.Verifier),
		Reference: &audit.Reference{Size: tree.Size(), Proofs: tree}}
	b.ResetTimer()
	for range b.N {
		var cps []domain.Checkpoint
		if err := reader.ReadCheckpoints(ctx, "bench", 1, func(c domain.Checkpoint) error {
			cps = append(cps, c)
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		report, err := audit.Verify(ctx, opts, func(fn func(domain.Record) error) error {
			return reader.ReadRaw(ctx, "bench", 1, fn)
		}, cps)
		if err != nil {
			b.Fatal(err)
		}
		if report.Events != uint64(n) || report.Roots != 10 || report.Inclusion != 10 || report.Consistency != 9 {
			b.Fatalf("report %+v", report)
		}
	}
	perEvent := b.Elapsed().Seconds() / float64(b.N) / float64(n)
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(perEvent*1e6, "s/1M-events")
}
