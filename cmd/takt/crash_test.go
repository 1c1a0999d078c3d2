package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	_ "github.com/mattn/go-sqlite3"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
)

// backlog writes n events of a plausible municipality straight into the log under data, as a
// takt that recorded them and stopped before projecting them would leave it: organs, a period, 50
// indicators, and values reported on them.
func backlog(t *testing.T, data string, n int) {
	t.Helper()
	ctx := context.Background()
	l, err := openLog(ctx, logConfig{DataDir: data}, quietLogger(io.Discard))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	store := events.NewStore(l.conn)
	if err := store.EnsureTenant(ctx, "demo"); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	event := func(kind domain.Kind, id, period string, data domain.Payload) domain.Append {
		at = at.Add(time.Second)
		return domain.Append{Event: domain.Event{ID: uuid.Must(uuid.NewV7()).String(), Type: data.EventType(), Tenant: "demo",
			Aggregate: domain.Ref{Kind: kind, ID: id}, Organ: "kf", Period: period, Effective: "2026-01-10", Actor: "test", Time: at, Data: data}}
	}
	ref := &domain.DecisionRef{Organ: "kf", MeetingDate: "2023-01-30", Paragraph: "§ 3", CaseNumber: "KS 2023/1"}
	head := []domain.Append{
		event(domain.KindOrgan, "kf", "", &domain.OrganRegistered{Name: "Kommunfullmäktige", Kind: "council"}),
		event(domain.KindPeriod, "2023-2026", "2023-2026", &domain.PeriodOpened{FirstYear: 2023, LastYear: 2026, Decision: ref}),
	}
	if _, err := store.Append(ctx, "demo", head); err != nil {
		t.Fatal(err)
	}
	written := len(head)
	for i := 0; written < n; i++ {
		id := fmt.Sprintf("ind-%02d", i%50)
		var batch []domain.Append
		if i < 50 {
			batch = append(batch, event(domain.KindIndicator, id, "2023-2026", &domain.IndicatorDefined{Name: "Indikator " + id,
				Unit: "%", Measure: "percent", Direction: "higher_is_better", Decision: ref}))
		}
		for j := len(batch); j < 100 && written+len(batch) < n; j++ {
			v := float64(written + j)
			batch = append(batch, event(domain.KindIndicator, id, "2023-2026", &domain.ValueReported{
				ValueID: fmt.Sprintf("v%d-%d", i, j), Year: 2023 + j%3, Point: "annual", Value: &v, Status: "final"}))
		}
		if _, err := store.Append(ctx, "demo", batch); err != nil {
			t.Fatal(err)
		}
		written += len(batch)
	}
}

// checkpointOf reads a projection file's checkpoint as another process sees it; 0 before the file
// exists.
func checkpointOf(path string) uint64 {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=1000")
	if err != nil {
		return 0
	}
	defer db.Close()
	var seq uint64
	db.QueryRow("SELECT seq FROM checkpoint WHERE id = 1").Scan(&seq)
	return seq
}

// The projector, in a real takt serve process, is killed with SIGKILL while it works through a
// backlog, three times at different places; each time it resumes from its checkpoint, and in the
// end its file equals a rebuild: no event applied twice, none skipped. Working through a backlog,
// the projector spends nearly all its time inside a batch's transaction, so a kill lands in one
// nearly always; the test cannot tell which kills did.
func TestProjectorKilledWhileProjectingResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "takt")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()
	const n = 40_000
	backlog(t, data, n)
	path := projectionPath(data, "demo")

	var kills []uint64
	for len(kills) < 3 {
		_, proc := start(t, bin, data)
		// Kill at a different depth each time: after at least one more batch has committed.
		floor := checkpointOf(path) + uint64(1000*(len(kills)+1))
		deadline := time.Now().Add(60 * time.Second)
		for {
			at := checkpointOf(path)
			if at >= n {
				t.Fatalf("the backlog was projected before the kill (at %d): make it larger", at)
			}
			if at >= floor {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the projector stalled at %d", at)
			}
			time.Sleep(2 * time.Millisecond)
		}
		proc.Process.Signal(syscall.SIGKILL)
		proc.Wait()
		kills = append(kills, checkpointOf(path))
	}
	t.Logf("killed at checkpoints %v of %d", kills, n)

	_, proc := start(t, bin, data)
	for deadline := time.Now().Add(2 * time.Minute); checkpointOf(path) < n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the projector stalled at %d", checkpointOf(path))
		}
	}
	proc.Process.Signal(syscall.SIGTERM)
	if err := proc.Wait(); err != nil {
		t.Fatalf("takt serve on SIGTERM: %v", err)
	}

	var out, errs bytes.Buffer
	if err := runCheck(context.Background(), []string{"--data", data}, &out, &errs); err != nil {
		t.Fatalf("check: %v\n%s%s", err, out.String(), errs.String())
	}
	if want := fmt.Sprintf("demo: identical to a rebuild at sequence %d\n", n); out.String() != want {
		t.Fatalf("check said %q, want %q", out.String(), want)
	}
}
