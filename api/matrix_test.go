package api_test

import (
	"os"
	"strings"
	"testing"

	"github.com/taktledger/takt/api"
)

// docs/security.md shows the access matrix generated from the route table; this keeps it true.
// go test ./api -run AccessMatrix -update rewrites it.
func TestAccessMatrixIsDocumented(t *testing.T) {
	const path, begin, end = "../docs/security.md", "<!-- matrix -->\n", "<!-- /matrix -->"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := strings.Cut(string(doc), begin)
	_, after, ok2 := strings.Cut(rest, end)
	if !ok || !ok2 {
		t.Fatalf("%s has no %q … %q", path, begin, end)
	}
	want := before + begin + api.AccessMatrix() + end + after
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		doc = []byte(want)
	}
	if string(doc) != want {
		t.Fatal("docs/security.md's matrix is out of date: go test ./api -run AccessMatrix -update")
	}
	for _, a := range api.AccessTable() {
		if strings.HasPrefix(a.Path, "/v1/tenants/") && a.Roles == nil {
			t.Errorf("%s %s asks for no credential", a.Method, a.Path)
		}
	}
}
