package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/taktledger/takt/api"
	"github.com/taktledger/takt/auth"
	"github.com/taktledger/takt/cmd/takt/demo"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/projections"
)

// Config is what takt serve is told on its command line.
type Config struct {
	Addr string // HTTP listen address; ":0" picks a free port
	logConfig
	Replicas int      // copies of each new stream; 3 on a cluster
	Tenants  []string // the municipalities served
	// Demo loads the demo municipality into tenant demo, through the command path, before serving.
	Demo bool
	// CheckpointInterval is how often a grown log gets a signed checkpoint, besides follow-up
	// reports and closed periods.
	CheckpointInterval time.Duration
	// A projection counts as ready (/readyz) while it is at most ReadyLagEvents records behind its
	// log's head, or the oldest record it has not applied was stored at most ReadyLag ago.
	ReadyLagEvents uint64
	ReadyLag       time.Duration
	LogLevel       slog.Level // the least level logged
	// Open serves without authentication: every request as takt's own. Only on a loopback address.
	Open bool
	// RateLimit is how many requests a second one token may send (0: takt's default; negative: no
	// limit), RateBurst how many at once.
	RateLimit float64
	RateBurst int
	// OIDC accepts the JWTs of the municipality's own identity provider besides takt tokens,
	// when its JWKS file is named.
	OIDC oidcConfig
}

// oidcConfig is where the identity provider's keys are and what its JWTs must say.
type oidcConfig struct {
	JWKS, Issuer, Audience             string
	TenantClaim, RoleClaim, OrganClaim string
}

// DefaultConfig is the configuration of a plain `takt serve`.
func DefaultConfig() Config {
	return Config{Addr: "127.0.0.1:8080", logConfig: logConfig{DataDir: "./takt-data"}, Replicas: 1, Tenants: []string{"demo"},
		CheckpointInterval: time.Hour, ReadyLagEvents: 1000, ReadyLag: 30 * time.Second,
		OIDC: oidcConfig{TenantClaim: auth.DefaultTenantClaim, RoleClaim: auth.DefaultRoleClaim, OrganClaim: auth.DefaultOrganClaim}}
}

// Main is takt serve. Run opens what it needs and returns once it is listening; Close closes it all,
// in reverse order of opening. ParseFlags is kept apart so that tests can set Config directly.
type Main struct {
	Config Config
	Logger *slog.Logger
	Stdout io.Writer // where the one "listening on" line goes
	Stderr io.Writer // where ParseFlags prints usage and --help
	// Metrics is the registry /metrics serves: this Main's own, made by Run.
	Metrics *prometheus.Registry

	level       *slog.LevelVar // NewMain's logger's
	lock        *os.File       // the data directory's
	tokens      *auth.Tokens
	log         *logConn
	ledger      *domain.Ledger
	dbs         projections.Tenants
	checkpoints *checkpointers
	projecting  context.CancelFunc // stops the projectors
	projectors  sync.WaitGroup
	listener    net.Listener
	http        *http.Server
	served      chan error // the HTTP server's end, if it ends by itself
}

// NewMain returns a Main with the default configuration, logging JSON to stderr.
func NewMain() *Main {
	level := new(slog.LevelVar)
	return &Main{Config: DefaultConfig(), Logger: slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level})),
		Stdout: os.Stdout, Stderr: os.Stderr, level: level}
}

