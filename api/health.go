package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"
)

// Check is one condition of readiness: the log reachable, a tenant's stream present, a projection
// close enough to its log's head.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Readiness answers whether takt can serve. Ready returns every check it made, passed or failed;
// it should return within ctx's deadline.
type Readiness interface {
	Ready(ctx context.Context) []Check
}

// readyTimeout bounds the checks of one /readyz.
const readyTimeout = 3 * time.Second

// readiness is the body of /readyz.
type readiness struct {
	Status string   `json:"status"` // ready, not_ready
	Failed []string `json:"failed,omitempty"`
	Checks []Check  `json:"checks"`
}

// readyz answers 200 when every check passes and 503 naming the checks that failed otherwise. A
// Server without Readiness is ready as soon as it is alive.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	body := readiness{Status: "ready", Checks: []Check{}}
	if s.Readiness != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		body.Checks = s.Readiness.Ready(ctx)
		cancel()
	}
	for _, c := range body.Checks {
		if !c.OK {
			body.Status = "not_ready"
			body.Failed = append(body.Failed, c.Name)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if body.Status != "ready" {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(body)
}
