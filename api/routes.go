package api

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/web"
)

// Server serves the ledger over HTTP. Set its fields, then serve Handler.
type Server struct {
	Recorder domain.Recorder
	// Queries answers the reads; without it the query routes answer 503.
	Queries domain.Queries
	// Proofs serves checkpoints and Merkle proofs; without it their routes do not exist.
	Proofs Proofs
	Logger *slog.Logger
	// MaxBodyBytes caps a command's body; a larger one is refused before it is decoded.
	MaxBodyBytes int64
	// Log is followed by the live streams (/events, /live); without it they answer 503.
	Log domain.Follower
	// Heartbeat is how often a live stream sends a comment when nothing else (default 15 s), and
	// LiveBuffer how many messages a client may fall behind before it is dropped (default 256).
	Heartbeat  time.Duration
	LiveBuffer int
	// LivePerCredential is how many live streams one credential may hold open (default 16); a
	// credential's streams end at the first heartbeat after it is revoked or expires.
	LivePerCredential int
	// Metrics measures requests and decisions and serves /metrics; without it there is no /metrics.
	Metrics *Metrics
	// Readiness makes the checks of /readyz; without it /readyz answers as /healthz does.
	Readiness Readiness
	// Auth tells who sends a request from its bearer token. Without it no one is asked for a
	// credential and every request is served as the process's own: takt serve --open, on loopback.
	Auth Authenticator
	// Tokens lets a tenant's admins manage its tokens over HTTP; without it those routes do not exist.
	Tokens TokenAdmin
	// RateLimit is how many requests a second one credential may send, RateBurst how many at once
	// (defaults 50 and 200); a negative RateLimit turns the limit off.
	RateLimit float64
	RateBurst int
	// RequestTimeout bounds the answer to one request, live streams aside (default 60 s).
	RequestTimeout time.Duration
	// LoopbackOnly answers only requests whose Host names the loopback (localhost, 127.0.0.1, [::1]),
	// so that a web page whose name resolves to the loopback cannot reach a server that asks for no
	// credential (DNS rebinding). takt serve --open sets it.
	LoopbackOnly bool

	live   liveState
	limits limits
}

// NewServer returns a Server for rec with a 1 MiB body limit.
func NewServer(rec domain.Recorder) *Server {
	return &Server{Recorder: rec, Logger: slog.Default(), MaxBodyBytes: 1 << 20}
}

// command is one command route: the path under the tenant, and a constructor of the command that
// copies the path's ids into its `json:"-"` fields.
type command struct {
	path string
	new  func(r *http.Request) domain.Command
}

func id(r *http.Request) string { return r.PathValue("id") }

// commands is every command of DESIGN §6. OpenAPI is generated from it, so a route added here is
// documented too.
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

// kinds maps the plural in a path to its aggregate kind.
var kinds = map[string]domain.Kind{"organs": domain.KindOrgan, "periods": domain.KindPeriod, "visions": domain.KindVision,
	"goals": domain.KindGoal, "indicators": domain.KindIndicator, "commitments": domain.KindCommitment, "followups": domain.KindFollowUp}

// plural is the inverse of kinds, for Location headers.
func plural(k domain.Kind) string {
	for p, kind := range kinds {
		if kind == k {
			return p
		}
	}
	return string(k)
}

// Handler returns the routes, each with who may use it (docs/security.md).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.register(&router{s: s, mux: mux})
	return secure(s.instrument(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.LoopbackOnly && !Loopback(r.Host) {
			s.problem(w, r, domain.Forbidden("Host", "loopback", "This server answers only requests to localhost; %s is not.", r.Host))
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			s.unrouted(w, r, mux)
			return
		}
		mux.ServeHTTP(w, r)
	})))
}

// The OpenAPI document, made once, when first asked for.
var (
	specOnce sync.Once
	spec     []byte
)

func specification() []byte {
	specOnce.Do(func() { spec = OpenAPI() })
	return spec
}

