package domain

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
)

// Ledger records commands: it keeps each tenant's state current from the Log, checks If-Match and
// idempotency keys, decides, and appends the resulting events as one decision. It implements
// Recorder.
//
// The state it decides against is kept in memory and updated with every event it appends, so the
// hot path reads nothing from the log. Correctness does not rest on that cache: every event is
// appended with the expected sequence of its aggregate, so a decision taken on a stale view is
// refused by the log, never stored. Commands on one aggregate are serialised within the process,
// so they do not race each other into conflicts; across processes the log decides.
type Ledger struct {
	Log     Log
	NewID   func() string
	Tenants []string
	Now     func() time.Time
	Logger  *slog.Logger

	// Retries is how often a command without If-Match is decided again after another writer won
	// the race for its aggregate. A command with If-Match is never retried: the caller asked to
	// fail if the aggregate moved.
	Retries int

	mu      sync.Mutex
	tenants map[string]*tenantState
}

var _ Recorder = (*Ledger)(nil)

// NewLedger returns a Ledger over log that names new aggregates and events with newID.
func NewLedger(log Log, newID func() string) *Ledger {
	return &Ledger{Log: log, NewID: newID, Now: time.Now, Logger: slog.Default(), Retries: 3,
		tenants: map[string]*tenantState{}}
}

type tenantState struct {
	mu        sync.RWMutex // guards everything below
	state     *State
	keys      map[string]*Receipt // idempotency key → the first answer
	watermark uint64              // every record up to here has been read from the log
	skipped   int                 // records that could not be decoded

	lmu   sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	n int // holders and waiters
}

// lock serialises work on one name (an aggregate or an idempotency key) within the process.
func (t *tenantState) lock(name string) func() {
	t.lmu.Lock()
	l := t.locks[name]
	if l == nil {
		l = &keyLock{}
		t.locks[name] = l
	}
	l.n++
	t.lmu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		t.lmu.Lock()
		if l.n--; l.n == 0 {
			delete(t.locks, name)
		}
		t.lmu.Unlock()
	}
}

// Open ensures every tenant's log exists and loads each tenant's state from it.
func (l *Ledger) Open(ctx context.Context) error {
	for _, tenant := range l.Tenants {
		if err := l.Log.EnsureTenant(ctx, tenant); err != nil {
			return fmt.Errorf("tenant %s: %w", tenant, err)
		}
		ts := &tenantState{state: NewState(), keys: map[string]*Receipt{}, locks: map[string]*keyLock{}}
		ts.mu.Lock()
		err := l.catchUp(ctx, tenant, ts)
		ts.mu.Unlock()
		if err != nil {
			return fmt.Errorf("tenant %s: %w", tenant, err)
		}
		l.Logger.Info("tenant loaded", "tenant", tenant, "seq", ts.watermark, "skipped", ts.skipped)
		l.mu.Lock()
		l.tenants[tenant] = ts
		l.mu.Unlock()
	}
	return nil
}

// Serves implements Recorder.
func (l *Ledger) Serves(tenant string) bool {
	_, err := l.tenant(tenant)
	return err == nil
}

func (l *Ledger) tenant(id string) (*tenantState, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts, ok := l.tenants[id]
	if !ok {
		return nil, NotFound("tenant", "Tenant %s is not served here.", id)
	}
	return ts, nil
}

// catchUp reads the log from the watermark on and applies what it finds. The caller holds ts.mu.
func (l *Ledger) catchUp(ctx context.Context, tenant string, ts *tenantState) error {
	return l.Log.Read(ctx, tenant, ts.watermark+1, func(r Record) error {
		ts.watermark = r.Seq
		if r.Err != nil {
			ts.skipped++
			l.Logger.Warn("event set aside", "tenant", tenant, "seq", r.Seq, "subject", r.Subject, "err", r.Err)
			return nil
		}
		r.Event.Seq = r.Seq
		ts.state.Apply(r.Event)
		ts.remember(r.MsgID, r.Event)
		return nil
	})
}

