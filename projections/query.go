package projections

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/taktledger/takt/domain"
)

var _ domain.Queries = (*DB)(nil)

// reader is one read: a transaction, so that every statement sees the same snapshot, and the
// bitemporal coordinates it answers for.
type reader struct {
	ctx   context.Context
	tx    *sql.Tx
	asOf  domain.Date // what was in force on this date
	known uint64      // as the ledger knew it at this sequence
	// current is true when known is the projection's checkpoint: the current-state tables then
	// answer what history would, faster.
	current bool
	// latest keeps the latest values read at a checkpoint, for the reads after this one.
	latest *latestValuesCache
	// index, when it holds every version up to known, answers which versions were in force.
	index *versionIndex
	// points, when it holds the values known at known, answers which were the latest.
	points *pointValues
}

// latestValuesCache holds the latest value in force of every indicator at one checkpoint, by the
// cutoff of the dates reads asked for. A value is a fact about the part of the year it describes, so
// which is in force as of a date depends only on the last point that had ended then: a dashboard
// reading trees as of many dates takes them once per checkpoint and point.
type latestValuesCache struct {
	mu       sync.Mutex
	seq      uint64
	byCutoff map[cutoff]map[string]domain.ValueView // shared: not to be changed
}

// cutoff is the last follow-up point that had ended on a date: values for it and before it are in
// force as of that date, later ones are not.
type cutoff struct {
	year int
	rank int // of the point, as domain.PointRank has it
}

// maxCutoffs bounds the points kept at a checkpoint: a term has a dozen, and a read may name any date.
const maxCutoffs = 16

func cutoffOf(d domain.Date) cutoff {
	y := d.Year()
	for rank := len(domain.Points); rank > 0; rank-- {
		if domain.PointEnd(y, domain.Points[rank-1]) <= d {
			return cutoff{y, rank}
		}
	}
	return cutoff{y - 1, len(domain.Points)}
}

// covers reports whether a value for year and point is in force as of a date whose cutoff c is.
func (c cutoff) covers(year int, point string) bool {
	return domain.ComparePoints(year, point, c.year, domain.Points[c.rank-1]) <= 0
}

// read runs fn in a read transaction for tenant under opts.
func (db *DB) read(ctx context.Context, tenant string, opts domain.ReadOptions, fn func(r *reader) error) error {
	if db.Tenant != "" && tenant != db.Tenant {
		return domain.NotFound("tenant", "Tenant %s is not served here.", tenant)
	}
	asOf := opts.AsOf
	if asOf == "" {
		asOf = domain.DateOf(db.Now())
	} else if !asOf.Valid() {
		return domain.Invalid("as_of", "date", "as_of %q is not a date in the form YYYY-MM-DD.", string(asOf))
	}
	if opts.MinSeq > 0 {
		if err := db.WaitFor(ctx, opts.MinSeq); err != nil {
			return err
		}
	}
	if db.readers == nil {
		return domain.Errorf(domain.EUNAVAILABLE, "The projection is not open.")
	}
	tx, err := db.readers.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	r := &reader{ctx: ctx, tx: tx, asOf: asOf, latest: &db.latest, points: db.points}
	if err := tx.QueryRowContext(ctx, "SELECT seq FROM checkpoint WHERE id = 1").Scan(&r.known); err != nil {
		return err
	}
	checkpoint := r.known
	if opts.KnownAt > 0 && opts.KnownAt < r.known {
		r.known = opts.KnownAt
	}
	if !opts.KnownAtTime.IsZero() {
		var at uint64
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM history WHERE recorded_at <= ?",
			formatTime(opts.KnownAtTime)).Scan(&at); err != nil {
			return err
		}
		r.known = min(r.known, at)
	}
	r.current = r.known == checkpoint
	if x := db.index; x != nil && x.covers(r.known) {
		r.index = x
	}
	return fn(r)
}

