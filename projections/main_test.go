package projections_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/events/natstest"
	"github.com/taktledger/takt/projections"
)

const tenant = "demo"

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// MustOpenServer starts an embedded nats-server with JetStream in a temporary directory.
func MustOpenServer(tb testing.TB) *events.Server {
	tb.Helper()
	return natstest.Server(tb)
}

// MustConnect connects to s over TCP, as the projector does.
func MustConnect(tb testing.TB, s *events.Server) *nats.Conn {
	tb.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	return nc
}

// MustOpenDB opens a projection file in a temporary directory.
func MustOpenDB(tb testing.TB, path string) *projections.DB {
	tb.Helper()
	if path == "" {
		path = filepath.Join(tb.TempDir(), "demo.db")
	}
	db := projections.NewDB(path)
	db.Tenant = tenant
	db.Logger = quiet
	db.Now = func() time.Time { return time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC) }
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// clock is a ledger's clock that moves one minute each time it is read.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Minute)
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// env is a ledger on real JetStream with its projection kept up to date by a running projector.
type env struct {
	srv    *events.Server
	nc     *nats.Conn // in-process, for the ledger
	store  *events.Store
	ledger *domain.Ledger
	clock  *clock
	db     *projections.DB
	path   string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{srv: MustOpenServer(t), clock: &clock{t: time.Date(2023, 1, 1, 8, 0, 0, 0, time.UTC)}}
	nc, err := e.srv.InProcessConn()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	e.nc = nc
	e.store = events.NewStore(nc)
	e.store.Logger = quiet
	n := 0
	var mu sync.Mutex
	e.ledger = domain.NewLedger(e.store, func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("id%05d", n)
	})
	e.ledger.Tenants = []string{tenant}
	e.ledger.Now = e.clock.Now
	e.ledger.Logger = quiet
	if err := e.ledger.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.path = filepath.Join(t.TempDir(), "demo.db")
	e.db = MustOpenDB(t, e.path)
	e.run(t)
	return e
}

// run starts a projector that follows the log over TCP until the test ends.
func (e *env) run(t *testing.T) {
	t.Helper()
	store := events.NewStore(MustConnect(t, e.srv))
	store.Logger = quiet
	p := projections.NewProjector(e.db, store, tenant)
	p.Logger = quiet
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("projector: %v", err)
		}
	})
}

// do records a command and returns the sequence of its last event.
func (e *env) do(t *testing.T, cmd domain.Command) uint64 {
	t.Helper()
	r, err := e.ledger.Record(context.Background(), domain.Request{Tenant: tenant, Actor: "anna", Command: cmd})
	if err != nil {
		t.Fatalf("%T: %v", cmd, err)
	}
	return r.Events[len(r.Events)-1].Seq
}

// at records a command with the ledger's clock set to when.
func (e *env) at(t *testing.T, when string, cmd domain.Command) uint64 {
	t.Helper()
	tm, err := time.Parse(time.DateOnly, when)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Set(tm.Add(8 * time.Hour))
	return e.do(t, cmd)
}

func f(v float64) *float64 { return &v }
func s(v string) *string   { return &v }

func ref(organ, date, para string) domain.DecisionRef {
	return domain.DecisionRef{Organ: organ, MeetingDate: domain.Date(date), Paragraph: para, CaseNumber: "KS 2023/" + para}
}

func decided(organ, date, para string) domain.Decided {
	return domain.Decided{Period: "2023-2026", Decision: ref(organ, date, para)}
}

// base records a small municipality: a council, a committee and an administration, the period
// 2023-2026, and a council goal with an indicator and targets for 2024 and 2025.
func (e *env) base(t *testing.T) uint64 {
	t.Helper()
	e.at(t, "2023-01-02", &domain.RegisterOrgan{ID: "kf", Name: "Kommunfullmäktige", Kind: "council", Effective: "2023-01-01"})
	e.at(t, "2023-01-02", &domain.RegisterOrgan{ID: "bun", Name: "Barn- och utbildningsnämnden", Kind: "committee", Parent: "kf", Effective: "2023-01-01"})
	e.at(t, "2023-01-02", &domain.RegisterOrgan{ID: "buf", Name: "Barn- och utbildningsförvaltningen", Kind: "administration", Parent: "bun", Effective: "2023-01-01"})
	e.at(t, "2023-01-02", &domain.OpenPeriod{ID: "2023-2026"})
	return e.at(t, "2023-02-14", &domain.AdoptGoal{ID: "g1", Title: "Alla elever ska nå sin fulla potential", Level: "strategic",
		Owner: "kf", GoalArea: "Utbildning", SDGs: []domain.SDGLink{{SDG: 4, Strength: "full"}},
		Indicators: []domain.IndicatorSpec{{ID: "i1", Name: "Behörighet till gymnasiet", Unit: "%", Measure: "percent",
			Direction: "higher_is_better", Targets: []domain.TargetSpec{{Year: 2024, Value: f(85)}, {Year: 2025, Value: f(88)}}}},
		Decided: decided("kf", "2023-02-13", "12")})
}

func read(opts ...func(*domain.ReadOptions)) domain.ReadOptions {
	var o domain.ReadOptions
	for _, fn := range opts {
		fn(&o)
	}
	return o
}

func asOf(d string) func(*domain.ReadOptions) {
	return func(o *domain.ReadOptions) { o.AsOf = domain.Date(d) }
}
func knownAt(n uint64) func(*domain.ReadOptions) {
	return func(o *domain.ReadOptions) { o.KnownAt = n }
}
func minSeq(n uint64) func(*domain.ReadOptions) { return func(o *domain.ReadOptions) { o.MinSeq = n } }
