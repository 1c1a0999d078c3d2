package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/taktledger/takt/events"
)

const testDecision = `"period":"2023-2026","decision":{"organ":"kf","meeting_date":"2023-02-13","paragraph":"§ 12","case_number":"KS 2023/45"}`

// send makes one request and returns its status and body.
func send(t *testing.T, method, url, body string, headers ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func mustSend(t *testing.T, want int, method, url, body string, headers ...string) string {
	t.Helper()
	status, b := send(t, method, url, body, headers...)
	if status != want {
		t.Fatalf("%s %s: got %d %s, want %d", method, url, status, b, want)
	}
	return b
}

// metricValue returns the value of the sample of name whose labels include labels, and whether
// there is one: a counter's or gauge's value, a histogram's count.
func metricValue(t *testing.T, g prometheus.Gatherer, name string, labels map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	metrics:
		for _, m := range mf.GetMetric() {
			for k, v := range labels {
				if !hasLabel(m, k, v) {
					continue metrics
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue(), true
			case m.Gauge != nil:
				return m.Gauge.GetValue(), true
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount()), true
			}
		}
	}
	return 0, false
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.GetLabel() {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}

// Every decision is counted by type and outcome, the log's appends by what the log answered, the
// projection's batches and lag, and every request by its route pattern and status; the metrics
// lint clean and /metrics serves them.
func TestMetrics(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Tenants = []string{"falun", "haninge"}
	m := mustRun(t, cfg)
	base := m.URL() + "/v1/tenants/haninge"

	mustSend(t, 201, "POST", base+"/organs", `{"id":"kf","name":"Kommunfullmäktige","kind":"council"}`)
	mustSend(t, 201, "POST", base+"/organs", `{"id":"bun","name":"Barn- och utbildningsnämnden","kind":"committee","parent":"kf"}`, "Idempotency-Key", "bun-1")
	mustSend(t, 201, "POST", base+"/organs", `{"id":"bun","name":"Barn- och utbildningsnämnden","kind":"committee","parent":"kf"}`, "Idempotency-Key", "bun-1")
	mustSend(t, 400, "POST", base+"/organs", `{"id":"x","kind":"council"}`)
	mustSend(t, 201, "POST", base+"/periods", `{"id":"2023-2026"}`)
	// A goal with an indicator and its target is one decision of three events: one atomic batch.
	mustSend(t, 201, "POST", base+"/goals", `{"id":"trygg","title":"Alla känner sig trygga","level":"result","owner":"kf",
		"indicators":[{"id":"andel","name":"Andel trygga","unit":"%","measure":"percent","direction":"higher_is_better","targets":[{"year":2025,"value":80}]}],`+testDecision+`}`)
	mustSend(t, 409, "POST", base+"/goals/trygg/revise", `{"title":"Ny","reason":"R",`+testDecision+`}`, "If-Match", `"1"`)
	mustSend(t, 422, "POST", base+"/goals", `{"title":"T","level":"committee","owner":"bun","indicators":[
		{"name":"B","unit":"st","measure":"number","direction":"higher_is_better","targets":[{"year":2030,"value":1}]}],`+testDecision+`}`)
	mustSend(t, 404, "POST", m.URL()+"/v1/tenants/nowhere/organs", `{"id":"kf","name":"KF","kind":"council"}`)
	mustSend(t, 404, "GET", m.URL()+"/nothing/here", "")
	mustSend(t, 200, "GET", base+"/organs?min_seq=6", "")

	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"takt_ledger_decisions_total", map[string]string{"tenant": "haninge", "type": "RegisterOrgan", "outcome": "recorded"}, 2},
		{"takt_ledger_decisions_total", map[string]string{"tenant": "haninge", "type": "RegisterOrgan", "outcome": "duplicate"}, 1},
		{"takt_ledger_decisions_total", map[string]string{"tenant": "haninge", "type": "RegisterOrgan", "outcome": "invalid"}, 1},
		{"takt_ledger_decisions_total", map[string]string{"tenant": "haninge", "type": "AdoptGoal", "outcome": "recorded"}, 1},
		{"takt_ledger_decisions_total", map[string]string{"tenant": "haninge", "type": "AdoptGoal", "outcome": "rule_violation"}, 1},
		{"takt_ledger_decisions_total", map[string]string{"tenant": "haninge", "type": "ReviseGoal", "outcome": "conflict"}, 1},
		{"takt_log_append_duration_seconds", map[string]string{"tenant": "haninge"}, 4},
		{"takt_log_appends_total", map[string]string{"tenant": "haninge", "result": "stored"}, 4},
		{"takt_log_atomic_batches_total", map[string]string{"tenant": "haninge"}, 1},
		{"takt_http_requests_total", map[string]string{"route": "POST /v1/tenants/{tenant}/organs", "code": "201"}, 3},
		{"takt_http_requests_total", map[string]string{"route": "POST /v1/tenants/{tenant}/organs", "code": "404"}, 1},
		{"takt_http_requests_total", map[string]string{"route": "unmatched", "code": "404"}, 1},
		{"takt_projection_checkpoint_sequence", map[string]string{"tenant": "haninge"}, 6},
		{"takt_log_head_sequence", map[string]string{"tenant": "haninge"}, 6},
		{"takt_projection_lag_events", map[string]string{"tenant": "haninge"}, 0},
		{"takt_projection_lag_events", map[string]string{"tenant": "falun"}, 0},
		{"takt_projection_quarantined_records", map[string]string{"tenant": "haninge"}, 0},
		{"takt_log_up", nil, 1},
		{"takt_live_clients", nil, 0},
	} {
		if got, ok := metricValue(t, m.Metrics, tt.name, tt.labels); !ok || got != tt.want {
			t.Errorf("%s%v = %v (found %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
	if _, ok := metricValue(t, m.Metrics, "takt_ledger_decisions_total", map[string]string{"tenant": "nowhere"}); ok {
		t.Error("a tenant not served has a label value")
	}
	if got, ok := metricValue(t, m.Metrics, "takt_projection_apply_duration_seconds", map[string]string{"tenant": "haninge"}); !ok || got < 1 {
		t.Errorf("no batch applied was measured: %v", got)
	}

	problems, err := testutil.GatherAndLint(m.Metrics)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	body := mustSend(t, 200, "GET", m.URL()+"/metrics", "")
	for _, want := range []string{`takt_ledger_decisions_total{outcome="recorded",tenant="haninge",type="AdoptGoal"} 1`,
		"# TYPE takt_log_append_duration_seconds histogram", "go_goroutines", "process_open_fds"} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

type readyBody struct {
	Status string
	Failed []string
	Checks []struct {
		Name   string
		OK     bool
		Detail string
	}
}

func readyz(t *testing.T, url string) (int, readyBody) {
	t.Helper()
	status, b := send(t, "GET", url+"/readyz", "")
	var body readyBody
	if err := json.Unmarshal([]byte(b), &body); err != nil {
		t.Fatalf("/readyz: %d %q", status, b)
	}
	return status, body
}

// waitReady polls /readyz until it answers want, and returns its last body.
func waitReady(t *testing.T, url string, want int, within time.Duration) readyBody {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		status, body := readyz(t, url)
		if status == want {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still answers %d %+v after %s, want %d", status, body, within, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// /readyz goes not-ready when the external NATS goes away, saying which checks failed, and ready
// again when it comes back on the same store and port; /healthz stays alive throughout.
func TestReadyzFollowsNATS(t *testing.T) {
	store := t.TempDir()
	ns := events.NewServer()
	ns.StoreDir = store
	if err := ns.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	u, err := url.Parse(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())

	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.NATSURL = ns.ClientURL()
	cfg.Tenants = []string{"falun", "haninge"}
	m := mustRun(t, cfg)

	body := waitReady(t, m.URL(), 200, 5*time.Second)
	if body.Status != "ready" || len(body.Checks) != 5 {
		t.Fatalf("ready: %+v", body)
	}
	mustSend(t, 201, "POST", m.URL()+"/v1/tenants/falun/organs", `{"id":"kf","name":"KF","kind":"council"}`)

	ns.Close()
	body = waitReady(t, m.URL(), 503, 10*time.Second)
	if body.Status != "not_ready" || len(body.Failed) == 0 || body.Failed[0] != "jetstream" {
		t.Fatalf("not ready: %+v", body)
	}
	mustSend(t, 200, "GET", m.URL()+"/healthz", "")
	if up, _ := metricValue(t, m.Metrics, "takt_log_up", nil); up != 0 {
		t.Errorf("takt_log_up = %v with NATS gone", up)
	}

	again := events.NewServer()
	again.StoreDir = store
	again.Port = port
	if err := again.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { again.Close() })
	waitReady(t, m.URL(), 200, 15*time.Second)
	mustSend(t, 201, "POST", m.URL()+"/v1/tenants/falun/organs", `{"id":"bun","name":"BUN","kind":"committee","parent":"kf"}`)
}
