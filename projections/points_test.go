package projections

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/taktledger/takt/domain"
)

// A point whose latest value is corrected with nothing after it of the same point (no command does
// that today: a correction keeps the point and a number) is read again from the file: the latest
// value of the point before it, and none once there is none.
func TestPointValuesReadACorrectedPointAgain(t *testing.T) {
	ctx := context.Background()
	db := NewDB(filepath.Join(t.TempDir(), "points.db"))
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	value := func(id string, seq uint64, n float64) domain.ValueView {
		t.Helper()
		v := domain.ValueView{ID: id, Indicator: "i1", Year: 2024, Point: "annual", Value: &n, Status: "final",
			Organ: "buf", ValidFrom: "2025-02-01", Seq: seq}
		state, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.write.Exec(`INSERT INTO "values" (indicator, id, year, point, value, text, status, late, corrects,
			corrected_by, valid_from, seq) VALUES ('i1', ?, 2024, 'annual', ?, '', 'final', 0, '', '', '2025-02-01', ?)`,
			id, n, seq); err != nil {
			t.Fatal(err)
		}
		if _, err := db.write.Exec(`INSERT INTO history (kind, id, seq, version, agg_kind, agg_id, goal, event_id, event_type,
			actor, organ, period, recorded_at, valid_from, reason, diff, state) VALUES ('value', ?, ?, 1, 'indicator', 'i1', '',
			?, 'indicator.value_reported', 'anna', 'buf', '2023-2026', '2025-02-01T08:00:00.000000000Z', '2025-02-01', '', '{}', ?)`,
			"i1/"+id, seq, id, string(state)); err != nil {
			t.Fatal(err)
		}
		return v
	}
	first := value("a", 5, 80)
	second := value("b", 6, 81)
	p, err := loadPoints(ctx, db.write)
	if err != nil {
		t.Fatal(err)
	}
	latest := func(known uint64) string {
		t.Helper()
		m, ok := p.latest(cutoff{2030, 3}, known)
		if !ok {
			t.Fatalf("not held at %d", known)
		}
		return m["i1"].ID
	}
	if got := latest(0); got != second.ID {
		t.Fatalf("loaded: latest %q, want b", got)
	}
	// correct marks value id corrected in the file, and brings p to seq with that change.
	correct := func(id string, seq uint64) {
		t.Helper()
		if _, err := db.write.Exec(`UPDATE "values" SET corrected_by = 'x' WHERE id = ?`, id); err != nil {
			t.Fatal(err)
		}
		if err := p.apply(ctx, db.write, []valueOp{{indicator: "i1", id: id}}, seq); err != nil {
			t.Fatal(err)
		}
	}
	correct("b", 7)
	if got := latest(7); got != first.ID {
		t.Fatalf("b corrected: latest %q, want a", got)
	}
	correct("a", 8)
	if got := latest(8); got != "" {
		t.Fatalf("a corrected too: latest %q, want none", got)
	}
	if _, ok := p.latest(cutoff{2030, 3}, 7); ok {
		t.Fatal("held at a sequence it is not at")
	}
}
