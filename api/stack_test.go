package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/taktledger/takt/api"
	"github.com/taktledger/takt/auth"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/projections"
)

// stack is the real thing: an embedded nats-server with JetStream, the store, the ledger and the
// HTTP server.
type stack struct {
	t     *testing.T
	url   string
	nats  *events.Server
	store *events.Store
	// tokens, when set, is the credentials of the servers serve starts from then on, and limit and
	// burst their rate limit.
	tokens *auth.Tokens
	limit  float64
	burst  int
	// ahead is added to the head of the log the projections are told of: a log ahead of them.
	ahead atomic.Uint64
}

func mustOpenStack(t *testing.T) *stack {
	t.Helper()
	srv := events.NewServer()
	srv.StoreDir = t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Open(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	s := &stack{t: t, nats: srv}
	s.url, s.store = s.serve(nil)
	return s
}

// serve opens a ledger over its own connection to the stack's NATS, as one more process of takt
// would, and serves it over HTTP. wrap, if given, stands between the ledger and the store.
func (s *stack) serve(wrap func(domain.Log) domain.Log) (string, *events.Store) {
	s.t.Helper()
	nc, err := s.nats.InProcessConn()
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(nc.Close)
	store := events.NewStore(nc)
	var log domain.Log = store
	if wrap != nil {
		log = wrap(store)
	}
	ledger := domain.NewLedger(log, func() string { return uuid.Must(uuid.NewV7()).String() })
	ledger.Tenants = []string{"test"}
	ledger.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ledger.Open(ctx); err != nil {
		s.t.Fatal(err)
	}
	srv := api.NewServer(ledger)
	srv.Queries = s.project()
	srv.Logger = slog.New(slog.NewTextHandler(testWriter{s.t}, nil))
	if s.tokens != nil {
		srv.Auth, srv.Tokens = s.tokens, s.tokens
	}
	srv.RateLimit, srv.RateBurst = s.limit, s.burst
	hs := httptest.NewServer(srv.Handler())
	s.t.Cleanup(hs.Close)
	return hs.URL + "/v1/tenants/test", store
}

// withTokens gives the servers serve starts from now on a tokens file, and returns a token of it.
func (s *stack) withTokens(spec domain.Token) string {
	s.t.Helper()
	if s.tokens == nil {
		tokens, err := auth.OpenTokens(filepath.Join(s.t.TempDir(), auth.FileName))
		if err != nil {
			s.t.Fatal(err)
		}
		s.t.Cleanup(func() { tokens.Close() })
		s.tokens = tokens
	}
	spec.Tenant = "test"
	token, _, err := s.tokens.Create(context.Background(), spec)
	if err != nil {
		s.t.Fatal(err)
	}
	return token
}

// project opens a projection of the tenant's log in a fresh SQLite file, kept up to date by a
// projector that reads over TCP, as takt serve does.
func (s *stack) project() domain.Queries {
	s.t.Helper()
	nc, err := nats.Connect(s.nats.ClientURL())
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(nc.Close)
	db := projections.NewDB(filepath.Join(s.t.TempDir(), "test.db"))
	db.Tenant = "test"
	db.WaitTimeout = 500 * time.Millisecond
	db.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithCancel(context.Background())
	if err := db.Open(ctx); err != nil {
		s.t.Fatal(err)
	}
	store := events.NewStore(nc)
	db.Head = func(ctx context.Context) (uint64, error) {
		h, err := store.Head(ctx, "test")
		return h + s.ahead.Load(), err
	}
	p := projections.NewProjector(db, store, "test")
	p.Logger = db.Logger
	done := make(chan struct{})
	go func() { defer close(done); p.Run(ctx) }()
	s.t.Cleanup(func() { cancel(); <-done; db.Close() })
	return projections.Tenants{"test": db}
}

// testWriter sends a server's log (internal errors only) to the test's.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
}

func (s *stack) post(path, body string, headers ...string) answer {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return s.do(req)
}

