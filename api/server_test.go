package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/taktledger/takt/api"
	"github.com/taktledger/takt/domain"
)

// refuse is a Recorder for input that must never reach the ledger: it fails the test if asked to
// record or read anything.
type refuse struct{ t *testing.T }

func (r refuse) Record(ctx context.Context, req domain.Request) (*domain.Receipt, error) {
	r.t.Errorf("malformed input reached the ledger: %T %+v", req.Command, req.Command)
	return nil, errors.New("refused")
}

func (r refuse) Events(ctx context.Context, tenant string, ref domain.Ref) ([]domain.Event, uint64, error) {
	r.t.Errorf("reached the ledger for the events of %s", ref)
	return nil, 0, errors.New("refused")
}

func (refuse) Serves(tenant string) bool { return tenant == "test" }

// fake answers every request with Receipt or Err, and keeps what it was asked.
type fake struct {
	Receipt *domain.Receipt
	Err     error
	History []domain.Event
	got     []domain.Request
}

func (f *fake) Record(ctx context.Context, req domain.Request) (*domain.Receipt, error) {
	f.got = append(f.got, req)
	return f.Receipt, f.Err
}

func (f *fake) Events(ctx context.Context, tenant string, ref domain.Ref) ([]domain.Event, uint64, error) {
	if f.Err != nil {
		return nil, 0, f.Err
	}
	return f.History, f.History[len(f.History)-1].Seq, nil
}

func (*fake) Serves(tenant string) bool { return tenant == "test" }

// serve sends one request to a Server over rec and returns the response and its body.
func serve(t *testing.T, srv *api.Server, method, path, body string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	srv.Handler().ServeHTTP(w, req)
	resp := w.Result()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func problemOf(t *testing.T, resp *http.Response, body []byte) api.Problem {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json; body %s", ct, body)
	}
	var p api.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem %q: %v", body, err)
	}
	if p.Status != resp.StatusCode || p.Type != "https://takt.se/problems/"+p.Code || p.Title == "" || p.Detail == "" {
		t.Fatalf("incomplete problem %+v for status %d", p, resp.StatusCode)
	}
	return p
}

const (
	base  = "/v1/tenants/test"
	retro = `"period":"2023-2026","decision":{"organ":"kf","meeting_date":"2023-02-13","paragraph":"§ 12","case_number":"KS 2023/45"}`
)