// ParseFlags reads takt serve's command line into m.Config.
func (m *Main) ParseFlags(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("takt serve", flag.ContinueOnError)
	if m.Stderr != nil {
		fs.SetOutput(m.Stderr)
	}
	fs.StringVar(&m.Config.Addr, "addr", m.Config.Addr, "HTTP listen `address` (host:port; :0 picks a free port)")
	m.Config.logConfig.flags(fs)
	fs.IntVar(&m.Config.Replicas, "replicas", m.Config.Replicas, "copies of each new tenant stream (3 on a cluster)")
	tenants := fs.String("tenant", strings.Join(m.Config.Tenants, ","), "comma-separated tenant `ids` (municipalities) to serve")
	fs.BoolVar(&m.Config.Demo, "demo", m.Config.Demo, "load the demo municipality Älvby into tenant demo (idempotent: a second load adds nothing)")
	fs.DurationVar(&m.Config.CheckpointInterval, "checkpoint-interval", m.Config.CheckpointInterval, "how often a grown log gets a signed checkpoint, besides follow-up reports and closed periods")
	fs.Uint64Var(&m.Config.ReadyLagEvents, "ready-lag-events", m.Config.ReadyLagEvents, "/readyz: a projection is ready while at most this many `records` behind its log, or within --ready-lag")
	fs.DurationVar(&m.Config.ReadyLag, "ready-lag", m.Config.ReadyLag, "/readyz: a projection is ready while the oldest record it has not applied is at most this old, or within --ready-lag-events")
	fs.BoolVar(&m.Config.Open, "open", m.Config.Open, "serve without authentication, every request as takt's own: only on a loopback --addr, for trying takt out")
	fs.Float64Var(&m.Config.RateLimit, "rate-limit", m.Config.RateLimit, "the `number` of requests a second one token may send (0: 50; negative: no limit)")
	fs.IntVar(&m.Config.RateBurst, "rate-burst", m.Config.RateBurst, "the `number` of requests one token may send at once, within --rate-limit (0: 200)")
	fs.StringVar(&m.Config.OIDC.JWKS, "oidc-jwks", m.Config.OIDC.JWKS, "also accept JWTs signed by a key of this JWKS `file` (read again when it changes), besides takt tokens")
	fs.StringVar(&m.Config.OIDC.Issuer, "oidc-issuer", m.Config.OIDC.Issuer, "with --oidc-jwks: the iss a JWT must have (the identity provider's `URL`)")
	fs.StringVar(&m.Config.OIDC.Audience, "oidc-audience", m.Config.OIDC.Audience, "with --oidc-jwks: the `audience` a JWT's aud must contain")
	fs.StringVar(&m.Config.OIDC.TenantClaim, "oidc-tenant-claim", m.Config.OIDC.TenantClaim, "with --oidc-jwks: the `claim` naming the tenant")
	fs.StringVar(&m.Config.OIDC.RoleClaim, "oidc-role-claim", m.Config.OIDC.RoleClaim, "with --oidc-jwks: the `claim` naming the role")
	fs.StringVar(&m.Config.OIDC.OrganClaim, "oidc-organ-claim", m.Config.OIDC.OrganClaim, "with --oidc-jwks: the `claim` naming a secretary's or reporter's organ")
	fs.TextVar(&m.Config.LogLevel, "log-level", m.Config.LogLevel, "the least `level` logged: DEBUG, INFO, WARN or ERROR (the log is JSON on stderr)")
	fs.String(configFlag, "", "read settings from this `file` of key = value lines, keys named as the flags (nats-url = ...)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: takt serve [flags]\n\nServes the ledger over HTTP, on an embedded NATS JetStream unless --nats-url is given.\n\n"+
			"Each setting is taken from its flag, else its environment variable, else the config file, else its default.\n\n")
		printSettings(fs.Output(), fs)
	}
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return err
	} else if err != nil {
		return errUsage // the flag package has printed the error and the usage
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("takt serve takes no arguments, got %q", fs.Args())
	}
	if err := configure(fs, os.Getenv); err != nil {
		return err
	}
	if m.level != nil {
		m.level.Set(m.Config.LogLevel)
	}
	m.Config.Tenants = splitList(*tenants)
	switch {
	case len(m.Config.Tenants) == 0:
		return errors.New("--tenant names no tenant")
	case m.Config.Replicas < 1:
		return errors.New("--replicas must be at least 1")
	case m.Config.CheckpointInterval <= 0:
		return errors.New("--checkpoint-interval must be positive")
	case m.Config.Open && !api.Loopback(m.Config.Addr):
		return fmt.Errorf("--open serves without authentication, so only on a loopback address, not %s", m.Config.Addr)
	case m.Config.Open && m.Config.OIDC.JWKS != "":
		return errors.New("--open authenticates no one: it cannot take --oidc-jwks")
	case m.Config.OIDC.JWKS == "" && (m.Config.OIDC.Issuer != "" || m.Config.OIDC.Audience != ""):
		return errors.New("--oidc-issuer and --oidc-audience are for JWTs, which only --oidc-jwks turns on")
	case m.Config.OIDC.JWKS != "" && (m.Config.OIDC.Issuer == "" || m.Config.OIDC.Audience == ""):
		return errors.New("--oidc-jwks needs --oidc-issuer and --oidc-audience: the iss and aud its JWTs must have")
	}
	if m.Config.Demo && !slices.Contains(m.Config.Tenants, demo.DefaultTenant) {
		m.Config.Tenants = append(m.Config.Tenants, demo.DefaultTenant)
	}
	return m.Config.logConfig.check()
}

