package events_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/taktledger/takt/events"
)

func TestServer(t *testing.T) {
	var logs bytes.Buffer
	s := events.NewServer()
	if !s.SyncAlways || s.Port != -1 || s.Host != "127.0.0.1" {
		t.Fatalf("defaults: %+v", s)
	}
	if err := s.Open(context.Background()); err == nil {
		t.Fatal("Open without a StoreDir: no error")
	}
	s.StoreDir = t.TempDir()
	s.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	if err := s.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !s.NATS().JetStreamConfig().SyncAlways {
		t.Error("JetStream does not sync always")
	}

	// Over TCP, and in-process.
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	ip, err := s.InProcessConn()
	if err != nil {
		t.Fatal(err)
	}
	defer ip.Close()
	st := events.NewStore(ip)
	if err := st.EnsureTenant(context.Background(), "demo"); err != nil {
		t.Fatal(err)
	}
	if logs.Len() == 0 {
		t.Error("the server logged nothing to its Logger")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