func (s *stack) do(req *http.Request) answer {
	s.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(b, &a.body); err != nil {
		s.t.Fatalf("%s %s: body %q is not JSON", req.Method, req.URL, b)
	}
	return a
}

func (s *stack) must(path, body string, status int, headers ...string) answer {
	s.t.Helper()
	a := s.post(path, body, headers...)
	if a.status != status {
		s.t.Fatalf("POST %s: got %d %v, want %d", path, a.status, a.body, status)
	}
	return a
}

func (s *stack) head() uint64 {
	s.t.Helper()
	h, err := s.store.Head(context.Background(), "test")
	if err != nil {
		s.t.Fatal(err)
	}
	return h
}

const decision = `"period":"2023-2026","decision":{"organ":"kf","meeting_date":"2023-02-13","paragraph":"§ 12","case_number":"KS 2023/45"}`

// municipality registers organs, opens the period and adopts a goal with two indicators and their
// targets in one call.
func (s *stack) municipality() {
	s.t.Helper()
	s.must("/organs", `{"id":"kf","name":"Kommunfullmäktige","kind":"council"}`, 201)
	s.must("/organs", `{"id":"bun","name":"Barn- och utbildningsnämnden","kind":"committee","parent":"kf"}`, 201)
	s.must("/organs", `{"id":"buf","name":"Barn- och utbildningsförvaltningen","kind":"administration","parent":"bun"}`, 201)
	s.must("/periods", `{"id":"2023-2026"}`, 201)
	a := s.must("/goals", `{"id":"trygg","title":"Alla känner sig trygga","level":"result","owner":"kf",
		"sdgs":[{"sdg":16,"strength":"full"}],
		"indicators":[
			{"id":"andel","name":"Andel trygga","unit":"%","measure":"percent","direction":"higher_is_better","targets":[{"year":2025,"value":80}]},
			{"id":"brott","name":"Anmälda brott","unit":"per 1000","measure":"number","direction":"lower_is_better","gender_divided":true,
			 "targets":[{"year":2025,"value":70},{"term_end":true,"value":65}]}],`+decision+`}`, 201)
	evs := a.body["events"].([]any)
	if len(evs) != 6 {
		s.t.Fatalf("a goal with two indicators and three targets gave %d events", len(evs))
	}
	for i, e := range evs {
		if seq := e.(map[string]any)["seq"].(float64); seq != float64(5+i) {
			s.t.Fatalf("event %d at seq %v: a decision is stored contiguously", i, seq)
		}
	}
	if a.header.Get("ETag") != `"5"` || a.header.Get("Location") != "/v1/tenants/test/goals/trygg" {
		s.t.Fatalf("headers %v", a.header)
	}
}

func TestRecordADecisionTrail(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	a := s.must("/goals/trygg/revise", `{"title":"Alla känner sig trygga i hela kommunen","reason":"Vidgat",`+decision+`}`, 200, "If-Match", `"5"`)
	if a.header.Get("ETag") != `"11"` {
		t.Fatalf("ETag %s", a.header.Get("ETag"))
	}
	s.must("/indicators/brott/values", `{"organ":"buf","year":2024,"value":72.5,"breakdown":{"women":70.1,"men":74.9}}`, 200)
	s.must("/indicators/andel/values", `{"organ":"buf","year":2024,"value":78,"status":"preliminary"}`, 200)

	req, _ := http.NewRequest("GET", s.url+"/goals/trygg/events", nil)
	got := s.do(req)
	evs := got.body["events"].([]any)
	if got.status != 200 || len(evs) != 2 || got.header.Get("ETag") != `"11"` {
		t.Fatalf("got %d %v", got.status, got.body)
	}
	last := evs[1].(map[string]any)
	if last["type"] != "goal.revised" || last["effective"] != "2023-02-13" || last["actor"] != "anonymous" {
		t.Fatalf("got %v", last)
	}
}

