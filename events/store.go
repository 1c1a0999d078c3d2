package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/taktledger/takt/domain"
)

// Headers of a JetStream atomic batch (nats-server 2.12+).
const (
	batchIDHeader     = "Nats-Batch-Id"
	batchSeqHeader    = "Nats-Batch-Sequence"
	batchCommitHeader = "Nats-Batch-Commit"
)

// DefaultMaxBatch is the largest atomic batch nats-server accepts unless its max_batch_size is set.
const DefaultMaxBatch = 1000

// Store is the log on NATS JetStream: one stream per tenant, TAKT_{TENANT}, with the events of an
// aggregate on takt.{tenant}.{kind}.{id}. It is configured by its fields; NewStore sets the defaults.
type Store struct {
	// Conn is the connection to NATS. The store does not close it.
	Conn *nats.Conn
	// Replicas is the number of copies of each new stream: 1 for a single node, 3 in a cluster.
	Replicas int
	// DuplicateWindow is how long a Nats-Msg-Id is remembered. It must outlast real retries.
	DuplicateWindow time.Duration
	// MaxBatch is the largest decision Append takes; it must not exceed the server's max_batch_size.
	MaxBatch int
	// ReadBatch is how many messages a reader asks the server for at once.
	ReadBatch int
	// Timeout bounds a call to NATS whose context has no deadline.
	Timeout time.Duration
	// Registry encodes and decodes events; Types unless set.
	Registry *Registry
	// Now stamps an event that has no recording time.
	Now func() time.Time
	// Logger reports events set aside by Load.
	Logger *slog.Logger
	// Metrics, if set, measures every append.
	Metrics *Metrics

	once sync.Once
	js   jetstream.JetStream
	err  error
}

var _ domain.Log = (*Store)(nil)

// NewStore returns a Store on nc with the defaults: one replica, a 24-hour duplicate window.
func NewStore(nc *nats.Conn) *Store {
	return &Store{
		Conn:            nc,
		Replicas:        1,
		DuplicateWindow: 24 * time.Hour,
		MaxBatch:        DefaultMaxBatch,
		ReadBatch:       1000,
		Timeout:         10 * time.Second,
		Registry:        Types,
		Now:             time.Now,
		Logger:          slog.Default(),
	}
}

func (s *Store) jetStream() (jetstream.JetStream, error) {
	s.once.Do(func() {
		if s.Conn == nil {
			s.err = domain.Errorf(domain.EUNAVAILABLE, "The log has no NATS connection.")
			return
		}
		s.js, s.err = jetstream.New(s.Conn)
	})
	return s.js, s.err
}

func (s *Store) registry() *Registry {
	if s.Registry == nil {
		return Types
	}
	return s.Registry
}

// rpc bounds one request to NATS by Timeout when the caller set no deadline.
func (s *Store) rpc(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || s.Timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.Timeout)
}

// StreamConfig returns the configuration of a tenant's stream: everything that makes it a ledger.
func (s *Store) StreamConfig(tenant string) jetstream.StreamConfig {
	replicas := s.Replicas
	if replicas < 1 {
		replicas = 1
	}
	return jetstream.StreamConfig{
		Name:               StreamName(tenant),
		Description:        "takt ledger of " + tenant,
		Subjects:           []string{TenantSubjects(tenant)},
		Retention:          jetstream.LimitsPolicy,
		MaxConsumers:       -1,
		MaxMsgs:            -1,
		MaxBytes:           -1,
		MaxAge:             0,
		MaxMsgsPerSubject:  -1,
		MaxMsgSize:         -1,
		Discard:            jetstream.DiscardNew, // never reached: there are no limits
		Storage:            jetstream.FileStorage,
		Replicas:           replicas,
		Duplicates:         s.DuplicateWindow,
		DenyDelete:         true,
		DenyPurge:          true,
		AllowRollup:        false,
		AllowDirect:        true,
		AllowAtomicPublish: true,
		AllowMsgTTL:        false,
	}
}

// EnsureTenant implements domain.Log. An existing stream keeps its replicas and duplicate window,
// but gets the ledger's settings if it lacks one (deny delete and purge, no limits, atomic publish).
func (s *Store) EnsureTenant(ctx context.Context, tenant string) error {
	ctx, cancel := s.rpc(ctx)
	defer cancel()
	have, err := s.ensureStream(ctx, tenant, s.StreamConfig(tenant))
	if err != nil || have == nil || ledger(*have) {
		return err
	}
	fixed := *have
	fixed.DenyDelete, fixed.DenyPurge, fixed.AllowRollup = true, true, false
	fixed.AllowAtomicPublish, fixed.AllowDirect, fixed.AllowMsgTTL = true, true, false
	fixed.MaxMsgs, fixed.MaxBytes, fixed.MaxAge, fixed.MaxMsgsPerSubject = -1, -1, 0, -1
	js, err := s.jetStream()
	if err != nil {
		return err
	}
	if _, err := js.UpdateStream(ctx, fixed); err != nil {
		return fmt.Errorf("events: stream %s lacks the ledger's settings and cannot be updated: %w", have.Name, err)
	}
	return nil
}

