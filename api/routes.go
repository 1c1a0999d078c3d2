package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/taktledger/takt/domain"
)

// Server serves the ledger over HTTP.
type Server struct {
	Recorder     domain.Recorder
	Logger       *slog.Logger
	MaxBodyBytes int64
}

// NewServer returns a Server for rec with a 1 MiB body limit.
func NewServer(rec domain.Recorder) *Server {
	return &Server{Recorder: rec, Logger: slog.Default(), MaxBodyBytes: 1 << 20}
}

// command is one command route: the command to decode into, and where its path ids go.
type command struct {
	path string
	new  func(r *http.Request) domain.Command
}

func id(r *http.Request) string { return r.PathValue("id") }

var commands = []command{
	{"/organs", func(r *http.Request) domain.Command { return &domain.RegisterOrgan{} }},
	{"/organs/{id}/rename", func(r *http.Request) domain.Command { return &domain.RenameOrgan{ID: id(r)} }},
	{"/organs/{id}/dissolve", func(r *http.Request) domain.Command { return &domain.DissolveOrgan{ID: id(r)} }},
	{"/periods", func(r *http.Request) domain.Command { return &domain.OpenPeriod{} }},
	{"/periods/{id}/close", func(r *http.Request) domain.Command { return &domain.ClosePeriod{ID: id(r)} }},
	{"/visions", func(r *http.Request) domain.Command { return &domain.AdoptVision{} }},
	{"/visions/{id}/revise", func(r *http.Request) domain.Command { return &domain.ReviseVision{ID: id(r)} }},
	{"/goals", func(r *http.Request) domain.Command { return &domain.AdoptGoal{} }},
	{"/goals/{id}/revise", func(r *http.Request) domain.Command { return &domain.ReviseGoal{ID: id(r)} }},
	{"/goals/{id}/relink", func(r *http.Request) domain.Command { return &domain.RelinkGoal{ID: id(r)} }},
	{"/goals/{id}/carry-forward", func(r *http.Request) domain.Command { return &domain.CarryForwardGoal{ID: id(r)} }},
	{"/goals/{id}/retire", func(r *http.Request) domain.Command { return &domain.RetireGoal{ID: id(r)} }},
	{"/goals/{id}/assess", func(r *http.Request) domain.Command { return &domain.AssessGoal{ID: id(r)} }},
	{"/indicators", func(r *http.Request) domain.Command { return &domain.DefineIndicator{} }},
	{"/indicators/{id}/targets", func(r *http.Request) domain.Command { return &domain.SetTarget{ID: id(r)} }},
	{"/indicators/{id}/values", func(r *http.Request) domain.Command { return &domain.ReportValue{ID: id(r)} }},
	{"/indicators/{id}/values/{value_id}/correct", func(r *http.Request) domain.Command {
		return &domain.CorrectValue{ID: id(r), Corrects: r.PathValue("value_id")}
	}},
	{"/indicators/{id}/method-change", func(r *http.Request) domain.Command { return &domain.ChangeMethod{ID: id(r)} }},
	{"/indicators/{id}/retire", func(r *http.Request) domain.Command { return &domain.RetireIndicator{ID: id(r)} }},
	{"/commitments", func(r *http.Request) domain.Command { return &domain.MakeCommitment{} }},
	{"/commitments/{id}/revise", func(r *http.Request) domain.Command { return &domain.ReviseCommitment{ID: id(r)} }},
	{"/commitments/{id}/progress", func(r *http.Request) domain.Command { return &domain.ReportProgress{ID: id(r)} }},
	{"/commitments/{id}/complete", func(r *http.Request) domain.Command { return &domain.CompleteCommitment{ID: id(r)} }},
	{"/commitments/{id}/cancel", func(r *http.Request) domain.Command { return &domain.CancelCommitment{ID: id(r)} }},
	{"/followups", func(r *http.Request) domain.Command { return &domain.AdoptFollowUp{} }},
}

