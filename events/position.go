package events

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/taktledger/takt/domain"
)

// Ping asks JetStream for the account's information: nil when it answers, EUNAVAILABLE when it
// does not.
func (s *Store) Ping(ctx context.Context) error {
	js, err := s.jetStream()
	if err != nil {
		return err
	}
	if !s.Conn.IsConnected() {
		return domain.Errorf(domain.EUNAVAILABLE, "NATS is not connected (%s).", s.Conn.Status())
	}
	ctx, cancel := s.rpc(ctx)
	defer cancel()
	if _, err := js.AccountInfo(ctx); err != nil {
		return domain.Errorf(domain.EUNAVAILABLE, "JetStream does not answer: %v.", err)
	}
	return nil
}

// Position is where a tenant's stream stands.
type Position struct {
	Head     uint64    // the last sequence (0 for an empty stream)
	HeadTime time.Time // when the log stored it
	Replicas int       // the stream's configured replicas
	Leader   string    // the server that leads the stream in a cluster; empty on a single server
}

// Position returns where the tenant's stream stands. It returns ENOTFOUND when the tenant has no
// stream and EUNAVAILABLE when NATS cannot be reached.
func (s *Store) Position(ctx context.Context, tenant string) (Position, error) {
	stream, err := s.stream(ctx, tenant)
	if err != nil {
		return Position{}, err
	}
	info := stream.CachedInfo()
	p := Position{Head: info.State.LastSeq, HeadTime: info.State.LastTime, Replicas: info.Config.Replicas}
	if info.Cluster != nil {
		p.Leader = info.Cluster.Leader
	}
	return p, nil
}

// StoredAt returns when the log stored the tenant's record seq. It returns ENOTFOUND when there is
// no such record.
func (s *Store) StoredAt(ctx context.Context, tenant string, seq uint64) (time.Time, error) {
	stream, err := s.stream(ctx, tenant)
	if err != nil {
		return time.Time{}, err
	}
	ctx, cancel := s.rpc(ctx)
	defer cancel()
	m, err := stream.GetMsg(ctx, seq)
	if err != nil {
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			return time.Time{}, domain.NotFound("seq", "Tenant %s has no record %d.", tenant, seq)
		}
		return time.Time{}, mapError(tenant, err)
	}
	return m.Time, nil
}