// states calls fn with the state of every entity of kind (narrowed by where) in the version that
// was in force on r.asOf as known at r.known, by id. Without asOf, the latest version known.
func (r *reader) states(kind string, asOf bool, where string, args []any, fn func(id string, state []byte) error) error {
	q := "SELECT id, max(seq) AS seq FROM history WHERE kind = ? AND seq <= ?"
	a := []any{kind, r.known}
	if asOf {
		q += " AND valid_from <= ?"
		a = append(a, string(r.asOf))
	}
	if where != "" {
		q += " AND " + where
		a = append(a, args...)
	}
	q = `SELECT h.id, h.state FROM (` + q + ` GROUP BY id) m
		JOIN history h ON h.kind = ? AND h.id = m.id AND h.seq = m.seq ORDER BY h.id`
	rows, err := r.tx.QueryContext(r.ctx, q, append(a, kind)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var state []byte
		if err := rows.Scan(&id, &state); err != nil {
			return err
		}
		if err := fn(id, state); err != nil {
			return err
		}
	}
	return rows.Err()
}

// all decodes every state states finds into a slice of T.
func all[T any](r *reader, kind string, asOf bool, where string, args ...any) ([]T, error) {
	out := []T{}
	err := r.states(kind, asOf, where, args, func(_ string, state []byte) error {
		var v T
		if err := json.Unmarshal(state, &v); err != nil {
			return fmt.Errorf("%s state: %w", kind, err)
		}
		out = append(out, v)
		return nil
	})
	return out, err
}

// queryer is a transaction or a pool: what a query of states runs on.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryStates runs query, whose rows are one column of JSON states, and calls fn with each decoded
// into a T.
func queryStates[T any](ctx context.Context, q queryer, query string, args []any, fn func(*T)) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var state []byte
		var v T
		if err := rows.Scan(&state); err != nil {
			return err
		}
		if err := json.Unmarshal(state, &v); err != nil {
			return fmt.Errorf("state %T: %w", v, err)
		}
		fn(&v)
	}
	return rows.Err()
}

// Periods implements domain.Queries.
func (db *DB) Periods(ctx context.Context, tenant string, opts domain.ReadOptions) (out []domain.PeriodView, err error) {
	err = db.read(ctx, tenant, opts, func(r *reader) error {
		out, err = all[domain.PeriodView](r, "period", true, "")
		sort.SliceStable(out, func(i, j int) bool { return out[i].FirstYear < out[j].FirstYear })
		return err
	})
	return out, err
}

// Organs implements domain.Queries.
func (db *DB) Organs(ctx context.Context, tenant string, opts domain.ReadOptions) (out []domain.OrganView, err error) {
	err = db.read(ctx, tenant, opts, func(r *reader) error {
		out, err = all[domain.OrganView](r, "organ", true, "")
		return err
	})
	return out, err
}

// Goals implements domain.Queries.
func (db *DB) Goals(ctx context.Context, tenant string, filter domain.GoalFilter, opts domain.ReadOptions) (*domain.GoalTree, error) {
	if filter.Period == "" {
		return nil, domain.Invalid("period", "required", "A goal tree needs a mandate period.")
	}
	if err := domain.PeriodFilter(filter.Period); err != nil {
		return nil, err
	}
	var tree *domain.GoalTree
	err := db.read(ctx, tenant, opts, func(r *reader) (err error) {
		if tree, err = db.trees.get(r, filter); err == nil && len(tree.Goals) == 0 {
			err = r.filtersExist(filter.Period, filter.Organ)
		}
		return err
	})
	return tree, err
}

// treeCache keeps the goal trees last read. A tree read as of a date and as known at a sequence
// never changes: what is recorded later has a higher sequence. So a key needs no invalidation; the
// cache only forgets the oldest entries. A dashboard asks for the same tree again and again.
type treeCache struct {
	mu    sync.Mutex
	trees map[treeKey]*domain.GoalTree
	order []treeKey
}

type treeKey struct {
	filter domain.GoalFilter
	asOf   domain.Date
	known  uint64
}

// treeCacheSize bounds the trees kept: a tree of a large municipality is half a megabyte of
// pointers that the garbage collector marks in every cycle while reads run (32 trees were a third
// of the live heap of a projection of 200 000 events), and a first read takes a millisecond or two.
const treeCacheSize = 8

// get returns the tree r reads for filter, from the cache or read and kept. The tree returned is
// shared: callers must not change it.
func (c *treeCache) get(r *reader, filter domain.GoalFilter) (*domain.GoalTree, error) {
	key := treeKey{filter, r.asOf, r.known}
	c.mu.Lock()
	t, ok := c.trees[key]
	c.mu.Unlock()
	if ok {
		return t, nil
	}
	t, err := r.tree(filter)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trees == nil {
		c.trees = map[treeKey]*domain.GoalTree{}
	}
	if _, ok := c.trees[key]; !ok {
		c.trees[key] = t
		c.order = append(c.order, key)
		if len(c.order) > treeCacheSize {
			delete(c.trees, c.order[0])
			c.order = c.order[1:]
		}
	}
	return t, nil
}

