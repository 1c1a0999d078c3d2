package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/taktledger/takt/domain"
)

// get reads a query and returns its status, headers and raw body.
func (s *stack) get(path string, headers ...string) (int, http.Header, []byte) {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.url+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

// read reads a query that must answer 200 into out.
func (s *stack) read(path string, out any, headers ...string) {
	s.t.Helper()
	status, _, b := s.get(path, headers...)
	if status != 200 {
		s.t.Fatalf("GET %s: %d %s", path, status, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		s.t.Fatalf("GET %s: %v in %s", path, err, b)
	}
}

func etagOf(a answer) string { return strings.Trim(a.header.Get("ETag"), `"`) }

// A POST and then a GET with min_seq sees the new state: no sleep, no retry.
func TestReadYourWrites(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	etag := "5"
	for i := range 20 {
		title := fmt.Sprintf("Alla känner sig trygga, version %d", i)
		a := s.must("/goals/trygg/revise", `{"title":"`+title+`","reason":"R",`+decision+`}`, 200, "If-Match", etag)
		etag = etagOf(a)
		var g domain.GoalView
		s.read("/goals/trygg?min_seq="+etagOf(a), &g)
		if g.Title != title || fmt.Sprint(g.Seq) != etagOf(a) {
			t.Fatalf("read after write %d: %q at seq %d", i, g.Title, g.Seq)
		}
	}
	a := s.must("/indicators/brott/values", `{"organ":"buf","year":2024,"value":72.5}`, 200)
	var in domain.IndicatorView
	s.read("/indicators/brott?min_seq="+etagOf(a), &in)
	if in.Latest == nil || *in.Latest.Value != 72.5 || in.Status != domain.OffTrack {
		t.Fatalf("latest %+v, status %s", in.Latest, in.Status)
	}
}

// as_of picks what was in force, known_at what the ledger knew, both over HTTP.
func TestQueriesAreBitemporal(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	revision := `"period":"2023-2026","decision":{"organ":"kf","meeting_date":"2024-11-18","paragraph":"§ 140","case_number":"KS 2024/310"},"effective":"2025-01-01"`
	s.must("/indicators/andel/targets", `{"year":2025,"value":85,`+revision+`}`, 200)
	reported := s.must("/indicators/andel/values", `{"value_id":"v2024","organ":"buf","year":2024,"value":76}`, 200)
	corrected := s.must("/indicators/andel/values/v2024/correct", `{"organ":"buf","value":77.5,"reason":"Felräknat bortfall"}`, 200)

	target := func(query string) float64 {
		var in domain.IndicatorView
		s.read("/indicators/andel?"+query, &in)
		for _, tv := range in.Targets {
			if tv.Year == 2025 {
				return tv.Value
			}
		}
		t.Fatalf("%s: no 2025 target in %+v", query, in.Targets)
		return 0
	}
	if got := target("as_of=2024-12-31&min_seq=" + etagOf(corrected)); got != 80 {
		t.Fatalf("in force on 2024-12-31: target %v, want 80", got)
	}
	if got := target("as_of=2025-01-01"); got != 85 {
		t.Fatalf("in force on 2025-01-01: target %v, want 85", got)
	}
	latest := func(query string) float64 {
		var in domain.IndicatorView
		s.read("/indicators/andel?"+query, &in)
		return *in.Latest.Value
	}
	if got := latest("known_at=seq:" + etagOf(reported)); got != 76 {
		t.Fatalf("known before the correction: %v, want 76", got)
	}
	if got := latest(""); got != 77.5 {
		t.Fatalf("known after the correction: %v, want 77.5", got)
	}
	// Before anything was recorded the ledger knew no goal.
	if status, _, b := s.get("/goals/trygg?known_at=2000-01-01"); status != 404 {
		t.Fatalf("known_at 2000: %d %s", status, b)
	}

	var h struct {
		Versions []domain.Version `json:"versions"`
	}
	s.read("/goals/trygg/history", &h)
	// Written as encoding/json writes the versions it holds, states and diffs as the projection stored them.
	_, _, body := s.get("/goals/trygg/history")
	var again bytes.Buffer
	if err := json.NewEncoder(&again).Encode(h); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, again.Bytes()) {
		t.Fatalf("history\n%s\nencoding/json\n%s", body, again.Bytes())
	}
	var decisions []string
	for _, v := range h.Versions {
		if v.Kind == "target" && v.Decision != nil {
			decisions = append(decisions, v.Decision.Paragraph+" "+string(v.ValidFrom))
		}
	}
	if !slices.Contains(decisions, "§ 12 2023-02-13") || !slices.Contains(decisions, "§ 140 2025-01-01") {
		t.Fatalf("target versions in the history: %v", decisions)
	}
}

// The goal tree defaults to the period as_of falls in, and narrows by organ and level.
func TestGoalTreeQuery(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	s.must("/goals", `{"id":"skola","title":"Fler elever når målen","level":"committee","owner":"bun",
		"contributes_to":[{"goal":"trygg","weight":1}],`+decision+`}`, 201)
	var tree domain.GoalTree
	s.read("/goals?as_of=2024-06-01&min_seq="+fmt.Sprint(s.head()), &tree)
	if tree.Period != "2023-2026" || len(tree.Goals) != 2 || tree.Goals[0].ID != "trygg" {
		t.Fatalf("tree %+v", tree)
	}
	if len(tree.Goals[0].Indicators) != 2 || !slices.Contains(tree.Goals[0].Contributors, "skola") {
		t.Fatalf("council goal %+v", tree.Goals[0])
	}
	s.read("/goals?period=2023-2026&organ=bun&level=committee", &tree)
	if len(tree.Goals) != 1 || tree.Goals[0].ID != "skola" {
		t.Fatalf("narrowed tree %+v", tree.Goals)
	}
	if status, _, b := s.get("/goals?as_of=2031-01-01"); status != 400 || !strings.Contains(string(b), `"field":"period"`) {
		t.Fatalf("no period covers 2031: %d %s", status, b)
	}
}

// A follow-up report reopens as adopted, whatever was decided after it.
func TestFollowUpQuery(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	s.must("/followups", `{"id":"ar2024","point":"annual","year":2024,"title":"Årsredovisning 2024","as_of":"2024-12-31",`+
		`"period":"2023-2026","decision":{"organ":"kf","meeting_date":"2025-04-14","paragraph":"§ 50","case_number":"KS 2025/12"}}`, 201)
	a := s.must("/goals/trygg/revise", `{"title":"Omformulerat","reason":"R",`+decision+`}`, 200, "If-Match", "5")
	var rep domain.FollowUpReport
	s.read("/followups/ar2024?min_seq="+etagOf(a), &rep)
	if rep.FollowUp.Title != "Årsredovisning 2024" || len(rep.Tree.Goals) != 1 || rep.Tree.Goals[0].Title != "Alla känner sig trygga" {
		t.Fatalf("reopened %+v", rep)
	}
	var g domain.GoalView
	s.read("/goals/trygg", &g)
	if g.Title != "Omformulerat" {
		t.Fatalf("the goal now: %q", g.Title)
	}
}

// The decision log of a period as JSON and as CSV: the same rows.
func TestAuditExport(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	a := s.must("/goals/trygg/revise", `{"title":"Ny, med \"citat\", och komma","reason":"R",`+decision+`}`, 200, "If-Match", "5")
	var log struct {
		Period string
		Rows   []domain.AuditRow
	}
	s.read("/audit?min_seq="+etagOf(a), &log)
	if log.Period != "2023-2026" || len(log.Rows) < 7 {
		t.Fatalf("audit %+v", log)
	}
	for _, accept := range [][]string{nil, {"Accept", "text/csv"}} {
		path := "/audit?period=2023-2026"
		if accept == nil {
			path += "&format=csv"
		}
		status, h, b := s.get(path, accept...)
		if status != 200 || h.Get("Content-Type") != "text/csv; charset=utf-8" ||
			h.Get("Content-Disposition") != `attachment; filename=audit-test-2023-2026.csv` {
			t.Fatalf("csv: %d %v", status, h)
		}
		records, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(records[0], domain.AuditColumns) || len(records) != len(log.Rows)+1 {
			t.Fatalf("csv header %v and %d rows for %d", records[0], len(records)-1, len(log.Rows))
		}
		for i, row := range log.Rows {
			if !slices.Equal(records[i+1], row.Fields()) {
				t.Fatalf("csv row %d: %v, want %v", i, records[i+1], row.Fields())
			}
		}
	}
	// What a client wrote, and the name an admin gave a token, cannot become a formula in an
	// auditor's spreadsheet.
	token := s.withTokens(domain.Token{Role: domain.RoleSecretary, Organ: "kf", Name: `=HYPERLINK("http://x")`})
	s.url, _ = s.serve(nil)
	b := s.must("/goals/trygg/revise", `{"title":"T","reason":"@SUM(1+1)",`+decision+`}`, 200, "If-Match", etagOf(a), "Authorization", "Bearer "+token)
	auditor := s.withTokens(domain.Token{Role: domain.RoleAuditor, Name: "Revisionen"})
	_, _, body := s.get("/audit?format=csv&min_seq="+etagOf(b), "Authorization", "Bearer "+auditor)
	records, _ := csv.NewReader(bytes.NewReader(body)).ReadAll()
	last := records[len(records)-1]
	if last[12] != `'=HYPERLINK("http://x")` || last[13] != "'@SUM(1+1)" {
		t.Fatalf("actor %q, reason %q", last[12], last[13])
	}
	var narrowed struct{ Rows []domain.AuditRow }
	s.read("/audit?organ=buf", &narrowed, "Authorization", "Bearer "+auditor)
	if len(narrowed.Rows) != 1 || narrowed.Rows[0].EventType != "organ.registered" || narrowed.Rows[0].ID != "buf" {
		t.Fatalf("the administration decided nothing, and was registered in the term: got %+v", narrowed.Rows)
	}
}

// Malformed reads get problem+json naming the parameter and the rule.
func TestQueryErrors(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	for _, c := range []struct {
		path   string
		status int
		field  string
		rule   string
	}{
		{"/goals?perod=2023-2026", 400, "perod", "known_parameter"},
		{"/goals?period=a&period=b", 400, "period", "single"},
		{"/goals?as_of=2024-02-30", 400, "as_of", "date"},
		{"/goals?known_at=yesterday", 400, "known_at", "time"},
		{"/goals?known_at=seq:0", 400, "known_at", "seq"},
		{"/goals?min_seq=-1", 400, "min_seq", "integer"},
		{"/goals?include_retired=maybe", 400, "include_retired", "boolean"},
		{"/goals/trygg/history?from=2024-13-01", 400, "from", "date"},
		{"/commitments?year=twenty", 400, "year", "integer"},
		{"/audit?format=xml", 400, "format", "enum"},
		{"/goals?period=2023-2026&level=bogus", 400, "level", "enum"},
		{"/goals?period=banana", 400, "period", "period_format"},
		{"/goals?period=1999-2002", 404, "period", ""},
		{"/goals?period=2023-2026&organ=nope", 404, "organ", ""},
		{"/commitments?period=banana", 400, "period", "period_format"},
		{"/commitments?period=1999-2002", 404, "period", ""},
		{"/commitments?organ=nope", 404, "organ", ""},
		{"/audit?period=banana", 400, "period", "period_format"},
		{"/audit?period=2023-2026&from=2026-01-01&to=2025-01-01", 400, "to", "range"},
		{"/goals?min_seq=1000000", 400, "min_seq", "in_log"},
		{"/goals/nosuch", 404, "id", ""},
		{"/indicators/nosuch", 404, "id", ""},
		{"/followups/nosuch", 404, "id", ""},
	} {
		status, h, b := s.get(c.path)
		var p struct{ Field, Rule string }
		json.Unmarshal(b, &p)
		if status != c.status || h.Get("Content-Type") != "application/problem+json" || p.Field != c.field || (c.rule != "" && p.Rule != c.rule) {
			t.Errorf("GET %s: %d %s, want %d field %q rule %q", c.path, status, b, c.status, c.field, c.rule)
		}
	}
	req, _ := http.NewRequest("GET", strings.Replace(s.url, "/test", "/other", 1)+"/goals", nil)
	if a := s.do(req); a.status != 404 || a.body["field"] != "tenant" {
		t.Fatalf("unknown tenant: %v", a.body)
	}
	// A sequence in the log that the projection has not applied in time is worth asking for again.
	s.ahead.Store(1 << 40)
	status, h, b := s.get("/goals?min_seq=1000000")
	if status != 503 || h.Get("Retry-After") == "" || !strings.Contains(string(b), `"rule":"applied"`) {
		t.Errorf("min_seq within the log, not applied: %d Retry-After %q %s", status, h.Get("Retry-After"), b)
	}
}

// The goal tree read at the projection's checkpoint takes each indicator's latest value from the
// current-state tables; read at an earlier sequence it replays history. Both must agree.
func TestGoalTreeCurrentEqualsReplayed(t *testing.T) {
	s := mustOpenStack(t)
	s.municipality()
	s.must("/indicators/brott/values", `{"value_id":"a","organ":"buf","year":2024,"value":72.5,"breakdown":{"women":70.1,"men":74.9}}`, 200)
	s.must("/indicators/brott/values", `{"value_id":"b","organ":"buf","year":2025,"point":"T1","value":69}`, 200)
	s.must("/indicators/brott/values", `{"value_id":"c","organ":"buf","year":2025,"point":"T2","value":71}`, 200)
	s.must("/indicators/brott/values/c/correct", `{"organ":"buf","value":66,"reason":"Fel underlag"}`, 200)
	s.must("/indicators/andel/values", `{"organ":"buf","year":2023,"value":81}`, 200)
	head := s.head()
	s.must("/organs", `{"id":"other","name":"Revisionen","kind":"committee","parent":"kf"}`, 201)
	var current, replayed domain.GoalTree
	s.read(fmt.Sprintf("/goals?min_seq=%d", head+1), &current)
	s.read(fmt.Sprintf("/goals?known_at=seq:%d", head), &replayed)
	a, _ := json.Marshal(current.Goals)
	b, _ := json.Marshal(replayed.Goals)
	if string(a) != string(b) {
		t.Fatalf("current:\n%s\nreplayed:\n%s", a, b)
	}
	if in := current.Goals[0].Indicators[1]; in.ID != "brott" || in.Latest == nil || *in.Latest.Value != 66 || in.Status != domain.OnTrack {
		t.Fatalf("brott: %+v latest %+v", in, in.Latest)
	}
}
