package projections_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"testing"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/projections"
)

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
