// Package natstest runs a NATS JetStream cluster inside a test process: three (or more)
// nats-servers on loopback, with cluster routes between them, each on its own store directory. A
// node can be stopped and started again on the same ports and store, as a machine that goes away
// and comes back.
package natstest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is a JetStream cluster of nodes on loopback.
type Cluster struct {
	Name  string
	Nodes []*Node
}

// Node is one server of a Cluster.
type Node struct {
	Name     string
	StoreDir string
	Port     int // client port
	Route    int // cluster port

	mu  sync.Mutex
	srv *server.Server
	cl  *Cluster
}

// Start starts a cluster of n nodes and waits until JetStream has a meta leader. The nodes are
// shut down when the test ends.
func Start(tb testing.TB, n int) *Cluster {
	tb.Helper()
	c := &Cluster{Name: "takt-test"}
	for i := range n {
		c.Nodes = append(c.Nodes, &Node{Name: fmt.Sprintf("n%d", i), StoreDir: tb.TempDir(), Port: freePort(tb), Route: freePort(tb), cl: c})
	}
	tb.Cleanup(func() {
		for _, node := range c.Nodes {
			node.Stop()
		}
	})
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i, node := range c.Nodes {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = node.start() }()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			tb.Fatal(err)
		}
	}
	if err := c.WaitReady(30 * time.Second); err != nil {
		tb.Fatal(err)
	}
	return c
}

// freePort returns a TCP port on loopback that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func (n *Node) options() *server.Options {
	var routes []string
	for _, o := range n.cl.Nodes {
		routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", o.Route))
	}
	return &server.Options{
		ServerName: n.Name,
		Host:       "127.0.0.1",
		Port:       n.Port,
		JetStream:  true,
		StoreDir:   n.StoreDir,
		Cluster:    server.ClusterOpts{Name: n.cl.Name, Host: "127.0.0.1", Port: n.Route},
		Routes:     server.RoutesFromStr(strings.Join(routes, ",")),
		NoSigs:     true,
		NoLog:      true,
	}
}

func (n *Node) start() error {
	srv, err := server.NewServer(n.options())
	if err != nil {
		return fmt.Errorf("natstest: %s: %w", n.Name, err)
	}
	srv.Start()
	if !srv.ReadyForConnections(20 * time.Second) {
		srv.Shutdown()
		return fmt.Errorf("natstest: %s did not start", n.Name)
	}
	n.mu.Lock()
	n.srv = srv
	n.mu.Unlock()
	return nil
}

// Stop shuts the node down and waits until it has stopped. Stopping a stopped node does nothing.
func (n *Node) Stop() {
	n.mu.Lock()
	srv := n.srv
	n.srv = nil
	n.mu.Unlock()
	if srv != nil {
		srv.Shutdown()
		srv.WaitForShutdown()
	}
}

// Restart starts a stopped node again, on its ports and its store.
func (n *Node) Restart(tb testing.TB) {
	tb.Helper()
	if err := n.start(); err != nil {
		tb.Fatal(err)
	}
}

// Running reports whether the node is up.
func (n *Node) Running() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.srv != nil
}

// Server returns the running nats-server, or nil.
func (n *Node) Server() *server.Server {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.srv
}

// URL is the node's client URL.
func (n *Node) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.Port) }

// URLs is the client URLs of all the nodes, comma-separated, as nats.Connect and takt's --nats-url
// take them.
func (c *Cluster) URLs() string {
	var urls []string
	for _, n := range c.Nodes {
		urls = append(urls, n.URL())
	}
	return strings.Join(urls, ",")
}

// Node returns the node named name, or nil.
func (c *Cluster) Node(name string) *Node {
	for _, n := range c.Nodes {
		if n.Name == name {
			return n
		}
	}
	return nil
}

// WaitReady waits until JetStream answers through every running node, which it does once the
// cluster has a meta leader.
func (c *Cluster) WaitReady(within time.Duration) error {
	deadline := time.Now().Add(within)
	for _, n := range c.Nodes {
		if !n.Running() {
			continue
		}
		for {
			err := ping(n.URL())
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("natstest: JetStream on %s is not ready: %w", n.Name, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

func ping(url string) error {
	nc, err := nats.Connect(url, nats.NoReconnect())
	if err != nil {
		return err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err = js.AccountInfo(ctx)
	return err
}

// StreamLeader returns the node that leads stream, asking through nc.
func (c *Cluster) StreamLeader(ctx context.Context, nc *nats.Conn, stream string) (*Node, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, err
	}
	info := s.CachedInfo()
	if info.Cluster == nil || info.Cluster.Leader == "" {
		return nil, fmt.Errorf("natstest: stream %s has no leader", stream)
	}
	if n := c.Node(info.Cluster.Leader); n != nil {
		return n, nil
	}
	return nil, fmt.Errorf("natstest: stream %s is led by %s, not a node of this cluster", stream, info.Cluster.Leader)
}

// WaitCurrent waits until every replica of stream is current with its leader.
func (c *Cluster) WaitCurrent(ctx context.Context, nc *nats.Conn, stream string) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	for {
		s, err := js.Stream(ctx, stream)
		if err == nil {
			if cl := s.CachedInfo().Cluster; cl != nil && cl.Leader != "" && len(cl.Replicas) == len(c.Nodes)-1 {
				current := true
				for _, r := range cl.Replicas {
					current = current && r.Current && !r.Offline
				}
				if current {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("natstest: the replicas of %s are not current: %w (last error %v)", stream, ctx.Err(), err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