// register registers every route the server's parts allow.
func (s *Server) register(rt *router) {
	const tenant = "/v1/tenants/{tenant}"
	for _, c := range commands {
		rt.handle("POST "+tenant+c.path, recordedBy(c), s.record(c.new))
	}
	for _, q := range queries {
		a := readers
		if q.access.roles != nil {
			a = q.access
		}
		rt.handle("GET "+tenant+q.path, a, s.read(q))
	}
	rt.handle("GET "+tenant+"/{kinds}/{id}/events", staff, http.HandlerFunc(s.events))
	if s.Proofs != nil {
		rt.handle("GET "+tenant+"/checkpoints", readers, s.CheckpointsHandler(s.Proofs))
		rt.handle("GET "+tenant+"/proof", readers, s.ProofHandler(s.Proofs))
		rt.handle("GET "+tenant+"/log", auditors, s.LogHandler(s.Log))
	}
	rt.stream("GET "+tenant+"/events", staff, s.stream(false))
	rt.stream("GET "+tenant+"/live", readers, s.stream(true))
	if s.Tokens != nil {
		rt.handle("GET "+tenant+"/tokens", admins, http.HandlerFunc(s.listTokens))
		rt.handle("POST "+tenant+"/tokens", admins, http.HandlerFunc(s.createToken))
		rt.handle("POST "+tenant+"/tokens/{id}/revoke", admins, http.HandlerFunc(s.revokeToken))
	}
	rt.handle("GET /v1/openapi.yaml", anyone, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Write(specification())
	}))
	dashboard := web.Handler()
	rt.handle("GET /{$}", anyone, dashboard)
	rt.handle("GET /assets/", anyone, dashboard)
	rt.handle("GET /healthz", anyone, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	}))
	rt.handle("GET /readyz", anyone, http.HandlerFunc(s.readyz))
	if s.Metrics != nil {
		rt.handle("GET /metrics", anyone, s.Metrics.handler)
	}
}

// absent stands for the optional parts of a Server when only its routes are wanted.
type absent struct {
	Proofs
	TokenAdmin
}

// accessTable is every route the API can serve, with who may use it.
func accessTable() []route {
	rt := &router{s: &Server{Proofs: absent{}, Tokens: absent{}, Metrics: &Metrics{}}, mux: http.NewServeMux()}
	rt.s.register(rt)
	return rt.routes
}

// Loopback reports whether host (a Host header, or a listen address: with or without a port)
// names the loopback.
func Loopback(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// router registers routes, each with its access: there is no way to add one without.
type router struct {
	s      *Server
	mux    *http.ServeMux
	routes []route
}

// route is one registered route and who may use it.
type route struct {
	pattern string
	access  access
}

// handle registers a route whose answer is bounded by the request timeout.
func (rt *router) handle(pattern string, a access, h http.Handler) {
	rt.mux.Handle(pattern, rt.s.guard(a, rt.s.bounded(h)))
	rt.routes = append(rt.routes, route{pattern, a})
}

// stream registers a live stream, which lasts as long as its client stays.
func (rt *router) stream(pattern string, a access, h http.Handler) {
	rt.mux.Handle(pattern, rt.s.guard(a, h))
	rt.routes = append(rt.routes, route{pattern, a})
}

// bounded gives a request RequestTimeout to be answered: its context is cancelled then, and the
// connection's write deadline passes. The context gets no deadline, so that the shorter waits
// within (a read's min_seq) keep their own bounds.
func (s *Server) bounded(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := s.RequestTimeout
		if d <= 0 {
			d = time.Minute
		}
		ctx, cancel := context.WithCancel(r.Context())
		defer cancel()
		defer time.AfterFunc(d, cancel).Stop()
		http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d))
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// unrouted answers what no route matches with problem+json instead of the mux's plain text, keeping
// the mux's status (404, or 405 with its Allow header).
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request, mux *http.ServeMux) {
	rec := &statusRecorder{header: http.Header{}}
	mux.ServeHTTP(rec, r)
	if rec.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", rec.header.Get("Allow"))
		s.problem(w, r, &domain.Error{Code: eMethod, Field: "method", Rule: "allowed",
			Message: "This path does not take " + r.Method + "; it takes " + rec.header.Get("Allow") + "."})
		return
	}
	s.problem(w, r, &domain.Error{Code: domain.ENOTFOUND, Field: "path", Rule: "route",
		Message: "There is no " + r.Method + " " + r.URL.Path + "."})
}

// statusRecorder keeps the status and headers of a response and drops its body.
type statusRecorder struct {
	header http.Header
	status int
}

func (w *statusRecorder) Header() http.Header         { return w.header }
func (w *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (w *statusRecorder) WriteHeader(status int)      { w.status = status }
