package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/taktledger/takt/events"
)

// An acknowledged decision survives the process being killed: takt serve answers 201 only after the
// embedded JetStream has synced the events to disk, a multi-event decision's batch included.
func TestKilledAfterAnswerKeepsTheEvent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	bin := filepath.Join(t.TempDir(), "takt")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()

	admin, secretary := token(t, bin, data, "admin"), token(t, bin, data, "secretary", "--organ", "kf")
	url, proc := start(t, bin, data)
	organ := record(t, url+"/v1/tenants/demo/organs", admin, `{"id":"kf","name":"Kommunfullmäktige","kind":"council"}`)
	proc.Process.Kill() // SIGKILL: no shutdown, no flush
	proc.Wait()

	url, proc = start(t, bin, data)
	if got := eventsOf(t, url+"/v1/tenants/demo/organs/kf/events", admin); !reflect.DeepEqual(got, organ) {
		t.Fatalf("after the restart got %+v, want %+v", got, organ)
	}
	record(t, url+"/v1/tenants/demo/periods", admin, `{"id":"2023-2026"}`)
	goal := record(t, url+"/v1/tenants/demo/goals", secretary, `{"id":"trygg","title":"Alla känner sig trygga","level":"result","owner":"kf",
		"indicators":[{"id":"andel","name":"Andel trygga","unit":"%","measure":"percent","direction":"higher_is_better","targets":[{"year":2025,"value":80}]}],
		"period":"2023-2026","decision":{"organ":"kf","meeting_date":"2023-02-13","paragraph":"§ 12","case_number":"KS 2023/45"}}`)
	proc.Process.Kill()
	proc.Wait()

	url, _ = start(t, bin, data)
	got := append(eventsOf(t, url+"/v1/tenants/demo/goals/trygg/events", admin), eventsOf(t, url+"/v1/tenants/demo/indicators/andel/events", admin)...)
	if len(goal) != 3 || !reflect.DeepEqual(got, goal) {
		t.Fatalf("after the restart got %+v, want %+v", got, goal)
	}
}

type stored struct {
	ID  string
	Seq uint64
}

// token creates a token of the demo tenant with `takt token create` on the data directory.
func token(t *testing.T, bin, data, role string, flags ...string) string {
	t.Helper()
	args := append([]string{"token", "create", "--data", data, "--tenant", "demo", "--role", role, "--name", "Test " + role}, flags...)
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		t.Fatalf("takt %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}

// bearer sends a request with a bearer token.
func bearer(t *testing.T, method, url, token, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// record posts a command that must create its aggregate, and returns the events it stored.
func record(t *testing.T, url, token, body string) []stored {
	t.Helper()
	resp := bearer(t, "POST", url, token, body)
	defer resp.Body.Close()
	var receipt struct{ Events []stored }
	if err := json.NewDecoder(resp.Body).Decode(&receipt); err != nil || resp.StatusCode != 201 {
		t.Fatalf("POST %s: %d %+v %v", url, resp.StatusCode, receipt, err)
	}
	return receipt.Events
}

func eventsOf(t *testing.T, url, token string) []stored {
	t.Helper()
	resp := bearer(t, "GET", url, token, "")
	defer resp.Body.Close()
	var got struct{ Events []stored }
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return got.Events
}

// start runs takt serve on a free port and returns the address it prints.
func start(t *testing.T, bin, data string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data)
	var logs bytes.Buffer // read only after Wait
	cmd.Stderr = &logs
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("takt serve's log:\n%s", logs.String())
		}
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if _, url, ok := strings.Cut(sc.Text(), "listening on "); ok {
				lines <- strings.Fields(url)[0]
			}
		}
	}()
	select {
	case url := <-lines:
		return url, cmd
	case <-time.After(30 * time.Second):
		t.Fatal("takt serve did not start")
	}
	return "", nil
}

// mustRun runs a Main on a free port with cfg, without authentication (--open) unless the test
// is about it, and closes it when the test ends.
func mustRun(t *testing.T, cfg Config) *Main {
	t.Helper()
	m := NewMain()
	m.Config = cfg
	m.Config.Addr = "127.0.0.1:0"
	m.Config.Open = true
	m.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	var out bytes.Buffer
	m.Stdout = &out
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	want := "takt: listening on " + m.URL() + " (tenants: " + strings.Join(cfg.Tenants, ", ") + ")\n" +
		"takt: WARNING: no authentication (--open): anyone who reaches " + m.URL() + " may record decisions\n"
	if out.String() != want {
		t.Fatalf("printed %q, want %q", out.String(), want)
	}
	return m
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	return string(b)
}