// splitList splits a comma-separated list, dropping blanks and repeats.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// Run takes the data directory, opens the log, loads each tenant's ledger, starts a projector per
// tenant and serves HTTP. It returns once listening; on an error, what it opened is closed by Close.
func (m *Main) Run(ctx context.Context) (err error) {
	if m.lock, err = lockData(m.Config.DataDir); err != nil {
		return err
	}
	if m.tokens, err = openTokens(m.Config.DataDir); err != nil {
		return err
	}
	if m.log, err = openLog(ctx, m.Config.logConfig, m.Logger); err != nil {
		return err
	}

	m.Metrics = prometheus.NewRegistry()
	m.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	store := events.NewStore(m.log.conn)
	store.Replicas = m.Config.Replicas
	store.Logger = m.Logger
	store.Metrics = events.NewMetrics(m.Metrics)
	store.Metrics.Watch(m.Config.Tenants...)
	m.ledger = domain.NewLedger(store, func() string { return uuid.Must(uuid.NewV7()).String() })
	m.ledger.Tenants = m.Config.Tenants
	m.ledger.Logger = m.Logger
	if err := m.ledger.Open(ctx); err != nil {
		return fmt.Errorf("open ledger: %w", err)
	}
	// The projectors, the checkpointers and the live streams read the log over its TCP connection.
	reader := events.NewStore(m.log.read)
	reader.Logger = m.Logger
	reader.Replicas = m.Config.Replicas // the checkpoint streams it creates are copied as the events are
	if err := m.project(ctx, reader); err != nil {
		return err
	}
	if m.checkpoints, err = startCheckpointers(ctx, m.Config.DataDir, reader, m.Config.Tenants, m.Config.CheckpointInterval, m.Logger); err != nil {
		return err
	}
	if m.Config.Demo {
		sum, err := demo.Load(ctx, m.ledger, demo.DefaultTenant)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		m.Logger.Info("demo municipality loaded", "tenant", sum.Tenant, "requests", sum.Requests, "appended", sum.Appended, "replayed", sum.Replayed)
	}

	mon := &monitor{store: store, read: m.log.read, dbs: m.dbs, tenants: m.Config.Tenants,
		maxLagEvents: m.Config.ReadyLagEvents, maxLag: m.Config.ReadyLag, now: time.Now}
	m.Metrics.MustRegister(mon)

	srv := api.NewServer(m.ledger)
	srv.Queries = m.dbs
	srv.Proofs = m.checkpoints.Trees
	srv.Log = reader
	srv.Logger = m.Logger
	srv.Metrics = api.NewMetrics(m.Metrics)
	srv.Readiness = mon
	srv.RateLimit, srv.RateBurst = m.Config.RateLimit, m.Config.RateBurst
	if m.Config.Open {
		// Without authentication no token routes either: no one may mint tokens for when it is back.
		srv.LoopbackOnly = true
		m.Logger.Warn("serving without authentication: every request is recorded as anonymous (--open)", "addr", m.Config.Addr)
	} else {
		if srv.Auth, err = m.authenticator(ctx); err != nil {
			return err
		}
		srv.Tokens = m.tokens
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", m.Config.Addr)
	if err != nil {
		return err
	}
	m.listener = ln
	m.http = &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		MaxHeaderBytes:    64 << 10,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn),
	}
	m.http.RegisterOnShutdown(srv.CloseStreams) // Shutdown would otherwise wait for every open stream
	m.served = make(chan error, 1)
	go func() { m.served <- m.http.Serve(ln) }()

	m.Logger.Info("listening", "url", m.URL(), "tenants", m.Config.Tenants, "embedded_nats", m.log.nats != nil)
	fmt.Fprintf(m.Stdout, "takt: listening on %s (tenants: %s)\n", m.URL(), strings.Join(m.Config.Tenants, ", "))
	switch {
	case m.Config.Open:
		fmt.Fprintf(m.Stdout, "takt: WARNING: no authentication (--open): anyone who reaches %s may record decisions\n", m.URL())
	case m.Config.Demo:
		if err := m.demoTokens(ctx); err != nil {
			return fmt.Errorf("demo tokens: %w", err)
		}
	}
	return nil
}

