package projections

import (
	"cmp"
	"database/sql"

	"github.com/taktledger/takt/domain"
)

// applyCache is what applying keeps in memory from one batch to the next, so that an event reads
// nothing back from the file that the events before it have just written: the latest version of
// each entity but values (they are most of the entities and are read again only when corrected),
// and each indicator's latest value, targets in force and status.
//
// It belongs to the writer: only Apply touches it, under DB.applying. It holds what the file holds,
// as committed or as written by the batch under way; a batch that fails, or a record set aside,
// drops it whole, and it fills again from the file as it is read.
type applyCache struct {
	latest map[entity]*prev
	bytes  int // of the states in latest
	// all says that latest holds every entity but values the file holds, as it does when it has
	// been filled from an empty file and never emptied since: an entity it does not hold has no
	// version, and is not looked for in the file: a rebuild, which creates every entity, asks the
	// file about none.
	all    bool
	status map[string]*indicatorStatus
	goals  map[string]string // of indicators, which never change goal
}

type entity struct{ kind, id string }

// maxCachedBytes bounds the states kept: a term of a large municipality keeps them all.
const maxCachedBytes = 64 << 20

func (c *applyCache) reset() { *c = applyCache{} }

func (c *applyCache) get(key entity) (*prev, bool) {
	p, ok := c.latest[key]
	return p, ok
}

// put keeps p as the latest version of key, the empty prev for one that has none.
func (c *applyCache) put(key entity, p *prev) {
	if key.kind == "value" {
		return
	}
	if c.bytes > maxCachedBytes {
		c.latest, c.bytes, c.all = nil, 0, false
	}
	if c.latest == nil {
		c.latest = map[entity]*prev{}
	}
	if old, ok := c.latest[key]; ok {
		c.bytes -= len(old.state)
	}
	c.latest[key] = p
	c.bytes += len(p.state)
}

// indicatorStatus is what an indicator's status is computed from, and the status columns of its
// row as last written.
type indicatorStatus struct {
	latest  *latestValue // nil: no value in force
	targets map[targetKey]targetValue
	row     statusRow
}

type latestValue struct {
	id    string
	year  int64
	point string
	seq   uint64
	value float64
}

// after orders values as the key of the values table does: by year, point and sequence.
func (v *latestValue) after(l *latestValue) bool {
	return cmp.Or(domain.ComparePoints(int(v.year), v.point, int(l.year), l.point), cmp.Compare(v.seq, l.seq)) > 0
}

type targetKey struct {
	year    int64 // 0 with termEnd
	termEnd bool
}

type targetValue struct {
	value      float64
	comparison string
}

// statusRow is the status columns of an indicator's row.
type statusRow struct {
	latestValue sql.NullString
	latestYear  sql.NullInt64
	latest      sql.NullFloat64
	target      sql.NullFloat64
	comparison  sql.NullString
	status      string
}

// compute returns the status columns: the latest value in force, the target in force for its
// year (or else the term's end), and the status against it.
func (s *indicatorStatus) compute(noValue string) statusRow {
	l := s.latest
	if l == nil {
		return statusRow{status: noValue}
	}
	row := statusRow{latestValue: sql.NullString{String: l.id, Valid: true}, latestYear: sql.NullInt64{Int64: l.year, Valid: true},
		latest: sql.NullFloat64{Float64: l.value, Valid: true}}
	t, ok := s.targets[targetKey{year: l.year}]
	if !ok {
		t, ok = s.targets[targetKey{termEnd: true}]
	}
	if ok {
		row.target = sql.NullFloat64{Float64: t.value, Valid: true}
		row.comparison = sql.NullString{String: t.comparison, Valid: true}
	}
	row.status = judge(l.value, ok, t.value, t.comparison)
	return row
}
