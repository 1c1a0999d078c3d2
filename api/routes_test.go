package api

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/taktledger/takt/domain"
)

// The route table: every command of DESIGN §6, each about the kind its path names, with the path's
// ids in the command.
func TestRouteTable(t *testing.T) {
	want := []string{"/organs", "/organs/{id}/rename", "/organs/{id}/dissolve", "/periods", "/periods/{id}/close",
		"/visions", "/visions/{id}/revise", "/goals", "/goals/{id}/revise", "/goals/{id}/relink", "/goals/{id}/carry-forward",
		"/goals/{id}/retire", "/goals/{id}/assess", "/indicators", "/indicators/{id}/targets", "/indicators/{id}/values",
		"/indicators/{id}/values/{value_id}/correct", "/indicators/{id}/method-change", "/indicators/{id}/retire",
		"/commitments", "/commitments/{id}/revise", "/commitments/{id}/progress", "/commitments/{id}/complete",
		"/commitments/{id}/cancel", "/followups"}
	if len(commands) != len(want) {
		t.Fatalf("%d routes, want %d", len(commands), len(want))
	}
	for i, c := range commands {
		if c.path != want[i] {
			t.Errorf("route %d is %s, want %s", i, c.path, want[i])
		}
		r := httptest.NewRequest("POST", "/", nil)
		r.SetPathValue("id", "X")
		r.SetPathValue("value_id", "V")
		cmd := c.new(r)
		target := cmd.Target()
		if kind := kinds[strings.Split(c.path, "/")[1]]; target.Kind != kind {
			t.Errorf("%s: a %T is about a %s", c.path, cmd, target.Kind)
		}
		wantID := ""
		if strings.Contains(c.path, "{id}") {
			wantID = "X"
		}
		if target.ID != wantID {
			t.Errorf("%s: target id %q, want %q", c.path, target.ID, wantID)
		}
		if cv, ok := cmd.(*domain.CorrectValue); ok && cv.Corrects != "V" {
			t.Errorf("%s: corrects %q, want the value id from the path", c.path, cv.Corrects)
		}
		if c.new(r) == cmd {
			t.Errorf("%s: the route hands out the same command twice", c.path)
		}
	}
}
