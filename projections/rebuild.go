package projections

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/taktledger/takt/domain"
)

// RebuildBatchSize is how many records a rebuild applies in one transaction. Nothing reads the
// new file before it is complete: larger transactions write each page that many records touch
// once rather than once per 500 records.
const RebuildBatchSize = 20000

// Rebuild replays tenant's log from sequence 1 into a fresh file next to path and then renames it
// over path, so that path holds either the old projection or the complete new one. It returns the
// checkpoint of the new projection.
//
// The projection at path must not be open while the new file is swapped in (a connection open on
// the old file would go on reading it, and its write-ahead log must not outlive it): close the
// live DB before Rebuild, or rebuild under another path and swap it in while the live one is closed.
func Rebuild(ctx context.Context, log domain.Log, tenant, path string) (seq uint64, err error) {
	tmp := path + ".rebuild"
	if err := removeDB(tmp); err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			removeDB(tmp) // once it has taken path's place, there is none
			err = fmt.Errorf("projections: rebuild %s: %w", tenant, err)
		}
	}()
	if seq, err = Replay(ctx, log, tenant, tmp, math.MaxUint64, nil); err != nil {
		return 0, err
	}
	// A write-ahead log left beside path belongs to the old file; it must never be applied to the new.
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, err
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, err
	}
	if err := syncFile(filepath.Dir(path)); err != nil {
		return seq, fmt.Errorf("the new file is in place, but its directory could not be synced: %w", err)
	}
	return seq, nil
}

// Replay replays tenant's log from sequence 1 up to sequence until, or to the log's head when that
// comes first, into a fresh file at path, written as a scratch file, and syncs it. It returns the
// checkpoint of the new file. logger, if not nil, reports the records set aside. Rebuild replays
// the whole log; a check replays it up to a live projection's checkpoint, to compare the two.
func Replay(ctx context.Context, log domain.Log, tenant, path string, until uint64, logger *slog.Logger) (uint64, error) {
	db := NewDB(path)
	db.Tenant, db.Unread = tenant, true
	if logger != nil {
		db.Logger = logger
	}
	if err := db.Open(ctx); err != nil {
		return 0, err
	}
	build, err := db.deferIndexes(ctx)
	if err == nil {
		err = db.writeScratch(ctx)
	}
	var seq uint64
	if err == nil && until > 0 {
		p := NewProjector(db, log, tenant)
		p.BatchSize, p.Until = RebuildBatchSize, until
		seq, err = p.CatchUp(ctx)
	}
	if err == nil {
		err = build(ctx)
	}
	if err == nil {
		err = db.journalMode(ctx, "wal")
	}
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		// Written without a sync: once, whole, before it takes the old file's place.
		err = syncFile(path)
	}
	return seq, err
}

// writeScratch sets the writer of a file that nothing reads before it is complete, and that is
// thrown away should the process stop before then, to write as a scratch file: its rollback journal
// in memory (a bad record's batch is still rolled back), no syncs, and a cache of 512 MiB, so that
// a commit writes each page the batch changed once, into the file, and nothing else. In WAL mode
// each such page was written twice, to the log and back, with a checksum: a quarter of a rebuild.
// The file is mapped, so that building the indexes at the end reads history in place.
func (db *DB) writeScratch(ctx context.Context) error {
	if err := db.journalMode(ctx, "memory"); err != nil {
		return err
	}
	_, err := db.write.ExecContext(ctx, "PRAGMA synchronous = OFF; PRAGMA cache_size = -524288; PRAGMA mmap_size = 68719476736")
	return err
}

// journalMode sets the writer's journal mode. A file leaves WAL mode only while no other connection
// has it open: a rebuild's readers have read nothing.
func (db *DB) journalMode(ctx context.Context, mode string) error {
	var got string
	if err := db.write.QueryRowContext(ctx, "PRAGMA journal_mode = "+mode).Scan(&got); err != nil {
		return err
	}
	if got != mode {
		return fmt.Errorf("projections: %s: journal_mode is %q, want %q", db.Path, got, mode)
	}
	return nil
}

// syncFile flushes a file, or a directory's entries, to stable storage.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// deferred are the secondary indexes that applying the log never reads and whose keys arrive in
// no order: a rebuild drops them and builds each once at the end, from sorted data, rather than
// inserting a key on a page of its own for every version. Those whose keys arrive in the log's
// order (by sequence, by recording time, by period and sequence) are appended to as they go, on a
// few pages that stay in the cache: built at the end, each would read the whole of history again.
var deferred = []string{"history_aggregate", "history_goal", "history_as_of"}

