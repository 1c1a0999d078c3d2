package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/taktledger/takt/api"
	"github.com/taktledger/takt/auth"
	"github.com/taktledger/takt/cmd/takt/demo"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/events/natstest"
	"github.com/taktledger/takt/projections"
)

// The acceptance test of the dashboard: a real headless Chromium against a real stack with the demo
// municipality, authentication and the security headers on. It signs in with an auditor's token,
// finds the goal tree, moves the as-of control to before the mid-term target revision and sees the
// old target, then reports a value through the API and sees it appear without a reload; signed
// out, it signs in again through a #token= link. Set TAKT_SKIP_BROWSER=1 to skip it, TAKT_SCREENSHOTS=dir to keep its
// screenshots.
func TestDashboardInABrowser(t *testing.T) {
	if os.Getenv("TAKT_SKIP_BROWSER") == "1" {
		t.Skip("TAKT_SKIP_BROWSER=1")
	}
	chromium := mustFindChromium(t)
	base, tokens := mustServeDemo(t)

	shots := t.TempDir()
	if dir := os.Getenv("TAKT_SCREENSHOTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		shots = dir
	}

	// This machine's closed network refuses Chromium's own background connections: turn them off.
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 1100),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	// Whatever the page logs as an error, and every exception, fails the test: a Content-Security-
	// Policy violation shows up here.
	var mu sync.Mutex
	var problems []string
	console := chromedp.Console(ctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				mu.Lock()
				problems = append(problems, fmt.Sprintf("%s: %s", m.Type, m.Text))
				mu.Unlock()
			}
		}
	}()
	fail := func(err error) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("%v\npage problems: %v", err, problems)
	}
	do := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			fail(err)
		}
	}
	eval := func(expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](expr)); err != nil {
			fail(err)
		}
	}
	// shot saves the whole page, or only what the window shows (for the README).
	shot := func(name string, whole bool) {
		t.Helper()
		capture := chromedp.CaptureScreenshot()
		if whole {
			capture = chromedp.FullScreenshot(100)
		}
		png, err := chromedp.Run(ctx, capture)
		if err != nil {
			fail(err)
		}
		path := filepath.Join(shots, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot %s", path)
	}
	// waitFor polls a JavaScript expression until it is true.
	waitFor := func(what, expr string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(15*time.Second))); err != nil {
			fail(fmt.Errorf("waiting for %s: %w", what, err))
		}
	}
	const (
		goal      = `#goal-tree li.goal[data-goal-id="` + demo.GoalID + `"]`
		indicator = `#goal-tree li.indicator[data-indicator="` + demo.RevisedIndicator + `"]`
	)
	target := fmt.Sprintf(`#indicator-view tr[data-target-year="%d"] [data-field="target-value"]`, demo.RevisedTargetYear)
	targetIs := func(v float64) string {
		return fmt.Sprintf(`(document.querySelector('%s') || {dataset: {}}).dataset.value === '%v'`, target, v)
	}

	start := time.Now()
	// Without a token the page asks for one; with the auditor's, it shows the ledger.
	do(chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`#signin`)))
	waitFor("the sign-in form", `document.body.dataset.signedIn === 'false' && !document.querySelector('#goal-tree li')`)
	do(chromedp.SetValue(chromedp.CSS(`#token`), tokens[domain.RoleAuditor]),
		chromedp.Click(chromedp.CSS(`#signin button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#goal-tree[data-known-at]`)),
		chromedp.WaitVisible(chromedp.CSS(goal)))
	waitFor("the live stream", `document.getElementById('live-status').dataset.state === 'open'`)
	shot("dashboard-tree.png", true)

	// The goal's audit timeline and its indicator over the term.
	do(chromedp.Click(chromedp.CSS(goal+` > .goal-head button.goal-title`)),
		chromedp.WaitVisible(chromedp.CSS(`#audit-timeline ol.timeline li[data-event-type="goal.revised"]`)),
		chromedp.Click(chromedp.CSS(indicator+` button`)),
		chromedp.WaitVisible(chromedp.CSS(`#indicator-view svg.chart[data-chart="`+demo.RevisedIndicator+`"]`)))
	waitFor("the revised target in force today", targetIs(demo.NewTarget))
	eval(`window.scrollTo(0, 0)`)
	shot("dashboard.png", false)

	// As in force before the revision: the old target.
	do(chromedp.SetValue(chromedp.CSS(`#as-of`), demo.OldTargetAsOf))
	eval(`document.getElementById('as-of').dispatchEvent(new Event('change'))`)
	waitFor("the old target as of "+demo.OldTargetAsOf, targetIs(demo.OldTarget))
	waitFor("the tree as of "+demo.OldTargetAsOf, `document.getElementById('goal-tree').dataset.asOf === '`+demo.OldTargetAsOf+`'`)
	shot("dashboard-as-of.png", true)
	do(chromedp.Click(chromedp.CSS(`#today`)))
	waitFor("the revised target again", targetIs(demo.NewTarget))

	// A value reported through the API appears without a reload: the mark would not survive one.
	eval(`window.taktNoReload = true`)
	body := `{"organ":"klk","year":2026,"point":"T2","value":71.5,"status":"preliminary","source":{"kind":"internal","description":"Kommunens fordonsregister"}}`
	req, _ := http.NewRequest("POST", base+"/v1/tenants/demo/indicators/"+demo.RevisedIndicator+"/values", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tokens[domain.RoleReporter])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("report a value: %d %s", resp.StatusCode, b)
	}
	waitFor("the reported value in the tree", `(document.querySelector('`+indicator+` [data-field="latest"]') || {dataset: {}}).dataset.value === '71.5'`)
	waitFor("the reported value in the indicator view", `!!document.querySelector('#indicator-view tr[data-year="2026"][data-value="71.5"]')`)
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.taktNoReload === true`))
	if err != nil {
		fail(err)
	}
	if !kept {
		t.Fatal("the page was reloaded to show the value")
	}
	shot("dashboard-live.png", true)

	// Known at the sequence before that report, the ledger did not have it.
	var receipt struct{ ETag uint64 }
	if err := json.Unmarshal(b, &receipt); err != nil {
		t.Fatal(err)
	}
	do(chromedp.SetValue(chromedp.CSS(`#known-at`), fmt.Sprintf("seq:%d", receipt.ETag-1)))
	eval(`document.getElementById('known-at').dispatchEvent(new Event('change'))`)
	waitFor("the tree as known before the report", `(document.querySelector('`+indicator+` [data-field="latest"]') || {dataset: {}}).dataset.value !== '71.5'`)
	do(chromedp.Click(chromedp.CSS(`#today`)))
	waitFor("the report known again", `(document.querySelector('`+indicator+` [data-field="latest"]') || {dataset: {}}).dataset.value === '71.5'`)

	// English is a click away, and Swedish one more.
	do(chromedp.Click(chromedp.CSS(`#lang`)))
	waitFor("English labels", `document.querySelector('#tree-panel h2').textContent === 'Goal tree' && document.documentElement.lang === 'en'`)
	do(chromedp.Click(chromedp.CSS(`#lang`)))
	waitFor("Swedish labels", `document.querySelector('#tree-panel h2').textContent === 'Målträd'`)

	// Signed out, the page forgets the token; a #token= link signs in again and leaves the
	// address without it. The public sees the goal's history without who recorded it.
	do(chromedp.Click(chromedp.CSS(`#signout`)), chromedp.WaitVisible(chromedp.CSS(`#signin`)))
	waitFor("the token forgotten", `sessionStorage.getItem('takt.token') === null`)
	do(chromedp.Navigate("about:blank"), chromedp.Navigate(base+"/?goal="+demo.GoalID+"#token="+tokens[domain.RolePublic]),
		chromedp.WaitVisible(chromedp.CSS(`#audit-timeline ol.timeline li[data-event-type="goal.revised"]`)))
	waitFor("the address without the token", `location.hash === '' && document.body.dataset.signedIn === 'true'`)
	waitFor("a history without names", `!document.getElementById('audit-timeline').textContent.includes('`+demo.Actor+`')`)

	mu.Lock()
	defer mu.Unlock()
	if len(problems) > 0 {
		t.Fatalf("the page logged problems:\n%s", strings.Join(problems, "\n"))
	}
	t.Logf("browser session %v", time.Since(start).Round(time.Millisecond))
}