// ensureStream creates the stream want of tenant if it does not exist, and returns nil; otherwise
// it returns the configuration the stream has, for the caller to check.
func (s *Store) ensureStream(ctx context.Context, tenant string, want jetstream.StreamConfig) (*jetstream.StreamConfig, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	js, err := s.jetStream()
	if err != nil {
		return nil, err
	}
	stream, err := js.Stream(ctx, want.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		_, err = js.CreateStream(ctx, want)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			stream, err = js.Stream(ctx, want.Name) // another process created it first
		} else if err == nil {
			return nil, nil
		}
	}
	if err != nil {
		return nil, mapError(tenant, err)
	}
	have := stream.CachedInfo().Config
	return &have, nil
}

// ledger reports whether a stream's configuration keeps every event for good.
func ledger(c jetstream.StreamConfig) bool {
	return c.DenyDelete && c.DenyPurge && !c.AllowRollup && c.AllowAtomicPublish && c.AllowDirect &&
		!c.AllowMsgTTL && c.MaxMsgs <= 0 && c.MaxBytes <= 0 && c.MaxAge == 0 && c.MaxMsgsPerSubject <= 0
}

// Append implements domain.Log. One event is one publish; several are one JetStream atomic batch,
// in which only the first event of each aggregate may carry an expectation (the server cannot check
// a later one against events of the same batch). It returns EINVALID for an event that cannot be
// stored or a batch larger than MaxBatch, ECONFLICT when an expectation fails or a batch holds a
// message id the log has seen, ENOTFOUND for a tenant without a log, EUNAVAILABLE when NATS cannot
// be reached or does not answer in time.
func (s *Store) Append(ctx context.Context, tenant string, appends []domain.Append) ([]domain.Appended, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	if s.Metrics == nil {
		return s.append(ctx, tenant, appends)
	}
	start := time.Now()
	acks, err := s.append(ctx, tenant, appends)
	s.Metrics.appended(tenant, len(appends), start, acks, err)
	return acks, err
}

func (s *Store) append(ctx context.Context, tenant string, appends []domain.Append) ([]domain.Appended, error) {
	maxBatch := s.MaxBatch
	if maxBatch <= 0 {
		maxBatch = DefaultMaxBatch
	}
	switch {
	case len(appends) == 0:
		return nil, domain.Errorf(domain.EINVALID, "Nothing to append.")
	case len(appends) > maxBatch:
		return nil, domain.Errorf(domain.EINVALID, "A decision of %d events is more than the log takes at once (%d).", len(appends), maxBatch)
	}
	js, err := s.jetStream()
	if err != nil {
		return nil, err
	}
	msgs := make([]*nats.Msg, len(appends))
	for i, a := range appends {
		if msgs[i], err = s.encode(tenant, a); err != nil {
			return nil, err
		}
	}
	ctx, cancel := s.rpc(ctx)
	defer cancel()
	if len(msgs) == 1 {
		return s.publish(ctx, js, tenant, msgs[0])
	}
	return s.publishBatch(ctx, js, tenant, msgs)
}

func (s *Store) encode(tenant string, a domain.Append) (*nats.Msg, error) {
	e := a.Event
	if e.Tenant == "" {
		e.Tenant = tenant
	} else if e.Tenant != tenant {
		return nil, domain.Invalid("tenant", "tenant", "Event %s belongs to tenant %q, not %q.", e.ID, e.Tenant, tenant)
	}
	if e.Time.IsZero() && s.Now != nil {
		e.Time = s.Now()
	}
	m, err := s.registry().EncodeMsg(e, a.MsgID)
	if err != nil {
		return nil, err
	}
	if a.MsgID != "" && !ValidMsgID(a.MsgID) {
		return nil, domain.Invalid("msg_id", "token", "Message id %q holds whitespace or control characters.", a.MsgID)
	}
	if a.Expect {
		m.Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(a.Expected, 10))
	}
	return m, nil
}

// ValidMsgID reports whether id can be a Nats-Msg-Id header value.
func ValidMsgID(id string) bool {
	for _, r := range id {
		if r < ' ' || r == 0x7f {
			return false
		}
	}
	return id != ""
}

