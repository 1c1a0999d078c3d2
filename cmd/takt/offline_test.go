package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/taktledger/takt/domain"
)

// cli runs an offline command in the process and returns what it printed.
func cli(t *testing.T, fn func(context.Context, []string, *bytes.Buffer, *bytes.Buffer) error, args ...string) (string, error) {
	t.Helper()
	var out, errs bytes.Buffer
	err := fn(context.Background(), args, &out, &errs)
	if err != nil {
		t.Logf("stderr: %s", errs.String())
	}
	return out.String(), err
}

func rebuildCmd(ctx context.Context, args []string, out, errs *bytes.Buffer) error {
	return runRebuild(ctx, args, out, errs)
}
func checkCmd(ctx context.Context, args []string, out, errs *bytes.Buffer) error {
	return runCheck(ctx, args, out, errs)
}
func historyCmd(ctx context.Context, args []string, out, errs *bytes.Buffer) error {
	return runHistory(ctx, args, out, errs)
}
func exportCmd(ctx context.Context, args []string, out, errs *bytes.Buffer) error {
	return runExport(ctx, args, out, errs)
}

// termOfOneGoal records a goal adopted, revised and retired through a running takt.
func termOfOneGoal(t *testing.T, m *Main) {
	t.Helper()
	base := m.URL() + "/v1/tenants/demo"
	decision := func(date, para string) string {
		return `"period":"2023-2026","decision":{"organ":"kf","meeting_date":"` + date + `","paragraph":"` + para + `","case_number":"KS 2023/1"}`
	}
	for _, c := range []struct{ path, body string }{
		{"/organs", `{"id":"kf","name":"Kommunfullmäktige","kind":"council"}`},
		{"/organs", `{"id":"kfn","name":"Kultur- och fritidsnämnden","kind":"committee","parent":"kf"}`},
		{"/periods", `{"id":"2023-2026"}`},
		{"/goals", `{"id":"lasa","title":"Fler barn läser","level":"result","owner":"kf","indicators":[{"id":"lan","name":"Boklån per barn","unit":"st","measure":"number","direction":"higher_is_better","targets":[{"year":2025,"value":12}]}],` + decision("2023-02-13", "§ 12") + `}`},
		{"/goals/lasa/revise", `{"title":"Fler barn och unga läser","reason":"Vidgad målgrupp",` + decision("2024-06-10", "§ 88") + `}`},
		{"/indicators/lan/values", `{"organ":"kfn","year":2024,"value":10.5}`},
		{"/goals/lasa/retire", `{"reason":"Ersätts av nytt mål",` + decision("2025-11-24", "§ 170") + `}`},
	} {
		if status, body := post(t, base+c.path, c.body); status >= 300 {
			t.Fatalf("POST %s: %d %s", c.path, status, body)
		}
	}
}

