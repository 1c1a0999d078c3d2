package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/mattn/go-sqlite3"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/projections"
)

// envInt reads a size from the environment, so that `make bench` can run the full sizes and a
// quick run can stay small.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// municipality generates the log of a large municipality's term, as the ledger would store it: its
// organs and period, goals with indicators and targets, and then what a term is mostly made of —
// reported values (some corrected), progress on commitments, revisions and assessments.
type municipality struct {
	r          *rand.Rand
	seq        uint64
	at         time.Time
	goals      []string
	indicators []string
	commitment []string
	values     map[string]int
	out        []domain.Record
}

func generate(n int) []domain.Record {
	m := &municipality{r: rand.New(rand.NewPCG(1, 2)), at: time.Date(2023, 1, 2, 8, 0, 0, 0, time.UTC), values: map[string]int{}}
	m.emit(domain.KindOrgan, "kf", "", &domain.OrganRegistered{Name: "Kommunfullmäktige", Kind: "council"})
	for i := range 8 {
		m.emit(domain.KindOrgan, fmt.Sprintf("n%d", i), "", &domain.OrganRegistered{Name: fmt.Sprintf("Nämnd %d", i), Kind: "committee", Parent: "kf"})
	}
	m.emit(domain.KindPeriod, "2023-2026", "2023-2026", &domain.PeriodOpened{FirstYear: 2023, LastYear: 2026, Decision: m.ref()})
	for len(m.out) < n {
		m.step()
	}
	return m.out[:n]
}

func (m *municipality) ref() *domain.DecisionRef {
	return &domain.DecisionRef{Organ: "kf", MeetingDate: domain.DateOf(m.at), Paragraph: fmt.Sprintf("§ %d", m.r.IntN(200)+1), CaseNumber: "KS 2023/1"}
}

func (m *municipality) emit(kind domain.Kind, id, period string, data domain.Payload) {
	m.seq++
	m.at = m.at.Add(time.Minute)
	e := domain.Event{ID: uuid.NewString(), Type: data.EventType(), Tenant: "bench", Aggregate: domain.Ref{Kind: kind, ID: id},
		Organ: "kf", Period: period, Effective: domain.DateOf(m.at), Actor: "bench", Time: m.at, Data: data, Seq: m.seq}
	m.out = append(m.out, domain.Record{Seq: m.seq, Subject: "takt.bench." + string(kind) + "." + id, Stored: m.at, MsgID: e.ID, Event: e})
}

func (m *municipality) pick(ids []string) string { return ids[m.r.IntN(len(ids))] }

func (m *municipality) step() {
	const period = "2023-2026"
	switch x := m.r.IntN(100); {
	case len(m.goals) < 50 || (x < 2 && len(m.goals) < 300): // a new goal with two indicators and their targets
		g := fmt.Sprintf("g%d", len(m.goals))
		ref := m.ref()
		m.emit(domain.KindGoal, g, period, &domain.GoalAdopted{Title: "Mål " + g, Level: "result", Owner: "kf", Decision: *ref})
		m.goals = append(m.goals, g)
		for k := range 2 {
			in := fmt.Sprintf("%s-i%d", g, k)
			m.emit(domain.KindIndicator, in, period, &domain.IndicatorDefined{Name: "Indikator " + in, Goal: g, Unit: "%",
				Measure: "percent", Direction: "higher_is_better", Decision: ref})
			m.indicators = append(m.indicators, in)
			v := 80.0
			m.emit(domain.KindIndicator, in, period, &domain.TargetSet{Year: 2025, Value: v, Comparison: "at_least", Decision: *ref})
		}
	case x < 70: // a value
		in := m.pick(m.indicators)
		m.values[in]++
		v := m.r.Float64() * 100
		m.emit(domain.KindIndicator, in, period, &domain.ValueReported{ValueID: fmt.Sprintf("v%d", m.values[in]), Year: 2023 + m.r.IntN(3),
			Point: "annual", Value: &v, Status: "final"})
	case x < 73 && len(m.values) > 0: // a correction of the latest value of an indicator
		in := m.pick(m.indicators)
		if n := m.values[in]; n > 0 {
			m.values[in]++
			v := m.r.Float64() * 100
			m.emit(domain.KindIndicator, in, period, &domain.ValueCorrected{ValueID: fmt.Sprintf("v%d", m.values[in]),
				Corrects: fmt.Sprintf("v%d", n), Year: 2024, Point: "annual", Value: &v, Status: "final", Reason: "Rättad"})
		}
	case x < 80: // a commitment
		c := fmt.Sprintf("c%d", len(m.commitment))
		m.commitment = append(m.commitment, c)
		v := 10.0
		m.emit(domain.KindCommitment, c, period, &domain.CommitmentMade{Text: "Åtagande " + c, Responsible: m.pick([]string{"n1", "n2", "n3"}),
			Goal: m.pick(m.goals), Measure: domain.Measure{Description: "antal", Unit: "st", Target: &v}, Year: 2024, Due: "2024-12-31", Decision: *m.ref()})
	case x < 92 && len(m.commitment) > 0: // progress
		v := m.r.Float64() * 10
		m.emit(domain.KindCommitment, m.pick(m.commitment), period, &domain.ProgressReported{Value: &v, Status: "on_track"})
	case x < 96: // a target revised
		v := 70 + m.r.Float64()*20
		m.emit(domain.KindIndicator, m.pick(m.indicators), period, &domain.TargetSet{Year: 2026, Value: v, Comparison: "at_least", Decision: *m.ref()})
	default: // a goal revised
		title := fmt.Sprintf("Reviderat mål %d", m.seq)
		m.emit(domain.KindGoal, m.pick(m.goals), period, &domain.GoalRevised{Title: &title, Reason: "Ny inriktning", Decision: *m.ref()})
	}
}