// mustFindChromium finds Debian's chromium, installing it with the project's script when it is
// missing.
func mustFindChromium(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	script, err := filepath.Abs(filepath.Join("..", "scripts", "install-chromium.sh"))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("chromium is missing; running %s", script)
	out, err := exec.Command("sh", script).CombinedOutput()
	if err != nil {
		t.Fatalf("chromium is missing and %s could not install it (%v); install the chromium package, or set TAKT_SKIP_BROWSER=1 to skip this test:\n%s", script, err, out)
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("%s ran but chromium is still not on PATH:\n%s", script, out)
	}
	return p
}

// mustServeDemo starts the stack as takt serve does — an embedded nats-server, the ledger on an
// in-process connection, a projector and the live streams over TCP, tokens in a file of their own
// — loads the demo municipality through the ledger, and serves the API and the dashboard. It
// returns the server's URL and a token per role (the reporter's and secretary's for the council).
func mustServeDemo(t *testing.T) (string, map[domain.Role]string) {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	ns := natstest.Server(t)
	inproc, err := ns.InProcessConn()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(inproc.Close)
	tcp, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tcp.Close)

	tenant := demo.DefaultTenant
	ledger := domain.NewLedger(events.NewStore(inproc), func() string { return uuid.Must(uuid.NewV7()).String() })
	ledger.Tenants = []string{tenant}
	ledger.Logger = quiet
	if err := ledger.Open(ctx); err != nil {
		t.Fatal(err)
	}

	db := projections.NewDB(filepath.Join(t.TempDir(), tenant+".db"))
	db.Tenant = tenant
	db.Logger = quiet
	pctx, stop := context.WithCancel(context.Background())
	if err := db.Open(pctx); err != nil {
		t.Fatal(err)
	}
	reader := events.NewStore(tcp)
	p := projections.NewProjector(db, reader, tenant)
	p.Logger = quiet
	done := make(chan struct{})
	go func() { defer close(done); p.Run(pctx) }()
	t.Cleanup(func() { stop(); <-done; db.Close() })

	sum, err := demo.Load(ctx, ledger, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.WaitFor(ctx, sum.LastSeq); err != nil {
		t.Fatal(err)
	}

	keep, err := auth.OpenTokens(filepath.Join(t.TempDir(), auth.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { keep.Close() })
	tokens := map[domain.Role]string{}
	for _, role := range domain.Roles {
		spec := domain.Token{Tenant: tenant, Role: role, Name: "Browser " + string(role)}
		if role.OfOrgan() {
			spec.Organ = "kf"
		}
		if tokens[role], _, err = keep.Create(ctx, spec); err != nil {
			t.Fatal(err)
		}
	}

	srv := api.NewServer(ledger)
	srv.Auth, srv.Tokens = keep, keep
	srv.Queries = projections.Tenants{tenant: db}
	srv.Log = reader
	srv.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	hs := httptest.NewUnstartedServer(srv.Handler())
	hs.Config.RegisterOnShutdown(srv.CloseStreams)
	hs.Start()
	t.Cleanup(func() { srv.CloseStreams(); hs.Close() })
	return hs.URL, tokens
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}
