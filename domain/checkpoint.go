package domain

import (
	"context"
	"time"
)

// Checkpoint is a signed statement about a tenant's log: its first Size events (stream sequences
// 1..Size) are the leaves of a Merkle tree whose root is Root. Note is the statement as signed and
// published (a signed note; docs/auditing.md gives its text); Size and Root are read from it, and
// whoever does not trust the publisher reads them from Note after checking its signature.
type Checkpoint struct {
	Seq    uint64    // its place on the tenant's checkpoint log: checkpoint 1, 2, ...
	Size   uint64    // the tree size it commits to
	Root   [32]byte  // the root hash of the tree of that size
	Reason string    // why it was taken: "followup.adopted", "period.closed", "interval"
	Note   []byte    // the signed note
	Stored time.Time // when the checkpoint log stored it
}

// CheckpointLog is a tenant's log of checkpoints: append-only, kept apart from the tenant's events
// so that leaf i of the tree is event i.
type CheckpointLog interface {
	// EnsureCheckpoints creates the tenant's checkpoint log if it does not exist. It is idempotent.
	EnsureCheckpoints(ctx context.Context, tenant string) error

	// AppendCheckpoint stores c as checkpoint number c.Seq and returns that number. It returns
	// ECONFLICT when the checkpoint log does not end at c.Seq-1 (another writer got there first),
	// unless the checkpoint stored there is this one (a retry), ENOTFOUND when the tenant has no
	// checkpoint log, EUNAVAILABLE when it cannot be reached.
	AppendCheckpoint(ctx context.Context, tenant string, c Checkpoint) (uint64, error)

	// ReadCheckpoints calls fn with every checkpoint from number from on (1 is the first), up to
	// the last one stored when it was called, in order. It stops at the first error fn returns,
	// and returns it.
	ReadCheckpoints(ctx context.Context, tenant string, from uint64, fn func(Checkpoint) error) error
}

// InclusionProof proves that the event at sequence Seq, whose leaf hash is Leaf, is in the tree of
// Size events whose root is Root: hashing Leaf with Hashes in the order of RFC 6962 gives Root.
type InclusionProof struct {
	Seq    uint64
	Size   uint64
	Leaf   [32]byte
	Root   [32]byte
	Hashes [][32]byte
}

// ConsistencyProof proves that the tree of From events (root FromRoot) is a prefix of the tree of
// To events (root ToRoot): nothing in the first From events was changed, dropped or reordered.
type ConsistencyProof struct {
	From     uint64
	To       uint64
	FromRoot [32]byte
	ToRoot   [32]byte
	Hashes   [][32]byte
}