func TestOfflineCommands(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	m := mustRun(t, cfg)
	termOfOneGoal(t, m)
	get(t, m.URL()+"/v1/tenants/demo/periods?min_seq=9")

	// While takt serve holds the data directory, rebuild and check refuse; history and export read
	// its projection.
	if _, err := cli(t, rebuildCmd, "--data", cfg.DataDir); !errors.Is(err, errBusy) {
		t.Fatalf("rebuild under a running server: %v", err)
	}
	if _, err := cli(t, checkCmd, "--data", cfg.DataDir); !errors.Is(err, errBusy) {
		t.Fatalf("check under a running server: %v", err)
	}
	live, err := cli(t, historyCmd, "goal", "lasa", "--data", cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	m.Close()

	// With no server, history brings the projection up to date itself.
	text, err := cli(t, historyCmd, "--data", cfg.DataDir, "goal", "lasa")
	if err != nil || text != live {
		t.Fatalf("history offline: %v\n%s\nwant\n%s", err, text, live)
	}
	for _, want := range []string{
		"History of goal lasa: 5 versions",
		"seq 4  goal lasa v1  goal.adopted",
		"decision kf 2024-06-10 § 88 KS 2023/1",
		`title: "Fler barn läser" → "Fler barn och unga läser"`,
		"seq 9  goal lasa v3  goal.retired",
		"in force 2023-02-13 → 2024-06-10",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("history lacks %q:\n%s", want, text)
		}
	}
	js, err := cli(t, historyCmd, "goal", "lasa", "--data", cfg.DataDir, "--format", "json", "--known-at", "seq:6")
	var h struct{ Versions []domain.Version }
	if err != nil || json.Unmarshal([]byte(js), &h) != nil || len(h.Versions) != 3 {
		t.Fatalf("history as known at seq 6: %v %s", err, js)
	}
	if _, err := cli(t, historyCmd, "goal", "nosuch", "--data", cfg.DataDir); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("history of an unknown goal: %v", err)
	}
	missing := filepath.Join(t.TempDir(), "nosuch")
	if _, err := cli(t, historyCmd, "goal", "lasa", "--data", missing); err == nil || !strings.Contains(err.Error(), "no log in a data directory") {
		t.Fatalf("history in a data directory that does not exist: %v", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the missing data directory was made: %v", err)
	}
	empty := t.TempDir() // a directory, but no takt's: no log in it
	if _, err := cli(t, historyCmd, "goal", "lasa", "--data", empty); err == nil || !strings.Contains(err.Error(), "no log in a data directory") {
		t.Fatalf("history in a directory with no log: %v", err)
	}
	if _, err := os.Stat(filepath.Join(empty, "nats")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an empty log was made in a directory with none: %v", err)
	}
	for period, want := range map[string]string{"banana": "must be a mandate period", "1999-2002": "does not exist"} {
		if _, err := cli(t, exportCmd, "audit", "--data", cfg.DataDir, "--period", period); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("export of period %s: %v, want %q", period, err, want)
		}
	}

	// The audit export, as CSV to a file and as JSON: the same rows.
	file := filepath.Join(t.TempDir(), "audit.csv")
	if _, err := cli(t, exportCmd, "audit", "--data", cfg.DataDir, "--period", "2023-2026", "-o", file); err != nil {
		t.Fatal(err)
	}
	f, _ := os.ReadFile(file)
	records, err := csv.NewReader(bytes.NewReader(f)).ReadAll()
	if err != nil || !slices.Equal(records[0], domain.AuditColumns) {
		t.Fatalf("csv: %v %v", err, records)
	}
	js, err = cli(t, exportCmd, "audit", "--data", cfg.DataDir, "--period", "2023-2026", "--format", "json")
	var a struct{ Rows []domain.AuditRow }
	if err != nil || json.Unmarshal([]byte(js), &a) != nil || len(a.Rows) != len(records)-1 || len(a.Rows) < 6 {
		t.Fatalf("json export: %v, %d rows against %d in the csv", err, len(a.Rows), len(records)-1)
	}
	if _, err := cli(t, exportCmd, "audit", "--data", cfg.DataDir); err == nil || !strings.Contains(err.Error(), "--period") {
		t.Fatalf("export without a period: %v", err)
	}

	// check: identical; then a projection changed behind takt's back differs, with a readable
	// diff; rebuild replaces it, and it is identical again.
	if out, err := cli(t, checkCmd, "--data", cfg.DataDir); err != nil || out != "demo: identical to a rebuild at sequence 9\n" {
		t.Fatalf("check: %v %q", err, out)
	}
	path := projectionPath(cfg.DataDir, "demo")
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("UPDATE goals SET title = 'Omskrivet' WHERE id = 'lasa'"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err := cli(t, checkCmd, "--data", cfg.DataDir)
	if !errors.Is(err, errDiffers) || !strings.Contains(out, "DIFFERS") || !strings.Contains(out, "goals") || !strings.Contains(out, "Omskrivet") {
		t.Fatalf("check of a tampered projection: %v\n%s", err, out)
	}
	if out, err := cli(t, rebuildCmd, "--data", cfg.DataDir, "--tenant", "all"); err != nil ||
		!strings.HasPrefix(out, fmt.Sprintf("rebuilt %s: 9 events in ", path)) || !strings.HasSuffix(out, ", 0 records set aside\n") {
		t.Fatalf("rebuild: %v %q", err, out)
	}
	if out, err := cli(t, checkCmd, "--data", cfg.DataDir); err != nil || !strings.Contains(out, "identical") {
		t.Fatalf("check after rebuild: %v %q", err, out)
	}
	for _, c := range []struct {
		fn   func(context.Context, []string, *bytes.Buffer, *bytes.Buffer) error
		args []string
	}{{historyCmd, []string{"goal", "lasa"}}, {exportCmd, []string{"audit", "--period", "2023-2026"}}, {rebuildCmd, nil}, {checkCmd, nil}} {
		args := append(c.args, "--data", cfg.DataDir, "--tenant", "demo,../../outside")
		if _, err := cli(t, c.fn, args...); err == nil || !strings.Contains(err.Error(), "not a tenant id") {
			t.Fatalf("%v: a tenant that is a path: %v", args, err)
		}
	}
	if _, err := cli(t, rebuildCmd, "--data", cfg.DataDir, "--tenant", "nosuch"); err == nil || !strings.Contains(err.Error(), "nosuch") {
		t.Fatalf("rebuild of an unknown tenant: %v", err)
	}
}

// A command's takt error is said by its message, in the context that wraps it; another error whole.
func TestMessage(t *testing.T) {
	for err, want := range map[error]string{
		fmt.Errorf("tenant demo: %w", domain.NotFound("period", "Mandate period 1999-2002 does not exist.")): "tenant demo: Mandate period 1999-2002 does not exist.",
		domain.Invalid("period", "period_format", "period \"banana\" must be a mandate period."):             "period \"banana\" must be a mandate period.",
		errors.New("open takt-data: no such file"):                                                           "open takt-data: no such file",
	} {
		if got := message(err); got != want {
			t.Errorf("message(%v) = %q, want %q", err, got, want)
		}
	}
}
