package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/taktledger/takt/audit"
	"github.com/taktledger/takt/auth"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/events/natstest"
	"github.com/taktledger/takt/projections"
)

// A data directory written by takt serve with its checkpointers verifies; checked with another
// key, its first checkpoint fails.
func TestVerify_DataDirectory(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := NewMain()
	m.Config.Addr, m.Config.DataDir, m.Logger, m.Stdout = "127.0.0.1:0", data, quiet, io.Discard
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cps := m.checkpoints // takt serve's own checkpointers
	decided := domain.Decided{Period: "2023-2026", Decision: domain.DecisionRef{Organ: "kf", MeetingDate: "2024-04-14", Paragraph: "30", CaseNumber: "KS 2024/30"}}
	for _, c := range []domain.Command{
		&domain.RegisterOrgan{ID: "kf", Name: "Kommunfullmäktige", Kind: "council"},
		&domain.OpenPeriod{ID: "2023-2026"},
		&domain.AdoptFollowUp{ID: "ar2023", Point: "annual", Year: 2023, Title: "Årsredovisning 2023", AsOf: "2023-12-31", Decided: decided},
		&domain.RegisterOrgan{ID: "ks", Name: "Kommunstyrelsen", Kind: "executive_board"},
	} {
		if _, err := m.ledger.Record(ctx, domain.Request{Tenant: "demo", Actor: "test", Command: c}); err != nil {
			t.Fatalf("%T: %v", c, err)
		}
	}
	tree := cps.Trees["demo"]
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got, err := tree.Checkpoints(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 1 && tree.Size() == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d checkpoints, tree of %d", len(got), tree.Size())
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := verify(ctx, &out, io.Discard, verifyFlags{offlineFlags: offlineFlags{logConfig: logConfig{DataDir: data}, Tenant: "all"}}); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	for _, want := range []string{"tenant       demo", "events       4 read", "checkpoints  1 read, 1 signatures verified", "inclusion    1 proofs verified", "from the tree file",
		"last         checkpoint 1, size 3", "uncovered    1 events after the last checkpoint", "ok"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// The published key, given as a file, verifies; another key does not.
	vkey := filepath.Join(data, "keys", audit.VerifierKeyFile)
	if err := verify(ctx, io.Discard, io.Discard, verifyFlags{offlineFlags: offlineFlags{logConfig: logConfig{DataDir: data}, Tenant: "demo"}, Key: vkey}); err != nil {
		t.Errorf("with the key file: %v", err)
	}
	other, _, err := audit.LoadOrCreateKey(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = verify(ctx, &out, io.Discard, verifyFlags{offlineFlags: offlineFlags{logConfig: logConfig{DataDir: data}, Tenant: "all"}, Key: other.VKey})
	if err == nil || !strings.Contains(err.Error(), "checkpoint 1 (size 3): signed by key takt+") {
		t.Errorf("with another key: %v\n%s", err, out.String())
	}

	// takt key prints the key it signs with, and makes none anew.
	stdout := os.Stdout
	r, w, _ := os.Pipe()
	os.Stdout = w
	err = runKey(ctx, []string{"--data", data})
	w.Close()
	os.Stdout = stdout
	printed, _ := io.ReadAll(r)
	key, kerr := audit.LoadKey(filepath.Join(data, "keys"))
	if err != nil || kerr != nil || strings.TrimSpace(string(printed)) != key.VKey {
		t.Errorf("takt key printed %q, %v, %v", printed, err, kerr)
	}
}

// auditedData records a short term in a data directory through takt serve, then brings the tree
// and the checkpoints up to the log's head offline, so that nothing is left to a background
// checkpointer: checkpoint 1 at the annual report (size 3), checkpoint 2 of all 8 events. It
// returns the data directory and its key.
func auditedData(t *testing.T) (string, *audit.Key) {
	t.Helper()
	ctx := context.Background()
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	m := mustRun(t, cfg)
	decided := domain.Decided{Period: "2023-2026", Decision: domain.DecisionRef{Organ: "kf", MeetingDate: "2024-04-14", Paragraph: "30", CaseNumber: "KS 2024/30"}}
	commands := []domain.Command{
		&domain.RegisterOrgan{ID: "kf", Name: "Kommunfullmäktige", Kind: "council"},
		&domain.OpenPeriod{ID: "2023-2026"},
		&domain.AdoptFollowUp{ID: "ar2023", Point: "annual", Year: 2023, Title: "Årsredovisning 2023", AsOf: "2023-12-31", Decided: decided},
	}
	for _, id := range []string{"ks", "bun", "sbn", "kfn", "vn"} {
		commands = append(commands, &domain.RegisterOrgan{ID: id, Name: "Nämnd " + id, Kind: "committee", Parent: "kf"})
	}
	for _, c := range commands {
		if _, err := m.ledger.Record(ctx, domain.Request{Tenant: "demo", Actor: "test", Command: c}); err != nil {
			t.Fatalf("%T: %v", c, err)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	o, err := openOffline(ctx, offlineFlags{logConfig: logConfig{DataDir: cfg.DataDir}, Tenant: "demo"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	key, err := audit.LoadKey(keyDir(cfg.DataDir))
	if err != nil {
		t.Fatal(err)
	}
	tree := projections.NewTree(treePath(cfg.DataDir, "demo"), "demo")
	if err := tree.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	cp := projections.NewCheckpointer(tree, o.store, o.store, key)
	cp.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := cp.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if size, err := cp.CatchUp(ctx); err != nil || size != 8 {
		t.Fatalf("tree of %d events, %v; want 8", size, err)
	}
	if err := errors.Join(cp.Publish(ctx), cp.Checkpoint(ctx, "interval")); err != nil {
		t.Fatal(err)
	}
	cps, err := tree.Checkpoints(ctx)
	if err != nil || len(cps) != 2 || cps[0].Size != 3 || cps[1].Size != 8 {
		t.Fatalf("checkpoints %+v, %v; want sizes 3 and 8", cps, err)
	}
	return cfg.DataDir, key
}

// takt backup writes the streams in the format of nats stream backup, and takt verify --backup
// verifies them as they are; a copy of them with an event rewritten, or with checkpoints signed by
// another key, fails naming the sequence or the checkpoint.
func TestVerify_Backup(t *testing.T) {
	ctx := context.Background()
	data, key := auditedData(t)
	dir := filepath.Join(t.TempDir(), "2026-11-23")
	out, err := cli(t, func(ctx context.Context, args []string, out, errs *bytes.Buffer) error {
		return runBackup(ctx, args, out, errs)
	}, "--data", data, "--out", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "TAKT_DEMO_CHECKPOINTS") || !strings.Contains(lines[0], "2 messages (seq 1 to 2)") ||
		!strings.HasPrefix(lines[1], "TAKT_DEMO ") || !strings.Contains(lines[1], "8 messages (seq 1 to 8)") {
		t.Errorf("takt backup printed\n%s", out)
	}
	for _, stream := range []string{"TAKT_DEMO", "TAKT_DEMO_CHECKPOINTS"} {
		for _, file := range []string{events.BackupMetaFile, events.BackupDataFile} {
			if _, err := os.Stat(filepath.Join(dir, stream, file)); err != nil {
				t.Error(err)
			}
		}
	}

	verifyBackup := func(dir string, flags verifyFlags) (string, error) {
		var out bytes.Buffer
		flags.Backup = dir
		if flags.Tenant == "" {
			flags.Tenant = "all"
		}
		err := verify(ctx, &out, io.Discard, flags)
		t.Logf("%v\n%s", err, out.String())
		return out.String(), err
	}
	report, err := verifyBackup(dir, verifyFlags{Key: key.VKey})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"backup       TAKT_DEMO: 8 messages (seq 1 to 8) from " + filepath.Join(dir, "TAKT_DEMO") + ", restored",
		"tenant       demo", "events       8 read and hashed", "checkpoints  2 read, 2 signatures verified", "roots        2 checkpoints match",
		"inclusion    2 proofs verified", "consistency  1 proofs verified", "last         checkpoint 2, size 8", "\nok\n"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	for _, tt := range []struct {
		dir   string
		flags verifyFlags
		want  string
	}{
		{dir, verifyFlags{}, "--backup needs --key"},
		{dir, verifyFlags{offlineFlags: offlineFlags{Tenant: "falun"}, Key: key.VKey}, "holds no backup of TAKT_FALUN, the event stream of tenant falun"},
		{filepath.Join(dir, "TAKT_DEMO"), verifyFlags{Key: key.VKey}, "no checkpoint to verify the log against"},
		{t.TempDir(), verifyFlags{Key: key.VKey}, "holds no backup of a takt event stream"},
	} {
		if _, err := verifyBackup(tt.dir, tt.flags); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %+v: %v, want %q", tt.dir, tt.flags, err, tt.want)
		}
	}

	// The backup restored, copied with one change into streams of the same names, and backed up
	// again: a copy an operator could hand over.
	restored := events.NewStore(natstest.Conn(t, natstest.Server(t)))
	for _, stream := range []string{"TAKT_DEMO", "TAKT_DEMO_CHECKPOINTS"} {
		if _, err := restored.RestoreStream(ctx, filepath.Join(dir, stream), 1); err != nil {
			t.Fatal(err)
		}
	}
	rewritten := tamperedBackup(t, restored, func(stream string, seq uint64, m *nats.Msg) {
		if stream == "TAKT_DEMO" && seq == 5 {
			m.Data = bytes.Replace(m.Data, []byte(`Nämnd bun`), []byte(`Nämnd BUN`), 1)
		}
	})
	report, err = verifyBackup(rewritten, verifyFlags{Key: key.VKey})
	if err == nil || !strings.HasPrefix(err.Error(), "tenant demo: seq 4: the events from seq 4 to 8 do not hash to the root checkpoint 2 (size 8) commits to") ||
		!strings.Contains(report, "roots        1 checkpoints match") || !strings.Contains(report, "FAILED       seq 4:") {
		t.Errorf("an event rewritten: %v", err)
	}
	other, _, err := audit.LoadOrCreateKey(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	resigned := tamperedBackup(t, restored, func(stream string, seq uint64, m *nats.Msg) {
		if stream == "TAKT_DEMO_CHECKPOINTS" {
			_, size, root, err := audit.ReadCheckpoint(m.Data)
			if err != nil {
				t.Fatal(err)
			}
			if m.Data, err = other.Sign("demo", size, root); err != nil {
				t.Fatal(err)
			}
		}
	})
	if _, err := verifyBackup(resigned, verifyFlags{Key: key.VKey}); err == nil || !strings.Contains(err.Error(), "checkpoint 1 (size 3): signed by key takt+") {
		t.Errorf("checkpoints from another key: %v", err)
	}
}

// tamperedBackup copies the tenant demo's streams from src, message by message, into streams of
// the same names and configuration on a NATS of its own, letting edit change each message first,
// and backs the copies up. It returns the backup's directory.
func tamperedBackup(t *testing.T, src *events.Store, edit func(stream string, seq uint64, m *nats.Msg)) string {
	t.Helper()
	ctx := context.Background()
	from, err := jetstream.New(src.Conn)
	if err != nil {
		t.Fatal(err)
	}
	dst := events.NewStore(natstest.Conn(t, natstest.Server(t)))
	to, err := jetstream.New(dst.Conn)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "copy")
	for _, name := range []string{"TAKT_DEMO_CHECKPOINTS", "TAKT_DEMO"} {
		stream, err := from.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		info := stream.CachedInfo()
		if _, err := to.CreateStream(ctx, info.Config); err != nil {
			t.Fatal(err)
		}
		for seq := uint64(1); seq <= info.State.LastSeq; seq++ {
			raw, err := stream.GetMsg(ctx, seq)
			if err != nil {
				t.Fatal(err)
			}
			m := &nats.Msg{Subject: raw.Subject, Data: raw.Data, Header: nats.Header{}}
			for k, v := range raw.Header {
				// Publishing them again would set the expectations and batches of the first time.
				if !strings.HasPrefix(k, "Nats-Expected-") && !strings.HasPrefix(k, "Nats-Batch-") {
					m.Header[k] = v
				}
			}
			edit(name, seq, m)
			if ack, err := to.PublishMsg(ctx, m); err != nil || ack.Sequence != seq {
				t.Fatalf("%s seq %d: %+v, %v", name, seq, ack, err)
			}
		}
		if _, err := dst.BackupStream(ctx, name, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// takt verify --url verifies the log a running takt serves, with an auditor's token; without one
// it is told why not. A server that serves a rewritten or a missing event, or a proof that does
// not hold, is caught, naming the sequence.
func TestVerify_URL(t *testing.T) {
	ctx := context.Background()
	data, key := auditedData(t)
	tokens, err := openTokens(data)
	if err != nil {
		t.Fatal(err)
	}
	auditor, _, err := tokens.Create(ctx, auth.Token{Tenant: "demo", Role: domain.RoleAuditor, Name: "Revisionen"})
	if err != nil {
		t.Fatal(err)
	}
	public, _, err := tokens.Create(ctx, auth.Token{Tenant: "demo", Role: domain.RolePublic, Name: "Allmänheten"})
	if err != nil {
		t.Fatal(err)
	}
	tokens.Close()
	// takt serve as it runs in production: with the data directory's tokens.
	m := runAuthenticated(t, func(c *Config) { c.DataDir = data })

	// In front of takt serve, a proxy through which the test changes what takt serve answers.
	target, err := url.Parse(m.URL())
	if err != nil {
		t.Fatal(err)
	}
	var tamper atomic.Pointer[func(path string, answer map[string]any)]
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.ModifyResponse = func(resp *http.Response) error {
		edit := tamper.Load()
		if edit == nil || resp.StatusCode != 200 {
			return nil
		}
		var answer map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
			return err
		}
		resp.Body.Close()
		(*edit)(resp.Request.URL.Path+"?"+resp.Request.URL.RawQuery, answer)
		b, err := json.Marshal(answer)
		if err != nil {
			return err
		}
		resp.Body, resp.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
		return nil
	}
	front := httptest.NewServer(proxy)
	defer front.Close()

	verifyURL := func(edit func(path string, answer map[string]any), args ...string) (string, error) {
		tamper.Store(&edit)
		if edit == nil {
			tamper.Store(nil)
		}
		args = append([]string{"--url", front.URL, "--tenant", "demo", "--key", filepath.Join(data, "keys", audit.VerifierKeyFile)}, args...)
		out, err := cli(t, func(ctx context.Context, args []string, out, errs *bytes.Buffer) error {
			return runVerify(ctx, args, out, errs)
		}, args...)
		t.Logf("%v\n%s", err, out)
		return out, err
	}

	t.Setenv("TAKT_TOKEN", auditor)
	report, err := verifyURL(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"server       " + front.URL, "tenant       demo", "events       8 read and hashed", fmt.Sprintf("checkpoints  2 read, 2 signatures verified with key %s+%08x", key.Verifier.Name(), key.Verifier.KeyHash()),
		"roots        2 checkpoints match", "inclusion    2 proofs verified (the last event of each checkpoint), from the server's /proof",
		"consistency  1 proofs verified (each checkpoint against the one before), from the server's /proof", "last         checkpoint 2, size 8", "\nok\n"} {
		if !strings.Contains(report, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	t.Setenv("TAKT_TOKEN", "")
	if _, err := verifyURL(nil, "--token", auditor); err != nil {
		t.Errorf("with --token: %v", err)
	}
	if _, err := verifyURL(nil); err == nil || !strings.Contains(err.Error(), "/v1/tenants/demo/checkpoints: 401 Unauthorized: ") ||
		!strings.HasSuffix(err.Error(), "(give an auditor's token with --token or TAKT_TOKEN)") {
		t.Errorf("without a token: %v", err)
	}
	if _, err := verifyURL(nil, "--token", public); err == nil || !strings.Contains(err.Error(), "/v1/tenants/demo/log?from=1&limit=5000: 403 Forbidden: ") ||
		!strings.HasSuffix(err.Error(), "(the token's role may not read this; an auditor's may)") {
		t.Errorf("with the public's token: %v", err)
	}

	for _, tt := range []struct {
		flags verifyFlags
		want  string
	}{
		{verifyFlags{offlineFlags: offlineFlags{Tenant: "all"}, URL: front.URL, Key: key.VKey}, "--url needs --tenant"},
		{verifyFlags{offlineFlags: offlineFlags{Tenant: "demo"}, URL: front.URL}, "--url needs --key"},
		{verifyFlags{offlineFlags: offlineFlags{Tenant: "demo"}, URL: "takt.example.se", Key: key.VKey}, `--url "takt.example.se" is not the http or https address of a takt server`},
		{verifyFlags{offlineFlags: offlineFlags{Tenant: "demo"}, URL: front.URL, Backup: data, Key: key.VKey}, "--backup and --url each say where the log is: give one"},
	} {
		if err := verify(ctx, io.Discard, io.Discard, tt.flags); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: %v, want %q", tt.flags, err, tt.want)
		}
	}

	// What the server answers, changed on its way.
	records := func(answer map[string]any, fn func(seq uint64, r map[string]any) bool) {
		var kept []any
		for _, r := range answer["records"].([]any) {
			if r := r.(map[string]any); fn(uint64(r["seq"].(float64)), r) {
				kept = append(kept, r)
			}
		}
		answer["records"] = kept
	}
	for _, tt := range []struct {
		name string
		edit func(path string, answer map[string]any)
		want string
	}{
		{"an event rewritten", func(path string, answer map[string]any) {
			if strings.Contains(path, "/log?") {
				records(answer, func(seq uint64, r map[string]any) bool {
					if seq == 5 {
						data, _ := base64.StdEncoding.DecodeString(r["data"].(string))
						r["data"] = base64.StdEncoding.EncodeToString(bytes.Replace(data, []byte("Nämnd bun"), []byte("Nämnd BUN"), 1))
					}
					return true
				})
			}
		}, "tenant demo: seq 5: leaf hash differs from the one checkpoint 2 (size 8) commits to"},
		{"an event left out", func(path string, answer map[string]any) {
			if strings.Contains(path, "/log?") {
				records(answer, func(seq uint64, r map[string]any) bool { return seq != 5 })
			}
		}, "tenant demo: seq 5: missing: the log goes from seq 4 to seq 6"},
		{"an inclusion proof that does not hold", func(path string, answer map[string]any) {
			if strings.Contains(path, "/proof?") && answer["seq"] == 3.0 {
				answer["leaf"] = answer["root"]
			}
		}, "tenant demo: seq 3: the inclusion proof in checkpoint 1 (size 3) out of the server's /proof does not verify"},
		{"a consistency proof that does not hold", func(path string, answer map[string]any) {
			if strings.Contains(path, "/proof?") && answer["from_root"] != nil {
				answer["hashes"] = []any{answer["to_root"]}
			}
		}, "tenant demo: checkpoint 2 (size 8): the consistency proof from checkpoint 1 (size 3) out of the server's /proof does not verify"},
	} {
		_, err := verifyURL(tt.edit, "--token", auditor)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%s: %v\nwant %s", tt.name, err, tt.want)
		}
	}
}