// Every kind of malformed input is refused with 400, names the field and the rule, and never
// reaches the ledger.
func TestMalformedInputNeverReachesTheLedger(t *testing.T) {
	for _, tt := range []struct {
		name, path, body string
		headers          []string
		field, rule      string
	}{
		{"bad json", "/indicators/i/values", `{"organ":"buf","year":}`, nil, "body", "json"},
		{"truncated json", "/indicators/i/values", `{"organ":"buf",`, nil, "body", "json"},
		{"not an object", "/indicators/i/values", `[1,2]`, nil, "body", "type"},
		{"a string", "/organs", `"kf"`, nil, "body", "type"},
		{"null", "/organs", ` null `, nil, "body", "type"},
		{"trailing object", "/indicators/i/values", `{"organ":"buf","year":2024,"value":1} {}`, nil, "body", "json"},
		{"trailing garbage", "/indicators/i/values", `{"organ":"buf","year":2024,"value":1}x`, nil, "body", "json"},
		{"empty body", "/indicators/i/values", ``, []string{"Content-Type", "application/json"}, "body", "required"},
		{"no content type", "/indicators/i/values", `{"organ":"kf","year":2024,"value":1}`, []string{"Content-Type", ""}, "Content-Type", "media_type"},
		{"white space only", "/indicators/i/values", " \n\t", nil, "body", "required"},
		{"unknown field", "/indicators/i/values", `{"organ":"buf","year":2024,"value":1,"colour":"red"}`, nil, "colour", "unknown_field"},
		{"unknown nested field", "/goals/g/retire", `{"reason":"R","period":"2023-2026","decision":{"organ":"kf","meeting_date":"2023-02-13","paragraph":"1","case_number":"2","page":3}}`, nil, "decision.page", "unknown_field"},
		{"path id in the body", "/goals/g/retire", `{"id":"other","reason":"R",` + retro + `}`, nil, "id", "unknown_field"},
		{"wrong type", "/indicators/i/values", `{"organ":"buf","year":"2024","value":1}`, nil, "year", "type"},
		{"wrong type in an embedded struct", "/goals/g/retire", `{"reason":"R","period":2023,"decision":{}}`, nil, "period", "type"},
		{"wrong type deep in an array", "/goals", `{"title":"T","level":"result","owner":"kf","indicators":[{"name":"A","unit":"%","measure":"percent","direction":"higher_is_better"},{"name":"B","unit":"%","measure":"percent","direction":"higher_is_better","targets":[{"year":2024,"value":"high"}]}],` + retro + `}`, nil, "indicators[1].targets[0].value", "type"},
		{"fraction for an integer", "/indicators/i/values", `{"organ":"buf","year":2024.5,"value":1}`, nil, "year", "type"},
		{"empty required string", "/goals/g/retire", `{"reason":"  ",` + retro + `}`, nil, "reason", "required"},
		{"missing required field", "/organs", `{"name":"Kommunfullmäktige"}`, nil, "kind", "required"},
		{"impossible date", "/goals/g/retire", `{"reason":"R","period":"2023-2026","decision":{"organ":"kf","meeting_date":"2025-02-30","paragraph":"1","case_number":"2"}}`, nil, "decision.meeting_date", "date"},
		{"impossible effective date", "/organs", `{"name":"KF","kind":"council","effective":"2024-13-01"}`, nil, "effective", "date"},
		{"commitment without a responsible organ", "/commitments", `{"text":"Läxhjälp","measure":{"description":"Skolor","unit":"st","target":3},"year":2025,"due":"2025-12-31",` + retro + `}`, nil, "responsible", "takt.assigned"},
		{"body over the limit", "/organs", `{"name":"` + strings.Repeat("x", 2048) + `","kind":"council"}`, nil, "body", "max_size"},
		{"weak If-Match", "/goals/g/retire", `{"reason":"R",` + retro + `}`, []string{"If-Match", `W/"5"`}, "If-Match", "etag"},
		{"If-Match star", "/goals/g/retire", `{"reason":"R",` + retro + `}`, []string{"If-Match", `*`}, "If-Match", "etag"},
		{"If-Match list", "/goals/g/retire", `{"reason":"R",` + retro + `}`, []string{"If-Match", `"5", "6"`}, "If-Match", "etag"},
		{"If-Match half quoted", "/goals/g/retire", `{"reason":"R",` + retro + `}`, []string{"If-Match", `"5`}, "If-Match", "etag"},
		{"If-Match negative", "/goals/g/retire", `{"reason":"R",` + retro + `}`, []string{"If-Match", `-1`}, "If-Match", "etag"},
		{"If-Match too large", "/goals/g/retire", `{"reason":"R",` + retro + `}`, []string{"If-Match", `"99999999999999999999"`}, "If-Match", "etag"},
		{"Idempotency-Key with a space", "/organs", `{"name":"KF","kind":"council"}`, []string{"Idempotency-Key", "a b"}, "Idempotency-Key", "printable"},
		{"Idempotency-Key too long", "/organs", `{"name":"KF","kind":"council"}`, []string{"Idempotency-Key", strings.Repeat("k", 201)}, "Idempotency-Key", "max_length"},
		{"form body", "/goals/g/retire", `reason=R`, []string{"Content-Type", "application/x-www-form-urlencoded"}, "Content-Type", "media_type"},
		{"bad content type", "/goals/g/retire", `{"reason":"R",` + retro + `}`, []string{"Content-Type", "application/json; charset"}, "Content-Type", "media_type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := api.NewServer(refuse{t})
			srv.MaxBodyBytes = 1024
			resp, body := serve(t, srv, "POST", base+tt.path, tt.body, tt.headers...)
			p := problemOf(t, resp, body)
			if resp.StatusCode != 400 || p.Code != domain.EINVALID || p.Field != tt.field || p.Rule != tt.rule {
				t.Fatalf("got %d field=%q rule=%q (%s), want 400 field=%q rule=%q", resp.StatusCode, p.Field, p.Rule, p.Detail, tt.field, tt.rule)
			}
			if p.Instance != base+tt.path {
				t.Fatalf("instance %q", p.Instance)
			}
		})
	}
}

// The byte offset of a JSON error is in the detail, so a client can find it in what it sent.
func TestBadJSONNamesTheOffset(t *testing.T) {
	resp, body := serve(t, api.NewServer(refuse{t}), "POST", base+"/organs", `{"name": "KF", "kind": council}`)
	if p := problemOf(t, resp, body); !strings.Contains(p.Detail, "byte 24") {
		t.Fatalf("detail %q does not name byte 24", p.Detail)
	}
}

