package api

import (
	"encoding/json"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/taktledger/takt/domain"
)

// A query route answers a GET from the read models. Its parameters are declared so that an unknown
// one is refused (a misspelt filter must not silently widen the answer) and so that OpenAPI documents
// them; every query also takes the read options of readParams.
type query struct {
	path    string
	id      string // operationId
	summary string
	params  []param
	result  any // a value of the answer's type, for OpenAPI
	serve   func(s *Server, r *http.Request, q *queryArgs) (any, error)
	access  access // who may ask it; readers when not set
}

// param is a query-string parameter.
type param struct {
	name, typ, desc string // typ: string, date, integer, boolean
	enum            []string
}

// readParams are the bitemporal coordinates every read takes (DESIGN §6).
var readParams = []param{
	{name: "as_of", typ: "date", desc: "Effective date: show what was in force on it — decisions that applied from it or earlier, and values for follow-up points that had ended by it (T1 on 30 April, T2 on 31 August, annual on 31 December). Default today."},
	{name: "known_at", typ: "string", desc: "What the ledger knew: a time (RFC 3339), a date (its end, UTC), or seq:N (up to stream sequence N)."},
	{name: "min_seq", typ: "integer", desc: "Wait until the projection has applied this stream sequence (read-your-writes); 503 if it does not in time, 400 if the log has no such sequence yet."},
}

// Answers with lists are objects, so that they can grow without breaking clients.
type (
	periodsAnswer struct {
		Periods []domain.PeriodView `json:"periods"`
	}
	organsAnswer struct {
		Organs []domain.OrganView `json:"organs"`
	}
	historyAnswer struct {
		Versions []domain.Version `json:"versions"`
	}
	commitmentsAnswer struct {
		Commitments []domain.CommitmentView `json:"commitments"`
	}
	auditAnswer struct {
		Period string            `json:"period"`
		Rows   []domain.AuditRow `json:"rows"`
	}
)

