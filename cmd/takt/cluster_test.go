package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/events/natstest"
	"github.com/taktledger/takt/projections"
)

// acked is a decision takt answered 2xx: the events it says it stored.
type acked struct {
	key    string
	events []stored
}

// loadStats counts what the load saw.
type loadStats struct {
	sent, retried atomic.Int64
	statuses      sync.Map // status → *atomic.Int64
}

func (s *loadStats) count(status int) {
	v, _ := s.statuses.LoadOrStore(status, new(atomic.Int64))
	v.(*atomic.Int64).Add(1)
}

func (s *loadStats) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d decisions, %d retries;", s.sent.Load(), s.retried.Load())
	s.statuses.Range(func(k, v any) bool {
		fmt.Fprintf(&b, " %v×%d", k, v.(*atomic.Int64).Load())
		return true
	})
	return b.String()
}

// decide posts a decision until takt acknowledges it, retrying with the same Idempotency-Key while
// the log is unavailable (503, or no answer at all). It gives up, unacknowledged, when ctx is done.
func decide(ctx context.Context, client *http.Client, url, key, body string, stats *loadStats) (*acked, error) {
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			stats.retried.Add(1)
			select {
			case <-ctx.Done():
				return nil, nil
			case <-time.After(50 * time.Millisecond):
			}
		}
		req, _ := http.NewRequest("POST", url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", key)
		resp, err := client.Do(req)
		if err != nil {
			stats.count(0)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		stats.count(resp.StatusCode)
		switch {
		case resp.StatusCode == http.StatusServiceUnavailable:
			continue
		case resp.StatusCode >= 300:
			return nil, fmt.Errorf("POST %s (%s): %d %s", url, key, resp.StatusCode, b)
		}
		var rc struct{ Events []stored }
		if err := json.Unmarshal(b, &rc); err != nil || len(rc.Events) == 0 {
			return nil, fmt.Errorf("POST %s (%s): %d %q", url, key, resp.StatusCode, b)
		}
		stats.sent.Add(1)
		return &acked{key: key, events: rc.Events}, nil
	}
}

