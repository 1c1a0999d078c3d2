package natstest

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/taktledger/takt/events"
)

// Server starts takt's embedded nats-server with JetStream on a random port, storing in a temporary
// directory, and stops it when the test ends. It does not sync every write: a test need not
// survive a power cut (the tests that kill takt run the real binary, which does).
func Server(tb testing.TB) *events.Server {
	tb.Helper()
	s := events.NewServer()
	s.StoreDir = tb.TempDir()
	s.SyncAlways = false
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Open(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// Conn connects to s in-process, and closes the connection when the test ends.
func Conn(tb testing.TB, s *events.Server) *nats.Conn {
	tb.Helper()
	nc, err := s.InProcessConn()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	return nc
}