func (r *reader) tree(filter domain.GoalFilter) (*domain.GoalTree, error) {
	tree := &domain.GoalTree{Period: filter.Period, AsOf: r.asOf, KnownAt: r.known, Goals: []domain.GoalView{}}
	_, visions, err := inForce[domain.VisionView](r, "vision", filter.Period)
	if err != nil {
		return nil, err
	}
	tree.Visions = make([]domain.VisionView, len(visions))
	for i, v := range visions {
		tree.Visions[i] = *v
	}
	// The states found are shared: only the copies that go into the tree are changed.
	_, goals, err := inForce[domain.GoalView](r, "goal", "")
	if err != nil {
		return nil, err
	}
	inPeriod := make(map[string]*domain.GoalView, len(goals))
	for _, g := range goals {
		if slices.Contains(g.Periods, filter.Period) {
			inPeriod[g.ID] = g
		}
	}
	contributors := map[string][]string{}
	for _, g := range inPeriod {
		for _, l := range g.ContributesTo {
			contributors[l.Goal] = append(contributors[l.Goal], g.ID)
		}
	}
	_, indicators, err := inForce[domain.IndicatorView](r, "indicator", "")
	if err != nil {
		return nil, err
	}
	byGoal := make(map[string][]*domain.IndicatorView, len(inPeriod))
	for _, in := range indicators {
		if in.Goal != "" {
			byGoal[in.Goal] = append(byGoal[in.Goal], in)
		}
	}
	// Targets and latest values for every indicator at once, rather than a query or two for each.
	targetIDs, targets, err := inForce[domain.TargetView](r, "target", "")
	if err != nil {
		return nil, err
	}
	targetsOf := make(map[string][]*domain.TargetView, len(indicators))
	for _, t := range targets {
		targetsOf[t.Indicator] = append(targetsOf[t.Indicator], t)
	}
	latest, err := r.latestValues()
	if err != nil {
		return nil, err
	}
	// What the tree holds is allocated at once: a tree is thousands of small parts.
	var (
		kept        = make([]domain.IndicatorView, 0, len(indicators))
		keptTargets = make([]domain.TargetView, 0, len(targets))
		keptLatest  = make([]domain.ValueView, 0, len(latest))
	)
	tree.Goals = make([]domain.GoalView, 0, len(inPeriod))
	for _, gp := range goals {
		if inPeriod[gp.ID] == nil || (filter.Organ != "" && gp.Owner != filter.Organ) ||
			(filter.Level != "" && gp.Level != filter.Level) || (!filter.IncludeRetired && gp.Status == domain.StatusRetired) {
			continue
		}
		g := *gp
		g.Contributors = contributors[g.ID]
		sort.Strings(g.Contributors)
		from := len(kept)
		for _, inp := range byGoal[g.ID] {
			in := *inp
			switch {
			case latest == nil && r.index == nil:
				if err := r.fill(&in, false); err != nil {
					return nil, err
				}
			case latest == nil:
				// Known at an earlier sequence: the targets as fill finds them, the values from history.
				in.Targets = sortTargets(targetsByID(targetIDs, targets, in.ID))
				if err := r.values(&in, false); err != nil {
					return nil, err
				}
			default:
				n := len(keptTargets)
				for _, t := range targetsOf[in.ID] {
					keptTargets = append(keptTargets, *t)
				}
				in.Targets = sortTargets(keptTargets[n:len(keptTargets):len(keptTargets)])
				if len(in.Targets) == 0 {
					in.Targets = nil
				}
				var l *domain.ValueView
				if v, ok := latest[in.ID]; ok && v.CorrectedBy == "" && v.Value != nil {
					keptLatest = append(keptLatest, v)
					l = &keptLatest[len(keptLatest)-1]
				}
				judgeLatest(&in, l)
			}
			kept = append(kept, in)
		}
		if len(kept) > from {
			g.Indicators = kept[from:len(kept):len(kept)]
		}
		tree.Goals = append(tree.Goals, g)
	}
	depth := map[string]int{}
	var depthOf func(id string, seen int) int
	depthOf = func(id string, seen int) int {
		if d, ok := depth[id]; ok {
			return d
		}
		d := 0
		if g := inPeriod[id]; g != nil && seen < len(inPeriod) {
			for _, l := range g.ContributesTo {
				if inPeriod[l.Goal] != nil {
					d = max(d, 1+depthOf(l.Goal, seen+1))
				}
			}
		}
		depth[id] = d
		return d
	}
	sort.SliceStable(tree.Goals, func(i, j int) bool {
		di, dj := depthOf(tree.Goals[i].ID, 0), depthOf(tree.Goals[j].ID, 0)
		if di != dj {
			return di < dj
		}
		return tree.Goals[i].ID < tree.Goals[j].ID
	})
	return tree, nil
}

