package bench

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/taktledger/takt/domain"
)

// BenchmarkReads times the reads of BenchmarkRebuild — 500 goal trees as of random dates and 500
// random goals' histories — in a process that holds nothing but the projection: the file of
// TAKT_READS_EVENTS generated events (default 100 000) is built with DB.Apply in batches of 5 000,
// at TAKT_READS_FILE when set and kept there for the next run. It reports the p50 and p99 of both
// reads, the bytes each allocates, and the heap the index of versions takes when the file is opened.
func BenchmarkReads(b *testing.B) {
	n := envInt("TAKT_READS_EVENTS", 100_000)
	ctx := context.Background()
	records := generate(n)
	ids := goalIDs(records)
	path := os.Getenv("TAKT_READS_FILE")
	if path == "" {
		path = filepath.Join(b.TempDir(), "reads.db")
	}
	if _, err := os.Stat(path); err != nil {
		db := openDB(b, path)
		for i := 0; i < len(records); i += 5000 {
			if err := db.Apply(ctx, records[i:min(i+5000, len(records))]); err != nil {
				b.Fatal(err)
			}
		}
		db.Close()
	}
	records = nil
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	db := openDB(b, path)
	defer db.Close()
	runtime.GC()
	runtime.ReadMemStats(&after)

	r := rand.New(rand.NewPCG(3, 4))
	const reads = 500
	tree := make([]time.Duration, reads)
	history := make([]time.Duration, reads)
	var treeBytes, historyBytes uint64
	var m runtime.MemStats
	b.ResetTimer()
	for i := range reads {
		runtime.ReadMemStats(&m)
		allocated := m.TotalAlloc
		start := time.Now()
		if _, err := db.Goals(ctx, "bench", domain.GoalFilter{Period: "2023-2026"}, domain.ReadOptions{AsOf: randomDate(r)}); err != nil {
			b.Fatal(err)
		}
		tree[i] = time.Since(start)
		runtime.ReadMemStats(&m)
		treeBytes, allocated = treeBytes+m.TotalAlloc-allocated, m.TotalAlloc
		start = time.Now()
		if _, err := db.GoalHistory(ctx, "bench", ids[r.IntN(len(ids))], domain.HistoryFilter{}, domain.ReadOptions{}); err != nil {
			b.Fatal(err)
		}
		history[i] = time.Since(start)
		runtime.ReadMemStats(&m)
		historyBytes += m.TotalAlloc - allocated
	}
	b.StopTimer()
	for _, t := range []struct {
		name string
		d    []time.Duration
	}{{"tree", tree}, {"history", history}} {
		slices.Sort(t.d)
		b.ReportMetric(float64(t.d[reads/2].Microseconds())/1000, t.name+"-p50-ms")
		b.ReportMetric(float64(t.d[reads*99/100].Microseconds())/1000, t.name+"-p99-ms")
	}
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1e6, "open-heap-MB")
	b.ReportMetric(float64(treeBytes)/reads/1e6, "tree-MB")
	b.ReportMetric(float64(historyBytes)/reads/1e6, "history-MB")
}
