package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/taktledger/takt/api"
	"github.com/taktledger/takt/domain"
)

// proofs is a Proofs of one tenant, "demo", with a tree of 10 events.
type proofs struct{}

func (proofs) Checkpoints(_ context.Context, tenant string) ([]domain.Checkpoint, error) {
	if tenant != "demo" {
		return nil, domain.NotFound("tenant", "Tenant %s is not served here.", tenant)
	}
	return []domain.Checkpoint{{Seq: 1, Size: 10, Root: [32]byte{1}, Reason: "followup.adopted", Note: []byte("takt/demo\n10\nAQ==\n\n— takt x\n")}}, nil
}

func (proofs) InclusionProof(_ context.Context, _ string, seq, size uint64) (*domain.InclusionProof, error) {
	if size == 0 {
		size = 10
	}
	if seq == 0 || seq > size {
		return nil, domain.Invalid("seq", "range", "no")
	}
	return &domain.InclusionProof{Seq: seq, Size: size, Hashes: [][32]byte{{2}}}, nil
}

func (proofs) ConsistencyProof(_ context.Context, _ string, from, to uint64) (*domain.ConsistencyProof, error) {
	if from == 0 || from > to {
		return nil, domain.Invalid("from", "range", "no")
	}
	return &domain.ConsistencyProof{From: from, To: to, Hashes: [][32]byte{}}, nil
}

func TestProofHandlers(t *testing.T) {
	s := api.NewServer(nil)
	mux := http.NewServeMux()
	mux.Handle("GET /v1/tenants/{tenant}/checkpoints", s.CheckpointsHandler(proofs{}))
	mux.Handle("GET /v1/tenants/{tenant}/proof", s.ProofHandler(proofs{}))
	for _, tt := range []struct {
		path   string
		status int
		want   string // a field of the answer
	}{
		{"/v1/tenants/demo/checkpoints", 200, "checkpoints"},
		{"/v1/tenants/nope/checkpoints", 404, "title"},
		{"/v1/tenants/demo/proof?seq=3", 200, "leaf"},
		{"/v1/tenants/demo/proof?seq=3&size=5", 200, "leaf"},
		{"/v1/tenants/demo/proof?seq=11", 400, "title"},
		{"/v1/tenants/demo/proof?seq=x", 400, "title"},
		{"/v1/tenants/demo/proof?from=3&to=10", 200, "from_root"},
		{"/v1/tenants/demo/proof?from=10&to=3", 400, "title"},
		{"/v1/tenants/demo/proof", 400, "title"},
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
		var body map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
			t.Fatalf("%s: %v: %s", tt.path, err, rec.Body)
		}
		if _, ok := body[tt.want]; rec.Code != tt.status || !ok {
			t.Errorf("%s: %d %s; want %d with %q", tt.path, rec.Code, rec.Body, tt.status, tt.want)
		}
	}
}