// fill adds to an indicator its targets in force, its values, and its status. With full, it adds
// every target version known too.
func (r *reader) fill(in *domain.IndicatorView, full bool) error {
	var err error
	if in.Targets, err = all[domain.TargetView](r, "target", true, "id > ? AND id < ?", in.ID+"/", in.ID+"0"); err != nil {
		return err
	}
	sortTargets(in.Targets)
	return r.values(in, full)
}

// targetsByID returns the targets whose ids fill's query selects for indicator id, from targets
// sorted by their ids.
func targetsByID(ids []string, targets []*domain.TargetView, id string) []domain.TargetView {
	from, _ := slices.BinarySearch(ids, id+"/")
	to, _ := slices.BinarySearch(ids, id+"0")
	out := []domain.TargetView{}
	for i := from; i < to; i++ {
		if ids[i] > id+"/" {
			out = append(out, *targets[i])
		}
	}
	return out
}

// values adds to an indicator its values known, its latest value and status against the targets
// it has. With full, it adds every target version known too.
func (r *reader) values(in *domain.IndicatorView, full bool) error {
	var err error
	// A value is a fact about the part of its year it describes: which values the ledger held is a
	// matter of recording time, and of those a read as of a date takes the ones that describe a time
	// that had ended then (domain.PointEnd).
	if in.Values, err = all[domain.ValueView](r, "value", false, "id > ? AND id < ?", in.ID+"/", in.ID+"0"); err != nil {
		return err
	}
	c := cutoffOf(r.asOf)
	in.Values = slices.DeleteFunc(in.Values, func(v domain.ValueView) bool { return !c.covers(v.Year, v.Point) })
	slices.SortStableFunc(in.Values, byPoint)
	evaluate(in)
	if !full {
		in.Values = nil
		return nil
	}
	return queryStates(r.ctx, r.tx, `SELECT state FROM history WHERE agg_kind = 'indicator' AND agg_id = ?
		AND event_type = 'indicator.target_set' AND seq <= ? ORDER BY seq`, []any{in.ID, r.known},
		func(t *domain.TargetView) { in.TargetHistory = append(in.TargetHistory, *t) })
}

// byPoint orders values by year, point and sequence, as the key of the values table does: the
// latest value of a point is the last reported.
func byPoint(a, b domain.ValueView) int {
	return cmp.Or(domain.ComparePoints(a.Year, a.Point, b.Year, b.Point), cmp.Compare(a.Seq, b.Seq))
}

