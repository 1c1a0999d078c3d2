package bench

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/taktledger/takt/api"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/projections"
)

// BenchmarkReads times the reads of BenchmarkRebuild — 500 goal trees as of random dates, 500
// random goals' histories and 500 answers of GET /goals/{id}/history — in a process that holds
// nothing but the projection: the file of TAKT_READS_EVENTS generated events (default 100 000) is
// built with DB.Apply in batches of 5 000, at TAKT_READS_FILE when set and kept there for the next
// run. It reports the p50 and p99 of each kind of read, the bytes each allocates, and the heap the
// index of versions takes when the file is opened.
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

	b.ResetTimer()
	t := timeReads(b, db, ids, true)
	b.StopTimer()
	t.report(b)
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/1e6, "open-heap-MB")
}

// reads is how many reads of each kind timeReads times.
const reads = 500

// readTimes are the durations of the reads timeReads made, and with counted the bytes they
// allocated.
type readTimes struct {
	tree, history, answer                []time.Duration
	treeBytes, historyBytes, answerBytes uint64
	counted                              bool
}

// timeReads times the reads a dashboard and an auditor make, in turns: the goal tree of the period
// as of a random date in the term, a random goal's history, and another's history as the API
// answers GET /goals/{id}/history (read, written as JSON, sent to a writer that keeps nothing),
// each as not read before. With count, it counts the bytes each read allocates
// (runtime.MemStats.TotalAlloc around it).
func timeReads(b *testing.B, db *projections.DB, ids []string, count bool) readTimes {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	t := readTimes{tree: make([]time.Duration, reads), history: make([]time.Duration, reads),
		answer: make([]time.Duration, reads), counted: count}
	srv := api.NewServer(readsOnly{})
	srv.Queries, srv.RateLimit, srv.Logger = db, -1, slog.New(slog.DiscardHandler)
	handler := srv.Handler()
	var m runtime.MemStats
	allocated := func() uint64 {
		if !count {
			return 0
		}
		runtime.ReadMemStats(&m)
		return m.TotalAlloc
	}
	for i := range reads {
		a := allocated()
		start := time.Now()
		if _, err := db.Goals(ctx, "bench", domain.GoalFilter{Period: "2023-2026"}, domain.ReadOptions{AsOf: randomDate(r)}); err != nil {
			b.Fatal(err)
		}
		t.tree[i] = time.Since(start)
		a2 := allocated()
		t.treeBytes += a2 - a
		start = time.Now()
		if _, err := db.GoalHistory(ctx, "bench", ids[r.IntN(len(ids))], domain.HistoryFilter{}, domain.ReadOptions{}); err != nil {
			b.Fatal(err)
		}
		t.history[i] = time.Since(start)
		t.historyBytes += allocated() - a2
		req := httptest.NewRequest("GET", "http://localhost/v1/tenants/bench/goals/"+ids[r.IntN(len(ids))]+"/history", nil)
		w := &sink{header: http.Header{}}
		a3 := allocated() // the answer's, not the request's
		start = time.Now()
		handler.ServeHTTP(w, req)
		t.answer[i] = time.Since(start)
		if w.status != 0 && w.status != http.StatusOK || w.n == 0 {
			b.Fatalf("GET %s: %d, %d bytes", req.URL.Path, w.status, w.n)
		}
		t.answerBytes += allocated() - a3
	}
	return t
}

// readsOnly is the recorder of a server that only reads: it serves the bench's tenant, and any
// command would panic.
type readsOnly struct{ domain.Recorder }

func (readsOnly) Serves(tenant string) bool { return tenant == "bench" }

// sink is a ResponseWriter that counts what it is sent and keeps none of it.
type sink struct {
	header http.Header
	status int
	n      int
}

func (s *sink) Header() http.Header         { return s.header }
func (s *sink) WriteHeader(status int)      { s.status = status }
func (s *sink) Write(p []byte) (int, error) { s.n += len(p); return len(p), nil }

// report reports the p50 and p99 of each kind of read, and the bytes they allocated if counted.
func (t readTimes) report(b *testing.B) {
	reportPercentiles(b, "tree", t.tree)
	reportPercentiles(b, "history", t.history)
	reportPercentiles(b, "history-answer", t.answer)
	if t.counted {
		b.ReportMetric(float64(t.treeBytes)/reads/1e6, "tree-MB")
		b.ReportMetric(float64(t.historyBytes)/reads/1e6, "history-MB")
		b.ReportMetric(float64(t.answerBytes)/reads/1e6, "history-answer-MB")
	}
}

// reportPercentiles reports the p50 and p99 of ds, in milliseconds, as name-p50-ms and name-p99-ms.
func reportPercentiles(b *testing.B, name string, ds []time.Duration) {
	ds = slices.Clone(ds)
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, name+"-p50-ms")
	b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds())/1000, name+"-p99-ms")
}
