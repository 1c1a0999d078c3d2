package projections

import (
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
type versionIndex struct {
	mu    sync.RWMutex
	upTo  uint64 // every version recorded up to this sequence is here
	kinds map[string]*kindVersions
	count int // versions held
}

// kindVersions is the entities of one kind, by id.
type kindVersions struct {
	ids  []string // sorted, as SQLite orders them
	byID map[string][]indexed
}

// indexed is one version of an entity.
type indexed struct {
	seq       uint64
	from      uint32 // validFrom as dateKey has it
	validFrom domain.Date
	period    string // the history row's period: the event's
	state     any    // *domain.VisionView, *domain.GoalView, ... shared: never changed
}

// indexedKinds are the kinds a goal tree reads as of a date.
var indexedKinds = []string{"vision", "goal", "indicator", "target"}

func isIndexed(kind string) bool { return slices.Contains(indexedKinds, kind) }

// decodeState decodes a state of an indexed kind, as a read of it from SQLite would.
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
	return v, nil
}

// pendingVersion is a version written by the batch under way.
type pendingVersion struct {
	kind, id string
	indexed
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
		WHERE kind IN ('`+strings.Join(indexedKinds, "', '")+`') ORDER BY kind, id, seq`)
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
		p.validFrom, p.from = domain.Date(validFrom), dateKey(domain.Date(validFrom))
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
			k = &kindVersions{byID: map[string][]indexed{}}
			x.kinds[p.kind] = k
		}
		vs, ok := k.byID[p.id]
		if !ok {
			i, _ := slices.BinarySearch(k.ids, p.id)
			k.ids = slices.Insert(k.ids, i, p.id)
		}
		k.byID[p.id] = append(vs, p.indexed)
	}
	x.count += len(versions)
	x.upTo = max(x.upTo, seq)
	return func() {
		x.mu.Lock()
		defer x.mu.Unlock()
		for _, p := range slices.Backward(versions) {
			k := x.kinds[p.kind]
			vs := k.byID[p.id]
			if len(vs) == 1 {
				delete(k.byID, p.id)
				i, _ := slices.BinarySearch(k.ids, p.id)
				k.ids = slices.Delete(k.ids, i, i+1)
			} else {
				k.byID[p.id] = vs[:len(vs)-1]
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

// size returns the number of entities of kind held.
func (x *versionIndex) size(kind string) int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	if k := x.kinds[kind]; k != nil {
		return len(k.ids)
	}
	return 0
}

// inForce calls fn, in the order of their ids, with the state of every entity of kind in the
// version in force on asOf as known at known: of its versions recorded up to known with valid_from
// on or before asOf (and, with period, recorded in that period), the last recorded. It answers
// what reader.states does.
func (x *versionIndex) inForce(kind string, asOf domain.Date, known uint64, period string, fn func(id string, state any)) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	k := x.kinds[kind]
	if k == nil {
		return
	}
	at := dateKey(asOf)
	for _, id := range k.ids {
		vs := k.byID[id]
		i := sort.Search(len(vs), func(i int) bool { return vs[i].seq > known })
		for i--; i >= 0; i-- {
			v := &vs[i]
			applies := v.from <= at
			if v.from == 0 || at == 0 {
				applies = v.validFrom <= asOf
			}
			if applies && (period == "" || v.period == period) {
				fn(id, v.state)
				break
			}
		}
	}
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
// has one and from history otherwise. With period, only versions recorded in it count.
func inForce[T any](r *reader, kind, period string) (ids []string, states []T, err error) {
	if r.index == nil {
		where, args := "", []any(nil)
		if period != "" {
			where, args = "period = ?", []any{period}
		}
		err = r.states(kind, true, where, args, func(id string, state []byte) error {
			var v T
			if err := json.Unmarshal(state, &v); err != nil {
				return fmt.Errorf("%s state: %w", kind, err)
			}
			ids, states = append(ids, id), append(states, v)
			return nil
		})
		return ids, states, err
	}
	n := r.index.size(kind)
	ids, states = make([]string, 0, n), make([]T, 0, n)
	r.index.inForce(kind, r.asOf, r.known, period, func(id string, state any) {
		ids, states = append(ids, id), append(states, *state.(*T))
	})
	return ids, states, nil
}