// deferIndexes drops the deferred indexes of a fresh file and returns the function that creates
// them again with the very statements that made them, so that the schema comes out the same.
func (db *DB) deferIndexes(ctx context.Context) (func(context.Context) error, error) {
	var stmts []string
	for _, name := range deferred {
		var text string
		if err := db.write.QueryRowContext(ctx, "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?", name).Scan(&text); err != nil {
			return nil, fmt.Errorf("index %s: %w", name, err)
		}
		if _, err := db.write.ExecContext(ctx, `DROP INDEX "`+name+`"`); err != nil {
			return nil, err
		}
		stmts = append(stmts, text)
	}
	return func(ctx context.Context) error {
		for _, text := range stmts {
			if _, err := db.write.ExecContext(ctx, text); err != nil {
				return err
			}
		}
		return nil
	}, nil
}

func removeDB(path string) error {
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Compare compares two projection files table by table, schema and rows, and returns a readable
// account of every difference (at most a few rows per table), or "" when they are identical.
func Compare(ctx context.Context, a, b string) (string, error) {
	da, err := openReadOnly(a)
	if err != nil {
		return "", err
	}
	defer da.Close()
	db, err := openReadOnly(b)
	if err != nil {
		return "", err
	}
	defer db.Close()

	var out strings.Builder
	sa, err := schema(ctx, da)
	if err != nil {
		return "", fmt.Errorf("%s: %w", a, err)
	}
	sb, err := schema(ctx, db)
	if err != nil {
		return "", fmt.Errorf("%s: %w", b, err)
	}
	diffLines(&out, "schema", sa, sb)
	for _, table := range tables(sa) {
		if !slices.Contains(tables(sb), table) {
			continue
		}
		ra, err := dump(ctx, da, table)
		if err != nil {
			return "", fmt.Errorf("%s: %w", a, err)
		}
		rb, err := dump(ctx, db, table)
		if err != nil {
			return "", fmt.Errorf("%s: %w", b, err)
		}
		diffLines(&out, "table "+table, ra, rb)
	}
	return out.String(), nil
}

func openReadOnly(path string) (*sql.DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	return sql.Open("sqlite3", dsn(path, map[string]string{"mode": "ro", "_busy_timeout": "5000"}))
}

// schema returns "type name: sql" for every table and index, sorted.
func schema(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT type, name, coalesce(sql, '') FROM sqlite_master
		WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var typ, name, text string
		if err := rows.Scan(&typ, &name, &text); err != nil {
			return nil, err
		}
		out = append(out, typ+" "+name+": "+strings.Join(strings.Fields(text), " "))
	}
	return out, rows.Err()
}

func tables(schema []string) []string {
	var out []string
	for _, s := range schema {
		if name, ok := strings.CutPrefix(s, "table "); ok {
			out = append(out, name[:strings.Index(name, ":")])
		}
	}
	return out
}

// dump returns every row of table as a line of SQL literals, sorted.
func dump(ctx context.Context, db *sql.DB, table string) ([]string, error) {
	rows, err := db.QueryContext(ctx, fmt.Sprintf(`SELECT * FROM "%s" LIMIT 0`, table))
	if err != nil {
		return nil, err
	}
	cols, err := rows.Columns()
	rows.Close()
	if err != nil {
		return nil, err
	}
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = fmt.Sprintf(`quote("%s")`, c)
	}
	rows, err = db.QueryContext(ctx, fmt.Sprintf(`SELECT %s FROM "%s"`, strings.Join(quoted, " || ', ' || "), table))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return nil, err
		}
		out = append(out, line)
	}
	slices.Sort(out)
	return out, rows.Err()
}

// diffLines writes the lines only in a ("-") and only in b ("+") of two sorted lists.
func diffLines(out *strings.Builder, title string, a, b []string) {
	const most = 10
	var lines []string
	i, j, n := 0, 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j >= len(b) || (i < len(a) && a[i] < b[j]):
			lines = append(lines, "- "+a[i])
			i++
		case i >= len(a) || b[j] < a[i]:
			lines = append(lines, "+ "+b[j])
			j++
		default:
			i++
			j++
			continue
		}
		n++
	}
	if n == 0 {
		return
	}
	fmt.Fprintf(out, "%s: %d rows differ (- first, + second)\n", title, n)
	for _, l := range lines[:min(len(lines), most)] {
		if len(l) > 300 {
			l = l[:300] + "…"
		}
		fmt.Fprintf(out, "  %s\n", l)
	}
	if len(lines) > most {
		fmt.Fprintf(out, "  … and %d more\n", len(lines)-most)
	}
}
