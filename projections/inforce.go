package projections

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"unique"

	"github.com/taktledger/takt/domain"
)

// versionIndex keeps in memory every version of the entities a goal tree is made of — visions,
// goals, indicators and targets — decoded, by entity, in the order recorded: which version was in
// force on a date as known at a sequence is then found without SQLite and without decoding JSON.
// (A first tree read asked SQLite for the latest of tens of thousands of versions and decoded some
// two thousand states.)
//
// It is loaded with the file and kept up to date by Apply: a batch's versions are added just
// before its transaction commits, and taken out again should the commit fail, so that it holds
// every version up to the committed checkpoint, and perhaps some of the batch committing, which a
// read known at the checkpoint leaves out by their sequence. A read known beyond upTo (a file
// another process writes) asks SQLite instead.
//
// It is laid out for the garbage collector, which marks everything it holds in every cycle while
// reads run: a version is a record without pointers, the states of a kind are kept by value in
// chunks of a fixed size, and their strings are interned, so that some 80 000 versions are a few
// hundred objects to mark rather than the 800 000 that decoded states one by one made.
type versionIndex struct {
	mu    sync.RWMutex
	upTo  uint64 // every version recorded up to this sequence is here
	kinds map[string]*kindVersions
	count int         // versions held
	strs  stringTable // dates and periods, by number
}

// kindVersions is the entities of one kind.
type kindVersions struct {
	entities []*entityVersions // sorted by id, as SQLite orders them
	byID     map[string]*entityVersions
	states   stateStore // *stateChunks[T] of the kind's view
}

type entityVersions struct {
	id string
	vs []indexed
}

// indexed is one version of an entity.
type indexed struct {
	seq       uint64
	from      uint32 // valid_from as dateKey has it
	validFrom uint32 // valid_from, by number in strs
	period    uint32 // the history row's period (the event's), by number in strs
	state     uint32 // by number in the kind's states
}

// stringTable numbers the strings a version refers to, so that a version holds no pointer.
type stringTable struct {
	all []string
	num map[string]uint32
}

func (s *stringTable) number(v string) uint32 {
	if n, ok := s.num[v]; ok {
		return n
	}
	if s.num == nil {
		s.num = map[string]uint32{}
	}
	s.num[v] = uint32(len(s.all))
	s.all = append(s.all, v)
	return s.num[v]
}

// stateStore keeps the decoded states of one kind, by number.
type stateStore interface {
	// add keeps a copy of state, a pointer to the kind's view, and returns its number.
	add(state any) uint32
	// at returns the state numbered n, a pointer to the kind's view.
	at(n uint32) any
}

// stateChunks keeps states by value in chunks that never move once made: a pointer to a state
// stays valid, and adding one copies nothing that is there.
type stateChunks[T any] struct {
	chunks [][]T
	n      int
}

const stateChunk = 1024

func (c *stateChunks[T]) add(state any) uint32 {
	if c.n%stateChunk == 0 {
		c.chunks = append(c.chunks, make([]T, 0, stateChunk))
	}
	last := &c.chunks[len(c.chunks)-1]
	*last = append(*last, *state.(*T))
	c.n++
	return uint32(c.n - 1)
}

func (c *stateChunks[T]) at(n uint32) any { return c.get(n) }

func (c *stateChunks[T]) get(n uint32) *T { return &c.chunks[n/stateChunk][n%stateChunk] }

// indexedKinds are the kinds a goal tree reads as of a date.
var indexedKinds = []string{"vision", "goal", "indicator", "target"}

func isIndexed(kind string) bool { return slices.Contains(indexedKinds, kind) }

func newKindVersions(kind string) *kindVersions {
	k := &kindVersions{byID: map[string]*entityVersions{}}
	switch kind {
	case "vision":
		k.states = &stateChunks[domain.VisionView]{}
	case "goal":
		k.states = &stateChunks[domain.GoalView]{}
	case "indicator":
		k.states = &stateChunks[domain.IndicatorView]{}
	case "target":
		k.states = &stateChunks[domain.TargetView]{}
	}
	return k
}

