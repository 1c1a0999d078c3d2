package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/taktledger/takt/audit"
	"github.com/taktledger/takt/domain"
	"golang.org/x/mod/sumdb/tlog"
)

// Tree is the Merkle tree over one tenant's log, its hashes kept in a SQLite file of its own (the
// stored hashes of tlog: about two per event), with the checkpoints taken of it. Leaf i is the
// event at stream sequence i (audit.LeafHash). Like a projection it is built by a follower of the
// log, each batch and the new tree size in one transaction, and it is configured by its fields,
// then opened.
type Tree struct {
	// Path is the SQLite file. Required.
	Path string
	// Tenant is the tenant whose log the tree is over. Required.
	Tenant string

	write *sql.DB
	read  *sql.DB

	mu   sync.Mutex
	size uint64
}

const treeSchema = `
CREATE TABLE IF NOT EXISTS tree_state (
	id     INTEGER PRIMARY KEY CHECK (id = 1),
	tenant TEXT NOT NULL,
	size   INTEGER NOT NULL
);
-- The stored hashes of the tree, by tlog's stored hash index.
CREATE TABLE IF NOT EXISTS tree_hash (
	id   INTEGER PRIMARY KEY,
	hash BLOB NOT NULL
);
-- Checkpoints: taken (seq NULL) until published as checkpoint number seq.
CREATE TABLE IF NOT EXISTS tree_checkpoint (
	size      INTEGER PRIMARY KEY,
	root      BLOB NOT NULL,
	reason    TEXT NOT NULL,
	seq       INTEGER UNIQUE,
	note      BLOB,
	stored_at TEXT
);
`

// NewTree returns a Tree of tenant's log in the file at path.
func NewTree(path, tenant string) *Tree { return &Tree{Path: path, Tenant: tenant} }

// Open opens the file, creating it and its tables if needed. A file built for another tenant is
// refused.
func (t *Tree) Open(ctx context.Context) (err error) {
	if t.Path == "" || t.Tenant == "" {
		return errors.New("projections: a Tree needs a Path and a Tenant")
	}
	params := map[string]string{"_busy_timeout": "5000", "_journal_mode": "WAL", "_synchronous": "NORMAL"}
	w := map[string]string{"_txlock": "immediate"}
	r := map[string]string{"_query_only": "true"}
	for k, v := range params {
		w[k], r[k] = v, v
	}
	if t.write, err = sql.Open("sqlite3", dsn(t.Path, w)); err != nil {
		return err
	}
	t.write.SetMaxOpenConns(1)
	t.write.SetConnMaxLifetime(0)
	defer func() {
		if err != nil {
			t.Close()
		}
	}()
	var mode string
	if err := t.write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("projections: %s: %w", t.Path, err)
	} else if mode != "wal" {
		return fmt.Errorf("projections: %s: journal_mode is %q, want wal", t.Path, mode)
	}
	if _, err := t.write.ExecContext(ctx, treeSchema); err != nil {
		return fmt.Errorf("projections: %s: %w", t.Path, err)
	}
	if _, err := t.write.ExecContext(ctx, "INSERT OR IGNORE INTO tree_state (id, tenant, size) VALUES (1, ?, 0)", t.Tenant); err != nil {
		return err
	}
	var tenant string
	if err := t.write.QueryRowContext(ctx, "SELECT tenant, size FROM tree_state WHERE id = 1").Scan(&tenant, &t.size); err != nil {
		return err
	}
	if tenant != t.Tenant {
		return fmt.Errorf("projections: %s is the tree of tenant %s, not %s", t.Path, tenant, t.Tenant)
	}
	if t.read, err = sql.Open("sqlite3", dsn(t.Path, r)); err != nil {
		return err
	}
	t.read.SetMaxOpenConns(4)
	t.read.SetMaxIdleConns(4)
	return nil
}

// Close closes the file.
func (t *Tree) Close() error {
	var errs []error
	if t.read != nil {
		errs = append(errs, t.read.Close())
		t.read = nil
	}
	if t.write != nil {
		errs = append(errs, t.write.Close())
		t.write = nil
	}
	return errors.Join(errs...)
}

// Size returns the number of events in the tree: the last stream sequence it holds.
func (t *Tree) Size() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.size
}

// Mark asks for a checkpoint of the tree at Size, for Reason.
type Mark struct {
	Size   uint64
	Reason string
}

