package api

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/taktledger/takt/domain"
)

// A history written by appendJSON is byte for byte what encoding/json writes, whatever the text of
// its fields: quotes, backslashes, control characters, HTML characters, line separators, invalid
// UTF-8, multi-byte letters, nothing at all; with a decision or without, a diff or not.
func TestHistoryJSONAsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	words := []string{"", "kf", "Barn- och utbildningsnämnden", "§ 12", `"citat"`, `back\slash`, "rad\nbryt\r\t",
		"\x00\x01\x1f\b\f\x7f", "<b>&amp;</b>", "ö:ä-å", "😀", "\u2028\u2029", "\xff\xfe bad", "a\xe2\x82", "KS 2023/123", "\x82x", "x\xe2"}
	word := func() string { return words[r.IntN(len(words))] }
	state := func() json.RawMessage {
		b, err := json.Marshal(map[string]any{"id": word(), "title": word(), "weight": r.Float64(), "n": r.IntN(1000),
			"links": []string{word(), word()}, "none": nil})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for round := range 200 {
		var vs []domain.Version
		if round > 0 {
			vs = []domain.Version{}
		}
		for range r.IntN(20) {
			v := domain.Version{Seq: r.Uint64N(1 << 40), Kind: word(), ID: word(), Version: r.IntN(2000) - 1,
				Aggregate: domain.Ref{Kind: domain.Kind(word()), ID: word()}, EventID: word(), EventType: word(),
				Actor: word(), Organ: word(), Period: word(), ValidFrom: domain.Date(word()), ValidTo: domain.Date(word()),
				Reason: word(),
				RecordedAt: time.Date(1990+r.IntN(60), time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60),
					r.IntN(60), r.IntN(1e9)*r.IntN(2), []*time.Location{time.UTC, time.FixedZone("CET", 3600)}[r.IntN(2)])}
			if r.IntN(2) == 0 {
				v.Decision = &domain.DecisionRef{Organ: word(), MeetingDate: domain.Date(word()), Paragraph: word(), CaseNumber: word()}
			}
			if r.IntN(4) > 0 {
				d, err := json.Marshal(map[string]map[string]any{word(): {"before": word(), "after": word()}})
				if err != nil {
					t.Fatal(err)
				}
				v.Diff = domain.Diff(d)
			}
			if r.IntN(8) > 0 {
				v.State = state()
			}
			vs = append(vs, v)
		}
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(historyAnswer{vs}); err != nil {
			t.Fatal(err)
		}
		if got := (historyAnswer{vs}).appendJSON(nil); !bytes.Equal(got, want.Bytes()) {
			t.Fatalf("appendJSON wrote\n%s\nencoding/json\n%s", got, want.Bytes())
		}
	}
}