func TestStaleIfMatchWritesNothing(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	s.must("/goals/trygg/revise", `{"title":"Ny","reason":"R",`+decision+`}`, 200, "If-Match", `"5"`)
	head := s.head()
	a := s.must("/goals/trygg/revise", `{"title":"Nyare","reason":"R",`+decision+`}`, 409, "If-Match", `"5"`)
	if a.body["field"] != "If-Match" || a.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("got %v", a.body)
	}
	if s.head() != head {
		t.Fatal("a refused revision was stored")
	}
}

func TestIdempotencyKeyStoresOnce(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	body := `{"title":"Ny","reason":"R",` + decision + `}`
	first := s.must("/goals/trygg/revise", body, 200, "If-Match", `"5"`, "Idempotency-Key", "rev-1")
	head := s.head()
	// The retry carries the same stale If-Match the first attempt did: it is the same request.
	again := s.must("/goals/trygg/revise", body, 200, "If-Match", `"5"`, "Idempotency-Key", "rev-1")
	if again.header.Get("Idempotent-Replayed") != "true" || again.header.Get("ETag") != first.header.Get("ETag") {
		t.Fatalf("retry answered %v %v", again.header, again.body)
	}
	if fmt.Sprint(again.body["events"]) != fmt.Sprint(first.body["events"]) || s.head() != head {
		t.Fatal("the retry was stored again, or answered other sequences")
	}
	// A multi-event decision retried is stored once as well.
	goal := `{"id":"g2","title":"T","level":"committee","owner":"bun","indicators":[{"name":"N","unit":"st","measure":"number","direction":"higher_is_better","targets":[{"year":2024,"value":1}]}],` + decision + `}`
	a := s.must("/goals", goal, 201, "Idempotency-Key", "adopt-g2")
	head = s.head()
	b := s.post("/goals", goal, "Idempotency-Key", "adopt-g2")
	if fmt.Sprint(a.body) != fmt.Sprint(b.body) || s.head() != head {
		t.Fatalf("retried adoption: %v then %v", a.body, b.body)
	}
}

// A key used again for another request is refused with 422 and writes nothing, before and after a
// restart: the ledger keeps each key's request's fingerprint with its events.
func TestIdempotencyKeyReusedForAnotherRequest(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	first := s.must("/indicators/andel/values", `{"organ":"buf","year":2024,"value":81}`, 200, "Idempotency-Key", "v-2024")
	head := s.head()
	for i := range 2 {
		a := s.post("/indicators/andel/values", `{"organ":"buf","year":2024,"value":82}`, "Idempotency-Key", "v-2024")
		if a.status != 422 || a.body["field"] != "Idempotency-Key" || a.body["rule"] != "key_reused" || s.head() != head {
			t.Fatalf("attempt %d: another value under the same key: %d %v", i, a.status, a.body)
		}
		same := s.must("/indicators/andel/values", `{"organ":"buf","year":2024,"value":81}`, 200, "Idempotency-Key", "v-2024")
		if same.header.Get("Idempotent-Replayed") != "true" || same.header.Get("ETag") != first.header.Get("ETag") {
			t.Fatalf("attempt %d: the same request again: %v", i, same.header)
		}
		s.url, _ = s.serve(nil) // a new process: the fingerprints come back from the log
	}
}

// Each credential's idempotency keys are its own: a key another token used is a new request, and
// the same token's retry, even through another process (restarted), is the first answer again.
func TestIdempotencyKeysPerCredential(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	anna := s.withTokens(domain.Token{Role: domain.RoleReporter, Organ: "kf", Name: "Anna"})
	bo := s.withTokens(domain.Token{Role: domain.RoleReporter, Organ: "kf", Name: "Bo"})
	s.url, _ = s.serve(nil)
	value := `{"organ":"buf","year":2024,"value":81}`
	first := s.must("/indicators/andel/values", value, 200, "Idempotency-Key", "v-2024", "Authorization", "Bearer "+anna)
	other := s.must("/indicators/andel/values", value, 200, "Idempotency-Key", "v-2024", "Authorization", "Bearer "+bo)
	if other.header.Get("Idempotent-Replayed") != "" || other.header.Get("ETag") == first.header.Get("ETag") {
		t.Fatalf("another token's request was answered as Anna's: %v", other.header)
	}
	head := s.head()
	s.url, _ = s.serve(nil) // a new process: the keys come back from the log
	again := s.must("/indicators/andel/values", value, 200, "Idempotency-Key", "v-2024", "Authorization", "Bearer "+anna)
	if again.header.Get("Idempotent-Replayed") != "true" || again.header.Get("ETag") != first.header.Get("ETag") || s.head() != head {
		t.Fatalf("Anna's retry: %v", again.header)
	}
}

