package audit

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/taktledger/takt/domain"
	"golang.org/x/mod/sumdb/tlog"
)

// leafPrefix starts every leaf encoding; a new encoding gets a new version.
const leafPrefix = "takt leaf v1\n"

// AppendLeaf appends the canonical encoding of a stored event to b:
//
//	"takt leaf v1\n"
//	seq      8 bytes, big-endian
//	subject  4-byte big-endian length, then the bytes
//	msg id   4-byte big-endian length, then the bytes (the Nats-Msg-Id header; empty if none)
//	data     4-byte big-endian length, then the bytes (the message body as stored)
//
// The other headers a takt event is stored with are left out on purpose: Content-Type is the same
// for every event, and JetStream strips Nats-Expected-* and Nats-Batch-* from the copies it makes
// in mirrors and sourced streams, so a leaf over them would not survive a backup.
func AppendLeaf(b []byte, r domain.Record) []byte {
	b = append(b, leafPrefix...)
	b = binary.BigEndian.AppendUint64(b, r.Seq)
	for _, s := range [][]byte{[]byte(r.Subject), []byte(r.MsgID), r.Data} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

// LeafHash returns the RFC 6962 leaf hash of a stored event: SHA-256 of a zero byte and the event's
// encoding by AppendLeaf. It equals tlog.RecordHash of that encoding.
func LeafHash(r domain.Record) tlog.Hash {
	h := sha256.New()
	var buf [64]byte
	b := append(buf[:0], 0)
	b = append(b, leafPrefix...)
	b = binary.BigEndian.AppendUint64(b, r.Seq)
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Subject)))
	h.Write(b)
	h.Write([]byte(r.Subject))
	b = binary.BigEndian.AppendUint32(b[:0], uint32(len(r.MsgID)))
	h.Write(b)
	h.Write([]byte(r.MsgID))
	b = binary.BigEndian.AppendUint32(b[:0], uint32(len(r.Data)))
	h.Write(b)
	h.Write(r.Data)
	var out tlog.Hash
	h.Sum(out[:0])
	return out
}
