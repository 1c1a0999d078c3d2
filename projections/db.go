package projections

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mattn/go-sqlite3" // the sqlite3 driver, cgo
	"github.com/taktledger/takt/domain"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the read models of one tenant in one SQLite file. It is configured by its fields, then
// opened. The projector writes through a single connection; queries read through a pool of their
// own, so a long read never holds up the projector and the other way round (WAL).
type DB struct {
	// Path is the SQLite file. Required.
	Path string
	// Tenant is the tenant whose log the file projects. Queries for another tenant get ENOTFOUND.
	Tenant string
	// Now gives today's date for reads that name no AsOf. Projections never use it: their time
	// comes from the events.
	Now func() time.Time
	// WaitTimeout bounds a read's wait for MinSeq when its context has no deadline.
	WaitTimeout time.Duration
	// Head, if set, returns the last sequence of the tenant's log. A read still waiting for its
	// MinSeq after HeadAfter asks it once: a MinSeq beyond the head names no decision yet, and is
	// refused at once rather than waited for until WaitTimeout. Should Head fail, the read waits.
	Head      func(context.Context) (uint64, error)
	HeadAfter time.Duration
	// ReadConns is the size of the read pool.
	ReadConns int
	// Logger reports records set aside.
	Logger *slog.Logger
	// ReadOnly opens the file for queries only, as another process writes it: no writer, no
	// migrations, and the checkpoint as it was at Open. Nothing is loaded into memory for goal
	// trees (they are answered by SQLite): such a file is opened for a command's one read.
	ReadOnly bool
	// Unread says that the file is written but not read before it is closed (a rebuild's, the one
	// a check compares): nothing is kept in memory for goal trees, and applying keeps nothing up
	// to date for them.
	Unread bool

	write   *sql.DB // one connection: the projector's
	readers *sql.DB // the read pool

	mu      sync.Mutex
	seq     uint64        // the checkpoint, as last committed
	changed chan struct{} // closed and replaced after each commit

	quarantined atomic.Uint64

	applying sync.Mutex // held by Apply
	cache    applyCache

	trees  treeCache
	latest latestValuesCache
	// index holds the versions a goal tree reads, unless the file is Unread or ReadOnly.
	index *versionIndex
	// points holds each indicator's latest value of each follow-up point, as index.
	points *pointValues
}

// NewDB returns a DB at path with the defaults.
func NewDB(path string) *DB {
	return &DB{Path: path, Now: time.Now, WaitTimeout: 10 * time.Second, HeadAfter: 50 * time.Millisecond, ReadConns: 4,
		Logger: slog.Default()}
}

// readStatements is how many statements a read connection keeps prepared for the next read: the
// queries are a few dozen texts, and SQLite compiled a goal history's twice each time, a fifth of
// the read.
const readStatements = "64"

func dsn(path string, params map[string]string) string {
	v := url.Values{}
	for k, p := range params {
		v.Set(k, p)
	}
	return "file:" + path + "?" + v.Encode()
}

// Open opens the file, creating it if needed, checks that it runs in WAL mode, and brings its
// schema up to date.
func (db *DB) Open(ctx context.Context) (err error) {
	if db.Path == "" {
		return errors.New("projections: DB needs a Path")
	}
	if db.Now == nil {
		db.Now = time.Now
	}
	if db.Logger == nil {
		db.Logger = slog.Default()
	}
	params := map[string]string{
		"_busy_timeout": "5000",
		"_foreign_keys": "on",
		"_journal_mode": "WAL",
		// The log is the truth and the checkpoint commits with the data: losing the last
		// transactions to a power cut only means applying them again.
		"_synchronous": "NORMAL",
		"_cache_size":  "-65536", // KiB: the indexes of a large term stay in memory
		// database/sql hands a connection to one goroutine at a time, so SQLite need not lock
		// each connection's every call against another thread (SQLITE_OPEN_NOMUTEX): a tenth
		// of a rebuild's CPU time went to taking and releasing those mutexes.
		"_mutex": "no",
	}
	if db.ReadOnly {
		return db.openReadOnly(ctx, params)
	}
	w := map[string]string{"_txlock": "immediate"}
	for k, v := range params {
		w[k] = v
	}
	if db.write, err = sql.Open(writerDriver, dsn(db.Path, w)); err != nil {
		return err
	}
	// Only the projector writes, one transaction at a time, through one connection.
	db.write.SetMaxOpenConns(1)
	db.write.SetMaxIdleConns(1)
	db.write.SetConnMaxLifetime(0)
	defer func() {
		if err != nil {
			db.Close()
		}
	}()

	var mode string
	if err := db.write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("projections: %s: %w", db.Path, err)
	} else if mode != "wal" {
		return fmt.Errorf("projections: %s: journal_mode is %q, want wal", db.Path, mode)
	}
	if err := db.migrate(ctx); err != nil {
		return fmt.Errorf("projections: %s: migrate: %w", db.Path, err)
	}
	if err := db.settleGoalHistory(ctx); err != nil {
		return fmt.Errorf("projections: %s: goal history: %w", db.Path, err)
	}

	r := map[string]string{"_query_only": "true", "_stmt_cache_size": readStatements}
	for k, v := range params {
		r[k] = v
	}
	if db.readers, err = sql.Open(readerDriver, dsn(db.Path, r)); err != nil {
		return err
	}
	n := db.ReadConns
	if n <= 0 {
		n = 4
	}
	db.readers.SetMaxOpenConns(n)
	db.readers.SetMaxIdleConns(n)

	if err := db.loadProgress(ctx, db.write); err != nil {
		return err
	}
	return db.loadIndex(ctx, db.write)
}