// remember rebuilds the idempotency index from the log: an event stored under a message id that is
// not its own id was stored under a client's key, as key#n for the n-th event of the decision.
func (t *tenantState) remember(msgID string, e Event) {
	if msgID == "" || msgID == e.ID {
		return
	}
	i := strings.LastIndexByte(msgID, '#')
	if i < 0 {
		return
	}
	key, n := msgID[:i], msgID[i+1:]
	n, fp, _ := strings.Cut(n, ".")
	r := t.keys[key]
	if r == nil || n == "0" {
		r = &Receipt{Target: e.Aggregate, Created: creates[e.Type], fingerprint: fp}
		t.keys[key] = r
	}
	r.Events = append(r.Events, recorded(e))
	if e.Aggregate == r.Target {
		r.ETag = e.Seq
	}
}

// creates lists the event types that bring an aggregate into being.
var creates = map[string]bool{"organ.registered": true, "period.opened": true, "vision.adopted": true,
	"goal.adopted": true, "indicator.defined": true, "commitment.made": true, "followup.adopted": true}

func recorded(e Event) RecordedEvent {
	return RecordedEvent{ID: e.ID, Type: e.Type, Aggregate: e.Aggregate, Subject: e.Aggregate.String(), Seq: e.Seq}
}

// Record implements Recorder.
func (l *Ledger) Record(ctx context.Context, req Request) (*Receipt, error) {
	ts, err := l.tenant(req.Tenant)
	if err != nil {
		return nil, err
	}
	if err := req.Command.Validate(); err != nil {
		return nil, err
	}
	if req.Principal != nil && req.Principal.Tenant != req.Tenant {
		return nil, Forbidden("tenant", "tenant", "%s is of tenant %s, not %s.", req.Principal, req.Principal.Tenant, req.Tenant)
	}
	if req.IdempotencyKey != "" && req.Principal != nil {
		// Each principal's keys are its own: a key another credential used is not its answer.
		req.IdempotencyKey = req.Principal.ID + "/" + req.IdempotencyKey
	}
	fp := ""
	if req.IdempotencyKey != "" {
		fp = fingerprint(req.Command)
		defer ts.lock("key:" + req.IdempotencyKey)()
		if r, err := ts.replay(req.IdempotencyKey, fp); r != nil || err != nil {
			return r, err
		}
	}
	if target := req.Command.Target(); target.ID != "" {
		defer ts.lock(target.String())()
	}
	for attempt := 0; ; attempt++ {
		r, err := l.record(ctx, ts, req, fp)
		if ErrorCode(err) != ECONFLICT || req.HasIfMatch || attempt >= l.Retries || !fromLog(err) {
			return r, err
		}
		// Another writer appended to the aggregate: read what it wrote and decide again.
		ts.mu.Lock()
		err = l.catchUp(ctx, req.Tenant, ts)
		ts.mu.Unlock()
		if err != nil {
			return nil, err
		}
		// The winner may have been this very request, stored before its answer was lost.
		if req.IdempotencyKey != "" {
			if r, err := ts.replay(req.IdempotencyKey, fp); r != nil || err != nil {
				return r, err
			}
		}
	}
}

// replay returns the first answer to the request stored under key, or ERULE when that request was
// another one than fp's (the IETF idempotency-key draft's 422): a reused key does not return
// someone else's answer as if it were this request's.
func (t *tenantState) replay(key, fp string) (*Receipt, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	r := t.keys[key]
	if r == nil {
		return nil, nil
	}
	if r.fingerprint != "" && fp != "" && r.fingerprint != fp {
		return nil, Violation("Idempotency-Key", "key_reused", "This Idempotency-Key was used for another request, which the ledger recorded; use a new key for a new request.")
	}
	c := *r
	c.Events = slices.Clone(r.Events)
	c.Duplicate = true
	return &c, nil
}

