package audit_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/taktledger/takt/audit"
	"github.com/taktledger/takt/domain"
	"golang.org/x/mod/sumdb/tlog"
)

// HashProver's proofs, sequences and sizes counted from 1, are the ones tlog checks, for every
// event and every pair of sizes of a small tree; a range that holds no proof is EINVALID.
func TestHashProver(t *testing.T) {
	ctx := context.Background()
	const n = 13
	mem := &audit.MemTree{}
	for seq := uint64(1); seq <= n; seq++ {
		mem.Append(audit.LeafHash(domain.Record{Seq: seq, Subject: "takt.demo.goal.g", Data: fmt.Appendf(nil, `{"n":%d}`, seq)}))
	}
	p := audit.HashProver{Hashes: mem}
	hashes := func(hs [][32]byte) []tlog.Hash {
		out := make([]tlog.Hash, len(hs))
		for i, h := range hs {
			out[i] = h
		}
		return out
	}
	for size := uint64(1); size <= n; size++ {
		root, err := mem.Root(size)
		if err != nil {
			t.Fatal(err)
		}
		for seq := uint64(1); seq <= size; seq++ {
			pr, err := p.InclusionProof(ctx, seq, size)
			if err != nil {
				t.Fatalf("seq %d in %d: %v", seq, size, err)
			}
			if pr.Seq != seq || pr.Size != size || pr.Leaf != mem.Leaf(seq-1) || pr.Root != root {
				t.Errorf("seq %d in %d: %+v", seq, size, pr)
			}
			if err := tlog.CheckRecord(hashes(pr.Hashes), int64(size), root, int64(seq-1), mem.Leaf(seq-1)); err != nil {
				t.Errorf("seq %d in %d: %v", seq, size, err)
			}
		}
		for from := uint64(1); from <= size; from++ {
			pr, err := p.ConsistencyProof(ctx, from, size)
			if err != nil {
				t.Fatalf("from %d to %d: %v", from, size, err)
			}
			fromRoot, _ := mem.Root(from)
			if pr.From != from || pr.To != size || pr.FromRoot != fromRoot || pr.ToRoot != root {
				t.Errorf("from %d to %d: %+v", from, size, pr)
			}
			if err := tlog.CheckTree(hashes(pr.Hashes), int64(size), root, int64(from), fromRoot); err != nil {
				t.Errorf("from %d to %d: %v", from, size, err)
			}
		}
	}
	for _, tt := range []struct {
		name string
		err  error
	}{
		{"seq 0", second(p.InclusionProof(ctx, 0, 5))},
		{"seq beyond size", second(p.InclusionProof(ctx, 6, 5))},
		{"from 0", second(p.ConsistencyProof(ctx, 0, 5))},
		{"from beyond to", second(p.ConsistencyProof(ctx, 6, 5))},
	} {
		if code := domain.ErrorCode(tt.err); code != domain.EINVALID {
			t.Errorf("%s: %v (%s), want %s", tt.name, tt.err, code, domain.EINVALID)
		}
	}
}

func second[T any](_ T, err error) error { return err }