// Append adds records, which must follow the tree's last event without a gap, and takes a
// checkpoint at each mark (a size the tree reaches with these records), all in one transaction.
func (t *Tree) Append(ctx context.Context, records []domain.Record, marks []Mark) error {
	if len(records) == 0 {
		return nil
	}
	t.mu.Lock()
	size := t.size
	t.mu.Unlock()
	tx, err := t.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	r := &txHashes{ctx: ctx, tx: tx, pending: make(map[int64]tlog.Hash, 2*len(records))}
	insert, err := tx.PrepareContext(ctx, "INSERT INTO tree_hash (id, hash) VALUES (?, ?)")
	if err != nil {
		return err
	}
	defer insert.Close()
	for _, rec := range records {
		if rec.Seq != size+1 {
			return domain.Errorf(domain.EINTERNAL, "The tree of %s holds %d events and cannot take seq %d.", t.Tenant, size, rec.Seq)
		}
		hashes, err := tlog.StoredHashesForRecordHash(int64(size), audit.LeafHash(rec), r)
		if err != nil {
			return err
		}
		base := tlog.StoredHashIndex(0, int64(size))
		for i, h := range hashes {
			r.pending[base+int64(i)] = h
			if _, err := insert.ExecContext(ctx, base+int64(i), h[:]); err != nil {
				return err
			}
		}
		size++
	}
	for _, m := range marks {
		if m.Size == 0 || m.Size > size {
			continue
		}
		root, err := tlog.TreeHash(int64(m.Size), r)
		if err != nil {
			return err
		}
		if err := mark(ctx, tx, m, root); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE tree_state SET size = ? WHERE id = 1", size); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	t.mu.Lock()
	t.size = size
	t.mu.Unlock()
	return nil
}

// mark takes a checkpoint at m.Size unless one of that size or larger has been taken.
func mark(ctx context.Context, tx *sql.Tx, m Mark, root tlog.Hash) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO tree_checkpoint (size, root, reason)
		SELECT ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM tree_checkpoint WHERE size >= ?)`, m.Size, root[:], m.Reason, m.Size)
	return err
}

// Mark takes a checkpoint of the tree as it is, for reason, if the tree has grown since the last
// one. It reports whether it took one.
func (t *Tree) Mark(ctx context.Context, reason string) (bool, error) {
	size := t.Size()
	if size == 0 {
		return false, nil
	}
	tx, err := t.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var last uint64
	if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(size), 0) FROM tree_checkpoint").Scan(&last); err != nil {
		return false, err
	}
	if last >= size {
		return false, nil
	}
	root, err := tlog.TreeHash(int64(size), &txHashes{ctx: ctx, tx: tx})
	if err != nil {
		return false, err
	}
	if err := mark(ctx, tx, Mark{Size: size, Reason: reason}, root); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// Pending returns the checkpoints taken and not yet published, smallest first.
func (t *Tree) Pending(ctx context.Context) ([]domain.Checkpoint, error) {
	return t.checkpoints(ctx, t.write, "seq IS NULL ORDER BY size")
}

// Checkpoints returns the checkpoints published, in order.
func (t *Tree) Checkpoints(ctx context.Context) ([]domain.Checkpoint, error) {
	return t.checkpoints(ctx, t.read, "seq IS NOT NULL ORDER BY seq")
}

// LastCheckpoint returns the last checkpoint published, or ENOTFOUND.
func (t *Tree) LastCheckpoint(ctx context.Context) (domain.Checkpoint, error) {
	cps, err := t.checkpoints(ctx, t.write, "seq IS NOT NULL ORDER BY seq DESC LIMIT 1")
	if err != nil {
		return domain.Checkpoint{}, err
	}
	if len(cps) == 0 {
		return domain.Checkpoint{}, domain.NotFound("checkpoint", "Tenant %s has no checkpoint yet.", t.Tenant)
	}
	return cps[0], nil
}

func (t *Tree) checkpoints(ctx context.Context, db *sql.DB, where string) ([]domain.Checkpoint, error) {
	rows, err := db.QueryContext(ctx, "SELECT size, root, reason, coalesce(seq, 0), note, coalesce(stored_at, '') FROM tree_checkpoint WHERE "+where)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []domain.Checkpoint{}
	for rows.Next() {
		var c domain.Checkpoint
		var root []byte
		var stored string
		if err := rows.Scan(&c.Size, &root, &c.Reason, &c.Seq, &c.Note, &stored); err != nil {
			return nil, err
		}
		copy(c.Root[:], root)
		if stored != "" {
			c.Stored, _ = time.Parse(time.RFC3339Nano, stored)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// Published records that c was published as checkpoint c.Seq, and drops every checkpoint taken
// and not published that is not larger: published checkpoints only ever grow.
func (t *Tree) Published(ctx context.Context, c domain.Checkpoint) error {
	tx, err := t.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, "DELETE FROM tree_checkpoint WHERE seq IS NULL AND size < ?", c.Size); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO tree_checkpoint (size, root, reason, seq, note, stored_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (size) DO UPDATE SET seq = excluded.seq, note = excluded.note, stored_at = excluded.stored_at`,
		c.Size, c.Root[:], c.Reason, c.Seq, c.Note, c.Stored.UTC().Format(time.RFC3339Nano)); err != nil {
		return err
	}
	return tx.Commit()
}

