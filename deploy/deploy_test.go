// Package deploy_test checks the deployment files against the software they configure: the NATS
// configuration with the server's own parser, the permissions with a running server.
package deploy_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The passwords the configuration takes from the environment.
func setPasswords(t *testing.T) {
	t.Setenv("TAKT_NATS_PASSWORD", "takt-secret")
	t.Setenv("OPERATOR_NATS_PASSWORD", "operator-secret")
	t.Setenv("SYS_NATS_PASSWORD", "sys-secret")
}

func user(t *testing.T, opts *server.Options, name string) *server.User {
	t.Helper()
	for _, u := range opts.Users {
		if u.Username == name {
			return u
		}
	}
	t.Fatalf("no user %s", name)
	return nil
}

// deny lists the subjects the protected user may not publish to.
var deny = []string{"$JS.API.STREAM.DELETE.>", "$JS.API.STREAM.PURGE.>"}

// The three nodes parse with nats-server's own parser, form one cluster with routes to each other,
// run JetStream, and give takt's user every right but deleting and purging streams.
func TestNATSClusterConfig(t *testing.T) {
	setPasswords(t)
	files, err := filepath.Glob("nats/nats-*.conf")
	if err != nil || len(files) != 3 {
		t.Fatalf("want 3 node configurations, got %v %v", files, err)
	}
	names := map[string]bool{}
	for _, f := range files {
		opts, err := server.ProcessConfigFile(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		names[opts.ServerName] = true
		if !opts.JetStream || opts.StoreDir == "" {
			t.Errorf("%s: JetStream %v, store %q", f, opts.JetStream, opts.StoreDir)
		}
		if opts.Cluster.Name != "takt" || opts.Cluster.Port != 6222 || len(opts.Routes) != 3 {
			t.Errorf("%s: cluster %q on %d with %d routes", f, opts.Cluster.Name, opts.Cluster.Port, len(opts.Routes))
		}
		if opts.SystemAccount != "SYS" {
			t.Errorf("%s: system account %q", f, opts.SystemAccount)
		}
		takt := user(t, opts, "takt")
		if takt.Password != "takt-secret" || takt.Account == nil || takt.Account.Name != "TAKT" {
			t.Errorf("%s: takt user %+v", f, takt)
		}
		if takt.Permissions == nil || takt.Permissions.Publish == nil {
			t.Fatalf("%s: takt's user has no publish permissions", f)
		}
		for _, subject := range deny {
			if !slices.Contains(takt.Permissions.Publish.Deny, subject) {
				t.Errorf("%s: takt's user may publish to %s", f, subject)
			}
		}
		if op := user(t, opts, "operator"); op.Permissions != nil || op.Account == nil || op.Account.Name != "TAKT" {
			t.Errorf("%s: operator user %+v", f, op)
		}
	}
	if len(names) != 3 {
		t.Errorf("server names %v are not three distinct ones", names)
	}
}

// Under the configured accounts, takt's user can create and use a stream but cannot delete or
// purge it; the operator can.
func TestNATSPermissions(t *testing.T) {
	setPasswords(t)
	opts, err := server.ProcessConfigFile("nats/nats-0.conf")
	if err != nil {
		t.Fatal(err)
	}
	// One node alone, on free ports and a temporary store.
	opts.Host, opts.Port, opts.HTTPPort = "127.0.0.1", -1, 0
	opts.Cluster = server.ClusterOpts{}
	opts.Routes = nil
	opts.StoreDir = t.TempDir()
	opts.NoSigs, opts.NoLog = true, true
	ns, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}

	connect := func(user, password string) jetstream.JetStream {
		nc, err := nats.Connect(ns.ClientURL(), nats.UserInfo(user, password))
		if err != nil {
			t.Fatalf("%s: %v", user, err)
		}
		t.Cleanup(nc.Close)
		js, err := jetstream.New(nc)
		if err != nil {
			t.Fatal(err)
		}
		return js
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	takt := connect("takt", "takt-secret")
	for _, name := range []string{"TAKT_FALUN", "TAKT_HANINGE"} {
		if _, err := takt.CreateStream(ctx, jetstream.StreamConfig{Name: name, Subjects: []string{"takt." + strings.ToLower(name[5:]) + ".>"}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := takt.Publish(ctx, "takt.falun.organ.kf", []byte("{}")); err != nil {
		t.Fatal(err)
	}

	// A denied request is dropped by the server: the client sees no answer in time.
	short, cancelShort := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancelShort()
	if err := takt.DeleteStream(short, "TAKT_FALUN"); err == nil {
		t.Fatal("takt's user deleted a stream")
	}
	if s, _ := takt.Stream(ctx, "TAKT_FALUN"); s == nil {
		t.Fatal("the stream is gone")
	}
	short, cancelShort = context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancelShort()
	s, err := takt.Stream(ctx, "TAKT_FALUN")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Purge(short); err == nil {
		t.Fatal("takt's user purged a stream")
	}
	if info, err := s.Info(ctx); err != nil || info.State.Msgs != 1 {
		t.Fatalf("after a refused purge: %v %v", info, err)
	}

	operator := connect("operator", "operator-secret")
	if err := operator.DeleteStream(ctx, "TAKT_HANINGE"); err != nil {
		t.Fatalf("the operator cannot delete a stream: %v", err)
	}
	if _, err := operator.Stream(ctx, "TAKT_HANINGE"); !errors.Is(err, jetstream.ErrStreamNotFound) {
		t.Fatalf("after the operator's delete: %v", err)
	}
}