func (s *Store) publish(ctx context.Context, js jetstream.JetStream, tenant string, m *nats.Msg) ([]domain.Appended, error) {
	ack, err := js.PublishMsg(ctx, m)
	if err != nil {
		err = s.publishError(ctx, tenant, err)
		if domain.ErrorCode(err) == domain.ECONFLICT && m.Header.Get(jetstream.ExpectedLastSubjSeqHeader) != "" {
			if ack, perr := probeDuplicate(ctx, js, m); perr == nil && ack.Duplicate {
				return []domain.Appended{{Seq: ack.Sequence, Duplicate: true}}, nil
			}
		}
		return nil, err
	}
	return []domain.Appended{{Seq: ack.Sequence, Duplicate: ack.Duplicate}}, nil
}

// probeDuplicate asks whether the message id of m is one the log has stored. The server checks an
// expected sequence before it looks for duplicates, so a retry whose first attempt was stored fails
// its (now stale) expectation instead of being answered as a duplicate. The probe drops that
// expectation and expects a last message id no stream has: the server answers a duplicate with
// the original sequence, and anything else with an error, storing nothing either way.
func probeDuplicate(ctx context.Context, js jetstream.JetStream, m *nats.Msg) (*jetstream.PubAck, error) {
	probe := &nats.Msg{Subject: m.Subject, Header: nats.Header{}, Data: m.Data}
	for k, v := range m.Header {
		probe.Header[k] = v
	}
	probe.Header.Del(jetstream.ExpectedLastSubjSeqHeader)
	probe.Header.Set(jetstream.ExpectedLastMsgIDHeader, "takt-probe-"+uuid.NewString())
	return js.PublishMsg(ctx, probe)
}

// batchAck is the server's answer to the commit of an atomic batch.
type batchAck struct {
	Error  *jetstream.APIError `json:"error,omitempty"`
	Stream string              `json:"stream"`
	Seq    uint64              `json:"seq"` // the batch's last sequence
	Batch  string              `json:"batch"`
	Count  int                 `json:"count"`
}

func (s *Store) publishBatch(ctx context.Context, js jetstream.JetStream, tenant string, msgs []*nats.Msg) ([]domain.Appended, error) {
	expects, ids := map[string]bool{}, map[string]bool{}
	for _, m := range msgs {
		if expects[m.Subject] && m.Header.Get(jetstream.ExpectedLastSubjSeqHeader) != "" {
			return nil, domain.Errorf(domain.EINVALID, "Only the first event of an aggregate in a decision can carry an expected sequence (%s).", m.Subject)
		}
		expects[m.Subject] = true
		id := m.Header.Get(jetstream.MsgIDHeader)
		if ids[id] {
			return nil, domain.Errorf(domain.EINVALID, "Message id %q occurs twice in one decision.", id)
		}
		ids[id] = true
	}

	batch := uuid.NewString()
	for i, m := range msgs {
		m.Header.Set(batchIDHeader, batch)
		m.Header.Set(batchSeqHeader, strconv.Itoa(i+1))
	}
	last := msgs[len(msgs)-1]
	last.Header.Set(batchCommitHeader, "1")
	// The server stages the batch in order on this connection and answers only the commit; a member
	// it refuses makes it drop the whole batch.
	for _, m := range msgs[:len(msgs)-1] {
		if err := s.Conn.PublishMsg(m); err != nil {
			return nil, s.publishError(ctx, tenant, err)
		}
	}
	resp, err := s.Conn.RequestMsgWithContext(ctx, last)
	if err != nil {
		return nil, s.publishError(ctx, tenant, err)
	}
	var ack batchAck
	if err := json.Unmarshal(resp.Data, &ack); err != nil {
		return nil, fmt.Errorf("events: invalid batch ack %q: %w", resp.Data, err)
	}
	if ack.Error != nil {
		return nil, mapError(tenant, ack.Error)
	}
	if ack.Batch != batch || ack.Count != len(msgs) || ack.Seq < uint64(len(msgs)) {
		return nil, fmt.Errorf("events: batch ack %q does not match batch %s of %d", resp.Data, batch, len(msgs))
	}
	// The server stores a batch contiguously, so its sequences end at the one the ack names.
	out := make([]domain.Appended, len(msgs))
	first := ack.Seq - uint64(len(msgs)) + 1
	for i := range out {
		out[i].Seq = first + uint64(i)
	}
	return out, nil
}