func openDB(b testing.TB, path string) *projections.DB {
	db := projections.NewDB(path)
	db.Tenant = "bench"
	db.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := db.Open(context.Background()); err != nil {
		b.Fatal(err)
	}
	return db
}

// BenchmarkProjection applies a generated log to a projection in batches of 500, and in the same
// run inserts the same rows raw — for each event an upsert of the entity's current row and a
// history row, for each batch the checkpoint, in one transaction, with prepared statements — into
// a file of the same schema. The two take turns batch by batch, so that neither gets the quieter
// part of a run on a shared machine. It reports events/s for both and their ratio (target ≥ 0.7).
func BenchmarkProjection(b *testing.B) {
	n := envInt("TAKT_BENCH_EVENTS", 200_000)
	records := generate(n)
	batch := envInt("TAKT_BENCH_BATCH", 500)
	ctx := context.Background()
	var projected, raw time.Duration
	for range b.N {
		dir := b.TempDir()
		db := openDB(b, filepath.Join(dir, "projection.db"))
		rdb := openDB(b, filepath.Join(dir, "raw.db"))
		rdb.Close()
		r := openRaw(b, filepath.Join(dir, "raw.db"), records, walParams)
		for i := 0; i < len(records); i += batch {
			start := time.Now()
			if err := db.Apply(ctx, records[i:min(i+batch, len(records))]); err != nil {
				b.Fatal(err)
			}
			projected += time.Since(start)
			start = time.Now()
			r.insert(b, i, min(i+batch, len(records)))
			raw += time.Since(start)
		}
		if q := db.Quarantined(); q > 0 {
			b.Fatalf("%d events set aside: the generator is wrong", q)
		}
		db.Close()
		r.db.Close()
	}
	pr := float64(n*b.N) / projected.Seconds()
	rr := float64(n*b.N) / raw.Seconds()
	b.ReportMetric(pr, "projected/s")
	b.ReportMetric(rr, "raw/s")
	b.ReportMetric(pr/rr, "ratio")
}

// rawInserter writes, per event, the rows a projection writes at the least: the entity's current
// row (an upsert) and its history row; per batch, the checkpoint.
type rawInserter struct {
	db                          *sql.DB
	upsert, history, checkpoint *sql.Stmt
	records                     []domain.Record
	states                      [][]byte
}

// The settings of a raw file: a live projection's (WAL, a sync at checkpoints), or a rebuild's
// scratch file's (its journal in memory, no syncs, a 512 MiB cache); both, as a projection's, without
// SQLite's per-connection mutex.
const (
	walParams     = "_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate&_mutex=no"
	scratchParams = "_journal_mode=MEMORY&_synchronous=OFF&_cache_size=-524288&_txlock=immediate&_mutex=no"
)

func openRaw(b *testing.B, path string, records []domain.Record, params string) *rawInserter {
	db, err := sql.Open("sqlite3", "file:"+path+"?"+params)
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE raw_current (kind TEXT NOT NULL, id TEXT NOT NULL, state TEXT NOT NULL, seq INTEGER NOT NULL,
		PRIMARY KEY (kind, id)) WITHOUT ROWID`); err != nil {
		b.Fatal(err)
	}
	r := &rawInserter{db: db, records: records, states: make([][]byte, len(records))}
	if r.upsert, err = db.Prepare(`INSERT INTO raw_current (kind, id, state, seq) VALUES (?, ?, ?, ?)
		ON CONFLICT (kind, id) DO UPDATE SET state = excluded.state, seq = excluded.seq`); err != nil {
		b.Fatal(err)
	}
	if r.history, err = db.Prepare(`INSERT INTO history (kind, id, seq, version, agg_kind, agg_id, goal, event_id, event_type, actor,
		organ, period, recorded_at, valid_from, reason, diff, state) VALUES (?, ?, ?, 1, ?, ?, '', ?, ?, ?, ?, ?, ?, ?, '', '{}', ?)`); err != nil {
		b.Fatal(err)
	}
	if r.checkpoint, err = db.Prepare("UPDATE checkpoint SET seq = ? WHERE id = 1"); err != nil {
		b.Fatal(err)
	}
	for i, rec := range records {
		r.states[i], _ = events.Types.Encode(rec.Event)
	}
	return r
}

// insert inserts records[from:to] in one transaction.
func (r *rawInserter) insert(b *testing.B, from, to int) {
	tx, err := r.db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	for j := from; j < to; j++ {
		e := r.records[j].Event
		kind := string(e.Aggregate.Kind)
		if _, err := tx.Stmt(r.upsert).Exec(kind, e.Aggregate.ID, r.states[j], e.Seq); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Stmt(r.history).Exec(kind, e.Aggregate.ID, e.Seq, kind, e.Aggregate.ID, e.ID, e.Type, e.Actor,
			e.Organ, e.Period, e.Time.Format(time.RFC3339Nano), string(e.Effective), r.states[j]); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := tx.Stmt(r.checkpoint).Exec(r.records[to-1].Seq); err != nil {
		b.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
}
