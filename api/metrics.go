package api

import (
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/taktledger/takt/domain"
)

// Metrics measures the HTTP API and the decisions it records, and serves /metrics from the
// registry it was created on. Set it as Server.Metrics; a Server without Metrics measures nothing
// and has no /metrics.
type Metrics struct {
	// Requests counts requests by route pattern ("POST /v1/tenants/{tenant}/goals"; "unmatched"
	// for a path no route takes) and status code.
	Requests *prometheus.CounterVec
	// Duration is the time to answer a request, by route pattern. A live stream's request lasts as
	// long as the stream.
	Duration *prometheus.HistogramVec
	// Decisions counts commands by tenant, command type and outcome: recorded, duplicate (an
	// idempotency key answered again), conflict, rule_violation, invalid, not_found, unavailable,
	// internal.
	Decisions *prometheus.CounterVec
	// LiveClients is the number of open live streams (/events, /live), and LiveDropped counts the
	// clients dropped for reading too slowly.
	LiveClients prometheus.Gauge
	LiveDropped prometheus.Counter
	// Refusals counts requests refused before they were served: unauthorized (no token, or one
	// malformed, unknown, expired or revoked) and forbidden (the token's tenant or role), by the
	// rule, as the problem+json names it.
	Refusals *prometheus.CounterVec
	// RateLimited counts requests refused because their credential sent too many.
	RateLimited prometheus.Counter

	handler http.Handler
}

// NewMetrics creates the API's metrics, registers them with reg, and serves reg's metrics.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "takt_http_requests_total",
			Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "takt_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern; a live stream lasts as long as the client stays.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route"}),
		Decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "takt_ledger_decisions_total",
			Help: "Commands by tenant, type and outcome: recorded, duplicate, conflict, rule_violation, invalid, not_found, unavailable, internal.",
		}, []string{"tenant", "type", "outcome"}),
		LiveClients: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "takt_live_clients",
			Help: "Open live streams (server-sent events).",
		}),
		LiveDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "takt_live_dropped_clients_total",
			Help: "Live-stream clients dropped for reading too slowly.",
		}),
		Refusals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "takt_http_refusals_total",
			Help: "Requests refused before they were served, by code (unauthorized, forbidden) and rule (required, bearer, token, expired, revoked, tenant, role).",
		}, []string{"code", "rule"}),
		RateLimited: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "takt_http_rate_limited_total",
			Help: "Requests refused because their credential sent more than the rate limit.",
		}),
	}
	// Every refusal is exported from the start, at 0, so that a rate over it is never missing.
	for _, rule := range []string{"required", "bearer", "token", "expired", "revoked"} {
		m.Refusals.WithLabelValues(domain.EUNAUTHORIZED, rule)
	}
	for _, rule := range []string{"tenant", "role"} {
		m.Refusals.WithLabelValues(domain.EFORBIDDEN, rule)
	}
	reg.MustRegister(m.Requests, m.Duration, m.Decisions, m.LiveClients, m.LiveDropped, m.Refusals, m.RateLimited)
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	return m
}

// liveClient counts one open live stream until the func it returns is called:
// defer s.Metrics.liveClient()(). A nil Metrics counts nothing.
func (m *Metrics) liveClient() (closed func()) {
	if m == nil {
		return func() {}
	}
	m.LiveClients.Inc()
	return m.LiveClients.Dec
}

// liveDropped counts a live-stream client dropped for reading too slowly. A nil Metrics counts
// nothing.
func (m *Metrics) liveDropped() {
	if m != nil {
		m.LiveDropped.Inc()
	}
}

// authFailed counts a request refused by its credential. A nil Metrics counts nothing.
func (m *Metrics) authFailed(code, rule string) {
	if m != nil {
		m.Refusals.WithLabelValues(code, rule).Inc()
	}
}

// rateLimited counts a request refused by the rate limit. A nil Metrics counts nothing.
func (m *Metrics) rateLimited() {
	if m != nil {
		m.RateLimited.Inc()
	}
}

// outcomes names the outcome of a command by its error code.
var outcomes = map[string]string{
	domain.EINVALID:     "invalid",
	domain.ERULE:        "rule_violation",
	domain.ECONFLICT:    "conflict",
	domain.ENOTFOUND:    "not_found",
	domain.EUNAVAILABLE: "unavailable",
	domain.EINTERNAL:    "internal",
	domain.EFORBIDDEN:   "forbidden",
}

// decided counts one command of a served tenant. Commands for tenants not served are not counted
// here, so that the tenant label holds only tenants configured.
func (s *Server) decided(tenant string, cmd domain.Command, rc *domain.Receipt, err error) {
	if s.Metrics == nil || cmd == nil || !s.Recorder.Serves(tenant) {
		return
	}
	outcome := "recorded"
	switch {
	case err != nil:
		if outcome = outcomes[domain.ErrorCode(err)]; outcome == "" {
			outcome = "internal"
		}
	case rc.Duplicate:
		outcome = "duplicate"
	}
	s.Metrics.Decisions.WithLabelValues(tenant, commandType(cmd), outcome).Inc()
}

// commandType is the name of a command's type: AdoptGoal, ReportValue.
func commandType(cmd domain.Command) string {
	t := reflect.TypeOf(cmd)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.Name()
}

// instrument counts and times the requests h serves, by the pattern of the route that took them.
func (s *Server) instrument(h http.Handler) http.Handler {
	if s.Metrics == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		// ServeMux sets the pattern on the request it routes; the wrapper sees it once served.
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		s.Metrics.Requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
		s.Metrics.Duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
}

// statusWriter remembers the status of a response. Unwrap lets http.ResponseController reach the
// connection's Flush and deadlines, which the live streams use.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