// sortTargets orders targets by year, the term's end last. It is called for every indicator of a
// tree: sort.SliceStable's swapper, made by reflection, was a seventh of what a tree allocated.
func sortTargets(ts []domain.TargetView) []domain.TargetView {
	slices.SortStableFunc(ts, func(a, b domain.TargetView) int {
		if a.TermEnd != b.TermEnd {
			if a.TermEnd {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.Year, b.Year)
	})
	return ts
}

// latestValues returns, at the projection's checkpoint, the latest value in force as of the read's
// date of every indicator that has one, by indicator: from memory (pointValues) once it holds the
// checkpoint, else from the current-state tables in one query, and kept for the checkpoint and the
// cutoff. Known at an earlier sequence, it returns nil: the values must then be replayed from history.
func (r *reader) latestValues() (map[string]domain.ValueView, error) {
	if !r.current {
		return nil, nil
	}
	c, lc := cutoffOf(r.asOf), r.latest
	lc.mu.Lock()
	values, fresh := lc.byCutoff[c], lc.seq == r.known
	lc.mu.Unlock()
	if values != nil && fresh {
		return values, nil
	}
	values, ok := r.points.latest(c, r.known)
	if !ok {
		// Each indicator's latest value up to the cutoff, found by the key of values from its end.
		vs, err := pointStates(r.ctx, r.tx, `SELECT v.indicator, v.id, v.seq FROM indicators i JOIN "values" v
			ON (v.indicator, v.year, v.point, v.seq) = (SELECT w.indicator, w.year, w.point, w.seq FROM "values" w
				WHERE w.indicator = i.id AND (w.year, w.point) <= (?, ?) AND w.corrected_by = '' AND w.value IS NOT NULL
				ORDER BY w.year DESC, w.point DESC, w.seq DESC LIMIT 1)`, c.year, domain.Points[c.rank-1])
		if err != nil {
			return nil, err
		}
		values = make(map[string]domain.ValueView, len(vs))
		for _, v := range vs {
			values[v.Indicator] = v
		}
	}
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if r.known > lc.seq {
		lc.seq, lc.byCutoff = r.known, nil
	}
	if r.known == lc.seq {
		if lc.byCutoff == nil || len(lc.byCutoff) >= maxCutoffs {
			lc.byCutoff = map[cutoff]map[string]domain.ValueView{}
		}
		lc.byCutoff[c] = values
	}
	return values, nil
}

// evaluate sets an indicator's latest value in force, the target in force for its year, and its
// status against it. The values and targets must be those in force already.
func evaluate(in *domain.IndicatorView) {
	var latest *domain.ValueView
	for i := range in.Values {
		v := &in.Values[i]
		if v.CorrectedBy != "" || v.Value == nil {
			continue
		}
		if latest == nil || byPoint(*v, *latest) > 0 {
			latest = v
		}
	}
	if latest != nil {
		c := *latest
		latest = &c
	}
	judgeLatest(in, latest)
}

// judgeLatest sets an indicator's latest value in force to latest, the target in force for its
// year (one of in.Targets, which must be those in force), and its status against it.
func judgeLatest(in *domain.IndicatorView, latest *domain.ValueView) {
	in.Latest, in.Target = latest, nil
	if in.Latest == nil {
		in.Status = domain.NoValue
		return
	}
	for i := range in.Targets {
		t := &in.Targets[i]
		if !t.TermEnd && t.Year == in.Latest.Year {
			in.Target = t
			break
		} else if t.TermEnd && in.Target == nil {
			in.Target = t
		}
	}
	if in.Target == nil {
		in.Status = domain.NoTarget
		return
	}
	in.Status = judge(*in.Latest.Value, true, in.Target.Value, in.Target.Comparison)
}

// Goal implements domain.Queries.
func (db *DB) Goal(ctx context.Context, tenant, id string, opts domain.ReadOptions) (*domain.GoalView, error) {
	var out *domain.GoalView
	err := db.read(ctx, tenant, opts, func(r *reader) error {
		goals, err := all[domain.GoalView](r, "goal", true, "id = ?", id)
		if err != nil {
			return err
		} else if len(goals) == 0 {
			return domain.NotFound("id", "Goal %s does not exist.", id)
		}
		g := goals[0]
		indicators, err := all[domain.IndicatorView](r, "indicator", true, "goal = ?", id)
		if err != nil {
			return err
		}
		for _, in := range indicators {
			if err := r.fill(&in, false); err != nil {
				return err
			}
			g.Indicators = append(g.Indicators, in)
		}
		// The goals that ever contributed to this one, then those that do in the version asked for.
		var candidates []string
		rows, err := r.tx.QueryContext(r.ctx, "SELECT DISTINCT goal FROM history_links WHERE parent = ? AND seq <= ? ORDER BY goal", id, r.known)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				rows.Close()
				return err
			}
			candidates = append(candidates, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, c := range candidates {
			ps, err := all[domain.GoalView](r, "goal", true, "id = ?", c)
			if err != nil {
				return err
			}
			for _, p := range ps {
				if slices.ContainsFunc(p.ContributesTo, func(l domain.Link) bool { return l.Goal == id }) {
					g.Contributors = append(g.Contributors, p.ID)
				}
			}
		}
		out = &g
		return nil
	})
	return out, err
}

// versions returns the versions where selects, known at r.known, in the order recorded. A version's
// valid_to is the valid_from of the next version of its entity among them: where must select every
// version of an entity it selects for that to be what the ledger knew at r.known.
func (r *reader) versions(where string, args ...any) ([]domain.Version, error) {
	rows, err := r.tx.QueryContext(r.ctx, `SELECT `+packedH+` FROM history h WHERE h.seq <= ? AND (`+where+`)`,
		append([]any{r.known}, args...)...)
	if err != nil {
		return nil, err
	}
	out := []domain.Version{}
	if err := eachPacked(rows, r.known, func(v *domain.Version) { out = append(out, *v) }); err != nil {
		return nil, err
	}
	// Sorted here rather than by SQLite, whose sorter would copy every state and diff once more.
	slices.SortFunc(out, func(a, b domain.Version) int {
		if a.Seq != b.Seq {
			return cmp.Compare(a.Seq, b.Seq)
		}
		if a.Kind != b.Kind {
			return strings.Compare(a.Kind, b.Kind)
		}
		return strings.Compare(a.ID, b.ID)
	})
	validTo(out)
	return out, nil
}

// validTo sets the valid_to of each version of versions, in the order recorded: the valid_from of
// the next version of its entity among them.
func validTo(versions []domain.Version) {
	next := map[entity]domain.Date{}
	for i := len(versions) - 1; i >= 0; i-- {
		v := &versions[i]
		key := entity{v.Kind, v.ID}
		v.ValidTo = next[key]
		next[key] = v.ValidFrom
	}
}

// GoalHistory implements domain.Queries.
func (db *DB) GoalHistory(ctx context.Context, tenant, id string, filter domain.HistoryFilter, opts domain.ReadOptions) ([]domain.Version, error) {
	if err := checkRange(filter.From, filter.To); err != nil {
		return nil, err
	}
	var out []domain.Version
	err := db.read(ctx, tenant, opts, func(r *reader) (err error) {
		// The goal, its indicators and commitments, the targets of its indicators and the corrections
		// of their values: the decisions about the goal, and what was changed after it was reported.
		// Values as reported are the indicator's (GET /indicators/{id}). goal_history holds them
		// together, in the order recorded; a read makes room for them all at once.
		blocks, n, err := r.goalBlocks(id)
		if err != nil {
			return err
		}
		var recent int
		if err := r.tx.QueryRowContext(r.ctx, "SELECT count(*) FROM goal_history_recent WHERE goal = ? AND seq <= ?",
			id, r.known).Scan(&recent); err != nil {
			return err
		}
		// Every version in goal_history comes before every one noted in goal_history_recent.
		out = make([]domain.Version, 0, n+recent)
		add := func(v *domain.Version) { out = append(out, *v) }
		after := false
		for _, b := range blocks {
			if after, err = unpackVersions(b, r.known, add); err != nil {
				return fmt.Errorf("goal_history of %s: %w", id, err)
			} else if after {
				break
			}
		}
		if !after && recent > 0 {
			rows, err := r.tx.QueryContext(r.ctx, `SELECT `+packedH+` FROM goal_history_recent r
				JOIN history h ON h.kind = r.kind AND h.id = r.id AND h.seq = r.seq WHERE r.goal = ? AND r.seq <= ?
				ORDER BY r.seq, r.kind, r.id`, id, r.known)
			if err != nil {
				return err
			}
			if err := eachPacked(rows, r.known, add); err != nil {
				return err
			}
		}
		if len(out) == 0 {
			return domain.NotFound("id", "Goal %s does not exist.", id)
		}
		validTo(out)
		out = slices.DeleteFunc(out, func(v domain.Version) bool {
			return (filter.From != "" && v.ValidFrom < filter.From) || (filter.To != "" && v.ValidFrom > filter.To)
		})
		return nil
	})
	return out, err
}

// goalBlocks returns the goal's blocks in goal_history that hold versions known at r.known, in the
// order recorded, and how many versions they hold (some of the last may be recorded after it).
func (r *reader) goalBlocks(goal string) (blocks []string, n int, err error) {
	rows, err := r.tx.QueryContext(r.ctx, "SELECT size, versions FROM goal_history WHERE goal = ? AND first <= ? ORDER BY last",
		goal, r.known)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var size int
		var block string
		if err := rows.Scan(&size, &block); err != nil {
			return nil, 0, err
		}
		blocks, n = append(blocks, block), n+size
	}
	return blocks, n, rows.Err()
}

