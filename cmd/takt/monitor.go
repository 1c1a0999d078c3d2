package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/taktledger/takt/api"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/projections"
)

// monitor looks at the log and the projections together, when asked: for /readyz, and for the
// gauges of /metrics that need both (how far each projection is behind its log). It holds no
// state of its own, so what it reports is never stale.
type monitor struct {
	store   *events.Store // the ledger's connection
	read    *nats.Conn    // the projectors' connection
	dbs     projections.Tenants
	tenants []string
	// A projection is ready while it is at most maxLagEvents behind its log's head, or the oldest
	// record it has not applied was stored at most maxLag ago.
	maxLagEvents uint64
	maxLag       time.Duration
	now          func() time.Time
}

// tenantStatus is where a tenant's log and projection stand.
type tenantStatus struct {
	tenant      string
	head        uint64
	checkpoint  uint64
	lag         time.Duration // since the oldest record not yet applied was stored; 0 when caught up
	quarantined uint64
	err         error // the stream could not be looked at
}

func (s tenantStatus) lagEvents() uint64 {
	if s.head > s.checkpoint {
		return s.head - s.checkpoint
	}
	return 0
}

// status looks at JetStream, then at every tenant's stream and projection, concurrently.
func (m *monitor) status(ctx context.Context) ([]tenantStatus, error) {
	ping := m.store.Ping(ctx)
	if ping == nil && m.read != nil && !m.read.IsConnected() {
		ping = domain.Errorf(domain.EUNAVAILABLE, "The projectors' NATS connection is %s.", m.read.Status())
	}
	out := make([]tenantStatus, len(m.tenants))
	var wg sync.WaitGroup
	for i, tenant := range m.tenants {
		out[i] = tenantStatus{tenant: tenant}
		if db := m.dbs[tenant]; db != nil {
			out[i].checkpoint, out[i].quarantined = db.Checkpoint(), db.Quarantined()
		}
		if ping != nil {
			out[i].err = ping
			continue
		}
		wg.Add(1)
		go func(s *tenantStatus) {
			defer wg.Done()
			pos, err := m.store.Position(ctx, s.tenant)
			if err != nil {
				s.err = err
				return
			}
			s.head = pos.Head
			if s.head > s.checkpoint {
				stored, err := m.store.StoredAt(ctx, s.tenant, s.checkpoint+1)
				if err != nil {
					s.err = err
					return
				}
				s.lag = max(m.now().Sub(stored), 0)
			}
		}(&out[i])
	}
	wg.Wait()
	return out, ping
}

// Ready implements api.Readiness: JetStream answers, every tenant's stream exists, and every
// projection is within its bound of its stream's head.
func (m *monitor) Ready(ctx context.Context) []api.Check {
	tenants, ping := m.status(ctx)
	checks := []api.Check{{Name: "jetstream", OK: ping == nil}}
	if ping != nil {
		checks[0].Detail = domain.ErrorMessage(ping)
	}
	for _, s := range tenants {
		stream := api.Check{Name: "stream:" + s.tenant, OK: s.err == nil}
		proj := api.Check{Name: "projection:" + s.tenant}
		switch {
		case s.err != nil:
			stream.Detail = domain.ErrorMessage(s.err)
			proj.Detail = fmt.Sprintf("at sequence %d; the log's head is unknown", s.checkpoint)
		case s.lagEvents() <= m.maxLagEvents || s.lag <= m.maxLag:
			proj.OK = true
			proj.Detail = fmt.Sprintf("at sequence %d of %d", s.checkpoint, s.head)
		default:
			proj.Detail = fmt.Sprintf("at sequence %d of %d: %d events and %s behind (bound: %d events or %s)",
				s.checkpoint, s.head, s.lagEvents(), s.lag.Round(time.Millisecond), m.maxLagEvents, m.maxLag)
		}
		if s.err == nil {
			stream.Detail = fmt.Sprintf("%s at sequence %d", events.StreamName(s.tenant), s.head)
		}
		checks = append(checks, stream, proj)
	}
	return checks
}

// The gauges the monitor reports at each scrape.
var (
	logUpDesc = prometheus.NewDesc("takt_log_up",
		"1 when JetStream answers takt and every tenant's stream can be looked at, 0 otherwise.", nil, nil)
	headDesc = prometheus.NewDesc("takt_log_head_sequence",
		"The last sequence of a tenant's stream.", []string{"tenant"}, nil)
	checkpointDesc = prometheus.NewDesc("takt_projection_checkpoint_sequence",
		"The last sequence a tenant's projection has applied.", []string{"tenant"}, nil)
	lagEventsDesc = prometheus.NewDesc("takt_projection_lag_events",
		"Records of a tenant's stream its projection has not applied yet (head − checkpoint).", []string{"tenant"}, nil)
	lagSecondsDesc = prometheus.NewDesc("takt_projection_lag_seconds",
		"How long ago the oldest record a tenant's projection has not applied was stored; 0 when caught up.", []string{"tenant"}, nil)
	quarantinedDesc = prometheus.NewDesc("takt_projection_quarantined_records",
		"Records a tenant's projection has set aside because it could not apply them.", []string{"tenant"}, nil)
)

// scrapeTimeout bounds the monitor's look at the log during a scrape.
const scrapeTimeout = 3 * time.Second

// Describe implements prometheus.Collector.
func (m *monitor) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{logUpDesc, headDesc, checkpointDesc, lagEventsDesc, lagSecondsDesc, quarantinedDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A tenant whose stream cannot be looked at has no head
// and no lag in the scrape, rather than a made-up one; takt_log_up says so.
func (m *monitor) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	tenants, ping := m.status(ctx)
	up := 1.0
	for _, s := range tenants {
		ch <- prometheus.MustNewConstMetric(checkpointDesc, prometheus.GaugeValue, float64(s.checkpoint), s.tenant)
		ch <- prometheus.MustNewConstMetric(quarantinedDesc, prometheus.GaugeValue, float64(s.quarantined), s.tenant)
		if s.err != nil {
			up = 0
			continue
		}
		ch <- prometheus.MustNewConstMetric(headDesc, prometheus.GaugeValue, float64(s.head), s.tenant)
		ch <- prometheus.MustNewConstMetric(lagEventsDesc, prometheus.GaugeValue, float64(s.lagEvents()), s.tenant)
		ch <- prometheus.MustNewConstMetric(lagSecondsDesc, prometheus.GaugeValue, s.lag.Seconds(), s.tenant)
	}
	if ping != nil {
		up = 0
	}
	ch <- prometheus.MustNewConstMetric(logUpDesc, prometheus.GaugeValue, up)
}
