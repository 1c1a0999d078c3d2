package bench

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/projections"
)

// BenchmarkRebuild publishes a generated log of TAKT_REBUILD_EVENTS events (default 100 000; the
// issue's figure is for 1 000 000) to an embedded JetStream, rebuilds the projection from it with
// `projections.Rebuild` over TCP as `takt rebuild` does, and then times reads on the result as
// timeReads does: the goal tree of the period as of a random date, a random goal's history, and
// another's answer of GET /goals/{id}/history. It reports the rebuild time, events/s, the CPU time
// the rebuild used, and the p50 and p99 of each read. Before publishing, it writes the least a
// rebuild of the same events writes (rawRebuild) and reports that time too, and the ratio of the
// two; after the rebuild, what SQLite alone takes to write the rebuilt file (copyFile, copy-s).
func BenchmarkRebuild(b *testing.B) {
	n := envInt("TAKT_REBUILD_EVENTS", 100_000)
	ctx := context.Background()
	records := generate(n)
	floor := rawRebuild(b, records)
	srv := publishLog(b, n, func(i int) domain.Event { return records[i].Event })
	ids := goalIDs(records)
	records = nil

	reader := tcpStore(b, srv)
	path := filepath.Join(b.TempDir(), "bench.db")
	var took time.Duration
	var cpu time.Duration
	for range b.N {
		cpu0 := cpuTime()
		start := time.Now()
		seq, err := projections.Rebuild(ctx, reader, "bench", path)
		if err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
		cpu += cpuTime() - cpu0
		if seq != uint64(n) {
			b.Fatalf("rebuilt to %d of %d", seq, n)
		}
	}
	b.ReportMetric(took.Seconds()/float64(b.N), "rebuild-s")
	b.ReportMetric(float64(n*b.N)/took.Seconds(), "events/s")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "rebuild-cpu-s")
	b.ReportMetric(floor.Seconds(), "raw-s")
	b.ReportMetric(floor.Seconds()/(took.Seconds()/float64(b.N)), "ratio")
	copied := copyFile(b, path)
	b.ReportMetric(copied.Seconds(), "copy-s")
	b.ReportMetric(copied.Seconds()/(took.Seconds()/float64(b.N)), "copy-ratio")

	db := openDB(b, path)
	defer db.Close()
	timeReads(b, db, ids, false).report(b)
	// A dashboard asks for the same tree again and again: the second read of a tree comes from the cache.
	cached := make([]time.Duration, reads)
	same := randomDate(rand.New(rand.NewPCG(5, 6)))
	for i := range reads {
		start := time.Now()
		if _, err := db.Goals(ctx, "bench", domain.GoalFilter{Period: "2023-2026"}, domain.ReadOptions{AsOf: same}); err != nil {
			b.Fatal(err)
		}
		cached[i] = time.Since(start)
	}
	reportPercentiles(b, "tree-again", cached)
	b.Logf("%d goals; reads as of random dates in 2023–2026", len(ids))
}

// goalIDs returns the ids of the goals of records, sorted.
func goalIDs(records []domain.Record) []string {
	goals := map[string]bool{}
	for _, r := range records {
		if r.Event.Aggregate.Kind == domain.KindGoal {
			goals[r.Event.Aggregate.ID] = true
		}
	}
	return slices.Sorted(maps.Keys(goals))
}

// randomDate returns a date of the term 2023–2026, as the reads ask for.
func randomDate(r *rand.Rand) domain.Date {
	return domain.DateOf(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, r.IntN(4*365)))
}

// copyFile copies every row of the projection at path into a fresh file of the same schema inside
// SQLite, a table at a time with INSERT … SELECT in the order of its key, and then creates the
// indexes, each from sorted keys; the fresh file is written as a rebuild writes its scratch file.
// It returns how long that took: what SQLite alone takes to write the rebuilt file on this machine,
// with nothing decoded, computed or passed through the driver, measured in the same run.
func copyFile(b *testing.B, path string) time.Duration {
	dst := filepath.Join(b.TempDir(), "copy.db")
	db, err := sql.Open("sqlite3", "file:"+dst+"?"+scratchParams)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec("PRAGMA mmap_size = 68719476736; ATTACH ? AS src", path); err != nil {
		b.Fatal(err)
	}
	rows, err := db.Query(`SELECT type, name, sql FROM src.sqlite_master
		WHERE type IN ('table', 'index') AND sql IS NOT NULL ORDER BY type DESC, name`)
	if err != nil {
		b.Fatal(err)
	}
	var tables, names, indexes []string
	for rows.Next() {
		var typ, name, text string
		if err := rows.Scan(&typ, &name, &text); err != nil {
			b.Fatal(err)
		}
		if typ == "table" {
			tables, names = append(tables, text), append(names, name)
		} else {
			indexes = append(indexes, text)
		}
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	for i, name := range names {
		if _, err := db.Exec(tables[i]); err != nil {
			b.Fatal(err)
		}
		if _, err := db.Exec(fmt.Sprintf(`INSERT INTO main."%s" SELECT * FROM src."%s"`, name, name)); err != nil {
			b.Fatal(err)
		}
	}
	for _, text := range indexes {
		if _, err := db.Exec(text); err != nil {
			b.Fatal(err)
		}
	}
	return time.Since(start)
}

// cpuTime is the CPU time the process has used, user and system: on a shared machine, what a
// rebuild costs apart from the time it waits for a core.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// rawRebuild writes, in a file of the projection's schema without the secondary indexes of
// history, the least a rebuild of records writes — per event an upsert of the entity's current row
// and a history row, and the checkpoint per transaction of projections.RebuildBatchSize, with prepared
// statements — as a rebuild writes its scratch file, and returns how long that took: the floor of
// what SQLite takes for a rebuild on this machine, measured in the same run.
func rawRebuild(b *testing.B, records []domain.Record) time.Duration {
	path := filepath.Join(b.TempDir(), "raw.db")
	openDB(b, path).Close()
	r := openRaw(b, path, records, scratchParams)
	defer r.db.Close()
	rows, err := r.db.Query("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'history' AND sql IS NOT NULL")
	if err != nil {
		b.Fatal(err)
	}
	var indexes []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			b.Fatal(err)
		}
		indexes = append(indexes, name)
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	for _, name := range indexes {
		if _, err := r.db.Exec(`DROP INDEX "` + name + `"`); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	for i := 0; i < len(records); i += projections.RebuildBatchSize {
		r.insert(b, i, min(i+projections.RebuildBatchSize, len(records)))
	}
	return time.Since(start)
}
