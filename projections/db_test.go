package projections_test

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/projections"
)

// SQLite's count of its memory, taken under a mutex of the whole process, is off: SQLite accepted
// the setting before its first connection.
func TestSQLiteCountsNoMemory(t *testing.T) {
	if projections.MemstatusOff != 0 {
		t.Fatalf("sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) = %d, want 0 (SQLITE_OK)", projections.MemstatusOff)
	}
}

// The file runs in WAL mode, its migrations are recorded once, and its checkpoint survives a reopen.
func TestDBOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.db")
	db := MustOpenDB(t, path)
	if db.Checkpoint() != 0 || db.Quarantined() != 0 {
		t.Fatalf("fresh file at %d, %d set aside", db.Checkpoint(), db.Quarantined())
	}
	db.Close()
	db = MustOpenDB(t, path) // migrations run again: nothing to do
	db.Close()

	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var mode string
	var n int
	if err := raw.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode %q %v", mode, err)
	}
	entries, _ := os.ReadDir("migrations")
	if err := raw.QueryRow("SELECT count(*) FROM migrations").Scan(&n); err != nil || n != len(entries) {
		t.Errorf("migrations recorded: %d %v", n, err)
	}

	ts := projections.Tenants{tenant: MustOpenDB(t, path)}
	if _, err := ts.Periods(ctx, "other", domain.ReadOptions{}); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown tenant: %v", err)
	}
	if ps, err := ts.Periods(ctx, tenant, domain.ReadOptions{}); err != nil || len(ps) != 0 {
		t.Errorf("periods of an empty projection: %v %v", ps, err)
	}
}

// A file opened read-only, as takt check and takt history open a live server's, must have this
// takt's schema: one a release behind is refused with a reason, not read or compared as it is.
func TestReadOnlyRefusesAnotherSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.db")
	MustOpenDB(t, path).Close()
	ro := projections.NewDB(path)
	ro.Tenant, ro.ReadOnly = tenant, true
	if err := ro.Open(context.Background()); err != nil {
		t.Fatalf("this takt's file: %v", err)
	}
	ro.Close()

	raw, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec("DELETE FROM migrations WHERE version = (SELECT max(version) FROM migrations)"); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	ro = projections.NewDB(path)
	ro.Tenant, ro.ReadOnly = tenant, true
	err = ro.Open(context.Background())
	if err == nil || !strings.Contains(err.Error(), "migrations") {
		t.Fatalf("a file a migration behind: %v, want it refused", err)
	}
}

// A read waiting for a min_seq beyond the head of the log is refused as soon as the log is asked;
// one within the log, or with a log that cannot be asked, waits until its time is up; one applied
// already does not wait, nor ask.
func TestWaitForAsksTheHead(t *testing.T) {
	db := MustOpenDB(t, filepath.Join(t.TempDir(), "t.db"))
	defer db.Close()
	db.WaitTimeout, db.HeadAfter = 200*time.Millisecond, 0
	for _, c := range []struct {
		head       uint64
		headErr    error
		code, rule string
	}{
		{head: 10, code: domain.EINVALID, rule: "in_log"},
		{head: 20, code: domain.EUNAVAILABLE, rule: "applied"},
		{headErr: errors.New("no log"), code: domain.EUNAVAILABLE, rule: "applied"},
	} {
		asked := 0
		db.Head = func(context.Context) (uint64, error) { asked++; return c.head, c.headErr }
		err := db.WaitFor(context.Background(), 11)
		var e *domain.Error
		if !errors.As(err, &e) || e.Code != c.code || e.Field != "min_seq" || e.Rule != c.rule || asked != 1 {
			t.Errorf("head %d (%v): %v after %d questions, want %s %s after one", c.head, c.headErr, err, asked, c.code, c.rule)
		}
	}
	asked := 0
	db.Head = func(context.Context) (uint64, error) { asked++; return 0, nil }
	if err := db.WaitFor(context.Background(), db.Checkpoint()); err != nil || asked != 0 {
		t.Errorf("a sequence applied: %v after %d questions to the log, want nil after none", err, asked)
	}
}