// Main end to end in the process: run, record, close gracefully, run again on the same data.
func TestMainRunAndClose(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Tenants = []string{"falun", "haninge"}
	m := mustRun(t, cfg)
	if resp, err := http.Get(m.URL() + "/healthz"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("healthz: %v %v", err, resp)
	}
	if status, body := post(t, m.URL()+"/v1/tenants/haninge/organs", `{"id":"kf","name":"Kommunfullmäktige","kind":"council"}`); status != 201 {
		t.Fatalf("got %d %s", status, body)
	}
	// The projection serves reads: the organ is there as soon as its sequence is applied.
	if body := get(t, m.URL()+"/v1/tenants/haninge/organs?min_seq=1"); !strings.Contains(body, `"name":"Kommunfullmäktige"`) {
		t.Fatalf("organs: %s", body)
	}
	// One process at a time owns a data directory.
	other := NewMain()
	other.Config = cfg
	other.Config.Addr = "127.0.0.1:0"
	if err := other.Run(context.Background()); !errors.Is(err, errBusy) {
		t.Fatalf("a second takt on the same data: %v", err)
	}
	other.Close()
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "nats", "jetstream")); err != nil {
		t.Fatalf("the embedded store is not under the data directory: %v", err)
	}

	m = mustRun(t, cfg)
	resp, err := http.Get(m.URL() + "/v1/tenants/haninge/organs/kf/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("ETag") != `"1"` {
		t.Fatalf("after a restart: %d ETag %s", resp.StatusCode, resp.Header.Get("ETag"))
	}
	// Tenants are kept apart: the other tenant has no such organ.
	if resp, _ := http.Get(m.URL() + "/v1/tenants/falun/organs/kf/events"); resp.StatusCode != 404 {
		t.Fatalf("falun sees haninge's organ: %d", resp.StatusCode)
	}
}

// With --nats-url, takt uses that server and starts none of its own.
func TestMainOnExternalNATS(t *testing.T) {
	ns := events.NewServer()
	ns.StoreDir = t.TempDir()
	if err := ns.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })

	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.NATSURL = ns.ClientURL()
	m := mustRun(t, cfg)
	if m.log.nats != nil {
		t.Fatal("an embedded server was started as well")
	}
	if status, body := post(t, m.URL()+"/v1/tenants/demo/organs", `{"id":"kf","name":"KF","kind":"council"}`); status != 201 {
		t.Fatalf("got %d %s", status, body)
	}
	// The data directory holds the projections only.
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "nats")); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("an embedded store was made: %v", err)
	}
	if _, err := os.Stat(projectionPath(cfg.DataDir, "demo")); err != nil {
		t.Fatalf("no projection: %v", err)
	}
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if head, err := events.NewStore(nc).Head(context.Background(), "demo"); err != nil || head != 1 {
		t.Fatalf("the external server holds %d events, %v", head, err)
	}
}

func TestParseFlags(t *testing.T) {
	m := NewMain()
	err := m.ParseFlags(context.Background(), []string{"--addr", ":0", "--data", "/srv/takt", "--tenant", "falun, haninge,,falun",
		"--nats-url", "nats://a:4222,nats://b:4222", "--nats-creds", "/etc/takt.creds", "--replicas", "3",
		"--demo", "--checkpoint-interval", "10m", "--oidc-jwks", "/etc/takt/jwks.json", "--oidc-issuer", "https://login.falun.se",
		"--oidc-audience", "takt", "--oidc-role-claim", "roll"})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Addr: ":0", logConfig: logConfig{DataDir: "/srv/takt", NATSURL: "nats://a:4222,nats://b:4222", NATSCreds: "/etc/takt.creds"},
		Replicas: 3, Tenants: []string{"falun", "haninge", "demo"}, Demo: true, CheckpointInterval: 10 * time.Minute,
		ReadyLagEvents: 1000, ReadyLag: 30 * time.Second,
		OIDC: oidcConfig{JWKS: "/etc/takt/jwks.json", Issuer: "https://login.falun.se", Audience: "takt",
			TenantClaim: "takt_tenant", RoleClaim: "roll", OrganClaim: "takt_organ"}}
	if !reflect.DeepEqual(m.Config, want) {
		t.Fatalf("got %+v, want %+v", m.Config, want)
	}
	if m := NewMain(); m.ParseFlags(context.Background(), nil) != nil || !reflect.DeepEqual(m.Config, DefaultConfig()) {
		t.Fatalf("defaults: %+v", m.Config)
	}
	for _, args := range [][]string{{"--tenant", " , "}, {"--nats-creds", "x.creds"}, {"--replicas", "0"}, {"--checkpoint-interval", "0s"}, {"extra"}} {
		if err := NewMain().ParseFlags(context.Background(), args); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// takt serve serves the live streams: an event recorded shows on /events with its sequence as id,
// and a shutdown ends an open stream rather than waiting for it.
func TestMainServesLiveStreams(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	m := mustRun(t, cfg)
	if status, body := post(t, m.URL()+"/v1/tenants/demo/organs", `{"id":"kf","name":"Kommunfullmäktige","kind":"council"}`); status != 201 {
		t.Fatalf("got %d %s", status, body)
	}
	resp, err := http.Get(m.URL() + "/v1/tenants/demo/live")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("live: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	for seen := false; !seen; {
		if !sc.Scan() {
			t.Fatalf("the stream ended before the event with id 1: %v", sc.Err())
		}
		seen = sc.Text() == "id: 1"
	}
	done := make(chan error, 1)
	go func() { done <- m.Close() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for an open live stream")
	}
}