// queries is every query of DESIGN §6 but the live streams.
var queries = []query{
	{path: "/periods", id: "listPeriods", summary: "The mandate periods.", result: periodsAnswer{},
		serve: func(s *Server, r *http.Request, q *queryArgs) (any, error) {
			ps, err := s.Queries.Periods(r.Context(), q.tenant, q.opts)
			return periodsAnswer{ps}, err
		}},
	{path: "/organs", id: "listOrgans", summary: "The organs, dissolved ones with their successors.", result: organsAnswer{},
		serve: func(s *Server, r *http.Request, q *queryArgs) (any, error) {
			os, err := s.Queries.Organs(r.Context(), q.tenant, q.opts)
			return organsAnswer{os}, err
		}},
	{path: "/goals", id: "goalTree", result: domain.GoalTree{},
		summary: "The goal tree of a mandate period: goals, their indicators with latest values against targets, and attainment.",
		params: []param{
			{name: "period", typ: "string", desc: "The mandate period, e.g. 2023-2026. Default: the period as_of falls in."},
			{name: "organ", typ: "string", desc: "Only the goals this organ owns."},
			{name: "level", typ: "string", desc: "Only goals of this level.", enum: domain.GoalLevels},
			{name: "include_retired", typ: "boolean", desc: "Also retired goals."},
		},
		serve: func(s *Server, r *http.Request, q *queryArgs) (any, error) {
			f := domain.GoalFilter{Organ: q.get("organ"), Level: q.get("level"), IncludeRetired: q.bool("include_retired")}
			if f.Period = q.period(s, r); q.err() != nil {
				return nil, q.err()
			}
			return s.Queries.Goals(r.Context(), q.tenant, f, q.opts)
		}},
	{path: "/goals/{id}", id: "getGoal", summary: "One goal with its indicators and latest assessment.", result: domain.GoalView{},
		serve: func(s *Server, r *http.Request, q *queryArgs) (any, error) {
			return s.Queries.Goal(r.Context(), q.tenant, id(r), q.opts)
		}},
	{path: "/goals/{id}/history", id: "goalHistory", result: historyAnswer{},
		summary: "Every version of a goal, of its indicators and targets, of its corrected values and of its commitments: decision, valid time, recording time, diff. as_of is ignored.",
		params: []param{
			{name: "from", typ: "date", desc: "Only versions that apply from this date on."},
			{name: "to", typ: "date", desc: "Only versions that apply from this date or earlier."},
		},
		serve: func(s *Server, r *http.Request, q *queryArgs) (any, error) {
			f := domain.HistoryFilter{From: q.date("from"), To: q.date("to")}
			if err := q.err(); err != nil {
				return nil, err
			}
			vs, err := s.Queries.GoalHistory(r.Context(), q.tenant, id(r), f, q.opts)
			if !personal(r) {
				for i := range vs {
					vs[i].Actor = "" // personal data: the public sees the decision, not who recorded it
				}
			}
			return historyAnswer{vs}, err
		}},
	{path: "/indicators/{id}", id: "getIndicator", result: domain.IndicatorView{},
		summary: "An indicator with its targets, its values over the term (corrections beside what they correct) and its method breaks.",
		serve: func(s *Server, r *http.Request, q *queryArgs) (any, error) {
			return s.Queries.Indicator(r.Context(), q.tenant, id(r), q.opts)
		}},
	{path: "/commitments", id: "listCommitments", summary: "Commitments with their progress, sorted by year.", result: commitmentsAnswer{},
		params: []param{
			{name: "period", typ: "string", desc: "Only this mandate period's."},
			{name: "organ", typ: "string", desc: "Only those this organ is responsible for."},
			{name: "year", typ: "integer", desc: "Only those of this year."},
		},
		serve: func(s *Server, r *http.Request, q *queryArgs) (any, error) {
			f := domain.CommitmentFilter{Period: q.get("period"), Organ: q.get("organ"), Year: q.int("year")}
			if err := q.err(); err != nil {
				return nil, err
			}
			cs, err := s.Queries.Commitments(r.Context(), q.tenant, f, q.opts)
			return commitmentsAnswer{cs}, err
		}},
	{path: "/followups/{id}", id: "getFollowUp", result: domain.FollowUpReport{},
		summary: "A follow-up report reopened exactly as adopted: the goal tree as the ledger knew it then, in force on the report's own as-of date, each goal with its assessment for the report's point. as_of is ignored; known_at and min_seq apply to finding the report.",
		serve: func(s *Server, r *http.Request, q *queryArgs) (any, error) {
			return s.Queries.FollowUp(r.Context(), q.tenant, id(r), q.opts)
		}},
	{path: "/audit", id: "auditLog", result: auditAnswer{}, access: auditors,
		summary: "The decision log of a mandate period, one row per version, in the order recorded, with the versions of organs that apply from a date in it; as CSV with format=csv or Accept: text/csv. as_of only picks the default period; from and to select by the date a version applies from.",
		params: []param{
			{name: "period", typ: "string", desc: "The mandate period. Default: the period as_of falls in."},
			{name: "organ", typ: "string", desc: "Only what this organ decided or reported."},
			{name: "from", typ: "date", desc: "Only versions that apply from this date on."},
			{name: "to", typ: "date", desc: "Only versions that apply from this date or earlier."},
			{name: "format", typ: "string", desc: "json (default) or csv.", enum: []string{"json", "csv"}},
		},
		serve: func(s *Server, r *http.Request, q *queryArgs) (any, error) {
			f := domain.AuditFilter{Organ: q.get("organ"), From: q.date("from"), To: q.date("to")}
			format := q.get("format")
			if format == "" && acceptsCSV(r) {
				format = "csv"
			}
			if f.Period = q.period(s, r); q.err() != nil {
				return nil, q.err()
			}
			rows, err := s.Queries.Audit(r.Context(), q.tenant, f, q.opts)
			if err != nil {
				return nil, err
			}
			if format == "csv" {
				return auditCSV{tenant: q.tenant, period: f.Period, rows: rows}, nil
			}
			return auditAnswer{Period: f.Period, Rows: rows}, nil
		}},
}

// queryArgs is a request's tenant, read options and query string, with the first error met while
// reading them.
type queryArgs struct {
	tenant string
	opts   domain.ReadOptions
	values url.Values
	first  error
}

func (q *queryArgs) fail(err error) {
	if q.first == nil && err != nil {
		q.first = err
	}
}

func (q *queryArgs) err() error { return q.first }

func (q *queryArgs) get(name string) string { return q.values.Get(name) }

func (q *queryArgs) date(name string) domain.Date {
	d := domain.Date(q.get(name))
	if d != "" && !d.Valid() {
		q.fail(domain.Invalid(name, "date", "%s %q is not a date in the form YYYY-MM-DD.", name, string(d)))
	}
	return d
}

func (q *queryArgs) int(name string) int {
	v := q.get(name)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		q.fail(domain.Invalid(name, "integer", "%s %q is not a whole number from 0 to %d.", name, v, math.MaxInt))
	}
	return n
}

func (q *queryArgs) bool(name string) bool {
	v := q.get(name)
	if v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		q.fail(domain.Invalid(name, "boolean", "%s %q is not true or false.", name, v))
	}
	return b
}

// readArgs reads the tenant, the read options and the query string, refusing parameters the query
// does not take and parameters given twice.
func (s *Server) readArgs(r *http.Request, params []param) (*queryArgs, error) {
	q := &queryArgs{tenant: r.PathValue("tenant"), values: r.URL.Query()}
	if err := s.knownTenant(q.tenant); err != nil {
		return nil, err
	}
	if err := knownParams(q.values, params, readParams); err != nil {
		return nil, err
	}
	q.opts.AsOf = q.date("as_of")
	q.opts.MinSeq = uint64(q.int("min_seq"))
	if v := q.get("known_at"); v != "" {
		if err := domain.ParseKnownAt(v, &q.opts); err != nil {
			return nil, err
		}
	}
	return q, q.err()
}

