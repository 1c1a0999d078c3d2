package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"github.com/taktledger/takt/api"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
)

// Config is what takt serve is told.
type Config struct {
	Addr      string
	DataDir   string
	NATSURL   string
	NATSCreds string
	Tenants   []string
}

// Main is takt serve: it opens what it needs in Run and closes it, in reverse order, in Close.
type Main struct {
	Config Config
	Logger *slog.Logger
	Stdout *os.File

	server   *events.Server
	conn     *nats.Conn
	ledger   *domain.Ledger
	listener net.Listener
	http     *http.Server
}

func NewMain() *Main {
	return &Main{Config: Config{Addr: "127.0.0.1:8080", DataDir: "takt-data", Tenants: []string{"demo"}},
		Logger: slog.New(slog.NewJSONHandler(os.Stderr, nil)), Stdout: os.Stdout}
}

// ParseFlags reads the command line into m.Config.
func (m *Main) ParseFlags(args []string) error {
	fs := flag.NewFlagSet("takt serve", flag.ContinueOnError)
	fs.StringVar(&m.Config.Addr, "addr", m.Config.Addr, "HTTP listen address (host:port; :0 picks a free port)")
	fs.StringVar(&m.Config.DataDir, "data", m.Config.DataDir, "data directory; the embedded NATS store lives in <data>/nats")
	fs.StringVar(&m.Config.NATSURL, "nats-url", "", "use this NATS server or cluster instead of the embedded one")
	fs.StringVar(&m.Config.NATSCreds, "nats-creds", "", "credentials file for --nats-url")
	tenants := fs.String("tenant", strings.Join(m.Config.Tenants, ","), "comma-separated tenant ids (municipalities) to serve")
	if err := fs.Parse(args); err != nil {
		return err
	}
	m.Config.Tenants = strings.Split(*tenants, ",")
	return nil
}

// Run opens the log, loads the ledger and starts serving HTTP. It returns once listening.
func (m *Main) Run(ctx context.Context) error {
	if m.Config.NATSURL == "" {
		m.server = events.NewServer()
		m.server.StoreDir = filepath.Join(m.Config.DataDir, "nats")
		m.server.Logger = m.Logger
		if err := m.server.Open(ctx); err != nil {
			return fmt.Errorf("embedded nats: %w", err)
		}
		// Publishing in-process is the fast path; see DESIGN §4.
		conn, err := m.server.InProcessConn(nats.Name("takt"))
		if err != nil {
			return err
		}
		m.conn = conn
	} else {
		opts := []nats.Option{nats.Name("takt"), nats.MaxReconnects(-1)}
		if m.Config.NATSCreds != "" {
			opts = append(opts, nats.UserCredentials(m.Config.NATSCreds))
		}
		conn, err := nats.Connect(m.Config.NATSURL, opts...)
		if err != nil {
			return fmt.Errorf("connect to %s: %w", m.Config.NATSURL, err)
		}
		m.conn = conn
	}

	store := events.NewStore(m.conn)
	store.Logger = m.Logger
	m.ledger = domain.NewLedger(store, func() string { return uuid.Must(uuid.NewV7()).String() })
	m.ledger.Tenants = m.Config.Tenants
	m.ledger.Logger = m.Logger
	if err := m.ledger.Open(ctx); err != nil {
		return err
	}

	srv := api.NewServer(m.ledger)
	srv.Logger = m.Logger
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return err
	}
	m.listener = ln
	m.http = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go m.http.Serve(ln)
	fmt.Fprintf(m.Stdout, "takt: listening on %s (tenants: %s)\n", m.URL(), strings.Join(m.Config.Tenants, ", "))
	return nil
}

// URL is the address takt serves on.
func (m *Main) URL() string { return "http://" + m.listener.Addr().String() }

// Close stops taking requests, lets those in flight finish, and closes NATS.
func (m *Main) Close() error {
	var errs []error
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.http.Shutdown(ctx))
		cancel()
	}
	if m.conn != nil {
		errs = append(errs, m.conn.Drain())
	}
	if m.server != nil {
		errs = append(errs, m.server.Close())
	}
	return errors.Join(errs...)
}

func runServe(ctx context.Context, args []string) error {
	m := NewMain()
	if err := m.ParseFlags(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	<-ctx.Done()
	m.Logger.Info("shutting down")
	return m.Close()
}
