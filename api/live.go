package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/taktledger/takt/domain"
)

// The live streams (DESIGN §6): a tenant's events, and the projection's updates, as server-sent
// events. Every message's id is its stream sequence, so a client that reconnects with
// Last-Event-ID misses nothing and sees nothing twice. Each client follows the log on its own and
// is given a bounded buffer; a client that lets it fill is dropped, so it never holds up the
// others, the projector or the ledger.

// Defaults of the live streams; Server's fields override them.
const (
	defaultHeartbeat  = 15 * time.Second
	defaultLiveBuffer = 256
	// defaultLivePerCredential is how many streams one credential may hold open at once.
	defaultLivePerCredential = 16
	// liveWriteWait bounds one write to a client; a client that takes longer is gone.
	liveWriteWait = 30 * time.Second
)

// liveState is what a Server keeps about its open streams.
type liveState struct {
	mu      sync.Mutex
	closing chan struct{}
	closed  bool
	dropped atomic.Uint64
	open    atomic.Int64
	held    map[string]int // open streams by credential
}

// admit counts one more open stream of credential id, unless it holds max already.
func (l *liveState) admit(id string, max int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held == nil {
		l.held = map[string]int{}
	}
	if l.held[id] >= max {
		return false
	}
	l.held[id]++
	return true
}

func (l *liveState) release(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held[id]--; l.held[id] <= 0 {
		delete(l.held, id)
	}
}

func (l *liveState) done() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing == nil {
		l.closing = make(chan struct{})
	}
	return l.closing
}

// CloseStreams ends every open live stream and refuses new ones, so that http.Server.Shutdown need
// not wait for them: register it with RegisterOnShutdown.
func (s *Server) CloseStreams() {
	s.live.done()
	s.live.mu.Lock()
	defer s.live.mu.Unlock()
	if !s.live.closed {
		s.live.closed = true
		close(s.live.closing)
	}
}

// StreamsDropped returns how many live-stream clients have been dropped for reading too slowly.
func (s *Server) StreamsDropped() uint64 { return s.live.dropped.Load() }

// StreamsOpen returns how many live streams are open.
func (s *Server) StreamsOpen() int64 { return s.live.open.Load() }

// streamParams are the query parameters of both streams.
var streamParams = []param{
	{name: "from", typ: "integer", desc: "The first stream sequence to send (default 1: the whole log). A Last-Event-ID header, the last sequence received, takes precedence."},
	{name: "kind", typ: "string", desc: "Only events of these aggregate kinds, comma-separated, plural or singular (goals, goal)."},
	{name: "organ", typ: "string", desc: "Only events decided or reported by these organs, comma-separated."},
}

// streamFilter is what a client asked a stream for.
type streamFilter struct {
	from   uint64
	kinds  []domain.Kind
	organs []string
}

func (f streamFilter) match(e domain.Event) bool {
	return (len(f.kinds) == 0 || slices.Contains(f.kinds, e.Aggregate.Kind)) &&
		(len(f.organs) == 0 || slices.Contains(f.organs, e.Organ))
}

// readStreamFilter reads the parameters and Last-Event-ID, refusing unknown parameters.
func readStreamFilter(r *http.Request) (streamFilter, error) {
	f := streamFilter{from: 1}
	values := r.URL.Query()
	if err := knownParams(values, streamParams); err != nil {
		return f, err
	}
	if v := values.Get("from"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return f, domain.Invalid("from", "integer", "from %q is not a stream sequence.", v)
		}
		f.from = max(n, 1)
	}
	if v := strings.TrimSpace(r.Header.Get("Last-Event-ID")); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return f, domain.Invalid("Last-Event-ID", "integer", "Last-Event-ID %q is not a stream sequence.", v)
		}
		f.from = n + 1
	}
	for _, k := range list(values.Get("kind")) {
		kind, ok := kinds[k]
		if !ok && slices.Contains(domain.Kinds, domain.Kind(k)) {
			kind, ok = domain.Kind(k), true
		}
		if !ok {
			return f, domain.Invalid("kind", "enum", "kind %q is not an aggregate kind.", k)
		}
		f.kinds = append(f.kinds, kind)
	}
	f.organs = list(values.Get("organ"))
	return f, nil
}