// authenticator is what takt serve authenticates with: the data directory's tokens, and with
// --oidc-jwks the identity provider's JWTs too.
func (m *Main) authenticator(ctx context.Context) (api.Authenticator, error) {
	c := m.Config.OIDC
	if c.JWKS == "" {
		return m.tokens, nil
	}
	o := auth.NewOIDC()
	o.JWKS, o.Issuer, o.Audience = c.JWKS, c.Issuer, c.Audience
	o.TenantClaim, o.RoleClaim, o.OrganClaim = c.TenantClaim, c.RoleClaim, c.OrganClaim
	o.Logger = m.Logger
	if err := o.Open(ctx); err != nil {
		return nil, err
	}
	m.Logger.Info("accepting JWTs", "issuer", o.Issuer, "audience", o.Audience, "jwks", o.JWKS)
	return &auth.Chain{Tokens: m.tokens, OIDC: o}, nil
}

// project opens each tenant's projection and starts its projector, reading from reader. A
// projector stops only when its SQLite file fails; that is logged, and reads then wait in vain.
func (m *Main) project(ctx context.Context, reader *events.Store) error {
	m.dbs = projections.Tenants{}
	metrics := projections.NewMetrics(m.Metrics)
	metrics.Watch(m.Config.Tenants...)
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	m.projecting = cancel
	for _, tenant := range m.Config.Tenants {
		db, err := openProjection(ctx, m.Config.DataDir, tenant, m.Logger)
		if err != nil {
			return fmt.Errorf("projection of %s: %w", tenant, err)
		}
		db.Head = func(ctx context.Context) (uint64, error) { return reader.Head(ctx, tenant) }
		m.dbs[tenant] = db
		p := projections.NewProjector(db, reader, tenant)
		p.Logger = m.Logger
		p.Metrics = metrics
		m.projectors.Add(1)
		go func() {
			defer m.projectors.Done()
			if err := p.Run(pctx); err != nil && pctx.Err() == nil {
				m.Logger.Error("projector stopped", "tenant", tenant, "err", err)
			}
		}()
	}
	return nil
}

// URL is where takt serves, with a host a client can dial.
func (m *Main) URL() string {
	addr := m.listener.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))
}

// Served returns a channel that receives the HTTP server's error if it stops by itself.
func (m *Main) Served() <-chan error { return m.served }

// Close stops taking requests and lets those in flight finish, stops the projectors after the batch
// they are applying, closes the projections, then NATS, then releases the data directory: the
// reverse of the order Run opened them in.
func (m *Main) Close() error {
	var errs []error
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.http.Shutdown(ctx))
		cancel()
	} else if m.listener != nil {
		errs = append(errs, m.listener.Close())
	}
	if m.projecting != nil {
		m.projecting()
		m.projectors.Wait()
	}
	if m.checkpoints != nil {
		errs = append(errs, m.checkpoints.Close())
	}
	for _, db := range m.dbs {
		errs = append(errs, db.Close())
	}
	if m.log != nil {
		errs = append(errs, m.log.Close())
	}
	if m.tokens != nil {
		errs = append(errs, m.tokens.Close())
	}
	if m.lock != nil {
		errs = append(errs, m.lock.Close())
	}
	return errors.Join(errs...)
}

// runServe is `takt serve`: it runs until SIGINT or SIGTERM, then shuts down gracefully. A second
// signal during the shutdown ends the process at once.
func runServe(ctx context.Context, args []string) error {
	m := NewMain()
	if err := m.ParseFlags(ctx, args); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := m.Run(ctx); err != nil {
		return errors.Join(err, m.Close())
	}
	var err error
	select {
	case <-ctx.Done():
		m.Logger.Info("shutting down", "cause", context.Cause(ctx).Error())
	case err = <-m.Served():
		m.Logger.Error("http server stopped", "err", err)
	}
	stop()
	return errors.Join(err, m.Close())
}

// minLevel passes on only records at min or above.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(attrs []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(attrs), h.min}
}

func (h minLevel) WithGroup(name string) slog.Handler {
	return minLevel{h.Handler.WithGroup(name), h.min}
}
