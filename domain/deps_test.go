package domain_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The domain speaks the ledger's language only: it imports nothing of ours and nothing outside the
// standard library, so the adapters depend on it and never the other way round.
func TestDomainImportsStandardLibraryOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if p != "github.com/taktledger/takt/domain" {
			t.Errorf("domain depends on %s", p)
		}
	}
}