// settleGoalHistory copies into goal_history the versions up to the checkpoint rounded down to a
// multiple of goalHistoryRun that goal_history_recent still notes: those migration 0007 found.
func (db *DB) settleGoalHistory(ctx context.Context) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var seq uint64
	if err := tx.QueryRowContext(ctx, "SELECT seq FROM checkpoint WHERE id = 1").Scan(&seq); err != nil {
		return err
	}
	seq = seq / goalHistoryRun * goalHistoryRun
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM goal_history_recent WHERE seq <= ?", seq).Scan(&n); err != nil || n == 0 {
		return err
	}
	if err := moveGoalHistory(ctx, tx, seq); err != nil {
		return err
	}
	return tx.Commit()
}

// loadIndex loads the versions a goal tree reads, and the latest values of points, into memory.
func (db *DB) loadIndex(ctx context.Context, conn *sql.DB) (err error) {
	if db.Unread {
		return nil
	}
	if db.index, err = loadIndex(ctx, conn); err != nil {
		return fmt.Errorf("projections: %s: %w", db.Path, err)
	}
	if db.points, err = loadPoints(ctx, conn); err != nil {
		return fmt.Errorf("projections: %s: latest values: %w", db.Path, err)
	}
	return nil
}

// loadProgress reads the checkpoint and the count of records set aside.
func (db *DB) loadProgress(ctx context.Context, conn *sql.DB) error {
	var seq, q uint64
	if err := conn.QueryRowContext(ctx, "SELECT seq FROM checkpoint WHERE id = 1").Scan(&seq); err != nil {
		return fmt.Errorf("projections: %s: %w", db.Path, err)
	}
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM quarantine").Scan(&q); err != nil {
		return err
	}
	db.mu.Lock()
	db.seq, db.changed = seq, make(chan struct{})
	db.mu.Unlock()
	db.quarantined.Store(q)
	return nil
}

// writerDriver is go-sqlite3 with every connection's statement journal in memory: a record may be
// applied inside a savepoint, and its journal need not be a temporary file written for every page
// it touches. And the write-ahead log is copied back into the file every 10 000 pages (40 MB)
// rather than SQLite's 1 000: a batch dirties about a thousand pages, most of them the same index
// pages as the batches before it, which are then copied back once instead of after every commit.
// A pragma, unlike a DSN parameter, holds only for the connection that ran it.
const writerDriver = "sqlite3-takt-writer"

func init() {
	sql.Register(writerDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec("PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 10000", nil)
		return err
	}})
}

// readerDriver is go-sqlite3 with the file mapped into memory: a read of a goal's history visits a
// thousand pages spread over the file, and reads each in place rather than copying it in with a
// system call of its own. A read connection never writes, so a mapped page is never written
// through.
const readerDriver = "sqlite3-takt-reader"

func init() {
	sql.Register(readerDriver, &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		_, err := c.Exec("PRAGMA mmap_size = 68719476736", nil) // as much as SQLite allows
		return err
	}})
}

