package audit

import (
	"context"

	"github.com/taktledger/takt/domain"
	"golang.org/x/mod/sumdb/tlog"
)

// Prover answers the Merkle proofs of a tree in the ledger's terms, as the API's /proof does:
// sequences and sizes count events from 1. projections.Tree is one, over its tree file; HashProver
// makes one of any tree's stored hashes.
type Prover interface {
	// InclusionProof proves that the event at seq is in the tree of size events (size > 0). It
	// returns EINVALID for a seq of 0 or beyond size.
	InclusionProof(ctx context.Context, seq, size uint64) (*domain.InclusionProof, error)
	// ConsistencyProof proves that the tree of from events is a prefix of the tree of to events.
	// It returns EINVALID unless 0 < from <= to.
	ConsistencyProof(ctx context.Context, from, to uint64) (*domain.ConsistencyProof, error)
}

// HashProver proves from a tree's stored hashes, laid out as tlog stores them: a MemTree's, or
// those of the tree file projections.Tree keeps. A size the hashes do not reach is an error of
// the HashReader's.
type HashProver struct{ Hashes tlog.HashReader }

var _ Prover = HashProver{}

func (p HashProver) InclusionProof(_ context.Context, seq, size uint64) (*domain.InclusionProof, error) {
	if seq == 0 || seq > size {
		return nil, domain.Invalid("seq", "range", "Sequence %d is not in a tree of %d events.", seq, size)
	}
	proof, err := tlog.ProveRecord(int64(size), int64(seq-1), p.Hashes)
	if err != nil {
		return nil, err
	}
	leaf, err := p.Hashes.ReadHashes([]int64{tlog.StoredHashIndex(0, int64(seq-1))})
	if err != nil {
		return nil, err
	}
	root, err := tlog.TreeHash(int64(size), p.Hashes)
	if err != nil {
		return nil, err
	}
	return &domain.InclusionProof{Seq: seq, Size: size, Leaf: leaf[0], Root: root, Hashes: fromTlog(proof)}, nil
}

func (p HashProver) ConsistencyProof(_ context.Context, from, to uint64) (*domain.ConsistencyProof, error) {
	if from == 0 || from > to {
		return nil, domain.Invalid("from", "range", "A consistency proof goes from a size of at least 1 to one as large (from %d to %d).", from, to)
	}
	proof, err := tlog.ProveTree(int64(to), int64(from), p.Hashes)
	if err != nil {
		return nil, err
	}
	pr := &domain.ConsistencyProof{From: from, To: to, Hashes: fromTlog(proof)}
	if pr.FromRoot, err = tlog.TreeHash(int64(from), p.Hashes); err != nil {
		return nil, err
	}
	if pr.ToRoot, err = tlog.TreeHash(int64(to), p.Hashes); err != nil {
		return nil, err
	}
	return pr, nil
}

// checkInclusion checks that p proves leaf is event seq of the tree of size events whose root is
// root: tlog.CheckRecord, in the ledger's terms.
func checkInclusion(p *domain.InclusionProof, size uint64, root tlog.Hash, seq uint64, leaf tlog.Hash) error {
	return tlog.CheckRecord(toTlog(p.Hashes), int64(size), root, int64(seq-1), leaf)
}

// checkConsistency checks that p proves the tree of from events, root fromRoot, a prefix of the
// tree of to events, root toRoot.
func checkConsistency(p *domain.ConsistencyProof, to uint64, toRoot tlog.Hash, from uint64, fromRoot tlog.Hash) error {
	return tlog.CheckTree(toTlog(p.Hashes), int64(to), toRoot, int64(from), fromRoot)
}

func fromTlog(hs []tlog.Hash) [][32]byte {
	out := make([][32]byte, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}

func toTlog(hs [][32]byte) []tlog.Hash {
	out := make([]tlog.Hash, len(hs))
	for i, h := range hs {
		out[i] = h
	}
	return out
}