// eachPacked calls fn with each version known at known that rows holds packed, a version a row,
// and closes rows.
func eachPacked(rows *sql.Rows, known uint64, fn func(*domain.Version)) error {
	defer rows.Close()
	var packed string
	for rows.Next() {
		if err := rows.Scan(&packed); err != nil {
			return err
		}
		if _, err := unpackVersions(packed, known, fn); err != nil {
			return err
		}
	}
	return rows.Err()
}

func checkRange(from, to domain.Date) error {
	if from != "" && !from.Valid() {
		return domain.Invalid("from", "date", "from %q is not a date in the form YYYY-MM-DD.", string(from))
	}
	if to != "" && !to.Valid() {
		return domain.Invalid("to", "date", "to %q is not a date in the form YYYY-MM-DD.", string(to))
	}
	if from != "" && to != "" && to < from {
		return domain.Invalid("to", "range", "to %s is before from %s.", to, from)
	}
	return nil
}

// filtersExist is asked when a read's answer is empty: it answers one whose filter names a period
// or an organ the ledger did not know (as known at the read) with a 404, rather than with an empty
// answer that looks like one of a period or organ with nothing in it. The period's form is checked
// before the read (domain.PeriodFilter).
func (r *reader) filtersExist(period, organ string) error {
	for _, f := range []struct{ kind, id, what string }{{"period", period, "Mandate period"}, {"organ", organ, "Organ"}} {
		if f.id == "" {
			continue
		}
		var n int
		if err := r.tx.QueryRowContext(r.ctx, "SELECT count(*) FROM (SELECT 1 FROM history WHERE kind = ? AND id = ? AND seq <= ? LIMIT 1)",
			f.kind, f.id, r.known).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return domain.NotFound(f.kind, "%s %s does not exist.", f.what, f.id)
		}
	}
	return nil
}

