package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/taktledger/takt/api"
	"github.com/taktledger/takt/cmd/takt/demo"
	"github.com/taktledger/takt/domain"
)

// runAuthenticated runs takt serve with authentication on, in a fresh data directory on a free
// port, with what configure sets, and closes it when the test ends.
func runAuthenticated(t *testing.T, configure func(*Config)) *Main {
	t.Helper()
	m := NewMain()
	m.Config.DataDir = t.TempDir()
	configure(&m.Config)
	m.Config.Addr = "127.0.0.1:0"
	m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	m.Stdout = io.Discard
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// serveAuthenticated runs takt serve --demo with authentication on, as a new user does, and
// returns it with the demo tokens it wrote, by role.
func serveAuthenticated(t *testing.T, tenants ...string) (*Main, map[domain.Role]string) {
	t.Helper()
	m := runAuthenticated(t, func(c *Config) {
		c.Demo = true
		c.Tenants = append([]string{demo.DefaultTenant}, tenants...)
		c.RateLimit = -1 // the matrix sends many requests at once; the limit has its own test
	})
	env, err := os.ReadFile(demoTokensFile(m.Config.DataDir))
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[domain.Role]string{}
	for _, line := range strings.Split(string(env), "\n") {
		name, token, ok := strings.Cut(line, "=")
		if ok && strings.HasPrefix(name, "TAKT_") {
			tokens[domain.Role(strings.ToLower(strings.TrimPrefix(name, "TAKT_")))] = token
		}
	}
	if len(tokens) != len(domain.Roles) {
		t.Fatalf("demo tokens %v", tokens)
	}
	return m, tokens
}

// call sends a request with an optional bearer token and returns the status, the problem's field
// and rule if it is one, and the body. A stream's body is not read: its status is enough.
func call(t *testing.T, method, url, token, body string) (int, string, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") == "text/event-stream" {
		return resp.StatusCode, "", "", ""
	}
	b, _ := io.ReadAll(resp.Body)
	var p struct{ Field, Rule string }
	if resp.Header.Get("Content-Type") == "application/problem+json" {
		json.Unmarshal(b, &p)
	}
	return resp.StatusCode, p.Field, p.Rule, string(b)
}