// 50 revisions of one goal against the same ETag, spread over two ledgers as over two processes:
// exactly one is stored. Within a process the ledger's lock decides; across them, the log.
func TestConcurrentRevisionsOneWins(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	other, _ := s.serve(nil)
	urls := []string{s.url, other}
	var wg sync.WaitGroup
	statuses := make(chan int, 50)
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := fmt.Sprintf(`{"title":"Version %d","reason":"R",%s}`, i, decision)
			req, _ := http.NewRequest("POST", urls[i%2]+"/goals/trygg/revise", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("If-Match", `"5"`)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for st := range statuses {
		count[st]++
	}
	if count[200] != 1 || count[409] != 49 {
		t.Fatalf("got %v, want one 200 and 49 409", count)
	}
	if s.head() != 11 {
		t.Fatalf("head %d, want 11: exactly one revision stored", s.head())
	}
}

func TestMultiEventDecisionIsAllOrNothing(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	head := s.head()
	a := s.must("/goals", `{"title":"T","level":"committee","owner":"bun","indicators":[
		{"id":"ok","name":"A","unit":"st","measure":"number","direction":"higher_is_better","targets":[{"year":2024,"value":1}]},
		{"id":"bad","name":"B","unit":"st","measure":"number","direction":"higher_is_better","targets":[{"year":2030,"value":1}]}],`+decision+`}`, 422)
	if a.body["field"] != "indicators[1].targets[0].year" || a.body["rule"] != "within_period" {
		t.Fatalf("got %v", a.body)
	}
	if s.head() != head {
		t.Fatal("part of a refused decision was stored")
	}
	// The same holds when the log, not the rules, refuses one member: an indicator id taken meanwhile.
	a = s.must("/goals", `{"title":"T","level":"committee","owner":"bun","indicators":[
		{"id":"new","name":"A","unit":"st","measure":"number","direction":"higher_is_better"},
		{"id":"brott","name":"B","unit":"st","measure":"number","direction":"higher_is_better"}],`+decision+`}`, 409)
	if s.head() != head {
		t.Fatal("part of a refused decision was stored")
	}
}

// Well-formed commands that the ledger's rules refuse get problem+json naming the field and the
// rule, and nothing is written.
func TestTheLedgerRefusesAndWritesNothing(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	for _, tt := range []struct {
		name, path, body string
		status           int
		field, rule      string
	}{
		{"value outside the mandate period", "/indicators/brott/values", `{"organ":"buf","year":2030,"value":1}`, 422, "year", "within_period"},
		{"target for an indicator that does not exist", "/indicators/nope/targets", `{"year":2025,"value":1,` + decision + `}`, 404, "id", "exists"},
		{"correct a value that was never reported", "/indicators/brott/values/nope/correct", `{"organ":"buf","value":1,"reason":"R"}`, 404, "value_id", "exists"},
		{"council goal decided by a committee", "/goals", `{"title":"T","level":"result","owner":"bun","period":"2023-2026","decision":{"organ":"bun","meeting_date":"2023-03-01","paragraph":"§ 4","case_number":"BUN 2023/7"}}`, 422, "level", "council_goal"},
		{"goal under an unknown parent", "/goals", `{"title":"T","level":"committee","owner":"bun","contributes_to":[{"goal":"nope"}],` + decision + `}`, 422, "contributes_to[0].goal", "exists"},
		{"organ registered twice", "/organs", `{"id":"kf","name":"KF","kind":"council"}`, 409, "id", "unique"},
		{"overlapping mandate period", "/periods", `{"id":"2025-2028"}`, 422, "id", "overlap"},
		{"decision in an unopened period", "/goals/trygg/retire", `{"reason":"R","period":"2027-2030","decision":{"organ":"kf","meeting_date":"2027-02-13","paragraph":"1","case_number":"2"}}`, 422, "period", "open_period"},
		{"body over the default limit", "/indicators/brott/values", `{"organ":"buf","year":2024,"value":1,"text":"` + strings.Repeat("x", 1<<20) + `"}`, 400, "body", "max_size"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			head := s.head()
			a := s.post(tt.path, tt.body)
			if a.status != tt.status || a.body["field"] != tt.field || a.body["rule"] != tt.rule {
				t.Fatalf("got %d %v, want %d field=%s rule=%s", a.status, a.body, tt.status, tt.field, tt.rule)
			}
			if a.header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("content type %s", a.header.Get("Content-Type"))
			}
			if s.head() != head {
				t.Fatal("a refused request was stored")
			}
		})
	}

	// A retired goal cannot be revised.
	s.must("/goals/trygg/retire", `{"reason":"Ersatt",`+decision+`}`, 200)
	head := s.head()
	if a := s.post("/goals/trygg/revise", `{"title":"Ny","reason":"R",`+decision+`}`); a.status != 422 || a.body["rule"] != "not_retired" || s.head() != head {
		t.Fatalf("got %d %v, head %d→%d", a.status, a.body, head, s.head())
	}
}