// openReadOnly opens the read pool alone, on a file another process writes.
func (db *DB) openReadOnly(ctx context.Context, params map[string]string) (err error) {
	r := map[string]string{"mode": "ro", "_busy_timeout": params["_busy_timeout"], "_mutex": params["_mutex"],
		"_stmt_cache_size": readStatements}
	if db.readers, err = sql.Open(readerDriver, dsn(db.Path, r)); err != nil {
		return err
	}
	err = db.sameSchema(ctx)
	if err == nil {
		err = db.loadProgress(ctx, db.readers)
	}
	if err != nil {
		db.Close()
		return err
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	var errs []error
	if db.readers != nil {
		errs = append(errs, db.readers.Close())
		db.readers = nil
	}
	if db.write != nil {
		errs = append(errs, db.write.Close())
		db.write = nil
	}
	return errors.Join(errs...)
}

// sameSchema refuses a file opened read-only whose migrations are not this takt's: it would read
// tables that are not there, or compare as different from a rebuild only for its schema. The
// process that writes the file brings it up to date when it opens it.
func (db *DB) sameSchema(ctx context.Context) error {
	names, err := migrationNames()
	if err != nil {
		return err
	}
	var have int
	if err := db.readers.QueryRowContext(ctx, "SELECT count(*) FROM migrations").Scan(&have); err != nil {
		return fmt.Errorf("projections: %s: %w", db.Path, err)
	}
	if have != len(names) {
		return fmt.Errorf("projections: %s has %d of this takt's %d migrations: it is brought up to date when "+
			"a takt of this version opens it to write (takt serve, or takt history or export while no server runs)",
			db.Path, have, len(names))
	}
	return nil
}

// migrationNames are the embedded migrations' file names, in the order they apply.
func migrationNames() ([]string, error) {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	sort.Strings(names)
	return names, err
}

// migrate applies the embedded migrations not yet recorded in the migrations table, each in its
// own transaction.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx,
		"CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL)"); err != nil {
		return err
	}
	names, err := migrationNames()
	if err != nil {
		return err
	}
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		version, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: no version number", base)
		}
		if err := db.migrateOne(ctx, version, base, name); err != nil {
			return fmt.Errorf("migration %s: %w", base, err)
		}
	}
	return nil
}

func (db *DB) migrateOne(ctx context.Context, version int, base, name string) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM migrations WHERE version = ?", version).Scan(&n); err != nil {
		return err
	} else if n > 0 {
		return nil
	}
	body, err := migrations.ReadFile(name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO migrations (version, name) VALUES (?, ?)", version, base); err != nil {
		return err
	}
	return tx.Commit()
}

// Checkpoint returns the last stream sequence the projection has applied.
func (db *DB) Checkpoint() uint64 {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.seq
}

// Quarantined returns how many records the projection has set aside.
func (db *DB) Quarantined() uint64 { return db.quarantined.Load() }

// advanced records a committed checkpoint and wakes every waiter.
func (db *DB) advanced(seq uint64) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if seq > db.seq {
		db.seq = seq
	}
	close(db.changed)
	db.changed = make(chan struct{})
}

// applied returns the checkpoint as last committed, and the channel closed at the next commit.
func (db *DB) applied() (uint64, chan struct{}) {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.seq, db.changed
}

// WaitFor returns once the projection has applied sequence seq. It returns EUNAVAILABLE when ctx
// is done first, or, for a ctx without deadline, after WaitTimeout; and EINVALID, without waiting
// longer than HeadAfter, when seq is beyond the head of the log (see Head).
func (db *DB) WaitFor(ctx context.Context, seq uint64) error {
	at, ch := db.applied()
	if at >= seq {
		return nil // most reads: a write is applied before its writer reads it back
	}
	if _, ok := ctx.Deadline(); !ok && db.WaitTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, db.WaitTimeout)
		defer cancel()
	}
	var ask <-chan time.Time
	if db.Head != nil {
		t := time.NewTimer(db.HeadAfter)
		defer t.Stop()
		ask = t.C
	}
	for {
		select {
		case <-ch:
			if at, ch = db.applied(); at >= seq {
				return nil
			}
		case <-ask:
			ask = nil
			if head, err := db.Head(ctx); err == nil && seq > head {
				return domain.Invalid("min_seq", "in_log",
					"min_seq %d is beyond the last sequence of the log, %d: no decision has that sequence yet.", seq, head)
			}
		case <-ctx.Done():
			e := domain.Errorf(domain.EUNAVAILABLE, "The projection has applied sequence %d, not yet %d.", at, seq)
			e.Field, e.Rule = "min_seq", "applied"
			return e
		}
	}
}

// SetAside is a record the projection could not apply, kept in the quarantine table.
type SetAside struct {
	Seq     uint64
	Subject string
	MsgID   string
	Stored  time.Time
	Data    []byte
	Err     string
}

// Quarantine lists the records set aside, in order.
func (db *DB) Quarantine(ctx context.Context) ([]SetAside, error) {
	rows, err := db.readers.QueryContext(ctx, "SELECT seq, subject, msg_id, stored_at, data, error FROM quarantine ORDER BY seq")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SetAside
	for rows.Next() {
		var q SetAside
		var stored string
		if err := rows.Scan(&q.Seq, &q.Subject, &q.MsgID, &stored, &q.Data, &q.Err); err != nil {
			return nil, err
		}
		q.Stored, _ = parseTime(stored)
		out = append(out, q)
	}
	return out, rows.Err()
}