func TestUnknownTenantIsNotFoundWhateverTheBody(t *testing.T) {
	resp, body := serve(t, api.NewServer(refuse{t}), "POST", "/v1/tenants/nobody/organs", `{not json`)
	if p := problemOf(t, resp, body); resp.StatusCode != 404 || p.Field != "tenant" {
		t.Fatalf("got %d %+v", resp.StatusCode, p)
	}
	resp, body = serve(t, api.NewServer(refuse{t}), "GET", "/v1/tenants/nobody/goals/g/events", "")
	if p := problemOf(t, resp, body); resp.StatusCode != 404 || p.Field != "tenant" {
		t.Fatalf("got %d %+v", resp.StatusCode, p)
	}
}

func TestUnroutedRequests(t *testing.T) {
	srv := api.NewServer(refuse{t})
	resp, body := serve(t, srv, "POST", base+"/goals/g/polish", `{}`)
	if p := problemOf(t, resp, body); resp.StatusCode != 404 || p.Code != domain.ENOTFOUND {
		t.Fatalf("got %d %+v", resp.StatusCode, p)
	}
	resp, body = serve(t, srv, "DELETE", base+"/goals/g/revise", "")
	if p := problemOf(t, resp, body); resp.StatusCode != 405 || p.Code != "method_not_allowed" || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("got %d %+v Allow=%q", resp.StatusCode, p, resp.Header.Get("Allow"))
	}
	resp, body = serve(t, srv, "GET", base+"/whatnots/w/events", "")
	if p := problemOf(t, resp, body); resp.StatusCode != 404 || p.Field != "kind" {
		t.Fatalf("got %d %+v", resp.StatusCode, p)
	}
	resp, body = serve(t, srv, "GET", "/healthz", "")
	if resp.StatusCode != 200 || string(body) != "ok\n" {
		t.Fatalf("healthz: %d %q", resp.StatusCode, body)
	}
}

// What the headers say reaches the ledger as the request.
func TestRequestHeaders(t *testing.T) {
	for _, tt := range []struct {
		headers    []string
		ifMatch    uint64
		hasIfMatch bool
		key, actor string
	}{
		{nil, 0, false, "", "anonymous"},
		{[]string{"If-Match", `"12"`}, 12, true, "", "anonymous"},
		{[]string{"If-Match", `12`}, 12, true, "", "anonymous"},
		{[]string{"If-Match", `"0"`}, 0, true, "", "anonymous"},
		// Who records is who authenticated, never what a header claims.
		{[]string{"Idempotency-Key", "kf-2023-12", "X-Takt-Actor", "anna.svensson@falun.se"}, 0, false, "kf-2023-12", "anonymous"},
	} {
		f := &fake{Receipt: &domain.Receipt{Target: domain.Ref{Kind: domain.KindOrgan, ID: "kf"}, ETag: 1}}
		resp, body := serve(t, api.NewServer(f), "POST", base+"/organs/kf/rename", `{"name":"Fullmäktige"}`, tt.headers...)
		if resp.StatusCode != 200 || len(f.got) != 1 {
			t.Fatalf("%v: got %d %s", tt.headers, resp.StatusCode, body)
		}
		got := f.got[0]
		if got.Tenant != "test" || got.IfMatch != tt.ifMatch || got.HasIfMatch != tt.hasIfMatch || got.IdempotencyKey != tt.key || got.Actor != tt.actor {
			t.Fatalf("%v: got %+v", tt.headers, got)
		}
		if c, ok := got.Command.(*domain.RenameOrgan); !ok || c.ID != "kf" || c.Name != "Fullmäktige" {
			t.Fatalf("command %#v", got.Command)
		}
	}
}

