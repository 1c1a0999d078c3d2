package audit

import (
	"fmt"

	"golang.org/x/mod/sumdb/tlog"
)

// MemTree is a Merkle tree held in memory, level by level: the stored hashes of tlog (2n of them
// for n leaves), so that it answers any tree hash and any proof. Verify builds one from the events.
type MemTree struct {
	levels [][]tlog.Hash
}

// Append adds a leaf hash to the tree.
func (m *MemTree) Append(leaf tlog.Hash) {
	if len(m.levels) == 0 {
		m.levels = append(m.levels, nil)
	}
	m.levels[0] = append(m.levels[0], leaf)
	h, i := leaf, len(m.levels[0])-1
	for l := 0; i&1 == 1; l++ {
		h = tlog.NodeHash(m.levels[l][i-1], h)
		if l+1 == len(m.levels) {
			m.levels = append(m.levels, nil)
		}
		m.levels[l+1] = append(m.levels[l+1], h)
		i >>= 1
	}
}

// Size returns the number of leaves.
func (m *MemTree) Size() uint64 {
	if len(m.levels) == 0 {
		return 0
	}
	return uint64(len(m.levels[0]))
}

// Leaf returns the hash of leaf i (0-based; event i+1).
func (m *MemTree) Leaf(i uint64) tlog.Hash { return m.levels[0][i] }

// ReadHashes implements tlog.HashReader.
func (m *MemTree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		l, n := tlog.SplitStoredHashIndex(x)
		if l >= len(m.levels) || n >= int64(len(m.levels[l])) {
			return nil, fmt.Errorf("audit: no hash at level %d index %d in a tree of %d", l, n, m.Size())
		}
		out[i] = m.levels[l][n]
	}
	return out, nil
}

// Root returns the root hash of the tree of the first n leaves.
func (m *MemTree) Root(n uint64) (tlog.Hash, error) { return tlog.TreeHash(int64(n), m) }
