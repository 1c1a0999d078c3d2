package events

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/taktledger/takt/domain"
)

// Checkpoints of a tenant's log live on a stream of their own, so that the tenant's stream holds
// events only and leaf i of the tree is event i (docs/adr/0004-signed-checkpoints.md).
const (
	// CheckpointSubjectPrefix is the first token of a checkpoint subject: takt-checkpoints.{tenant}.
	// It lies outside takt.{tenant}.>, which the tenant's event stream owns.
	CheckpointSubjectPrefix = "takt-checkpoints"
	// CheckpointStreamSuffix ends the name of a checkpoint stream: TAKT_{TENANT}_CHECKPOINTS.
	CheckpointStreamSuffix = "_CHECKPOINTS"
)

// Headers of a checkpoint message. The signed note in the body is the checkpoint; the headers
// repeat what it says for readers that do not verify it.
const (
	treeSizeHeader = "Takt-Tree-Size"
	reasonHeader   = "Takt-Checkpoint-Reason"
	noteType       = "text/plain; charset=utf-8"
)

var _ domain.CheckpointLog = (*Store)(nil)

// CheckpointStreamName returns the name of a tenant's checkpoint stream.
func CheckpointStreamName(tenant string) string { return StreamName(tenant) + CheckpointStreamSuffix }

// CheckpointSubject returns the subject of a tenant's checkpoints.
func CheckpointSubject(tenant string) string { return CheckpointSubjectPrefix + "." + tenant }

// CheckpointStreamConfig returns the configuration of a tenant's checkpoint stream: a ledger like
// the event stream (no deletes, no purges, no limits), one subject.
func (s *Store) CheckpointStreamConfig(tenant string) jetstream.StreamConfig {
	c := s.StreamConfig(tenant)
	c.Name = CheckpointStreamName(tenant)
	c.Description = "takt signed checkpoints of " + tenant
	c.Subjects = []string{CheckpointSubject(tenant)}
	c.AllowAtomicPublish = false
	return c
}

// EnsureCheckpoints implements domain.CheckpointLog.
func (s *Store) EnsureCheckpoints(ctx context.Context, tenant string) error {
	ctx, cancel := s.rpc(ctx)
	defer cancel()
	have, err := s.ensureStream(ctx, tenant, s.CheckpointStreamConfig(tenant))
	if err != nil || have == nil {
		return err
	}
	if !have.DenyDelete || !have.DenyPurge || have.AllowRollup || have.MaxAge != 0 || have.MaxMsgs > 0 || have.MaxBytes > 0 {
		return fmt.Errorf("events: stream %s does not keep every checkpoint (deny delete and purge, no limits)", have.Name)
	}
	return nil
}

// AppendCheckpoint implements domain.CheckpointLog. The checkpoint is published with the expected
// last sequence c.Seq-1, and with a message id of its tree size, so a retry whose first attempt was
// stored is answered with the number it was stored under.
func (s *Store) AppendCheckpoint(ctx context.Context, tenant string, c domain.Checkpoint) (uint64, error) {
	if err := checkTenant(tenant); err != nil {
		return 0, err
	}
	if c.Seq == 0 || len(c.Note) == 0 {
		return 0, domain.Errorf(domain.EINVALID, "A checkpoint needs its number and its signed note.")
	}
	js, err := s.jetStream()
	if err != nil {
		return 0, err
	}
	ctx, cancel := s.rpc(ctx)
	defer cancel()
	m := &nats.Msg{Subject: CheckpointSubject(tenant), Data: c.Note, Header: nats.Header{
		"Content-Type":                  {noteType},
		jetstream.MsgIDHeader:           {"checkpoint-" + strconv.FormatUint(c.Size, 10)},
		jetstream.ExpectedLastSeqHeader: {strconv.FormatUint(c.Seq-1, 10)},
		treeSizeHeader:                  {strconv.FormatUint(c.Size, 10)},
	}}
	if c.Reason != "" {
		m.Header.Set(reasonHeader, c.Reason)
	}
	ack, err := js.PublishMsg(ctx, m)
	if err != nil {
		err = s.publishError(ctx, tenant, err)
		if domain.ErrorCode(err) == domain.ECONFLICT {
			// Was it this very checkpoint, stored by an attempt whose answer was lost?
			if got, gerr := s.checkpoint(ctx, tenant, c.Seq); gerr == nil && string(got.Note) == string(c.Note) {
				return c.Seq, nil
			}
		}
		return 0, err
	}
	return ack.Sequence, nil
}

func (s *Store) checkpoint(ctx context.Context, tenant string, seq uint64) (domain.Checkpoint, error) {
	js, err := s.jetStream()
	if err != nil {
		return domain.Checkpoint{}, err
	}
	stream, err := js.Stream(ctx, CheckpointStreamName(tenant))
	if err != nil {
		return domain.Checkpoint{}, mapError(tenant, err)
	}
	m, err := stream.GetMsg(ctx, seq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return domain.Checkpoint{}, domain.NotFound("checkpoint", "Tenant %s has no checkpoint %d.", tenant, seq)
	} else if err != nil {
		return domain.Checkpoint{}, mapError(tenant, err)
	}
	return checkpointOf(m), nil
}

func checkpointOf(m *jetstream.RawStreamMsg) domain.Checkpoint {
	size, _ := strconv.ParseUint(m.Header.Get(treeSizeHeader), 10, 64)
	return domain.Checkpoint{Seq: m.Sequence, Size: size, Reason: m.Header.Get(reasonHeader), Note: m.Data, Stored: m.Time}
}

// ReadCheckpoints implements domain.CheckpointLog. Size and Reason are taken from the message
// headers and Root is left zero: read them from the note once its signature is checked.
func (s *Store) ReadCheckpoints(ctx context.Context, tenant string, from uint64, fn func(domain.Checkpoint) error) error {
	if err := checkTenant(tenant); err != nil {
		return err
	}
	js, err := s.jetStream()
	if err != nil {
		return err
	}
	rctx, cancel := s.rpc(ctx)
	stream, err := js.Stream(rctx, CheckpointStreamName(tenant))
	cancel()
	if err != nil {
		return mapError(tenant, err)
	}
	last := stream.CachedInfo().State.LastSeq
	for seq := max(from, 1); seq <= last; seq++ {
		rctx, cancel := s.rpc(ctx)
		m, err := stream.GetMsg(rctx, seq)
		cancel()
		if err != nil {
			return mapError(tenant, err)
		}
		if err := fn(checkpointOf(m)); err != nil {
			return err
		}
	}
	return nil
}