func TestReceipt(t *testing.T) {
	evs := []domain.RecordedEvent{
		{ID: "e1", Type: "goal.adopted", Subject: "goal/g 1", Seq: 7},
		{ID: "e2", Type: "indicator.defined", Subject: "indicator/i", Seq: 8},
	}
	f := &fake{Receipt: &domain.Receipt{Target: domain.Ref{Kind: domain.KindGoal, ID: "g 1"}, ETag: 7, Events: evs, Created: true}}
	resp, body := serve(t, api.NewServer(f), "POST", base+"/goals",
		`{"id":"g1","title":"T","level":"result","owner":"kf",`+retro+`}`)
	if resp.StatusCode != 201 || resp.Header.Get("ETag") != `"7"` || resp.Header.Get("Location") != base+"/goals/g%201" ||
		resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("got %d %v", resp.StatusCode, resp.Header)
	}
	want := `{"id":"g 1","kind":"goal","etag":7,"events":[{"id":"e1","type":"goal.adopted","subject":"goal/g 1","seq":7},{"id":"e2","type":"indicator.defined","subject":"indicator/i","seq":8}]}`
	if got := string(bytes.TrimSpace(body)); got != want {
		t.Fatalf("body\n got %s\nwant %s", got, want)
	}

	// A replay answers the first answer again, and says so.
	f.Receipt.Duplicate = true
	resp, replay := serve(t, api.NewServer(f), "POST", base+"/goals",
		`{"id":"g1","title":"T","level":"result","owner":"kf",`+retro+`}`, "Idempotency-Key", "k")
	if resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(replay, body) {
		t.Fatalf("replay: %d %v %s", resp.StatusCode, resp.Header, replay)
	}

	// A command on an existing aggregate answers 200 without a Location.
	f.Receipt = &domain.Receipt{Target: domain.Ref{Kind: domain.KindGoal, ID: "g"}, ETag: 9, Events: evs[:1]}
	resp, _ = serve(t, api.NewServer(f), "POST", base+"/goals/g/retire", `{"reason":"R",`+retro+`}`)
	if resp.StatusCode != 200 || resp.Header.Get("Location") != "" || resp.Header.Get("ETag") != `"9"` {
		t.Fatalf("got %d %v", resp.StatusCode, resp.Header)
	}
}

// api holds the only table from codes to statuses, and logs only internal errors.
func TestErrorCodes(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
		code   string
		logged bool
	}{
		{domain.Invalid("year", "year", "Bad year."), 400, domain.EINVALID, false},
		{domain.NotFound("id", "Goal g does not exist."), 404, domain.ENOTFOUND, false},
		{&domain.Error{Code: domain.ECONFLICT, Field: "If-Match", Rule: "if_match", Message: "Stale."}, 409, domain.ECONFLICT, false},
		{domain.Violation("id", "not_retired", "Retired."), 422, domain.ERULE, false},
		{domain.Errorf(domain.EUNAVAILABLE, "The log cannot be reached."), 503, domain.EUNAVAILABLE, false},
		{errors.New("nats: connection closed at 10.0.0.3"), 500, domain.EINTERNAL, true},
		{domain.Errorf(domain.EINTERNAL, "bug: %s", "secret detail"), 500, domain.EINTERNAL, true},
	} {
		var logs bytes.Buffer
		srv := api.NewServer(&fake{Err: tt.err})
		srv.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
		resp, body := serve(t, srv, "POST", base+"/goals/g/retire", `{"reason":"R",`+retro+`}`)
		p := problemOf(t, resp, body)
		if resp.StatusCode != tt.status || p.Code != tt.code || (logs.Len() > 0) != tt.logged {
			t.Errorf("%v: got %d %s, logged %q", tt.err, resp.StatusCode, p.Code, logs.String())
		}
		if tt.code == domain.EINTERNAL && (strings.Contains(string(body), "10.0.0.3") || strings.Contains(string(body), "secret")) {
			t.Errorf("an internal error leaks its detail: %s", body)
		}
		if e := (*domain.Error)(nil); errors.As(tt.err, &e) && tt.code != domain.EINTERNAL && (p.Field != e.Field || p.Rule != e.Rule) {
			t.Errorf("%v: field %q rule %q", tt.err, p.Field, p.Rule)
		}
	}
}

func TestEventsOfAnAggregate(t *testing.T) {
	f := &fake{History: []domain.Event{{ID: "e1", Type: "organ.registered", Seq: 3, Effective: "2023-01-01", Actor: "anna",
		Organ: "kf", Data: &domain.OrganRegistered{Name: "KF", Kind: "council"}}}}
	resp, body := serve(t, api.NewServer(f), "GET", base+"/organs/kf/events", "")
	if resp.StatusCode != 200 || resp.Header.Get("ETag") != `"3"` {
		t.Fatalf("got %d %v %s", resp.StatusCode, resp.Header, body)
	}
	var got struct {
		ETag   uint64 `json:"etag"`
		Events []map[string]any
	}
	if err := json.Unmarshal(body, &got); err != nil || got.ETag != 3 || len(got.Events) != 1 {
		t.Fatalf("body %s", body)
	}
	e := got.Events[0]
	for k, v := range map[string]any{"id": "e1", "type": "organ.registered", "seq": 3.0, "effective": "2023-01-01", "actor": "anna", "organ": "kf"} {
		if e[k] != v {
			t.Errorf("%s = %v, want %v", k, e[k], v)
		}
	}
	if d, _ := e["data"].(map[string]any); d["name"] != "KF" {
		t.Errorf("data %v", e["data"])
	}
}