// fingerprint identifies a request's command: its type, target and content. It is stored with an
// idempotency key (in the events' message ids), so that it survives a restart.
func fingerprint(c Command) string {
	b, _ := json.Marshal(c)
	h := sha256.New()
	fmt.Fprintf(h, "%T\n%s\n", c, c.Target())
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// errStale marks a conflict the log reported, as opposed to one Decide found in the state.
type errStale struct{ err *Error }

func (e errStale) Error() string { return e.err.Error() }
func (e errStale) Unwrap() error { return e.err }

func fromLog(err error) bool {
	_, ok := err.(errStale)
	return ok
}

func (l *Ledger) record(ctx context.Context, ts *tenantState, req Request, fp string) (*Receipt, error) {
	target := req.Command.Target()
	if req.HasIfMatch && target.ID != "" && l.version(ts, target) != req.IfMatch {
		// The cache may be behind another writer; look at the log before refusing.
		ts.mu.Lock()
		err := l.catchUp(ctx, req.Tenant, ts)
		ts.mu.Unlock()
		if err != nil {
			return nil, err
		}
		if v := l.version(ts, target); v != req.IfMatch {
			return nil, &Error{Code: ECONFLICT, Field: "If-Match", Rule: "if_match",
				Message: fmt.Sprintf("%s is at sequence %d, not %d: it has changed since it was read.", target, v, req.IfMatch)}
		}
	}

	ts.mu.RLock()
	actor := req.Actor
	if req.Principal != nil {
		actor = req.Principal.Name
	}
	env := Env{Tenant: req.Tenant, Actor: actor, Now: l.Now().UTC(), NewID: l.NewID}
	events, err := Decide(ts.state, req.Command, env)
	if err == nil {
		err = Authorize(ts.state, req.Principal, events)
	}
	var appends []Append
	if err == nil {
		appends = expectations(ts.state, events, req.IdempotencyKey, fp)
	}
	ts.mu.RUnlock()
	if err != nil {
		return nil, err
	}
	if req.HasIfMatch && target.ID == "" && req.IfMatch != 0 {
		return nil, &Error{Code: ECONFLICT, Field: "If-Match", Rule: "if_match", Message: "A new aggregate has no version but 0."}
	}

	acks, err := l.Log.Append(ctx, req.Tenant, appends)
	if err != nil {
		var e *Error
		if ErrorCode(err) == ECONFLICT && errors.As(err, &e) {
			return nil, errStale{e}
		}
		return nil, err
	}
	if acks[0].Duplicate {
		// The log had this key already, written by another process: answer what it wrote.
		ts.mu.Lock()
		err := l.catchUp(ctx, req.Tenant, ts)
		ts.mu.Unlock()
		if err != nil {
			return nil, err
		}
		if r, err := ts.replay(req.IdempotencyKey, ""); r != nil || err != nil {
			return r, err
		}
		return nil, Errorf(EINTERNAL, "log reported a duplicate for key %q that it does not hold", req.IdempotencyKey)
	}

	receipt := &Receipt{Target: events[0].Aggregate, Created: creates[events[0].Type]}
	receipt.fingerprint = fp
	ts.mu.Lock()
	for i := range events {
		events[i].Seq = acks[i].Seq
		ts.state.Apply(events[i])
		receipt.Events = append(receipt.Events, recorded(events[i]))
		if events[i].Aggregate == receipt.Target {
			receipt.ETag = events[i].Seq
		}
	}
	if req.IdempotencyKey != "" {
		ts.keys[req.IdempotencyKey] = receipt
	}
	ts.mu.Unlock()
	c := *receipt
	c.Events = slices.Clone(receipt.Events)
	return &c, nil
}

// expectations pairs each event with the version its aggregate must still be at: the first event of
// each aggregate carries the check, later ones in the same decision follow it in the same batch.
func expectations(s *State, events []Event, key, fp string) []Append {
	appends := make([]Append, len(events))
	seen := map[Ref]bool{}
	for i, e := range events {
		a := Append{Event: e}
		if !seen[e.Aggregate] {
			seen[e.Aggregate] = true
			a.Expect, a.Expected = true, s.Version(e.Aggregate)
		}
		if key != "" {
			a.MsgID = fmt.Sprintf("%s#%d.%s", key, i, fp)
		}
		appends[i] = a
	}
	return appends
}

func (l *Ledger) version(ts *tenantState, r Ref) uint64 {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	return ts.state.Version(r)
}

// Events implements Recorder.
func (l *Ledger) Events(ctx context.Context, tenant string, ref Ref) ([]Event, uint64, error) {
	if _, err := l.tenant(tenant); err != nil {
		return nil, 0, err
	}
	events, err := l.Log.Load(ctx, tenant, ref)
	if err != nil {
		return nil, 0, err
	}
	if len(events) == 0 {
		return nil, 0, NotFound("id", "%s does not exist.", ref)
	}
	return events, events[len(events)-1].Seq, nil
}
