package events

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/taktledger/takt/domain"
)

// ReadRaw is Read without decoding: it passes each record with its sequence, subject, message id,
// storage time and body, and leaves Event and Err zero. Verifying a log needs no more, and JSON
// decoding is most of what reading costs.
func (s *Store) ReadRaw(ctx context.Context, tenant string, from uint64, fn func(domain.Record) error) error {
	stream, err := s.stream(ctx, tenant)
	if err != nil {
		return err
	}
	from = max(from, 1)
	head := stream.CachedInfo().State.LastSeq
	if head < from {
		return nil
	}
	js, err := s.jetStream()
	if err != nil {
		return err
	}
	rctx, cancel := s.rpc(ctx)
	cons, err := js.OrderedConsumer(rctx, StreamName(tenant), jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy, OptStartSeq: from, MaxResetAttempts: 5})
	cancel()
	if err != nil {
		return mapError(tenant, err)
	}
	batch := s.ReadBatch
	if batch <= 0 {
		batch = 1000
	}
	if n := head - from + 1; n < uint64(batch) {
		batch = int(n)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(batch))
	if err != nil {
		return mapError(tenant, err)
	}
	defer func() {
		it.Stop()
		if info := cons.CachedInfo(); info != nil {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = js.DeleteConsumer(ctx, StreamName(tenant), info.Name)
			}()
		}
	}()
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return mapError(tenant, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("events: tenant %s: %w", tenant, err)
		}
		r := domain.Record{Seq: md.Sequence.Stream, Subject: m.Subject(), Stored: md.Timestamp, Data: m.Data()}
		if h := m.Headers(); h != nil {
			r.MsgID = h.Get(jetstream.MsgIDHeader)
		}
		if err := fn(r); err != nil {
			return err
		}
		if r.Seq >= head {
			return nil
		}
	}
}
