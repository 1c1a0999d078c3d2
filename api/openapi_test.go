package api_test

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/taktledger/takt/api"
)

var update = flag.Bool("update", false, "rewrite docs/openapi.yaml from the code")

// docs/openapi.yaml is generated from the route table and the command types; this keeps it true.
func TestOpenAPIDocumentIsCurrent(t *testing.T) {
	const path = "../docs/openapi.yaml"
	got := api.OpenAPI()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("docs/openapi.yaml is out of date: go test ./api -run OpenAPI -update")
	}
	for _, field := range []string{`"/v1/tenants/{tenant}/goals/{id}/revise"`, `"contributes_to"`, `"meeting_date"`, `"registerOrgan"`, `"adoptGoal"`} {
		if !bytes.Contains(got, []byte(field)) {
			t.Errorf("the document does not mention %s", field)
		}
	}
}
