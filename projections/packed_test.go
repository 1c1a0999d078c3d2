package projections

import (
	"database/sql"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/taktledger/takt/domain"
)

// What SQLite packs, unpackVersions reads back as the columns were, whatever their text: digits,
// colons, dashes, multi-byte letters, control characters, nothing at all; with a decision or
// without; a version alone and a block of them; up to the sequence it is known at.
func TestPackedVersionsUnpack(t *testing.T) {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.Exec(`CREATE TABLE h (seq INTEGER, kind TEXT, id TEXT, version INTEGER, agg_kind TEXT, agg_id TEXT,
		event_id TEXT, event_type TEXT, actor TEXT, organ TEXT, period TEXT, recorded_at TEXT, valid_from TEXT,
		decision_organ TEXT, meeting_date TEXT, paragraph TEXT, case_number TEXT, reason TEXT, diff TEXT, state TEXT)`); err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(7, 8))
	word := func() string {
		return []string{"", "-", ":", "12:", "3:abc", "kf", "Barn- och utbildningsnämnden", "§ 12", "KS 2023/123",
			"rad\nbryt", "\x00\x1f", "ö:ä-å", "😀", "--"}[r.IntN(14)]
	}
	var all []domain.Version
	for seq := range 500 {
		want := domain.Version{Seq: uint64(seq + 1), Kind: word(), ID: word(), Version: r.IntN(200) + 1,
			Aggregate: domain.Ref{Kind: domain.Kind(word()), ID: word()}, EventID: word(), EventType: word(), Actor: word(),
			Organ: word(), Period: word(), ValidFrom: domain.Date(word()), Reason: word(),
			Diff: domain.Diff(`{"title":{"before":"` + word() + `"}}`), State: []byte(`{"id":"` + word() + `"}`)}
		want.RecordedAt = time.Date(2023, 1, 1, 8, 0, 0, r.IntN(1e9), time.UTC).Add(time.Duration(r.IntN(4*365*24)) * time.Hour)
		var dOrgan, dDate, dPara, dCase any
		if r.IntN(2) == 0 {
			want.Decision = &domain.DecisionRef{Organ: word(), MeetingDate: domain.Date(word()), Paragraph: word(), CaseNumber: word()}
			dOrgan, dDate, dPara, dCase = want.Decision.Organ, string(want.Decision.MeetingDate), want.Decision.Paragraph, want.Decision.CaseNumber
		}
		if _, err := db.Exec(`INSERT INTO h VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			want.Seq, want.Kind, want.ID, want.Version, string(want.Aggregate.Kind), want.Aggregate.ID, want.EventID,
			want.EventType, want.Actor, want.Organ, want.Period, formatTime(want.RecordedAt), string(want.ValidFrom),
			dOrgan, dDate, dPara, dCase, want.Reason, string(want.Diff), string(want.State)); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Query(`SELECT `+packedVersion("h")+` FROM h WHERE seq = ?`, want.Seq)
		if err != nil {
			t.Fatal(err)
		}
		var got []domain.Version
		if err := eachPacked(rows, want.Seq, func(v *domain.Version) { got = append(got, *v) }); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0], want) {
			t.Fatalf("unpacked\n%#v\nwant\n%#v", got, want)
		}
		all = append(all, want)
	}
	var block string
	if err := db.QueryRow(`SELECT group_concat(` + packedVersion("h") + `, '' ORDER BY seq) FROM h`).Scan(&block); err != nil {
		t.Fatal(err)
	}
	for _, known := range []uint64{0, 1, 250, 499, 500, 1000} {
		var got []domain.Version
		after, err := unpackVersions(block, known, func(v *domain.Version) { got = append(got, *v) })
		want := all[:min(known, 500)]
		if err != nil || after != (known < 500) || len(got) != len(want) || len(want) > 0 && !reflect.DeepEqual(got, want) {
			t.Fatalf("known at %d: %d versions, after %v, %v; want %d", known, len(got), after, err, len(want))
		}
	}
	for _, bad := range []string{"1:", "x:abc", "-5:abc", "2:a", "99999999999999999999:a", "1:1", strings.Repeat("-", 20),
		"1:x" + strings.Repeat("-", 19), block[:len(block)-1]} {
		if _, err := unpackVersions(bad, 1000, func(*domain.Version) {}); err == nil {
			t.Errorf("unpackVersions(%.40q): no error", bad)
		}
	}
}

// parseTime reads what formatTime writes as time.Parse does, and refuses what time.Parse refuses.
func TestParseTimeAsTimeParse(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for range 10000 {
		want := time.Date(1990+r.IntN(80), time.Month(1+r.IntN(12)), 1+r.IntN(31), r.IntN(24), r.IntN(60), r.IntN(60),
			r.IntN(1e9), time.UTC)
		s := formatTime(want)
		got, err := parseTime(s)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Fatalf("parseTime(%s) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "2024-02-30T10:00:00.000000000Z", "2024-13-01T10:00:00.000000000Z",
		"2024-01-01T24:00:00.000000000Z", "2024-01-01T10:00:00.00000000xZ", "2024-01-01 10:00:00.000000000Z",
		"2024-01-01T10:00:00Z", "+024-01-01T10:00:00.000000000Z"} {
		got, err := parseTime(s)
		want, werr := time.Parse(timeLayout, s)
		if (err == nil) != (werr == nil) || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; time.Parse: %v, %v", s, got, err, want, werr)
		}
	}
}