// kinds maps the plural of a path to its aggregate kind.
var kinds = map[string]domain.Kind{"organs": domain.KindOrgan, "periods": domain.KindPeriod, "visions": domain.KindVision,
	"goals": domain.KindGoal, "indicators": domain.KindIndicator, "commitments": domain.KindCommitment, "followups": domain.KindFollowUp}

// Handler returns the routes.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	const tenant = "/v1/tenants/{tenant}"
	for _, c := range commands {
		mux.HandleFunc("POST "+tenant+c.path, s.record(c.new))
	}
	mux.HandleFunc("GET "+tenant+"/{kinds}/{id}/events", s.events)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.problem(w, r, domain.NotFound("path", "There is no %s %s.", r.Method, r.URL.Path))
	})
	spec := OpenAPI()
	mux.HandleFunc("GET /v1/openapi.yaml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(spec)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	return mux
}

// actor names who records a request. Until authentication exists it is what the client says.
func actor(r *http.Request) string {
	if a := r.Header.Get("X-Takt-Actor"); a != "" {
		return a
	}
	return "anonymous"
}

type receipt struct {
	ID     string                 `json:"id"`
	Kind   domain.Kind            `json:"kind"`
	ETag   uint64                 `json:"etag"`
	Events []domain.RecordedEvent `json:"events"`
}

func (s *Server) record(newCommand func(*http.Request) domain.Command) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req := domain.Request{Tenant: r.PathValue("tenant"), Actor: actor(r)}
		var err error
		if req.IfMatch, req.HasIfMatch, err = ifMatch(r); err != nil {
			s.problem(w, r, err)
			return
		}
		if req.IdempotencyKey, err = idempotencyKey(r); err != nil {
			s.problem(w, r, err)
			return
		}
		cmd := newCommand(r)
		if err := s.decode(w, r, cmd); err != nil {
			s.problem(w, r, err)
			return
		}
		req.Command = cmd
		rc, err := s.Recorder.Record(r.Context(), req)
		if err != nil {
			s.problem(w, r, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(rc.ETag, 10)))
		if rc.Duplicate {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		status := http.StatusOK
		if rc.Created {
			status = http.StatusCreated
			w.Header().Set("Location", "/v1/tenants/"+req.Tenant+"/"+string(rc.Target.Kind)+"s/"+rc.Target.ID)
		}
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(receipt{ID: rc.Target.ID, Kind: rc.Target.Kind, ETag: rc.ETag, Events: rc.Events})
	}
}

type eventView struct {
	ID        string         `json:"id"`
	Type      string         `json:"type"`
	Seq       uint64         `json:"seq"`
	Time      time.Time      `json:"time"`
	Effective domain.Date    `json:"effective,omitempty"`
	Period    string         `json:"period,omitempty"`
	Organ     string         `json:"organ,omitempty"`
	Actor     string         `json:"actor,omitempty"`
	Data      domain.Payload `json:"data"`
}

// events serves one aggregate's events, the raw record of every decision about it.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	kind, ok := kinds[r.PathValue("kinds")]
	if !ok {
		s.problem(w, r, domain.NotFound("kind", "There is no aggregate kind %q.", r.PathValue("kinds")))
		return
	}
	evs, version, err := s.Recorder.Events(r.Context(), r.PathValue("tenant"), domain.Ref{Kind: kind, ID: r.PathValue("id")})
	if err != nil {
		s.problem(w, r, err)
		return
	}
	out := struct {
		ETag   uint64      `json:"etag"`
		Events []eventView `json:"events"`
	}{ETag: version}
	for _, e := range evs {
		out.Events = append(out.Events, eventView{ID: e.ID, Type: e.Type, Seq: e.Seq, Time: e.Time, Effective: e.Effective,
			Period: e.Period, Organ: e.Organ, Actor: e.Actor, Data: e.Data})
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("ETag", strconv.Quote(strconv.FormatUint(version, 10)))
	json.NewEncoder(w).Encode(out)
}