// Every role on every route of a running takt serve answers as docs/security.md's matrix says:
// no token → 401, a role the route is not for → 403, a role it is for → neither; a token of
// another tenant → 403 everywhere; a forged, expired or revoked token → 401. Nothing is written
// by any of it.
func TestEveryRoleOnEveryRoute(t *testing.T) {
	m, tokens := serveAuthenticated(t, "other")
	ctx := context.Background()
	other, _, err := m.tokens.Create(ctx, domain.Token{Tenant: "other", Role: domain.RoleAdmin, Name: "Other's admin"})
	if err != nil {
		t.Fatal(err)
	}
	head := func() uint64 {
		h, err := m.ledger.Log.(interface {
			Head(context.Context, string) (uint64, error)
		}).Head(ctx, demo.DefaultTenant)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	before := head()

	params := regexp.MustCompile(`\{(\w+)\}`)
	ids := map[string]string{"tenant": demo.DefaultTenant, "kinds": "goals", "id": demo.GoalID, "value_id": "v2024"}
	table := api.AccessTable()
	if len(table) < 45 {
		t.Fatalf("the access table has %d routes", len(table))
	}
	checked := 0
	for _, a := range table {
		path := params.ReplaceAllStringFunc(strings.TrimSuffix(a.Path, "{$}"), func(p string) string { return ids[p[1:len(p)-1]] })
		url := m.URL() + path
		body := ""
		if a.Method == "POST" {
			body = "{}" // well-formed, and invalid for every command: an allowed role writes nothing
		}
		status, _, _, _ := call(t, a.Method, url, "", body)
		if a.Roles == nil {
			if status != http.StatusOK {
				t.Errorf("%s %s without a token: %d, want 200", a.Method, path, status)
			}
			continue
		}
		if status != http.StatusUnauthorized {
			t.Errorf("%s %s without a token: %d, want 401", a.Method, path, status)
		}
		if status, field, _, _ := call(t, a.Method, url, other, body); status != http.StatusForbidden || field != "tenant" {
			t.Errorf("%s %s with tenant other's token: %d %s, want 403 tenant", a.Method, path, status, field)
		}
		for _, role := range domain.Roles {
			status, field, rule, b := call(t, a.Method, url, tokens[role], body)
			allowed := slices.Contains(a.Roles, role)
			switch {
			case allowed && (status == http.StatusUnauthorized || status == http.StatusForbidden):
				t.Errorf("%s %s as %s: %d %s, want it allowed", a.Method, path, role, status, b)
			case !allowed && (status != http.StatusForbidden || field != "Authorization" || rule != "role"):
				t.Errorf("%s %s as %s: %d %s/%s, want 403 role", a.Method, path, role, status, field, rule)
			}
			checked++
		}
	}
	t.Logf("%d routes × %d roles checked", len(table), len(domain.Roles))
	if checked < 200 {
		t.Fatalf("only %d role × route pairs checked", checked)
	}
	if after := head(); after != before {
		t.Fatalf("the matrix wrote %d events", after-before)
	}

	// A forged, an expired and a revoked token are refused; each says which.
	goals := m.URL() + "/v1/tenants/demo/goals"
	forged := tokens[domain.RoleAuditor][:len(tokens[domain.RoleAuditor])-1] + "x"
	if forged == tokens[domain.RoleAuditor] {
		forged = forged[:len(forged)-1] + "y"
	}
	soon := time.Now().Add(time.Hour)
	expiring, _, err := m.tokens.Create(ctx, domain.Token{Tenant: "demo", Role: domain.RoleAuditor, Name: "Short", Expires: &soon})
	if err != nil {
		t.Fatal(err)
	}
	if status, _, _, _ := call(t, "GET", goals, expiring, ""); status != 200 {
		t.Fatalf("a valid expiring token: %d", status)
	}
	m.tokens.Now = func() time.Time { return soon }
	revokedToken, revoked, err := m.tokens.Create(ctx, domain.Token{Tenant: "demo", Role: domain.RoleAuditor, Name: "Gone"})
	if err != nil {
		t.Fatal(err)
	}
	if status, _, _, b := call(t, "POST", m.URL()+"/v1/tenants/demo/tokens/"+revoked.ID+"/revoke", tokens[domain.RoleAdmin], ""); status != 200 {
		t.Fatalf("revoke: %d %s", status, b)
	}
	for token, rule := range map[string]string{forged: "token", expiring: "expired", revokedToken: "revoked", "takt_nonsense": "token"} {
		if status, field, got, _ := call(t, "GET", goals, token, ""); status != 401 || field != "Authorization" || got != rule {
			t.Errorf("token refused for %s: %d %s/%s", rule, status, field, got)
		}
	}
}

// What the issue names, one by one, through a running takt serve: a committee's secretary cannot
// revise another committee's goal, but may its own; a reporter cannot adopt goals; the council's
// secretary may revise a committee's goal; the actor is the token's name; the public role sees no
// actor names anywhere it may read.
func TestOrgansAndPersonalData(t *testing.T) {
	m, tokens := serveAuthenticated(t)
	ctx := context.Background()
	bun, _, err := m.tokens.Create(ctx, domain.Token{Tenant: "demo", Role: domain.RoleSecretary, Organ: "bun", Name: "Anna Berg"})
	if err != nil {
		t.Fatal(err)
	}
	base := m.URL() + "/v1/tenants/demo"
	revise := func(goal, organ string) string {
		return `{"title":"Omformulerat mål","reason":"Tydligare","period":"2023-2026",` +
			`"decision":{"organ":"` + organ + `","meeting_date":"2026-03-10","paragraph":"§ 30","case_number":"BUN 2026/12"}}`
	}
	if status, field, rule, b := call(t, "POST", base+"/goals/sn-aldre/revise", bun, revise("sn-aldre", "bun")); status != 403 || field != "id" || rule != "organ_scope" {
		t.Fatalf("bun's secretary revising sn's goal: %d %s", status, b)
	}
	if status, field, _, b := call(t, "POST", base+"/goals/bun-las/revise", bun, revise("bun-las", "sn")); status != 403 || field != "decision.organ" {
		t.Fatalf("bun's secretary recording sn's decision: %d %s", status, b)
	}
	status, _, _, b := call(t, "POST", base+"/goals/bun-las/revise", bun, revise("bun-las", "bun"))
	if status != 200 {
		t.Fatalf("bun's secretary revising bun's goal: %d %s", status, b)
	}
	var receipt struct{ ETag uint64 }
	json.Unmarshal([]byte(b), &receipt)
	if status, _, _, b := call(t, "POST", base+"/goals/sn-aldre/revise", tokens[domain.RoleSecretary], revise("sn-aldre", "kf")); status != 200 {
		t.Fatalf("the council's secretary revising sn's goal: %d %s", status, b)
	}
	adopt := `{"title":"Nytt mål","level":"committee","owner":"kf","period":"2023-2026",` +
		`"decision":{"organ":"kf","meeting_date":"2026-03-10","paragraph":"§ 31","case_number":"KS 2026/13"}}`
	if status, field, rule, b := call(t, "POST", base+"/goals", tokens[domain.RoleReporter], adopt); status != 403 || field != "Authorization" || rule != "role" {
		t.Fatalf("a reporter adopting a goal: %d %s", status, b)
	}

	// Tokens are made only for organs that can record: over HTTP and on the command line.
	for organ, rule := range map[string]string{"nosuch": "exists", demo.DissolvedOrgan: "organ_active", "bun": ""} {
		body := `{"role":"reporter","organ":"` + organ + `","name":"Bo"}`
		status, field, got, b := call(t, "POST", base+"/tokens", tokens[domain.RoleAdmin], body)
		if rule == "" && status != 201 || rule != "" && (status != 422 || field != "organ" || got != rule) {
			t.Errorf("a token for organ %s: %d %s", organ, status, b)
		}
		var out, errs strings.Builder
		err := runToken(ctx, []string{"token", "create", "--data", m.Config.DataDir, "--tenant", "demo", "--role", "reporter", "--organ", organ, "--name", "Bo"}[1:], &out, &errs)
		if (rule == "") != (err == nil) || rule == "" && !strings.HasPrefix(out.String(), "takt_") {
			t.Errorf("takt token create for organ %s: %v %q %q", organ, err, out.String(), errs.String())
		}
	}

	// The revision was recorded as the token's holder.
	_, _, _, b = call(t, "GET", base+"/goals/bun-las/history?min_seq="+jsonNumber(receipt.ETag), tokens[domain.RoleAuditor], "")
	if !strings.Contains(b, `"actor":"Anna Berg"`) {
		t.Fatalf("the auditor does not see who revised bun-las: %s", b)
	}

	// Every route the public may read, with the demo's ids, names no one.
	ids := map[string]string{"tenant": "demo", "kinds": "goals", "id": demo.GoalID}
	public := 0
	for _, a := range api.AccessTable() {
		if a.Method != "GET" || !slices.Contains(a.Roles, domain.RolePublic) || strings.HasSuffix(a.Path, "/live") {
			continue
		}
		for _, id := range []string{demo.GoalID, "bun-las", demo.RevisedIndicator, "ar-2024"} {
			ids["id"] = id
			path := regexp.MustCompile(`\{(\w+)\}`).ReplaceAllStringFunc(a.Path, func(p string) string { return ids[p[1:len(p)-1]] })
			status, _, _, b := call(t, "GET", m.URL()+path, tokens[domain.RolePublic], "")
			if status >= 500 || status == 401 || status == 403 {
				t.Errorf("GET %s as public: %d", path, status)
			}
			if strings.Contains(b, demo.Actor) || strings.Contains(b, "Anna Berg") || strings.Contains(b, `"actor"`) {
				t.Errorf("GET %s shows the public who recorded: %.300s", path, b)
			}
			public++
		}
	}
	if public < 30 {
		t.Fatalf("only %d public reads", public)
	}
	// The public's live updates name no one either.
	req, _ := http.NewRequest("GET", base+"/live?from=1", nil)
	req.Header.Set("Authorization", "Bearer "+tokens[domain.RolePublic])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for n := 0; n < 200 && sc.Scan(); n++ {
		if strings.Contains(sc.Text(), demo.Actor) || strings.Contains(sc.Text(), "actor") {
			t.Fatalf("/live shows the public who recorded: %s", sc.Text())
		}
	}
}

func jsonNumber(n uint64) string { b, _ := json.Marshal(n); return string(b) }