// list splits a comma-separated parameter, dropping empty items.
func list(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// updateView is one message of /live: the projection has applied this event.
type updateView struct {
	Seq       uint64      `json:"seq"`
	Type      string      `json:"type"`
	Kind      domain.Kind `json:"kind"`
	ID        string      `json:"id"`
	Organ     string      `json:"organ,omitempty"`
	Period    string      `json:"period,omitempty"`
	Effective domain.Date `json:"effective,omitempty"`
}

// message is one server-sent event, rendered.
type message struct {
	seq   uint64
	event string // empty: the default, "message"
	data  []byte
}

var errSlow = errors.New("the client reads too slowly")

// progress is how /live learns that the projection has applied an event: the Queries themselves
// when they can say so, and otherwise a read with min_seq.
func (s *Server) progress() domain.ProjectionProgress {
	if p, ok := s.Queries.(domain.ProjectionProgress); ok {
		return p
	}
	if s.Queries == nil {
		return nil
	}
	return minSeqProgress{s.Queries}
}

type minSeqProgress struct{ q domain.Queries }

func (m minSeqProgress) WaitFor(ctx context.Context, tenant string, seq uint64) error {
	_, err := m.q.Periods(ctx, tenant, domain.ReadOptions{MinSeq: seq})
	return err
}

// stream serves /events (projected false) or /live (projected true).
func (s *Server) stream(projected bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tenant := r.PathValue("tenant")
		if err := s.knownTenant(tenant); err != nil {
			s.problem(w, r, err)
			return
		}
		f, err := readStreamFilter(r)
		if err != nil {
			s.problem(w, r, err)
			return
		}
		var progress domain.ProjectionProgress
		if projected {
			if progress = s.progress(); progress == nil {
				s.problem(w, r, domain.Errorf(domain.EUNAVAILABLE, "This server keeps no read models."))
				return
			}
		}
		if s.Log == nil {
			s.problem(w, r, domain.Errorf(domain.EUNAVAILABLE, "This server follows no log."))
			return
		}
		closing := s.live.done()
		select {
		case <-closing:
			s.problem(w, r, domain.Errorf(domain.EUNAVAILABLE, "The server is shutting down."))
			return
		default:
		}
		if p := principalOf(r.Context()); p != nil {
			limit := s.LivePerCredential
			if limit <= 0 {
				limit = defaultLivePerCredential
			}
			if !s.live.admit(p.ID, limit) {
				s.problem(w, r, &domain.Error{Code: domain.ELIMIT, Field: "Authorization", Rule: "streams",
					Message: fmt.Sprintf("This credential holds %d live streams open already; close one first.", limit)})
				return
			}
			defer s.live.release(p.ID)
		}
		s.live.open.Add(1)
		defer s.live.open.Add(-1)
		defer s.Metrics.liveClient()()

		rc := http.NewResponseController(w)
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no") // tell a proxy not to buffer the stream
		w.WriteHeader(http.StatusOK)
		// A dropped client's write in progress is cut short by a deadline in the past, and no
		// later write may set a new one: the lock orders the two.
		var deadline sync.Mutex
		dropped := false
		drop := func() {
			deadline.Lock()
			defer deadline.Unlock()
			dropped = true
			rc.SetWriteDeadline(time.Now())
		}
		defer func() {
			// A connection that is not dropped may serve another request: no deadline left behind.
			deadline.Lock()
			if !dropped {
				rc.SetWriteDeadline(time.Time{})
			}
			deadline.Unlock()
		}()
		write := func(b []byte) error {
			deadline.Lock()
			if dropped {
				deadline.Unlock()
				return errSlow
			}
			rc.SetWriteDeadline(time.Now().Add(liveWriteWait))
			deadline.Unlock()
			if _, err := w.Write(b); err != nil {
				return err
			}
			return rc.Flush()
		}
		if write([]byte("retry: 2000\n: takt "+tenant+" from "+strconv.FormatUint(f.from, 10)+"\n\n")) != nil {
			return
		}

		ctx, cancel := context.WithCancelCause(r.Context())
		defer cancel(nil)
		buffer := s.LiveBuffer
		if buffer <= 0 {
			buffer = defaultLiveBuffer
		}
		msgs := make(chan message, buffer)
		var scanned atomic.Uint64 // the last sequence Follow has passed, matched or not
		followed := make(chan error, 1)
		go func() {
			followed <- s.Log.Follow(ctx, tenant, f.from, func(rec domain.Record) error {
				if rec.Err == nil && f.match(rec.Event) {
					m, err := render(ctx, rec.Event, tenant, progress)
					if err != nil {
						return err
					}
					select {
					case msgs <- m:
					default:
						drop()
						return errSlow
					}
				}
				scanned.Store(rec.Seq)
				return nil
			})
		}()
		defer func() {
			cancel(nil)
			if err := <-followed; errors.Is(err, errSlow) {
				s.live.dropped.Add(1)
				s.Metrics.liveDropped()
				s.Logger.InfoContext(r.Context(), "live stream dropped: the client reads too slowly",
					"tenant", tenant, "path", r.URL.Path, "buffer", buffer)
			}
		}()

		beat := s.Heartbeat
		if beat <= 0 {
			beat = defaultHeartbeat
		}
		ticker := time.NewTicker(beat)
		defer ticker.Stop()
		var sent uint64 // the last id the client has been given
		var buf []byte
		for {
			select {
			case m := <-msgs:
				buf = appendMessage(buf[:0], m)
				if write(buf) != nil {
					return
				}
				sent = m.seq
			case <-ticker.C:
				if !s.stillValid(r) {
					return // the token was revoked or has expired: the client's reconnection gets the 401
				}
				buf = append(buf[:0], ": heartbeat\n\n"...)
				// Events filtered out still move the client on: an id without data updates its
				// Last-Event-ID and dispatches nothing. Only when nothing matched is waiting, so
				// that the id never passes an event not yet sent.
				if at := scanned.Load(); at > sent && len(msgs) == 0 {
					buf = append(buf, "id: "...)
					buf = strconv.AppendUint(buf, at, 10)
					buf = append(buf, "\n\n"...)
					sent = at
				}
				if write(buf) != nil {
					return
				}
			case err := <-followed:
				// Follow ended by itself: its error is the client's to see as a closed stream, and
				// ours to log when it is not a slow client.
				followed <- err
				if !errors.Is(err, errSlow) && ctx.Err() == nil && err != nil {
					s.Logger.WarnContext(r.Context(), "live stream: the log failed", "tenant", tenant, "err", err)
				}
				return
			case <-ctx.Done():
				return
			case <-closing:
				return
			}
		}
	}
}