// Indicator implements domain.Queries.
func (db *DB) Indicator(ctx context.Context, tenant, id string, opts domain.ReadOptions) (*domain.IndicatorView, error) {
	var out *domain.IndicatorView
	err := db.read(ctx, tenant, opts, func(r *reader) error {
		ins, err := all[domain.IndicatorView](r, "indicator", true, "id = ?", id)
		if err != nil {
			return err
		} else if len(ins) == 0 {
			return domain.NotFound("id", "Indicator %s does not exist.", id)
		}
		out = &ins[0]
		return r.fill(out, true)
	})
	return out, err
}

// Commitments implements domain.Queries.
func (db *DB) Commitments(ctx context.Context, tenant string, filter domain.CommitmentFilter, opts domain.ReadOptions) ([]domain.CommitmentView, error) {
	if err := domain.PeriodFilter(filter.Period); err != nil {
		return nil, err
	}
	out := []domain.CommitmentView{}
	err := db.read(ctx, tenant, opts, func(r *reader) error {
		cs, err := all[domain.CommitmentView](r, "commitment", true, "")
		if err != nil {
			return err
		}
		for _, c := range cs {
			if (filter.Period != "" && c.Period != filter.Period) || (filter.Organ != "" && c.Responsible != filter.Organ) ||
				(filter.Year != 0 && c.Year != filter.Year) {
				continue
			}
			if c.Reports, err = r.reports(c.ID); err != nil {
				return err
			}
			out = append(out, c)
		}
		if len(out) == 0 {
			return r.filtersExist(filter.Period, filter.Organ)
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Year != out[j].Year {
			return out[i].Year < out[j].Year
		}
		return out[i].ID < out[j].ID
	})
	return out, err
}

func (r *reader) reports(id string) ([]domain.ProgressView, error) {
	var out []domain.ProgressView
	err := queryStates(r.ctx, r.tx, `SELECT json_extract(state, '$.progress') FROM history
		WHERE agg_kind = 'commitment' AND agg_id = ? AND event_type = 'commitment.progress_reported'
		AND seq <= ? AND valid_from <= ? ORDER BY seq`, []any{id, r.known, string(r.asOf)},
		func(p *domain.ProgressView) { out = append(out, *p) })
	return out, err
}

// FollowUp implements domain.Queries.
func (db *DB) FollowUp(ctx context.Context, tenant, id string, opts domain.ReadOptions) (*domain.FollowUpReport, error) {
	var out *domain.FollowUpReport
	err := db.read(ctx, tenant, opts, func(r *reader) error {
		fs, err := all[domain.FollowUpView](r, "followup", false, "id = ?", id)
		if err != nil {
			return err
		} else if len(fs) == 0 {
			return domain.NotFound("id", "Follow-up %s does not exist.", id)
		}
		f := fs[0]
		frozen := &reader{ctx: r.ctx, tx: r.tx, asOf: f.AsOf, known: f.Seq - 1, index: r.index}
		if frozen.asOf == "" {
			frozen.asOf = f.ValidFrom
		}
		tree, err := frozen.tree(domain.GoalFilter{Period: f.Period})
		if err != nil {
			return err
		}
		// What the report says of each goal is its assessment for the report's point, adopted with
		// it or before it, even though such a verdict applies only from the meeting that made it,
		// after the date the report is as of; a goal not assessed for that point has none in it.
		assessed, err := frozen.assessmentsAt(f.Year, f.Point)
		if err != nil {
			return err
		}
		for i := range tree.Goals {
			tree.Goals[i].Assessment = assessed[tree.Goals[i].ID]
		}
		out = &domain.FollowUpReport{FollowUp: f, Tree: *tree}
		return nil
	})
	return out, err
}

// assessmentsAt returns, by goal, the latest assessment known for a follow-up point of a year.
func (r *reader) assessmentsAt(year int, point string) (map[string]*domain.AssessmentView, error) {
	out := map[string]*domain.AssessmentView{}
	err := queryStates(r.ctx, r.tx, `SELECT h.state FROM (SELECT goal, max(seq) AS seq FROM assessments
		WHERE year = ? AND point = ? AND seq <= ? GROUP BY goal) a
		JOIN history h ON h.kind = 'goal' AND h.id = a.goal AND h.seq = a.seq`, []any{year, point, r.known},
		func(g *domain.GoalView) {
			if g.Assessment != nil {
				out[g.ID] = g.Assessment
			}
		})
	return out, err
}

// Audit implements domain.Queries.
func (db *DB) Audit(ctx context.Context, tenant string, filter domain.AuditFilter, opts domain.ReadOptions) ([]domain.AuditRow, error) {
	if filter.Period == "" {
		return nil, domain.Invalid("period", "required", "The decision log needs a mandate period.")
	}
	if err := domain.PeriodFilter(filter.Period); err != nil {
		return nil, err
	}
	if err := checkRange(filter.From, filter.To); err != nil {
		return nil, err
	}
	out := []domain.AuditRow{}
	err := db.read(ctx, tenant, opts, func(r *reader) error {
		// Organs belong to no mandate period: the period's log holds their versions that apply from
		// a date in it (a reorganisation the council decided in the term, or organs registered for it).
		first, last, _ := domain.ParsePeriod(filter.Period)
		conds := []string{"(h.period = ? OR (h.period = '' AND h.kind = 'organ' AND h.valid_from BETWEEN ? AND ?))"}
		args := []any{filter.Period, fmt.Sprintf("%04d-01-01", first), fmt.Sprintf("%04d-12-31", last)}
		if filter.Organ != "" {
			conds, args = append(conds, "(h.organ = ? OR h.decision_organ = ?)"), append(args, filter.Organ, filter.Organ)
		}
		if filter.From != "" {
			conds, args = append(conds, "h.valid_from >= ?"), append(args, string(filter.From))
		}
		if filter.To != "" {
			conds, args = append(conds, "h.valid_from <= ?"), append(args, string(filter.To))
		}
		vs, err := r.versions(strings.Join(conds, " AND "), args...)
		if err != nil {
			return err
		}
		for _, v := range vs {
			row := domain.AuditRow{Seq: v.Seq, RecordedAt: v.RecordedAt, ValidFrom: v.ValidFrom, Period: v.Period,
				EventType: v.EventType, Kind: v.Kind, ID: v.ID, Organ: v.Organ, Actor: v.Actor, Reason: v.Reason,
				EventID: v.EventID}
			if d := v.Decision; d != nil {
				row.DecisionBody, row.MeetingDate, row.Paragraph, row.CaseNumber = d.Organ, d.MeetingDate, d.Paragraph, d.CaseNumber
			}
			row.Diff = string(v.Diff)
			out = append(out, row)
		}
		if len(out) == 0 {
			return r.filtersExist(filter.Period, filter.Organ)
		}
		return nil
	})
	return out, err
}
