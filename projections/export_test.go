package projections

import (
	"context"

	"github.com/taktledger/takt/domain"
)

// SQLOnly runs fn with db's in-memory index of versions and latest values of points put aside and
// the trees and latest values it has read forgotten, so that every read in fn asks SQLite. Nothing
// else may use db meanwhile.
func SQLOnly(db *DB, fn func()) {
	x, p := db.index, db.points
	forget := func() {
		db.trees.mu.Lock()
		db.trees.trees, db.trees.order = nil, nil
		db.trees.mu.Unlock()
		db.latest.mu.Lock()
		db.latest.seq, db.latest.byCutoff = 0, nil
		db.latest.mu.Unlock()
	}
	db.index, db.points = nil, nil
	forget()
	defer func() {
		db.index, db.points = x, p
		forget()
	}()
	fn()
}

// Indexed reports whether db holds an index of versions covering sequence seq.
func Indexed(db *DB, seq uint64) bool { return db.index != nil && db.index.covers(seq) }

// GoalHistoryFromHistory reads a goal's history as GoalHistory did before goal_history held it:
// from history, found through its indexes.
func GoalHistoryFromHistory(ctx context.Context, db *DB, id string, opts domain.ReadOptions) (out []domain.Version, err error) {
	err = db.read(ctx, db.Tenant, opts, func(r *reader) error {
		out, err = r.versions(`(h.kind = 'goal' AND h.id = ?) OR (h.kind IN ('indicator', 'commitment') AND h.goal = ?)
			OR (h.agg_kind = 'indicator'
				AND h.agg_id IN (SELECT id FROM history INDEXED BY history_goal WHERE kind = 'indicator' AND goal = ?)
				AND h.event_type IN ('indicator.target_set', 'indicator.value_corrected'))`, id, id, id)
		if err == nil && len(out) == 0 {
			err = domain.NotFound("id", "Goal %s does not exist.", id)
		}
		return err
	})
	return out, err
}

// SetGoalHistoryRun sets how many sequences goal_history_recent gathers, and returns what undoes it.
func SetGoalHistoryRun(n uint64) (undo func()) {
	before := goalHistoryRun
	goalHistoryRun = n
	return func() { goalHistoryRun = before }
}

// MemstatusOff is the result code of turning SQLite's count of its memory off.
var MemstatusOff = memstatusOff