// render makes the message for one event: the event itself on /events, and on /live (progress set)
// a summary sent once the projection has applied it, so that a read with min_seq=id sees it.
func render(ctx context.Context, e domain.Event, tenant string, progress domain.ProjectionProgress) (message, error) {
	if progress == nil {
		data, err := json.Marshal(eventView{ID: e.ID, Type: e.Type, Seq: e.Seq, Time: e.Time, Effective: e.Effective,
			Period: e.Period, Actor: e.Actor, Organ: e.Organ, Data: e.Data})
		return message{seq: e.Seq, event: e.Type, data: data}, err
	}
	for {
		err := progress.WaitFor(ctx, tenant, e.Seq)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return message{}, ctx.Err()
		}
		if domain.ErrorCode(err) != domain.EUNAVAILABLE {
			return message{}, err
		}
		// The projection is behind, or catching up: keep waiting.
	}
	data, err := json.Marshal(updateView{Seq: e.Seq, Type: e.Type, Kind: e.Aggregate.Kind, ID: e.Aggregate.ID,
		Organ: e.Organ, Period: e.Period, Effective: e.Effective})
	return message{seq: e.Seq, data: data}, err
}

// appendMessage renders m in the text/event-stream format. Its data is one line of JSON.
func appendMessage(b []byte, m message) []byte {
	b = append(b, "id: "...)
	b = strconv.AppendUint(b, m.seq, 10)
	b = append(b, '\n')
	if m.event != "" {
		b = append(b, "event: "...)
		b = append(b, m.event...)
		b = append(b, '\n')
	}
	b = append(b, "data: "...)
	b = append(b, m.data...)
	return append(b, "\n\n"...)
}