// publishError tells a tenant without a stream (nobody answers on its subjects) from a NATS that
// cannot be reached.
func (s *Store) publishError(ctx context.Context, tenant string, err error) error {
	if errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) {
		if js, jerr := s.jetStream(); jerr == nil {
			if _, serr := js.Stream(ctx, StreamName(tenant)); errors.Is(serr, jetstream.ErrStreamNotFound) {
				return mapError(tenant, serr)
			}
		}
		return domain.Errorf(domain.EUNAVAILABLE, "The log of tenant %s does not answer.", tenant)
	}
	return mapError(tenant, err)
}

// JetStream error codes that nats.go does not name.
const (
	errCodeBatchDuplicate    jetstream.ErrorCode = 10201 // atomic publish batch contains duplicate message id
	errCodeDuplicateInFlight jetstream.ErrorCode = 10158 // duplicate message id is in process
	errCodeBatchTooLarge     jetstream.ErrorCode = 10199
	errCodeBatchInflight     jetstream.ErrorCode = 10210 // too many batches in flight: retry
)

// mapError translates an error from NATS into the domain's codes.
func mapError(tenant string, err error) error {
	if err == nil {
		return nil
	}
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode {
		case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant:
			// 10164 is what replicated streams and batches answer for the same conflict.
			return domain.Errorf(domain.ECONFLICT, "An aggregate has changed since it was read (%s).", apiErr.Description)
		case errCodeBatchDuplicate, errCodeDuplicateInFlight:
			return domain.Errorf(domain.ECONFLICT, "The decision holds a duplicate: the log has already stored one of its message ids (%s).", apiErr.Description)
		case jetstream.JSErrCodeStreamNotFound:
			return domain.NotFound("tenant", "Tenant %s has no log.", tenant)
		case errCodeBatchTooLarge, jetstream.JSErrCodeStreamMessageExceedsMaximum:
			return domain.Errorf(domain.EINVALID, "The log refuses the decision: %s.", apiErr.Description)
		case errCodeBatchInflight, jetstream.JSErrCodeJetStreamNotEnabled, jetstream.JSErrCodeJetStreamNotEnabledForAccount:
			return domain.Errorf(domain.EUNAVAILABLE, "The log is unavailable: %s.", apiErr.Description)
		}
		return fmt.Errorf("events: tenant %s: %w", tenant, err)
	}
	for _, target := range []error{context.DeadlineExceeded, context.Canceled, nats.ErrTimeout,
		nats.ErrConnectionClosed, nats.ErrConnectionDraining, nats.ErrConnectionReconnecting,
		nats.ErrDisconnected, nats.ErrNoServers, nats.ErrNoResponders, jetstream.ErrNoStreamResponse,
		jetstream.ErrNoHeartbeat} {
		if errors.Is(err, target) {
			return domain.Errorf(domain.EUNAVAILABLE, "The log of tenant %s is unavailable: %v.", tenant, err)
		}
	}
	return fmt.Errorf("events: tenant %s: %w", tenant, err)
}

// Head implements domain.Log.
func (s *Store) Head(ctx context.Context, tenant string) (uint64, error) {
	stream, err := s.stream(ctx, tenant)
	if err != nil {
		return 0, err
	}
	return stream.CachedInfo().State.LastSeq, nil
}

func (s *Store) stream(ctx context.Context, tenant string) (jetstream.Stream, error) {
	if err := checkTenant(tenant); err != nil {
		return nil, err
	}
	js, err := s.jetStream()
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.rpc(ctx)
	defer cancel()
	stream, err := js.Stream(ctx, StreamName(tenant))
	if err != nil {
		return nil, mapError(tenant, err)
	}
	return stream, nil
}

// Read implements domain.Log. It reads with an ordered consumer in large pulls and stops as soon as
// it has passed the head it found when called, so it never waits for messages that are not there.
func (s *Store) Read(ctx context.Context, tenant string, from uint64, fn func(domain.Record) error) error {
	_, err := s.read(ctx, tenant, from, 0, false, fn)
	return err
}

// ReadRaw is Read without decoding: it passes each record with its sequence, subject, message id,
// storage time and body, and leaves Event and Err zero. Verifying a log needs no more, and JSON
// decoding is most of what reading costs.
func (s *Store) ReadRaw(ctx context.Context, tenant string, from uint64, fn func(domain.Record) error) error {
	_, err := s.ReadRange(ctx, tenant, from, 0, fn)
	return err
}

// ReadRange is ReadRaw up to sequence to (0: the head), pulling no more than that; it returns the
// head as it was when called.
func (s *Store) ReadRange(ctx context.Context, tenant string, from, to uint64, fn func(domain.Record) error) (uint64, error) {
	return s.read(ctx, tenant, from, to, true, fn)
}