// takt on a 3-node JetStream cluster with R3 streams, under load from several clients, loses the
// node that leads the tenant's stream: writes resume once a new leader is elected, no decision
// takt acknowledged is lost, and after the node returns the projection equals a rebuild.
func TestClusterSurvivesTheLossOfTheStreamLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a 3-node JetStream cluster through a leader election")
	}
	start := time.Now()
	cluster := natstest.Start(t, 3)

	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.NATSURL = cluster.URLs()
	cfg.Replicas = 3
	cfg.Tenants = []string{"falun"}
	m := mustRun(t, cfg)
	base := m.URL() + "/v1/tenants/falun"
	mustSend(t, 201, "POST", base+"/organs", `{"id":"kf","name":"Kommunfullmäktige","kind":"council"}`)
	mustSend(t, 201, "POST", base+"/periods", `{"id":"2023-2026"}`)

	nc, err := nats.Connect(cluster.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ctx := context.Background()
	// A loaded machine answers the cluster's API slowly; the client's default of 5 s is too short.
	infoCtx, cancelInfo := context.WithTimeout(ctx, 30*time.Second)
	defer cancelInfo()
	checkpoints := events.CheckpointStreamName("falun")
	info, err := events.NewStore(nc).Position(infoCtx, "falun")
	if err != nil || info.Replicas != 3 || info.Leader == "" {
		t.Fatalf("the tenant's stream: %+v %v", info, err)
	}

	// Load: six clients, each recording new organs and, every fifth decision, a goal with an
	// indicator (three events in one atomic batch).
	const clients = 6
	loadCtx, stopLoad := context.WithCancel(ctx)
	defer stopLoad()
	var (
		stats    loadStats
		mu       sync.Mutex
		acks     []*acked
		failures []error
		wg       sync.WaitGroup
		stopped  atomic.Int64 // unix nanos at which the leader was stopped
		resumed  atomic.Int64 // the first acknowledgement of a decision sent after that
	)
	client := &http.Client{Timeout: 30 * time.Second}
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; loadCtx.Err() == nil; i++ {
				key := fmt.Sprintf("c%d-%d", c, i)
				url, body := base+"/organs", fmt.Sprintf(`{"id":"o-%s","name":"Nämnd %s","kind":"committee","parent":"kf"}`, key, key)
				if i%5 == 4 {
					url, body = base+"/goals", fmt.Sprintf(`{"id":"g-%s","title":"Mål %s","level":"result","owner":"kf",
						"indicators":[{"id":"i-%s","name":"Andel","unit":"%%","measure":"percent","direction":"higher_is_better","targets":[{"year":2025,"value":80}]}],%s}`,
						key, key, key, testDecision)
				}
				sentAt := time.Now().UnixNano()
				a, err := decide(loadCtx, client, url, key, body, &stats)
				mu.Lock()
				if err != nil {
					failures = append(failures, err)
				} else if a != nil {
					acks = append(acks, a)
					if s := stopped.Load(); s != 0 && sentAt > s {
						resumed.CompareAndSwap(0, time.Now().UnixNano())
					}
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}

	time.Sleep(1500 * time.Millisecond)
	leader, err := cluster.StreamLeader(ctx, nc, events.StreamName("falun"))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	before := len(acks)
	mu.Unlock()
	leader.Stop()
	stopped.Store(time.Now().UnixNano())
	t.Logf("%d decisions acknowledged; stopped %s, the stream's leader", before, leader.Name)

	// The election, as the nodes still running report it: another node leads the stream.
	var others []string
	for _, n := range cluster.Nodes {
		if n != leader {
			others = append(others, n.URL())
		}
	}
	survivors, err := nats.Connect(strings.Join(others, ","))
	if err != nil {
		t.Fatal(err)
	}
	defer survivors.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		short, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		n, err := cluster.StreamLeader(short, survivors, events.StreamName("falun"))
		cancel()
		if err == nil && n != leader {
			t.Logf("%s leads the stream %s after the stop", n.Name, time.Since(time.Unix(0, stopped.Load())).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no new leader within 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for resumed.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("writes did not resume within 30 s of losing the leader: %s", &stats)
		}
		time.Sleep(20 * time.Millisecond)
	}
	election := time.Duration(resumed.Load() - stopped.Load())
	// A decision in flight to the stopped leader waits for its answer until the log's timeout
	// (10 s), then is answered 503 and retried with its key.
	t.Logf("writes resumed %s after the leader stopped", election.Round(time.Millisecond))

	time.Sleep(time.Second) // load on two nodes
	leader.Restart(t)
	time.Sleep(time.Second) // load while the node catches up
	stopLoad()
	wg.Wait()
	for _, err := range failures {
		t.Error(err)
	}
	t.Logf("load: %s", &stats)

	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := cluster.WaitCurrent(waitCtx, nc, events.StreamName("falun")); err != nil {
		t.Fatal(err)
	}

	// Zero acknowledged decisions lost: every event of every 2xx answer is in the stream, at the
	// sequence the answer gave, and every idempotency key is stored once.
	store := events.NewStore(nc)
	inLog := map[string]uint64{}
	keys := map[string]int{}
	if err := store.Read(ctx, "falun", 1, func(r domain.Record) error {
		if r.Err != nil {
			return r.Err
		}
		inLog[r.Event.ID] = r.Seq
		if strings.HasSuffix(r.MsgID, "#0") {
			keys[r.MsgID]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	events := 0
	for _, a := range acks {
		for _, e := range a.events {
			events++
			if seq, ok := inLog[e.ID]; !ok || seq != e.Seq {
				t.Errorf("decision %s: event %s acknowledged at %d is in the log at %d (%v)", a.key, e.ID, e.Seq, seq, ok)
			}
		}
	}
	for key, n := range keys {
		if n != 1 {
			t.Errorf("key %s stored %d times", key, n)
		}
	}
	if len(acks) < 50 || before == len(acks) {
		t.Fatalf("too little load to show anything: %d decisions, %d before the stop", len(acks), before)
	}
	t.Logf("%d decisions (%d events) acknowledged, all in the log of %d events", len(acks), events, len(inLog))

	// The projection, caught up, equals a rebuild from the log.
	head, err := store.Head(ctx, "falun")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.dbs["falun"].WaitFor(waitCtx, head); err != nil {
		t.Fatal(err)
	}
	rebuilt := projections.NewDB(filepath.Join(t.TempDir(), "falun.db"))
	rebuilt.Tenant = "falun"
	rebuilt.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := rebuilt.Open(ctx); err != nil {
		t.Fatal(err)
	}
	p := projections.NewProjector(rebuilt, store, "falun")
	p.Until = head
	if _, err := p.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if err := rebuilt.Close(); err != nil {
		t.Fatal(err)
	}
	diff, err := projections.Compare(ctx, projectionPath(cfg.DataDir, "falun"), rebuilt.Path)
	if err != nil {
		t.Fatal(err)
	}
	if diff != "" {
		t.Fatalf("the projection differs from a rebuild at %d:\n%s", head, diff)
	}

	// The checkpointer, which creates the checkpoint stream as it starts beside the server and
	// retries while the cluster is busy, has made it by now, with three copies.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	cpCtx, cancelCp := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelCp()
	for {
		s, err := js.Stream(cpCtx, checkpoints)
		if errors.Is(err, jetstream.ErrStreamNotFound) && cpCtx.Err() == nil {
			time.Sleep(100 * time.Millisecond) // polling the cluster's API, not waiting for a result
			continue
		}
		if err != nil || s.CachedInfo().Config.Replicas != 3 {
			t.Fatalf("the tenant's checkpoint stream is not R3: %v", err)
		}
		break
	}
	t.Logf("the projection equals a rebuild at sequence %d; %s in all", head, time.Since(start).Round(time.Millisecond))
}
