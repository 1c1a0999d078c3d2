package api

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/taktledger/takt/domain"
)

// Proofs serves a tenant's signed checkpoints and the Merkle proofs that let a client check an
// event or a later checkpoint against one (docs/auditing.md). projections.Trees is one.
type Proofs interface {
	// Checkpoints returns the tenant's published checkpoints, in order; ENOTFOUND for a tenant not
	// served.
	Checkpoints(ctx context.Context, tenant string) ([]domain.Checkpoint, error)
	// InclusionProof proves that the event at seq is in the tree of size events (0: the last
	// checkpoint's size); ENOTFOUND for a size the tree does not hold, EINVALID for a seq beyond it.
	InclusionProof(ctx context.Context, tenant string, seq, size uint64) (*domain.InclusionProof, error)
	// ConsistencyProof proves that the tree of from events is a prefix of the tree of to events;
	// ENOTFOUND for a size the tree does not hold, EINVALID unless 0 < from <= to.
	ConsistencyProof(ctx context.Context, tenant string, from, to uint64) (*domain.ConsistencyProof, error)
}

// CheckpointList is what GET /v1/tenants/{tenant}/checkpoints serves: every checkpoint published,
// in order.
type CheckpointList struct {
	Checkpoints []Checkpoint `json:"checkpoints"`
}

// Checkpoint is a domain.Checkpoint as served: hashes in standard base64, as in the signed note.
type Checkpoint struct {
	Checkpoint uint64    `json:"checkpoint"`
	Size       uint64    `json:"size"`
	Root       string    `json:"root"`
	Reason     string    `json:"reason"`
	Note       string    `json:"note"` // the signed note: what takt verify and an auditor check
	Stored     time.Time `json:"stored"`
}

// InclusionProof is a domain.InclusionProof as GET /v1/tenants/{tenant}/proof?seq=N serves it:
// hashes in standard base64.
type InclusionProof struct {
	Seq    uint64   `json:"seq"`
	Size   uint64   `json:"size"`
	Leaf   string   `json:"leaf"`
	Root   string   `json:"root"`
	Hashes []string `json:"hashes"`
}

// ConsistencyProof is a domain.ConsistencyProof as GET /v1/tenants/{tenant}/proof?from=A&to=B
// serves it: hashes in standard base64.
type ConsistencyProof struct {
	From     uint64   `json:"from"`
	To       uint64   `json:"to"`
	FromRoot string   `json:"from_root"`
	ToRoot   string   `json:"to_root"`
	Hashes   []string `json:"hashes"`
}

func b64(h [32]byte) string { return base64.StdEncoding.EncodeToString(h[:]) }

func b64s(hs [][32]byte) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = b64(h)
	}
	return out
}

// CheckpointsHandler serves GET /v1/tenants/{tenant}/checkpoints: every checkpoint published, in
// order, each with its signed note.
func (s *Server) CheckpointsHandler(p Proofs) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cps, err := p.Checkpoints(r.Context(), r.PathValue("tenant"))
		if err != nil {
			s.problem(w, r, err)
			return
		}
		out := CheckpointList{Checkpoints: make([]Checkpoint, len(cps))}
		for i, c := range cps {
			out.Checkpoints[i] = Checkpoint{Checkpoint: c.Seq, Size: c.Size, Root: b64(c.Root), Reason: c.Reason, Note: string(c.Note), Stored: c.Stored}
		}
		writeProof(w, out)
	}
}

// ProofHandler serves GET /v1/tenants/{tenant}/proof: with seq=N (and optionally size=S, the last
// checkpoint's size by default) the inclusion proof of event N in the tree of S events; with
// from=A&to=B the consistency proof between the trees of A and B events.
func (s *Server) ProofHandler(p Proofs) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tenant, q := r.PathValue("tenant"), r.URL.Query()
		num := func(name string) (uint64, error) {
			v := q.Get(name)
			if v == "" {
				return 0, nil
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				return 0, domain.Invalid(name, "integer", "%s must be a sequence number, not %q.", name, v)
			}
			return n, nil
		}
		switch {
		case q.Has("seq"):
			seq, err := num("seq")
			var size uint64
			if err == nil {
				size, err = num("size")
			}
			if err != nil {
				s.problem(w, r, err)
				return
			}
			pr, err := p.InclusionProof(r.Context(), tenant, seq, size)
			if err != nil {
				s.problem(w, r, err)
				return
			}
			writeProof(w, InclusionProof{Seq: pr.Seq, Size: pr.Size, Leaf: b64(pr.Leaf), Root: b64(pr.Root), Hashes: b64s(pr.Hashes)})
		case q.Has("from") || q.Has("to"):
			from, err := num("from")
			var to uint64
			if err == nil {
				to, err = num("to")
			}
			if err != nil {
				s.problem(w, r, err)
				return
			}
			pr, err := p.ConsistencyProof(r.Context(), tenant, from, to)
			if err != nil {
				s.problem(w, r, err)
				return
			}
			writeProof(w, ConsistencyProof{From: pr.From, To: pr.To, FromRoot: b64(pr.FromRoot), ToRoot: b64(pr.ToRoot), Hashes: b64s(pr.Hashes)})
		default:
			s.problem(w, r, domain.Invalid("seq", "required", "Ask for seq=N (an event's inclusion) or from=A&to=B (consistency)."))
		}
	}
}

func writeProof(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
