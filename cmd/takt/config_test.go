package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// clearEnv unsets every TAKT_* variable for the test, so that the machine's own do not leak in.
func clearEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "TAKT_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
}

func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "takt.conf")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A setting comes from its flag, else its environment variable, else the config file, else its
// default.
func TestConfigPrecedence(t *testing.T) {
	clearEnv(t)
	path := writeConfig(t, `
# takt on the cluster
addr = 0.0.0.0:9000
data = /var/lib/takt
nats-url = "nats://n1:4222,nats://n2:4222"
replicas = 3
tenant = falun
ready-lag = 1m
log-level = debug
`)
	t.Setenv("TAKT_CONFIG", path)
	t.Setenv("TAKT_ADDR", "0.0.0.0:9100")
	t.Setenv("TAKT_TENANTS", "falun,haninge")
	t.Setenv("TAKT_READY_LAG_EVENTS", "50")

	m := NewMain()
	if err := m.ParseFlags(context.Background(), []string{"--addr", ":0", "--ready-lag-events", "10"}); err != nil {
		t.Fatal(err)
	}
	want := DefaultConfig()
	want.Addr = ":0"                               // flag over env and file
	want.ReadyLagEvents = 10                       // flag over env
	want.Tenants = []string{"falun", "haninge"}    // env over file
	want.DataDir = "/var/lib/takt"                 // file over default
	want.NATSURL = "nats://n1:4222,nats://n2:4222" // file, quotes dropped
	want.Replicas, want.ReadyLag = 3, time.Minute  // file
	want.LogLevel = slog.LevelDebug                // file
	if !reflect.DeepEqual(m.Config, want) {
		t.Fatalf("got  %+v\nwant %+v", m.Config, want)
	}
	if !m.Logger.Enabled(context.Background(), slog.LevelDebug) {
		t.Error("--log-level debug did not reach the logger")
	}

	// --config on the command line wins over TAKT_CONFIG.
	other := writeConfig(t, "replicas = 5\n")
	m = NewMain()
	if err := m.ParseFlags(context.Background(), []string{"--config", other}); err != nil {
		t.Fatal(err)
	}
	if m.Config.Replicas != 5 || m.Config.DataDir != DefaultConfig().DataDir || m.Config.Addr != "0.0.0.0:9100" {
		t.Fatalf("got %+v", m.Config)
	}
}

func TestConfigErrors(t *testing.T) {
	clearEnv(t)
	for _, tt := range []struct {
		name, file string
		env        map[string]string
		want       string
	}{
		{"unknown key", "adress = :80\n", nil, `no setting "adress"`},
		{"no equals sign", "replicas 3\n", nil, "want key = value"},
		{"twice", "replicas = 3\nreplicas = 5\n", nil, "set twice"},
		{"bad value in file", "replicas = three\n", nil, `replicas="three"`},
		{"bad value in env", "", map[string]string{"TAKT_REPLICAS": "many"}, "TAKT_REPLICAS"},
		{"checked after env", "", map[string]string{"TAKT_REPLICAS": "0"}, "at least 1"},
		{"config names a config", "config = x\n", nil, `no setting "config"`},
		{"JWTs without an issuer", "oidc-jwks = /etc/takt/jwks.json\noidc-audience = takt\n", nil, "needs --oidc-issuer"},
		{"an issuer without JWTs", "", map[string]string{"TAKT_OIDC_ISSUER": "https://login.falun.se"}, "only --oidc-jwks"},
		{"JWTs when open", "open = true\noidc-jwks = /etc/takt/jwks.json\n", nil, "cannot take --oidc-jwks"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := []string{}
			if tt.file != "" {
				args = append(args, "--config", writeConfig(t, tt.file))
			}
			err := NewMain().ParseFlags(context.Background(), args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
	if err := NewMain().ParseFlags(context.Background(), []string{"--config", filepath.Join(t.TempDir(), "none.conf")}); err == nil {
		t.Fatal("a missing config file is no error")
	}
}

// takt serve --help documents every setting, each with its environment variable.
func TestServeHelpDocumentsEverySetting(t *testing.T) {
	clearEnv(t)
	m := NewMain()
	var out bytes.Buffer
	m.Stderr = &out
	if err := m.ParseFlags(context.Background(), []string{"--help"}); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("got %v", err)
	}
	help := out.String()
	for _, name := range []string{"addr", "data", "nats-url", "nats-creds", "replicas", "tenant", "demo", "checkpoint-interval",
		"ready-lag", "ready-lag-events", "log-level", "config", "oidc-jwks", "oidc-issuer", "oidc-audience", "oidc-tenant-claim",
		"oidc-role-claim", "oidc-organ-claim"} {
		if !strings.Contains(help, "  --"+name+" ") && !strings.Contains(help, "  --"+name+"\n") {
			t.Errorf("--help lacks --%s", name)
		}
		if !strings.Contains(help, "(env "+envName(name)) {
			t.Errorf("--help lacks %s", envName(name))
		}
	}
	if n := strings.Count(help, "(env TAKT_"); n != strings.Count(help, "\n  --") {
		t.Errorf("%d settings have an environment variable, of %d:\n%s", n, strings.Count(help, "\n  --"), help)
	}
	for _, want := range []string{"TAKT_TENANTS", "TAKT_NATS_URL", "default 127.0.0.1:8080"} {
		if !strings.Contains(help, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

// The offline commands find the data directory (and NATS) where takt serve does: their flag, else
// TAKT_DATA (TAKT_NATS_URL, TAKT_NATS_CREDS); a token made beside a configured server is its own.
func TestOfflineCommandsTakeTheLocationFromTheEnvironment(t *testing.T) {
	clearEnv(t)
	fromEnv, fromFlag := t.TempDir(), t.TempDir()
	t.Setenv("TAKT_DATA", fromEnv)
	ctx := context.Background()
	create := []string{"create", "--tenant", "demo", "--role", "auditor", "--name", "Revisionen"}
	for _, args := range [][]string{create, append(create, "--data", fromFlag)} {
		var out, errs strings.Builder
		if err := runToken(ctx, args, &out, &errs); err != nil {
			t.Fatalf("takt token %v: %v %s", args, err, errs.String())
		}
	}
	for _, dir := range []string{fromEnv, fromFlag} {
		if _, err := os.Stat(filepath.Join(dir, "tokens.db")); err != nil {
			t.Errorf("no tokens file in %s: %v", dir, err)
		}
	}
	if _, err := os.Stat(filepath.Join("takt-data", "tokens.db")); err == nil {
		t.Error("a tokens file was made in ./takt-data")
	}
}
