package projections

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/taktledger/takt/domain"
)

// Metrics measures what Projectors apply. Create it with NewMetrics, on the registry of the process
// that serves, and set it as Projector.Metrics; a Projector without Metrics measures nothing. How
// far a projection is behind its log is a matter of both, and is measured where both are known
// (takt serve).
type Metrics struct {
	// ApplyDuration is the time one batch takes to apply and commit with its checkpoint.
	ApplyDuration *prometheus.HistogramVec
	// Applied counts the records applied (quarantined ones included: they advance the checkpoint).
	Applied *prometheus.CounterVec
}

// NewMetrics creates the projections' metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		ApplyDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "takt_projection_apply_duration_seconds",
			Help:    "Time to apply one batch of records to a projection and commit it with its checkpoint.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"tenant"}),
		Applied: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "takt_projection_applied_records_total",
			Help: "Records of the log applied to a projection.",
		}, []string{"tenant"}),
	}
	reg.MustRegister(m.ApplyDuration, m.Applied)
	return m
}

// Watch starts the series of each tenant at zero, so that rates and alerts see a tenant before its
// first batch.
func (m *Metrics) Watch(tenants ...string) {
	for _, t := range tenants {
		m.ApplyDuration.WithLabelValues(t)
		m.Applied.WithLabelValues(t)
	}
}

// apply applies a batch to the projector's DB, measuring it.
func (p *Projector) apply(ctx context.Context, batch []domain.Record) error {
	if p.Metrics == nil || len(batch) == 0 {
		return p.DB.Apply(ctx, batch)
	}
	start := time.Now()
	err := p.DB.Apply(ctx, batch)
	if err == nil {
		p.Metrics.ApplyDuration.WithLabelValues(p.Tenant).Observe(time.Since(start).Seconds())
		p.Metrics.Applied.WithLabelValues(p.Tenant).Add(float64(len(batch)))
	}
	return err
}
