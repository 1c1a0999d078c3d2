package projections

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/taktledger/takt/domain"
)

// diff splits states without decoding them; it must write what decoding them would, and what
// encoding/json would write of its changes, since it is served as it is.
func TestDiffAsDecoded(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	word := func() string {
		return []string{"", "mål", `"citat"`, `a\b`, "<b>&</b>", "rad\nbryt", "{x}", "[1,2]", "a,b:c", "\u2028"}[r.IntN(10)]
	}
	num := func() *float64 {
		if r.IntN(3) == 0 {
			return nil
		}
		v := r.Float64() * 100
		return &v
	}
	state := func() any {
		switch r.IntN(3) {
		case 0:
			g := domain.GoalView{ID: word(), Title: word(), Description: word(), Level: word(), Period: "2023-2026", Seq: r.Uint64N(9)}
			for range r.IntN(3) {
				g.ContributesTo = append(g.ContributesTo, domain.Link{Goal: word(), Weight: num()})
			}
			if r.IntN(2) == 0 {
				g.Assessment = &domain.AssessmentView{Point: word(), Motivation: word(), Basis: []domain.AssessmentBasis{{Indicator: word(), Value: num()}}}
			}
			return g
		case 1:
			return domain.ValueView{ID: word(), Indicator: word(), Year: 2023 + r.IntN(3), Value: num(), Text: word(),
				CorrectedBy: word(), Seq: r.Uint64N(9)}
		}
		return map[string]any{"a": word(), "seq": r.IntN(3), "b": []any{word(), nil, map[string]any{}}, word(): num()}
	}
	for i := range 2000 {
		var before []byte
		if i%5 != 0 {
			before, _ = json.Marshal(state())
		}
		after, _ := json.Marshal(state())
		got, err := diff(before, after)
		if err != nil {
			t.Fatal(err)
		}
		want, err := diffDecoded(before, after)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("diff of\n%s\n%s\ngot  %s\nwant %s", before, after, got, want)
		}
		// A diff is served as stored: as encoding/json would write its changes.
		changes, err := domain.Diff(got).Changes()
		if err != nil {
			t.Fatal(err)
		}
		want2, err := json.Marshal(changes)
		if err != nil {
			t.Fatal(err)
		}
		served, err := json.Marshal(domain.Version{Diff: domain.Diff(got)})
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ Diff json.RawMessage }
		if err := json.Unmarshal(served, &v); err != nil || string(v.Diff) != string(want2) {
			t.Fatalf("diff %s is served as %s, want %s (%v)", got, v.Diff, want2, err)
		}
	}
	for _, s := range []string{`{"a":1, "b":2}`, `{"a\"":1}`, `{"a":1,"a":2}`, `[1]`, `{"a":}`, `{"a":1`, `{}x`} {
		if _, err := fields([]byte(s)); err == nil {
			t.Errorf("fields(%s): no error", s)
		}
		if got, want := fmt.Sprint(diff([]byte(s), []byte(`{"a":2}`))), fmt.Sprint(diffDecoded([]byte(s), []byte(`{"a":2}`))); got != want {
			t.Errorf("diff of %s: %s, want %s", s, got, want)
		}
	}
}
