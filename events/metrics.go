package events

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/taktledger/takt/domain"
)

// Metrics measures the appends of a Store. Create it with NewMetrics, on the registry of the process
// that serves, and set it as Store.Metrics; a Store without Metrics measures nothing.
type Metrics struct {
	// AppendDuration is the time an append takes, until the log has acknowledged (or refused) it.
	AppendDuration *prometheus.HistogramVec
	// Appends counts appends by result: stored, duplicate (the log knew the message id: a retry),
	// conflict (an aggregate had moved since it was read), invalid, not_found, unavailable, error.
	Appends *prometheus.CounterVec
	// Batches counts decisions of several events published as one atomic batch.
	Batches *prometheus.CounterVec
}

// NewMetrics creates the log's metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		AppendDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "takt_log_append_duration_seconds",
			Help: "Time to append one decision to the log, until JetStream acknowledged or refused it.",
			// From an in-process R1 publish (sub-millisecond) to a cluster electing a leader.
			Buckets: []float64{.0002, .0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"tenant"}),
		Appends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "takt_log_appends_total",
			Help: "Appends of decisions to the log, by result: stored, duplicate, conflict, invalid, not_found, unavailable, error.",
		}, []string{"tenant", "result"}),
		Batches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "takt_log_atomic_batches_total",
			Help: "Decisions of several events published as one JetStream atomic batch.",
		}, []string{"tenant"}),
	}
	reg.MustRegister(m.AppendDuration, m.Appends, m.Batches)
	return m
}

// Watch starts the series of each tenant at zero, so that rates and alerts see a tenant before its
// first conflict or duplicate.
func (m *Metrics) Watch(tenants ...string) {
	for _, t := range tenants {
		m.AppendDuration.WithLabelValues(t)
		for _, result := range []string{"stored", "duplicate", "conflict"} {
			m.Appends.WithLabelValues(t, result)
		}
		m.Batches.WithLabelValues(t)
	}
}

// appended records one append that started at start.
func (m *Metrics) appended(tenant string, n int, start time.Time, acks []domain.Appended, err error) {
	if m == nil {
		return
	}
	m.AppendDuration.WithLabelValues(tenant).Observe(time.Since(start).Seconds())
	result := "stored"
	switch code := domain.ErrorCode(err); {
	case err == nil && len(acks) > 0 && acks[0].Duplicate:
		result = "duplicate"
	case err == nil:
		if n > 1 {
			m.Batches.WithLabelValues(tenant).Inc()
		}
	case code == domain.ECONFLICT:
		result = "conflict"
	case code == domain.EINVALID:
		result = "invalid"
	case code == domain.ENOTFOUND:
		result = "not_found"
	case code == domain.EUNAVAILABLE:
		result = "unavailable"
	default:
		result = "error"
	}
	m.Appends.WithLabelValues(tenant, result).Inc()
}