// Root returns the root hash of the tree of the first size events.
func (t *Tree) Root(ctx context.Context, size uint64) ([32]byte, error) {
	if size > t.Size() {
		return [32]byte{}, domain.NotFound("size", "The tree of %s holds %d events, not %d.", t.Tenant, t.Size(), size)
	}
	return tlog.TreeHash(int64(size), t.Hashes(ctx))
}

// Hashes returns a reader of the tree's stored hashes, for tlog.
func (t *Tree) Hashes(ctx context.Context) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]tlog.Hash, error) {
		return readHashes(ctx, t.read, nil, indexes)
	})
}

// InclusionProof proves that the event at seq is in the tree of size events; size 0 means the
// size of the last checkpoint published. It returns ENOTFOUND for a seq or size the tree does not
// hold, EINVALID for a seq beyond size.
func (t *Tree) InclusionProof(ctx context.Context, seq, size uint64) (*domain.InclusionProof, error) {
	if size == 0 {
		last, err := t.LastCheckpoint(ctx)
		if err != nil {
			return nil, err
		}
		size = last.Size
	}
	switch {
	case size > t.Size():
		return nil, domain.NotFound("size", "The tree of %s holds %d events, not %d.", t.Tenant, t.Size(), size)
	case seq == 0 || seq > size:
		return nil, domain.Invalid("seq", "range", "Sequence %d is not in a tree of %d events.", seq, size)
	}
	return audit.HashProver{Hashes: t.Hashes(ctx)}.InclusionProof(ctx, seq, size)
}

// ConsistencyProof proves that the tree of from events is a prefix of the tree of to events. It
// returns ENOTFOUND for a size the tree does not hold, EINVALID unless 0 < from <= to.
func (t *Tree) ConsistencyProof(ctx context.Context, from, to uint64) (*domain.ConsistencyProof, error) {
	switch {
	case to > t.Size():
		return nil, domain.NotFound("to", "The tree of %s holds %d events, not %d.", t.Tenant, t.Size(), to)
	case from == 0 || from > to:
		return nil, domain.Invalid("from", "range", "A consistency proof goes from a size of at least 1 to one as large (from %d to %d).", from, to)
	}
	return audit.HashProver{Hashes: t.Hashes(ctx)}.ConsistencyProof(ctx, from, to)
}

// txHashes reads stored hashes inside a transaction that is adding some: those it added are in
// pending.
type txHashes struct {
	ctx     context.Context
	tx      *sql.Tx
	pending map[int64]tlog.Hash
}

func (r *txHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return readHashes(r.ctx, r.tx, r.pending, indexes)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func readHashes(ctx context.Context, q querier, pending map[int64]tlog.Hash, indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []any
	at := map[int64][]int{}
	for i, x := range indexes {
		if h, ok := pending[x]; ok {
			out[i] = h
			continue
		}
		if _, ok := at[x]; !ok {
			missing = append(missing, x)
		}
		at[x] = append(at[x], i)
	}
	if len(missing) == 0 {
		return out, nil
	}
	rows, err := q.QueryContext(ctx, "SELECT id, hash FROM tree_hash WHERE id IN (?"+strings.Repeat(",?", len(missing)-1)+")", missing...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := 0
	for rows.Next() {
		var id int64
		var h []byte
		if err := rows.Scan(&id, &h); err != nil {
			return nil, err
		}
		for _, i := range at[id] {
			copy(out[i][:], h)
		}
		found++
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if found != len(missing) {
		return nil, fmt.Errorf("projections: the tree lacks %d of the hashes asked for", len(missing)-found)
	}
	return out, nil
}

// Trees serves the checkpoints and proofs of several tenants, each from its own Tree.
type Trees map[string]*Tree

func (ts Trees) tree(tenant string) (*Tree, error) {
	t, ok := ts[tenant]
	if !ok {
		return nil, domain.NotFound("tenant", "Tenant %s is not served here.", tenant)
	}
	return t, nil
}

// Checkpoints returns the tenant's published checkpoints, in order.
func (ts Trees) Checkpoints(ctx context.Context, tenant string) ([]domain.Checkpoint, error) {
	t, err := ts.tree(tenant)
	if err != nil {
		return nil, err
	}
	return t.Checkpoints(ctx)
}

// InclusionProof proves that the tenant's event at seq is in its tree of size events.
func (ts Trees) InclusionProof(ctx context.Context, tenant string, seq, size uint64) (*domain.InclusionProof, error) {
	t, err := ts.tree(tenant)
	if err != nil {
		return nil, err
	}
	return t.InclusionProof(ctx, seq, size)
}

// ConsistencyProof proves that the tenant's tree of from events is a prefix of its tree of to.
func (ts Trees) ConsistencyProof(ctx context.Context, tenant string, from, to uint64) (*domain.ConsistencyProof, error) {
	t, err := ts.tree(tenant)
	if err != nil {
		return nil, err
	}
	return t.ConsistencyProof(ctx, from, to)
}
