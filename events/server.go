package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// Server is a nats-server with JetStream embedded in the process: takt's log when no external NATS
// cluster is given. It is configured by its fields, then opened.
type Server struct {
	// StoreDir is where JetStream keeps the streams. Required.
	StoreDir string
	// Host and Port are where clients connect over TCP. Port -1 picks a free port, 0 the NATS default.
	Host string
	Port int
	// Name is the server's name; empty lets the server choose one.
	Name string
	// SyncAlways makes the server fsync every message before it acknowledges it. Without it the file
	// store syncs every two minutes, and an acknowledged decision could be lost with the machine.
	SyncAlways bool
	// Logger receives the server's log; nil keeps it silent.
	Logger *slog.Logger
	// MaxBatch caps the size of an atomic batch; 0 keeps the server default (1000).
	MaxBatch int

	ns *server.Server
}

// NewServer returns a Server on 127.0.0.1, a random port, with sync-always on. Set StoreDir and
// call Open.
func NewServer() *Server {
	return &Server{Host: "127.0.0.1", Port: -1, SyncAlways: true}
}

// Open starts the server and waits until it accepts connections, with JetStream running.
func (s *Server) Open(ctx context.Context) error {
	if s.StoreDir == "" {
		return errors.New("events: server needs a StoreDir")
	}
	opts := &server.Options{
		ServerName: s.Name,
		Host:       s.Host,
		Port:       s.Port,
		JetStream:  true,
		StoreDir:   s.StoreDir,
		SyncAlways: s.SyncAlways,
		NoSigs:     true, // the process owns its signals
		NoLog:      true, // the server would log to stdout; Logger takes its place
	}
	opts.JetStreamLimits.MaxBatchSize = s.MaxBatch
	ns, err := server.NewServer(opts)
	if err != nil {
		return fmt.Errorf("events: nats-server: %w", err)
	}
	if s.Logger != nil {
		ns.SetLoggerV2(slogLogger{s.Logger}, false, false, false)
	}
	ns.Start()

	deadline := time.Now().Add(30 * time.Second)
	if d, ok := ctx.Deadline(); ok {
		deadline = d
	}
	for !ns.ReadyForConnections(50 * time.Millisecond) {
		if ctx.Err() != nil || time.Now().After(deadline) {
			ns.Shutdown()
			ns.WaitForShutdown()
			return fmt.Errorf("events: nats-server did not get ready: %w", context.Cause(ctx))
		}
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		ns.WaitForShutdown()
		return errors.New("events: nats-server started without JetStream")
	}
	s.ns = ns
	return nil
}

// ClientURL returns the URL a client connects to over TCP.
func (s *Server) ClientURL() string { return s.ns.ClientURL() }

// InProcessConn connects to the server without the network. Publishing in-process is faster than
// over loopback TCP; consuming is slower, so let long readers (the projector) use ClientURL.
func (s *Server) InProcessConn(opts ...nats.Option) (*nats.Conn, error) {
	opts = append([]nats.Option{nats.InProcessServer(s.ns), nats.Name("takt")}, opts...)
	return nats.Connect("", opts...)
}

// NATS returns the embedded server, for what this type does not wrap.
func (s *Server) NATS() *server.Server { return s.ns }

// Close shuts the server down and waits until it has stopped.
func (s *Server) Close() error {
	if s.ns == nil {
		return nil
	}
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
	s.ns = nil
	return nil
}

// slogLogger passes the server's log to slog.
type slogLogger struct{ l *slog.Logger }

func (l slogLogger) Noticef(format string, v ...any) { l.l.Info(fmt.Sprintf(format, v...)) }
func (l slogLogger) Warnf(format string, v ...any)   { l.l.Warn(fmt.Sprintf(format, v...)) }
func (l slogLogger) Fatalf(format string, v ...any)  { l.l.Error(fmt.Sprintf(format, v...)) }
func (l slogLogger) Errorf(format string, v ...any)  { l.l.Error(fmt.Sprintf(format, v...)) }
func (l slogLogger) Debugf(format string, v ...any)  { l.l.Debug(fmt.Sprintf(format, v...)) }
func (l slogLogger) Tracef(format string, v ...any)  { l.l.Debug(fmt.Sprintf(format, v...)) }
