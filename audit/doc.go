/*
Package audit makes a tenant's log verifiable by someone who does not trust whoever runs it.

Every stored event is a leaf of a Merkle tree (RFC 6962, with [golang.org/x/mod/sumdb/tlog]): its
leaf hash covers the stream sequence, the subject, the Nats-Msg-Id header and the body ([LeafHash];
the encoding is fixed in docs/auditing.md). A [Key] signs checkpoints — the tree size and root hash
of a tenant's log, with an origin line naming the tenant — in the signed-note format of
[golang.org/x/mod/sumdb/note]. [Verify] recomputes the tree from the events and checks every
checkpoint against it: signature, root at its size, consistency with the checkpoint before it and
the inclusion of its last event, and names the sequence of the first event that does not match.

The package is pure: it reads no log and writes no file except the key. The tree's hashes are kept in
SQLite by projections.Tree, built by projections.Checkpointer; the checkpoints are published on a
JetStream stream of their own by events.Store (see docs/adr/0004-signed-checkpoints.md).
*/
package audit