// knownParams refuses a query string with a parameter none of lists declares, one given twice, or
// one outside its enumeration: a misspelt filter must not silently widen or empty the answer.
func knownParams(values url.Values, lists ...[]param) error {
	for name, vs := range values {
		var decl *param
		for _, ps := range lists {
			if i := slices.IndexFunc(ps, func(p param) bool { return p.name == name }); i >= 0 {
				decl = &ps[i]
				break
			}
		}
		if decl == nil {
			return domain.Invalid(name, "known_parameter", "This route takes no parameter %q.", name)
		}
		if len(vs) > 1 {
			return domain.Invalid(name, "single", "Parameter %s is given %d times.", name, len(vs))
		}
		if len(decl.enum) > 0 && vs[0] != "" && !slices.Contains(decl.enum, vs[0]) {
			return domain.Invalid(name, "enum", "%s %q is not one of %s.", name, vs[0], strings.Join(decl.enum, ", "))
		}
	}
	return nil
}

// period is the period parameter or, without one, the mandate period as_of (or today) falls in.
func (q *queryArgs) period(s *Server, r *http.Request) string {
	if p := q.get("period"); p != "" || q.err() != nil {
		return p
	}
	p, err := s.periodOf(r, q)
	q.fail(err)
	return p
}

// periodOf is the mandate period that as_of (or today) falls in.
func (s *Server) periodOf(r *http.Request, q *queryArgs) (string, error) {
	ps, err := s.Queries.Periods(r.Context(), q.tenant, q.opts)
	if err != nil {
		return "", err
	}
	year := time.Now().UTC().Year()
	if q.opts.AsOf != "" {
		year = q.opts.AsOf.Year()
	}
	for _, p := range ps {
		if p.FirstYear <= year && year <= p.LastYear {
			return p.ID, nil
		}
	}
	if len(ps) == 0 {
		return "", domain.Invalid("period", "required", "No mandate period was in force then, as the ledger knew it; name one with period=.")
	}
	return "", domain.Invalid("period", "required", "No mandate period covers %d; name one with period=.", year)
}

// acceptsCSV reports whether Accept prefers text/csv to JSON: asked for with a quality above 0
// and no lower than application/json's (or, when that is not named, application/*'s or */*'s).
func acceptsCSV(r *http.Request) bool {
	q := map[string]float64{}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		quality := 1.0
		if f, err := strconv.ParseFloat(params["q"], 64); err == nil {
			quality = f
		}
		q[mt] = quality
	}
	csv, ok := q["text/csv"]
	if !ok || csv <= 0 {
		return false
	}
	for _, mt := range []string{"application/json", "application/*", "*/*"} {
		if json, ok := q[mt]; ok {
			return csv >= json
		}
	}
	return true
}

// auditCSV is the decision log as CSV, with the columns of domain.AuditColumns.
type auditCSV struct {
	tenant, period string
	rows           []domain.AuditRow
}

// read serves one query route.
func (s *Server) read(q query) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.Queries == nil {
			s.problem(w, r, domain.Errorf(domain.EUNAVAILABLE, "This server keeps no read models."))
			return
		}
		args, err := s.readArgs(r, q.params)
		if err != nil {
			s.problem(w, r, err)
			return
		}
		out, err := q.serve(s, r, args)
		if err != nil {
			s.problem(w, r, err)
			return
		}
		h := w.Header()
		if c, ok := out.(auditCSV); ok {
			h.Set("Content-Type", "text/csv; charset=utf-8")
			h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "audit-" + c.tenant + "-" + c.period + ".csv"}))
			h.Set("Vary", "Accept")
			domain.WriteAuditCSV(w, c.rows)
			return
		}
		h.Set("Content-Type", "application/json")
		writeJSON(w, out)
	}
}

// jsonAppender is an answer that writes its own JSON, the bytes json.Encoder would write.
type jsonAppender interface {
	appendJSON(b []byte) []byte
}

// jsonBuffers are the buffers such answers are written into: a history's megabyte is not
// allocated again for every read. One that grew beyond 4 MiB is let go.
var jsonBuffers = sync.Pool{New: func() any { return new([]byte) }}

// writeJSON writes an answer as JSON: by itself if it can, else by encoding/json.
func writeJSON(w io.Writer, out any) {
	a, ok := out.(jsonAppender)
	if !ok {
		json.NewEncoder(w).Encode(out)
		return
	}
	buf := jsonBuffers.Get().(*[]byte)
	*buf = a.appendJSON((*buf)[:0])
	w.Write(*buf)
	if cap(*buf) <= 4<<20 {
		jsonBuffers.Put(buf)
	}
}
