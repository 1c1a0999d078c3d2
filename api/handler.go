package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/taktledger/takt/domain"
)

// receipt is the answer to a recorded command.
type receipt struct {
	ID     string                 `json:"id"`
	Kind   domain.Kind            `json:"kind"`
	ETag   uint64                 `json:"etag"`
	Events []domain.RecordedEvent `json:"events"`
}

// record handles one command route. Everything that can be checked without the ledger is checked
// first, so that malformed input never reaches it.
func (s *Server) record(newCommand func(*http.Request) domain.Command) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cmd := newCommand(r)
		var rc *domain.Receipt
		req, err := s.request(r)
		defer func() { s.decided(req.Tenant, cmd, rc, err) }()
		if err != nil {
			s.problem(w, r, err)
			return
		}
		if err = s.decode(w, r, cmd); err != nil {
			s.problem(w, r, err)
			return
		}
		if err = cmd.Validate(); err != nil {
			s.problem(w, r, err)
			return
		}
		req.Command = cmd
		rc, err = s.Recorder.Record(r.Context(), req)
		if err != nil {
			s.problem(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("ETag", etag(rc.ETag))
		if rc.Duplicate {
			h.Set("Idempotent-Replayed", "true")
		}
		status := http.StatusOK
		if rc.Created {
			status = http.StatusCreated
			h.Set("Location", "/v1/tenants/"+url.PathEscape(req.Tenant)+"/"+plural(rc.Target.Kind)+"/"+url.PathEscape(rc.Target.ID))
		}
		events := rc.Events
		if events == nil {
			events = []domain.RecordedEvent{}
		}
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(receipt{ID: rc.Target.ID, Kind: rc.Target.Kind, ETag: rc.ETag, Events: events})
	}
}

// request reads what the path and the headers say about a command: tenant, If-Match and
// Idempotency-Key. Who records it is the authenticated principal, never what the request says.
func (s *Server) request(r *http.Request) (domain.Request, error) {
	req := domain.Request{Tenant: r.PathValue("tenant"), Principal: principalOf(r.Context()), Actor: "anonymous"}
	var err error
	if err = s.knownTenant(req.Tenant); err != nil {
		return req, err
	}
	if req.IfMatch, req.HasIfMatch, err = ifMatch(r.Header.Get("If-Match")); err != nil {
		return req, err
	}
	if req.IdempotencyKey, err = idempotencyKey(r.Header.Get("Idempotency-Key")); err != nil {
		return req, err
	}
	return req, nil
}

// knownTenant answers 404 for a tenant the ledger does not serve before the body is read: the
// resource does not exist, whatever the body says.
func (s *Server) knownTenant(tenant string) error {
	if !s.Recorder.Serves(tenant) {
		return domain.NotFound("tenant", "Tenant %s is not served here.", tenant)
	}
	return nil
}

// ifMatch reads If-Match: a strong ETag ("12") or the bare sequence (12). Weak ETags, lists and *
// are refused: the ledger compares one exact version.
func ifMatch(v string) (seq uint64, ok bool, err error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false, nil
	}
	digits := v
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		digits = v[1 : len(v)-1]
	}
	if digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, false, domain.Invalid("If-Match", "etag", `If-Match must be the aggregate's ETag, a stream sequence like "12".`)
	}
	seq, perr := strconv.ParseUint(digits, 10, 64)
	if perr != nil {
		return 0, false, domain.Invalid("If-Match", "etag", "If-Match %s is out of range.", v)
	}
	return seq, true, nil
}

func etag(seq uint64) string { return `"` + strconv.FormatUint(seq, 10) + `"` }

// idempotencyKey reads Idempotency-Key: printable ASCII without spaces, at most 200 characters,
// because it becomes part of the log's de-duplication id.
func idempotencyKey(k string) (string, error) {
	if len(k) > 200 {
		return "", domain.Invalid("Idempotency-Key", "max_length", "Idempotency-Key is longer than 200 characters.")
	}
	if !printable(k) {
		return "", domain.Invalid("Idempotency-Key", "printable", "Idempotency-Key must be printable ASCII without spaces.")
	}
	return k, nil
}

// printable reports whether s is visible ASCII.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e {
			return false
		}
	}
	return true
}

// eventView is one event as the events route shows it.
type eventView struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Seq       uint64         `json:"seq"`
	Time      time.Time      `json:"time"`
	Effective domain.Date    `json:"effective,omitempty"`
	Period    string         `json:"period,omitempty"`
	Actor     string         `json:"actor,omitempty"`
	Organ     string         `json:"organ,omitempty"`
	Data      domain.Payload `json:"data"`
}

// events serves one aggregate's events: the raw record of every decision about it, until the
// projections serve reads.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if err := s.knownTenant(tenant); err != nil {
		s.problem(w, r, err)
		return
	}
	kind, ok := kinds[r.PathValue("kinds")]
	if !ok {
		s.problem(w, r, domain.NotFound("kind", "There is no aggregate kind %q.", r.PathValue("kinds")))
		return
	}
	evs, version, err := s.Recorder.Events(r.Context(), tenant, domain.Ref{Kind: kind, ID: r.PathValue("id")})
	if err != nil {
		s.problem(w, r, err)
		return
	}
	out := struct {
		ETag   uint64      `json:"etag"`
		Events []eventView `json:"events"`
	}{ETag: version, Events: make([]eventView, 0, len(evs))}
	for _, e := range evs {
		out.Events = append(out.Events, eventView{ID: e.ID, Type: e.Type, Seq: e.Seq, Time: e.Time, Effective: e.Effective,
			Period: e.Period, Actor: e.Actor, Organ: e.Organ, Data: e.Data})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("ETag", etag(version))
	json.NewEncoder(w).Encode(out)
}