// refusals counts the decisions a log refused.
type refusals struct {
	domain.Log
	n atomic.Int64
}

func (l *refusals) Append(ctx context.Context, tenant string, a []domain.Append) ([]domain.Appended, error) {
	acks, err := l.Log.Append(ctx, tenant, a)
	if err != nil {
		l.n.Add(1)
	}
	return acks, err
}

// When a ledger decides on a stale view (another process wrote meanwhile), it is the log that
// refuses the decision, and it refuses all of it: the atomic batch stores no member.
func TestTheLogRefusesAStaleBatchWhole(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	var log *refusals
	url, _ := s.serve(func(l domain.Log) domain.Log { log = &refusals{Log: l}; return log })
	stale := &stack{t: t, url: url, nats: s.nats, store: s.store}

	// Another process defines an indicator that the second ledger has not read.
	s.must("/indicators", `{"id":"late","name":"Sent","unit":"st","measure":"number","direction":"higher_is_better",`+decision+`}`, 201)
	head := s.head()
	a := stale.post("/goals", `{"id":"g9","title":"T","level":"committee","owner":"bun","indicators":[
		{"id":"fresh","name":"A","unit":"st","measure":"number","direction":"higher_is_better","targets":[{"year":2024,"value":1}]},
		{"id":"late","name":"B","unit":"st","measure":"number","direction":"higher_is_better"}],`+decision+`}`)
	if a.status != 409 {
		t.Fatalf("got %d %v, want 409", a.status, a.body)
	}
	if log.n.Load() == 0 {
		t.Fatal("the log was never asked: the test did not exercise the atomic batch")
	}
	if s.head() != head {
		t.Fatalf("head moved %d→%d: part of a refused batch was stored", head, s.head())
	}
	for _, ref := range []domain.Ref{{Kind: domain.KindGoal, ID: "g9"}, {Kind: domain.KindIndicator, ID: "fresh"}} {
		if evs, err := s.store.Load(context.Background(), "test", ref); err != nil || len(evs) != 0 {
			t.Fatalf("%s: %d events, %v", ref, len(evs), err)
		}
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func TestUnknownTenantAndRoute(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	other := &stack{t: t, url: strings.TrimSuffix(s.url, "/test") + "/nobody", store: s.store}
	if a := other.post("/goals/trygg/retire", `{"reason":"R",`+decision+`}`); a.status != 404 || a.body["field"] != "tenant" {
		t.Fatalf("got %d %v", a.status, a.body)
	}
	if a := s.post("/goals/trygg/polish", `{}`); a.status != 404 || a.body["code"] != "not_found" {
		t.Fatalf("got %d %v", a.status, a.body)
	}
}