func (s *Store) read(ctx context.Context, tenant string, from, to uint64, raw bool, fn func(domain.Record) error) (uint64, error) {
	stream, err := s.stream(ctx, tenant)
	if err != nil {
		return 0, err
	}
	from = max(from, 1)
	head := stream.CachedInfo().State.LastSeq
	end := head
	if to > 0 && to < end {
		end = to
	}
	if end < from {
		return head, nil
	}
	return head, s.consume(ctx, tenant, "", from, end, raw, fn)
}

// Follow calls fn with every record from sequence from on, in order, and then with each new one as
// it is stored, until ctx is done or fn returns an error, which it returns.
func (s *Store) Follow(ctx context.Context, tenant string, from uint64, fn func(domain.Record) error) error {
	if _, err := s.stream(ctx, tenant); err != nil {
		return err
	}
	err := s.consume(ctx, tenant, "", max(from, 1), 0, false, fn)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// Load implements domain.Log. It asks for the aggregate's last event first, so an aggregate with no
// events costs one request. Records that cannot be decoded are logged and set aside.
func (s *Store) Load(ctx context.Context, tenant string, ref domain.Ref) ([]domain.Event, error) {
	if err := checkRef(ref); err != nil {
		return nil, err
	}
	stream, err := s.stream(ctx, tenant)
	if err != nil {
		return nil, err
	}
	subject := Subject(tenant, ref)
	rctx, cancel := s.rpc(ctx)
	last, err := stream.GetLastMsgForSubject(rctx, subject)
	cancel()
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return []domain.Event{}, nil
	} else if err != nil {
		return nil, mapError(tenant, err)
	}
	events := []domain.Event{}
	err = s.consume(ctx, tenant, subject, 1, last.Sequence, false, func(r domain.Record) error {
		if r.Err != nil {
			s.logger().Warn("event set aside", "tenant", tenant, "seq", r.Seq, "subject", r.Subject, "err", r.Err)
			return nil
		}
		events = append(events, r.Event)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return events, nil
}

func (s *Store) logger() *slog.Logger {
	if s.Logger == nil {
		return slog.Default()
	}
	return s.Logger
}

// consume passes the records of the tenant's stream from sequence from, on filter when it is not
// empty, to fn until it has passed sequence head (0: until ctx is done). Raw records are not
// decoded: only their sequence, subject, storage time, message id and body are set.
func (s *Store) consume(ctx context.Context, tenant, filter string, from, head uint64, raw bool, fn func(domain.Record) error) error {
	js, err := s.jetStream()
	if err != nil {
		return err
	}
	cfg := jetstream.OrderedConsumerConfig{
		DeliverPolicy:    jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:      from,
		MaxResetAttempts: 5, // then report the log unavailable rather than hang
	}
	if filter != "" {
		cfg.FilterSubjects = []string{filter}
	}
	rctx, cancel := s.rpc(ctx)
	cons, err := js.OrderedConsumer(rctx, StreamName(tenant), cfg)
	cancel()
	if err != nil {
		return mapError(tenant, err)
	}
	batch := s.ReadBatch
	if batch <= 0 {
		batch = 1000
	}
	opts := []jetstream.PullMessagesOpt{jetstream.PullMaxMessages(batch)}
	if head > 0 && filter == "" && head-from+1 < uint64(batch) {
		// A short read: do not ask the server for more than there is.
		opts[0] = jetstream.PullMaxMessages(int(head - from + 1))
	}
	it, err := cons.Messages(opts...)
	if err != nil {
		return mapError(tenant, err)
	}
	defer func() {
		it.Stop()
		// An ordered consumer is ephemeral, but would linger on the server until its inactivity
		// threshold; remove it now.
		if info := cons.CachedInfo(); info != nil {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				_ = js.DeleteConsumer(ctx, StreamName(tenant), info.Name)
			}()
		}
	}()
	reg := s.registry()
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return mapError(tenant, err)
		}
		md, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("events: tenant %s: %w", tenant, err)
		}
		seq := md.Sequence.Stream
		var r domain.Record
		if raw {
			r = domain.Record{Seq: seq, Subject: m.Subject(), Stored: md.Timestamp, Data: m.Data()}
			if h := m.Headers(); h != nil {
				r.MsgID = h.Get(jetstream.MsgIDHeader)
			}
		} else {
			r = reg.DecodeMsg(m.Subject(), m.Headers(), m.Data(), seq, md.Timestamp)
		}
		if err := fn(r); err != nil {
			return err
		}
		if head > 0 && seq >= head {
			return nil
		}
	}
}
