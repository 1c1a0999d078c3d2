package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/taktledger/takt/api"
)

type checks []api.Check

func (c checks) Ready(context.Context) []api.Check { return c }

// /readyz answers 200 when every check passes, and 503 naming those that failed otherwise.
func TestReadyz(t *testing.T) {
	for _, tt := range []struct {
		checks     checks
		status     int
		wantFailed []string
	}{
		{nil, 200, nil},
		{checks{{Name: "jetstream", OK: true}, {Name: "projection:falun", OK: true}}, 200, nil},
		{checks{{Name: "jetstream", OK: true}, {Name: "projection:falun", Detail: "behind"}, {Name: "stream:falun"}}, 503,
			[]string{"projection:falun", "stream:falun"}},
	} {
		srv := api.NewServer(nil)
		if tt.checks != nil {
			srv.Readiness = tt.checks
		}
		srv.Metrics = api.NewMetrics(prometheus.NewRegistry())
		rec := httptest.NewRecorder()
		srv.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		var body struct {
			Status string
			Failed []string
			Checks []api.Check
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || rec.Code != tt.status {
			t.Fatalf("%v: %d %s", tt.checks, rec.Code, rec.Body)
		}
		if len(body.Failed) != len(tt.wantFailed) || len(body.Checks) != len(tt.checks) {
			t.Fatalf("%v: got %+v", tt.checks, body)
		}
		for i := range body.Failed {
			if body.Failed[i] != tt.wantFailed[i] {
				t.Fatalf("failed %v, want %v", body.Failed, tt.wantFailed)
			}
		}
		if rec.Code == http.StatusServiceUnavailable && body.Status != "not_ready" {
			t.Fatalf("status %q", body.Status)
		}
	}
}
