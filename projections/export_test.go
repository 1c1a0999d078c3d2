package projections

// SQLOnly runs fn with db's in-memory index of versions put aside and the trees it has read
// forgotten, so that every read in fn asks SQLite. Nothing else may use db meanwhile.
func SQLOnly(db *DB, fn func()) {
	x := db.index
	forget := func() {
		db.trees.mu.Lock()
		db.trees.trees, db.trees.order = nil, nil
		db.trees.mu.Unlock()
	}
	db.index = nil
	forget()
	defer func() {
		db.index = x
		forget()
	}()
	fn()
}

// Indexed reports whether db holds an index of versions covering sequence seq.
func Indexed(db *DB, seq uint64) bool { return db.index != nil && db.index.covers(seq) }
