package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// metricName is a name of takt's, Go's or the process's metrics in a PromQL expression.
var metricName = regexp.MustCompile(`\b(?:takt|go|process)_[a-z0-9_]+\b`)

// checkQueriedMetrics fails the test for every metric name in exprs that reg does not have; a
// histogram's _bucket, _sum and _count series count as its own.
func checkQueriedMetrics(t *testing.T, reg prometheus.Gatherer, source string, exprs []string) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, mf := range mfs {
		have[mf.GetName()] = true
		if mf.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				have[mf.GetName()+s] = true
			}
		}
	}
	n := 0
	for _, e := range exprs {
		for _, name := range metricName.FindAllString(e, -1) {
			n++
			if !have[name] {
				t.Errorf("%s queries %s, which takt does not export (in %s)", source, name, e)
			}
		}
	}
	if n == 0 {
		t.Errorf("%s queries no metric", source)
	}
}

// dashboardQueries returns the expressions of every panel of a Grafana dashboard, and of its
// template variables.
func dashboardQueries(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct{ Definition string }
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var exprs []string
	for _, p := range d.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("%s: panel %q has no query", path, p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		exprs = append(exprs, v.Definition)
	}
	return exprs
}

// The Grafana dashboard and the Prometheus alerts name only metrics takt exports, and the
// dashboard shows every takt metric there is.
func TestDashboardAndAlertsNameTaktsMetrics(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Tenants = []string{"falun"}
	m := mustRun(t, cfg)
	// One decision, so that every labelled series has a child.
	mustSend(t, 201, "POST", m.URL()+"/v1/tenants/falun/organs", `{"id":"kf","name":"KF","kind":"council"}`)

	dashboard := dashboardQueries(t, "../../deploy/grafana/dashboards/takt.json")
	checkQueriedMetrics(t, m.Metrics, "the dashboard", dashboard)

	alerts, err := os.ReadFile("../../deploy/prometheus/alerts.yml")
	if err != nil {
		t.Fatal(err)
	}
	var exprs []string
	for _, line := range strings.Split(string(alerts), "\n") {
		if _, e, ok := strings.Cut(line, "expr:"); ok {
			exprs = append(exprs, e)
		}
	}
	checkQueriedMetrics(t, m.Metrics, "alerts.yml", exprs)

	mfs, err := m.Metrics.Gather()
	if err != nil {
		t.Fatal(err)
	}
	shown := strings.Join(dashboard, "\n")
	for _, mf := range mfs {
		if name := mf.GetName(); strings.HasPrefix(name, "takt_") && !strings.Contains(shown, name) {
			t.Errorf("the dashboard does not show %s", name)
		}
	}
}

// The Kubernetes ConfigMap's takt.conf is a config file takt serve reads.
func TestKubernetesConfigFile(t *testing.T) {
	clearEnv(t)
	b, err := os.ReadFile("../../deploy/k8s/configmap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "takt.conf: |\n")
	if !ok {
		t.Fatal("the ConfigMap has no takt.conf")
	}
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		if l != "" && !strings.HasPrefix(l, "    ") {
			break
		}
		lines = append(lines, strings.TrimSpace(l))
	}
	path := filepath.Join(t.TempDir(), "takt.conf")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600); err != nil {
		t.Fatal(err)
	}
	m := NewMain()
	if err := m.ParseFlags(context.Background(), []string{"--config", path}); err != nil {
		t.Fatal(err)
	}
	if m.Config.Replicas != 3 || m.Config.NATSURL == "" || m.Config.DataDir != "/var/lib/takt" || !slices.Equal(m.Config.Tenants, []string{"falun", "haninge"}) {
		t.Fatalf("got %+v", m.Config)
	}
	set, err := os.ReadFile("../../deploy/k8s/statefulset.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"path: /healthz", "path: /readyz", "volumeClaimTemplates", "mountPath: /var/lib/takt"} {
		if !strings.Contains(string(set), want) {
			t.Errorf("statefulset.yaml lacks %q", want)
		}
	}
	compose, err := os.ReadFile("../../deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--replicas=3", "--nats-url=", "nats-0.conf", "nats-1.conf", "nats-2.conf", "prometheus", "grafana"} {
		if !strings.Contains(string(compose), want) {
			t.Errorf("compose.yaml lacks %q", want)
		}
	}
}
