package audit

import (
	"context"
	"errors"
	"fmt"

	"github.com/taktledger/takt/domain"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// Options says what Verify checks a log against.
type Options struct {
	// Tenant is the tenant whose log is verified.
	Tenant string
	// Origin is the first line every checkpoint must carry; Origin(Tenant) when empty.
	Origin string
	// Verifiers holds the keys checkpoints must be signed with. A checkpoint signed by no key in
	// it fails.
	Verifiers note.Verifiers
	// Reference, when set, is a copy of the tree kept beside the log: the tree file of a data
	// directory, or the server that answers proofs from it. Nothing in it is trusted. Verify takes
	// the proofs of each checkpoint from it and checks them against the signed roots and the
	// recomputed tree, and uses it to find the first event that differs when a root does not
	// match, bisecting with consistency proofs that it checks against the signed root.
	Reference *Reference
}

// Reference is a copy of the tenant's tree of Size leaves, kept beside the log, that Verify takes
// proofs from: the tree file (projections.Tree is a Prover), or the server that answers from it.
// Name says where it is, in the report and in messages ("tree file" when empty).
type Reference struct {
	Size   uint64
	Proofs Prover
	Name   string
}

func (r *Reference) name() string {
	if r.Name == "" {
		return "tree file"
	}
	return r.Name
}

// Report is what Verify checked.
type Report struct {
	Tenant      string
	Events      uint64 // events read and hashed
	Checkpoints int    // checkpoints read
	Signatures  int    // checkpoint signatures verified
	Roots       int    // checkpoints whose root the recomputed tree matches
	Inclusion   int    // inclusion proofs verified: each checkpoint's last event
	Consistency int    // consistency proofs verified: each checkpoint with the one before
	ProofSource string // where the proofs came from: "recomputed tree", or the Reference's name
	Last        *domain.Checkpoint
}

// Covered returns how many events the last checkpoint covers.
func (r *Report) Covered() uint64 {
	if r.Last == nil {
		return 0
	}
	return r.Last.Size
}

// Mismatch is the first thing Verify found that does not match: an event that differs from what
// a checkpoint commits to, or a checkpoint that fails on its own.
type Mismatch struct {
	Seq        uint64 // the sequence of the first event concerned; 0 when only a checkpoint is at fault
	Checkpoint uint64 // the number of the checkpoint concerned; 0 when none
	Size       uint64 // that checkpoint's tree size
	Msg        string // says it all, beginning with the sequence or the checkpoint
}

func (m *Mismatch) Error() string { return m.Msg }

// ReadFunc passes the records of a log, from sequence 1 in order, to fn; a tampered copy of a log
// is read the same way. domain.Log's Read, bound to a tenant and sequence 1, is one.
type ReadFunc func(fn func(domain.Record) error) error

type signed struct {
	num  uint64
	cp   domain.Checkpoint
	size uint64
	root tlog.Hash
}

type verification struct {
	opts   Options
	report *Report
	list   []signed
	mem    *MemTree
}

// Verify checks a tenant's log against its checkpoints. It first checks every checkpoint on its
// own, in order: signature, origin, and that no checkpoint is smaller than the one before or signs
// another root for the same size. Then it reads the log, hashes every event and, as the tree reaches
// each checkpoint's size, checks that its root is the one signed, that the checkpoint before is a
// prefix of it (a consistency proof) and that its last event is in it (an inclusion proof). It
// returns a *Mismatch for the first failure, naming the sequence of the event concerned when there
// is one; the report says what was checked up to there.
func Verify(ctx context.Context, opts Options, read ReadFunc, checkpoints []domain.Checkpoint) (*Report, error) {
	if opts.Origin == "" {
		opts.Origin = Origin(opts.Tenant)
	}
	v := &verification{opts: opts, report: &Report{Tenant: opts.Tenant, ProofSource: "recomputed tree"}, mem: &MemTree{}}
	if err := v.checkpoints(checkpoints); err != nil {
		return v.report, err
	}
	next := 0
	for next < len(v.list) && v.list[next].size == 0 {
		next++ // a checkpoint of the empty log has nothing to prove
	}
	expect := uint64(1)
	err := read(func(r domain.Record) error {
		if r.Seq != expect {
			if r.Seq > expect {
				return &Mismatch{Seq: expect, Msg: fmt.Sprintf("seq %d: missing: the log goes from seq %d to seq %d (an event dropped or moved)", expect, expect-1, r.Seq)}
			}
			return &Mismatch{Seq: expect, Msg: fmt.Sprintf("seq %d: the log holds seq %d in its place (an event repeated or moved)", expect, r.Seq)}
		}
		if expect%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		v.mem.Append(LeafHash(r))
		v.report.Events = expect
		expect++
		for next < len(v.list) && v.list[next].size == v.report.Events {
			if err := v.check(ctx, next); err != nil {
				return err
			}
			next++
		}
		return nil
	})
	if err != nil {
		return v.report, err
	}
	if next < len(v.list) {
		c := v.list[next]
		return v.report, &Mismatch{Seq: v.report.Events + 1, Checkpoint: c.num, Size: c.size,
			Msg: fmt.Sprintf("seq %d: missing: checkpoint %d (size %d) commits to %d events, the log ends at seq %d",
				v.report.Events+1, c.num, c.size, c.size, v.report.Events)}
	}
	return v.report, nil
}

// checkpoints checks each checkpoint on its own and against the one before.
func (v *verification) checkpoints(cps []domain.Checkpoint) error {
	for i, c := range cps {
		num := c.Seq
		if num == 0 {
			num = uint64(i + 1)
		} else if num != uint64(i+1) {
			return &Mismatch{Checkpoint: uint64(i + 1), Msg: fmt.Sprintf("checkpoint %d: missing: the checkpoint log goes from checkpoint %d to %d", i+1, i, num)}
		}
		v.report.Checkpoints++
		n, err := note.Open(c.Note, v.opts.Verifiers)
		if err != nil {
			return &Mismatch{Checkpoint: num, Size: c.Size, Msg: fmt.Sprintf("checkpoint %d (size %d): %s", num, c.Size, signatureError(err))}
		}
		v.report.Signatures++
		origin, size, root, err := ParseCheckpoint(n.Text)
		if err != nil {
			return &Mismatch{Checkpoint: num, Size: c.Size, Msg: fmt.Sprintf("checkpoint %d: %v", num, err)}
		}
		if origin != v.opts.Origin {
			return &Mismatch{Checkpoint: num, Size: size, Msg: fmt.Sprintf("checkpoint %d (size %d): it is about log %q, not %q", num, size, origin, v.opts.Origin)}
		}
		if len(v.list) > 0 {
			p := v.list[len(v.list)-1]
			if size < p.size {
				return &Mismatch{Checkpoint: num, Size: size, Msg: fmt.Sprintf("checkpoint %d (size %d) is smaller than checkpoint %d (size %d): the log was cut back", num, size, p.num, p.size)}
			}
			if size == p.size && root != p.root {
				return &Mismatch{Checkpoint: num, Size: size, Msg: fmt.Sprintf("checkpoint %d and checkpoint %d sign different roots for size %d: the log forked", p.num, num, size)}
			}
		}
		c.Size, c.Root, c.Seq = size, root, num
		v.list = append(v.list, signed{num: num, cp: c, size: size, root: root})
	}
	return nil
}

// signatureError says why a checkpoint's signature does not verify.
func signatureError(err error) string {
	var invalid *note.InvalidSignatureError
	var unverified *note.UnverifiedNoteError
	switch {
	case errors.As(err, &invalid):
		return fmt.Sprintf("the signature of key %s+%08x does not verify: the checkpoint was forged or altered", invalid.Name, invalid.Hash)
	case errors.As(err, &unverified):
		if sigs := unverified.Note.UnverifiedSigs; len(sigs) > 0 {
			return fmt.Sprintf("signed by key %s+%08x, not by the key it is verified with: not this ledger's checkpoint", sigs[0].Name, sigs[0].Hash)
		}
		return "it carries no signature"
	}
	return fmt.Sprintf("not a signed checkpoint: %v", err)
}

// check checks checkpoint k against the tree, which has just reached its size.
func (v *verification) check(ctx context.Context, k int) error {
	c := v.list[k]
	root, err := v.mem.Root(c.size)
	if err != nil {
		return err
	}
	if root != c.root {
		return v.locate(ctx, k)
	}
	v.report.Roots++
	src, name := Prover(HashProver{v.mem}), "recomputed tree"
	if ref := v.opts.Reference; ref != nil && ref.Size >= c.size {
		src, name = ref.Proofs, ref.name()
	}
	v.report.ProofSource = name
	if k > 0 && v.list[k-1].size > 0 {
		p := v.list[k-1]
		proof, err := src.ConsistencyProof(ctx, p.size, c.size)
		if err == nil {
			err = checkConsistency(proof, c.size, c.root, p.size, p.root)
		}
		if err != nil {
			return &Mismatch{Checkpoint: c.num, Size: c.size, Msg: fmt.Sprintf("checkpoint %d (size %d): the consistency proof from checkpoint %d (size %d) out of the %s does not verify: %v",
				c.num, c.size, p.num, p.size, name, err)}
		}
		v.report.Consistency++
	}
	last := v.mem.Leaf(c.size - 1)
	proof, err := src.InclusionProof(ctx, c.size, c.size)
	if err == nil {
		err = checkInclusion(proof, c.size, c.root, c.size, last)
	}
	if err == nil && proof.Leaf != last {
		err = fmt.Errorf("it gives the event the leaf hash %s, not the recomputed %s", tlog.Hash(proof.Leaf), last)
	}
	if err != nil {
		return &Mismatch{Seq: c.size, Checkpoint: c.num, Size: c.size, Msg: fmt.Sprintf("seq %d: the inclusion proof in checkpoint %d (size %d) out of the %s does not verify: %v",
			c.size, c.num, c.size, name, err)}
	}
	v.report.Inclusion++
	cp := c.cp
	v.report.Last = &cp
	return nil
}

// locate finds the first event that differs from what checkpoint k commits to. The checkpoint
// before it matched, so the event lies after it. With a reference tree, it bisects: a prefix of the
// recomputed tree is good when the reference proves it consistent with the signed root. The event
// found is confirmed by the reference's own leaf hash, proven included under the signed root.
func (v *verification) locate(ctx context.Context, k int) error {
	c := v.list[k]
	var lo uint64
	if k > 0 {
		lo = v.list[k-1].size
	}
	mismatch := &Mismatch{Seq: lo + 1, Checkpoint: c.num, Size: c.size,
		Msg: fmt.Sprintf("seq %d: the events from seq %d to %d do not hash to the root checkpoint %d (size %d) commits to; the first that differs lies in this range (the tree file would narrow it down to one)",
			lo+1, lo+1, c.size, c.num, c.size)}
	ref := v.opts.Reference
	if ref == nil || ref.Size < c.size {
		return mismatch
	}
	src := ref.Proofs
	good := func(m uint64) bool {
		if m == 0 {
			return true
		}
		h, err := v.mem.Root(m)
		if err != nil {
			return false
		}
		proof, err := src.ConsistencyProof(ctx, m, c.size)
		return err == nil && checkConsistency(proof, c.size, c.root, m, h) == nil
	}
	if !good(lo) {
		return mismatch
	}
	hi := c.size
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if good(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	seq := hi
	proof, err := src.InclusionProof(ctx, seq, c.size)
	if err != nil || checkInclusion(proof, c.size, c.root, seq, proof.Leaf) != nil || proof.Leaf == v.mem.Leaf(seq-1) {
		return mismatch
	}
	return &Mismatch{Seq: seq, Checkpoint: c.num, Size: c.size,
		Msg: fmt.Sprintf("seq %d: leaf hash differs from the one checkpoint %d (size %d) commits to: the event was rewritten, or events were dropped or reordered here",
			seq, c.num, c.size)}
}