// decodeState decodes a state of an indexed kind, as a read of it from SQLite would, with its
// strings interned.
func decodeState(kind string, state []byte) (any, error) {
	var v any
	switch kind {
	case "vision":
		v = new(domain.VisionView)
	case "goal":
		v = new(domain.GoalView)
	case "indicator":
		v = new(domain.IndicatorView)
	case "target":
		v = new(domain.TargetView)
	default:
		return nil, fmt.Errorf("projections: no index of %s", kind)
	}
	if err := json.Unmarshal(state, v); err != nil {
		return nil, fmt.Errorf("%s state: %w", kind, err)
	}
	intern(v)
	return v, nil
}

// pendingVersion is a version written by the batch under way.
type pendingVersion struct {
	kind, id  string
	seq       uint64
	validFrom domain.Date
	period    string
	state     any // *domain.VisionView, *domain.GoalView, ...
}

func newVersionIndex() *versionIndex { return &versionIndex{kinds: map[string]*kindVersions{}} }

// loadIndex reads the index from history, in one transaction with the checkpoint it covers.
func loadIndex(ctx context.Context, conn *sql.DB) (*versionIndex, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	x := newVersionIndex()
	if err := tx.QueryRowContext(ctx, "SELECT seq FROM checkpoint WHERE id = 1").Scan(&x.upTo); err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT kind, id, seq, valid_from, period, state FROM history
		WHERE kind IN ('vision', 'goal', 'indicator', 'target') ORDER BY kind, id, seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var batch []pendingVersion
	for rows.Next() {
		var p pendingVersion
		var validFrom string
		var state []byte
		if err := rows.Scan(&p.kind, &p.id, &p.seq, &validFrom, &p.period, &state); err != nil {
			return nil, err
		}
		p.validFrom = domain.Date(validFrom)
		if p.state, err = decodeState(p.kind, state); err != nil {
			return nil, fmt.Errorf("%s/%s: %w", p.kind, p.id, err)
		}
		batch = append(batch, p)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	x.add(batch, x.upTo)
	return x, nil
}

// add adds versions recorded after every version held, in order, and raises upTo to seq. It
// returns what takes them out again.
func (x *versionIndex) add(versions []pendingVersion, seq uint64) (undo func()) {
	x.mu.Lock()
	defer x.mu.Unlock()
	before := x.upTo
	for _, p := range versions {
		k := x.kinds[p.kind]
		if k == nil {
			k = newKindVersions(p.kind)
			x.kinds[p.kind] = k
		}
		e, ok := k.byID[p.id]
		if !ok {
			e = &entityVersions{id: p.id}
			k.byID[p.id] = e
			i, _ := slices.BinarySearchFunc(k.entities, p.id, func(e *entityVersions, id string) int { return cmp.Compare(e.id, id) })
			k.entities = slices.Insert(k.entities, i, e)
		} else if g, ok := p.state.(*domain.GoalView); ok {
			// Most versions of a goal are in the periods the one before was in.
			if prev := k.states.at(e.vs[len(e.vs)-1].state).(*domain.GoalView); slices.Equal(prev.Periods, g.Periods) {
				g.Periods = prev.Periods
			}
		}
		// A state taken out again stays in states, unreferenced: nothing reads it, and a read may
		// hold on to the states around it.
		e.vs = append(e.vs, indexed{seq: p.seq, from: dateKey(p.validFrom), validFrom: x.strs.number(string(p.validFrom)),
			period: x.strs.number(p.period), state: k.states.add(p.state)})
	}
	x.count += len(versions)
	x.upTo = max(x.upTo, seq)
	return func() {
		x.mu.Lock()
		defer x.mu.Unlock()
		for _, p := range slices.Backward(versions) {
			k := x.kinds[p.kind]
			e := k.byID[p.id]
			if len(e.vs) == 1 {
				delete(k.byID, p.id)
				i, _ := slices.BinarySearchFunc(k.entities, p.id, func(e *entityVersions, id string) int { return cmp.Compare(e.id, id) })
				k.entities = slices.Delete(k.entities, i, i+1)
			} else {
				e.vs = e.vs[:len(e.vs)-1]
			}
		}
		x.count -= len(versions)
		x.upTo = before
	}
}

// covers reports whether every version up to known is held.
func (x *versionIndex) covers(known uint64) bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return known <= x.upTo
}

