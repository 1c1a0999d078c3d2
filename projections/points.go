package projections

import (
	"context"
	"database/sql"
	"sync"

	"github.com/taktledger/takt/domain"
)

// pointValues keeps in memory, for every indicator, the latest value with a number reported for
// each follow-up point of each year and not corrected: a dozen or so per indicator in a term. The
// latest value in force as of any date (ADR 0005) is the last of them whose point had ended then,
// so a tree as of a date takes its indicators' latest values from here without reading their
// states from history, scattered over the file among a million versions (10 ms a tree at a
// million events).
//
// It holds the values up to upTo, the checkpoint it was last brought to. Apply brings it up to
// each checkpoint it commits, after the commit; a read known at another sequence, or read before
// that, asks SQLite.
type pointValues struct {
	mu          sync.RWMutex
	upTo        uint64
	byIndicator map[string][]domain.ValueView // sorted by year and point; nil once bringing it up to date failed
}

// valueOp is a change to the latest values of points that a batch made: a value reported with a
// number, or one corrected.
type valueOp struct {
	value     domain.ValueView // reported, when id is ""
	indicator string
	id        string // corrected
}

// loadPoints reads the latest value of every indicator's points in one transaction with the
// checkpoint it covers.
func loadPoints(ctx context.Context, conn *sql.DB) (*pointValues, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	p := &pointValues{byIndicator: map[string][]domain.ValueView{}}
	var upTo uint64
	if err := tx.QueryRowContext(ctx, "SELECT seq FROM checkpoint WHERE id = 1").Scan(&upTo); err != nil {
		return nil, err
	}
	// The row of the greatest seq of each group lends it its id (SQLite's bare columns with max).
	vs, err := pointStates(ctx, tx, `SELECT indicator, id, max(seq) AS seq FROM "values"
		WHERE corrected_by = '' AND value IS NOT NULL GROUP BY indicator, year, point`)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		p.put(v)
	}
	p.upTo = upTo
	return p, nil
}

// pointStates reads the states of the values that query selects (indicator, id, seq): a value's
// version at that sequence.
func pointStates(ctx context.Context, q queryer, query string, args ...any) ([]domain.ValueView, error) {
	var out []domain.ValueView
	err := queryStates(ctx, q, `SELECT h.state FROM (`+query+`) t
		JOIN history h ON h.kind = 'value' AND h.id = t.indicator || '/' || t.id AND h.seq = t.seq`, args,
		func(v *domain.ValueView) { out = append(out, *v) })
	return out, err
}

// put makes v the latest value of its point: it was reported after any other of it.
func (p *pointValues) put(v domain.ValueView) {
	vs := p.byIndicator[v.Indicator]
	i := 0
	for i < len(vs) && domain.ComparePoints(vs[i].Year, vs[i].Point, v.Year, v.Point) < 0 {
		i++
	}
	if i < len(vs) && vs[i].Year == v.Year && vs[i].Point == v.Point {
		vs[i] = v
	} else {
		vs = append(vs, domain.ValueView{})
		copy(vs[i+1:], vs[i:])
		vs[i] = v
	}
	p.byIndicator[v.Indicator] = vs
}

// apply brings p from the checkpoint it holds to last with the changes of the batch committed
// between them. A corrected value that was the latest of its point and is not followed by another
// one with a number leaves the point to be read from the file; should that fail, p is no longer used
// and the error says why.
func (p *pointValues) apply(ctx context.Context, conn *sql.DB, ops []valueOp, last uint64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byIndicator == nil {
		return nil
	}
	type point struct {
		indicator string
		year      int
		point     string
	}
	stale := map[point]bool{}
	for _, op := range ops {
		if op.id == "" {
			p.put(op.value)
			delete(stale, point{op.value.Indicator, op.value.Year, op.value.Point})
			continue
		}
		for _, v := range p.byIndicator[op.indicator] {
			if v.ID == op.id {
				stale[point{op.indicator, v.Year, v.Point}] = true
			}
		}
	}
	for pt := range stale {
		vs, err := pointStates(ctx, conn, `SELECT indicator, id, seq FROM "values"
			WHERE indicator = ? AND year = ? AND point = ? AND corrected_by = '' AND value IS NOT NULL
			ORDER BY seq DESC LIMIT 1`, pt.indicator, pt.year, pt.point)
		if err != nil {
			p.byIndicator = nil
			return err
		}
		in := p.byIndicator[pt.indicator]
		for i, v := range in {
			if v.Year == pt.year && v.Point == pt.point {
				p.byIndicator[pt.indicator] = append(in[:i:i], in[i+1:]...)
				break
			}
		}
		for _, v := range vs {
			p.put(v)
		}
	}
	p.upTo = last
	return nil
}

// latest returns the latest value in force as of a date whose cutoff is c, by indicator, when p
// holds the values known at known.
func (p *pointValues) latest(c cutoff, known uint64) (map[string]domain.ValueView, bool) {
	if p == nil {
		return nil, false
	}
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.byIndicator == nil || p.upTo != known {
		return nil, false
	}
	out := make(map[string]domain.ValueView, len(p.byIndicator))
	for in, vs := range p.byIndicator {
		for i := len(vs) - 1; i >= 0; i-- {
			if c.covers(vs[i].Year, vs[i].Point) {
				out[in] = vs[i]
				break
			}
		}
	}
	return out, true
}