// indexInForce returns, in the order of their ids, every entity of kind with its state in the
// version in force on asOf as known at known: of its versions recorded up to known with valid_from
// on or before asOf (and, with period, recorded in that period), the last recorded. It answers
// what reader.states does. The states are the index's: never to be changed.
func indexInForce[T any](x *versionIndex, kind string, asOf domain.Date, known uint64, period string) (ids []string, states []*T) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	k := x.kinds[kind]
	if k == nil {
		return nil, nil
	}
	var p uint32
	if period != "" {
		n, ok := x.strs.num[period]
		if !ok {
			return nil, nil
		}
		p = n
	}
	store := k.states.(*stateChunks[T])
	at := dateKey(asOf)
	ids, states = make([]string, 0, len(k.entities)), make([]*T, 0, len(k.entities))
	for _, e := range k.entities {
		vs := e.vs
		// The first version recorded after known.
		i, j := 0, len(vs)
		for i < j {
			h := int(uint(i+j) >> 1)
			if vs[h].seq <= known {
				i = h + 1
			} else {
				j = h
			}
		}
		for i--; i >= 0; i-- {
			v := &vs[i]
			applies := v.from <= at
			if v.from == 0 || at == 0 {
				applies = x.strs.all[v.validFrom] <= string(asOf)
			}
			if applies && (period == "" || v.period == p) {
				ids, states = append(ids, e.id), append(states, store.get(v.state))
				break
			}
		}
	}
	return ids, states
}

// dateKey is a date in the form YYYY-MM-DD as the number YYYYMMDD, which orders such dates as
// their strings do; 0 for anything else, which is then compared as a string.
func dateKey(d domain.Date) uint32 {
	if len(d) != 10 || d[4] != '-' || d[7] != '-' {
		return 0
	}
	var n uint32
	for i := range 10 {
		if i == 4 || i == 7 {
			continue
		}
		c := d[i]
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + uint32(c-'0')
	}
	return n
}

// inForce returns the states of every entity of kind in force for r, by id, from the index when r
// has one and from history otherwise. With period, only versions recorded in it count. The states
// may be the index's: never to be changed.
func inForce[T any](r *reader, kind, period string) (ids []string, states []*T, err error) {
	if r.index != nil {
		ids, states = indexInForce[T](r.index, kind, r.asOf, r.known, period)
		return ids, states, nil
	}
	where, args := "", []any(nil)
	if period != "" {
		where, args = "period = ?", []any{period}
	}
	err = r.states(kind, true, where, args, func(id string, state []byte) error {
		v := new(T)
		if err := json.Unmarshal(state, v); err != nil {
			return fmt.Errorf("%s state: %w", kind, err)
		}
		ids, states = append(ids, id), append(states, v)
		return nil
	})
	return ids, states, err
}

// intern replaces the strings of a decoded state by their canonical copies: the versions of an
// entity repeat the same ids, names, dates and decisions, which are then held once.
func intern(state any) {
	switch v := state.(type) {
	case *domain.VisionView:
		internAll(&v.ID, &v.Period, &v.Text, &v.Horizon, (*string)(&v.ValidFrom))
		internDecision(&v.Decision)
	case *domain.GoalView:
		internAll(&v.ID, &v.Period, &v.Title, &v.Description, &v.Level, &v.Owner, &v.GoalArea, &v.Status,
			(*string)(&v.ValidFrom))
		for i := range v.Periods {
			internAll(&v.Periods[i])
		}
		for i := range v.ContributesTo {
			internAll(&v.ContributesTo[i].Goal)
		}
		internDecision(&v.Decision)
		if a := v.Assessment; a != nil {
			internAll(&a.Point, &a.Attainment, &a.Suggested, &a.Motivation, (*string)(&a.ValidFrom))
			internDecision(&a.Decision)
		}
	case *domain.IndicatorView:
		internAll(&v.ID, &v.Goal, &v.Period, &v.Name, &v.Description, &v.Unit, &v.Measure, &v.Direction,
			(*string)(&v.ValidFrom))
		if v.Decision != nil {
			internDecision(v.Decision)
		}
	case *domain.TargetView:
		internAll(&v.Indicator, &v.Comparison, (*string)(&v.ValidFrom))
		internDecision(&v.Decision)
	}
}

func internDecision(d *domain.DecisionRef) {
	internAll(&d.Organ, (*string)(&d.MeetingDate), &d.Paragraph, &d.CaseNumber)
}

func internAll(ss ...*string) {
	for _, s := range ss {
		if *s != "" {
			*s = unique.Make(*s).Value()
		}
	}
}
