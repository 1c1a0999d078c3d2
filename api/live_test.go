package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/taktledger/takt/api"
	"github.com/taktledger/takt/auth"
	"github.com/taktledger/takt/domain"
)

// liveStack is the stack with the live streams on: its server follows the store. configure, if
// given, sets the server's fields; listen, if given, wraps the HTTP listener.
func liveStack(t *testing.T, configure func(*api.Server), listen func(net.Listener) net.Listener) (*stack, *api.Server) {
	t.Helper()
	s := mustOpenStack(t)
	ledger := domain.NewLedger(s.store, func() string { return uuid.Must(uuid.NewV7()).String() })
	ledger.Tenants = []string{"test"}
	ledger.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := ledger.Open(ctx); err != nil {
		t.Fatal(err)
	}
	srv := api.NewServer(ledger)
	srv.Queries = s.project()
	srv.Log = s.store
	srv.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if configure != nil {
		configure(srv)
	}
	hs := httptest.NewUnstartedServer(srv.Handler())
	if listen != nil {
		hs.Listener = listen(hs.Listener)
	}
	hs.Start()
	t.Cleanup(hs.Close)
	t.Cleanup(srv.CloseStreams)
	s.url = hs.URL + "/v1/tenants/test"
	return s, srv
}

// sse is a server-sent event as a client sees it.
type sse struct {
	id    uint64
	event string
	data  string
}

// sseClient reads one stream the way EventSource does.
type sseClient struct {
	t        *testing.T
	resp     *http.Response
	r        *bufio.Reader
	lastID   uint64 // what EventSource would send as Last-Event-ID
	comments int
}

// open opens path (under the tenant) with Last-Event-ID lastID when it is not 0.
func (s *stack) open(path string, lastID uint64) *sseClient {
	s.t.Helper()
	req, _ := http.NewRequest("GET", s.url+path, nil)
	req.Header.Set("Accept", "text/event-stream")
	if lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatUint(lastID, 10))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		s.t.Fatalf("GET %s: %d %s %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	c := &sseClient{t: s.t, resp: resp, r: bufio.NewReader(resp.Body), lastID: lastID}
	s.t.Cleanup(c.close)
	return c
}

func (c *sseClient) close() { c.resp.Body.Close() }

// next returns the next event with data, or an error when the stream ends or the wait passes.
func (c *sseClient) next(wait time.Duration) (sse, error) {
	got := make(chan struct{})
	timer := time.AfterFunc(wait, func() {
		select {
		case <-got:
		default:
			c.resp.Body.Close()
		}
	})
	defer timer.Stop()
	defer close(got)
	var e sse
	var data []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return e, err
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			if len(data) > 0 {
				e.data = strings.Join(data, "\n")
				return e, nil
			}
			continue
		}
		if strings.HasPrefix(line, ":") {
			c.comments++
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "id":
			id, err := strconv.ParseUint(value, 10, 64)
			if err != nil {
				c.t.Fatalf("id %q is not a sequence", value)
			}
			e.id, c.lastID = id, id
		case "event":
			e.event = value
		case "data":
			data = append(data, value)
		}
	}
}

// report records one value of indicator brott and returns its sequence.
func (s *stack) report(year int, value float64) uint64 {
	s.t.Helper()
	a := s.must("/indicators/brott/values", fmt.Sprintf(`{"organ":"buf","year":%d,"value":%v}`, year, value), 200)
	return uint64(a.body["etag"].(float64))
}

// A client that disconnects mid-stream and reconnects with Last-Event-ID receives every event
// exactly once, while events are being recorded.
func TestEventStreamResumesWithoutGapOrDuplicate(t *testing.T) {
	s, _ := liveStack(t, nil, nil)
	s.municipality()
	const reports = 120
	head := s.head() + reports // every report is one event
	recorded := make(chan uint64, 1)
	go func() {
		var last uint64
		for i := range reports {
			a := s.post("/indicators/brott/values", fmt.Sprintf(`{"organ":"buf","year":%d,"value":%d}`, 2023+i%4, i))
			if a.status != 200 {
				t.Errorf("report %d: %d %v", i, a.status, a.body)
				break
			}
			last = uint64(a.body["etag"].(float64))
		}
		recorded <- last
	}()

	seen := map[uint64]int{}
	var lastID uint64
	for reconnects := 0; lastID < head; reconnects++ {
		if reconnects > 1000 {
			t.Fatal("too many reconnects")
		}
		c := s.open("/events", lastID)
		// Take a few events, then hang up as a flaky network would.
		for range 1 + reconnects%7 {
			e, err := c.next(5 * time.Second)
			if err != nil {
				t.Fatalf("after id %d: %v", lastID, err)
			}
			seen[e.id]++
			if e.id != lastID+1 {
				t.Fatalf("got id %d after %d", e.id, lastID)
			}
			var ev struct {
				Seq  uint64
				Type string
			}
			if err := json.Unmarshal([]byte(e.data), &ev); err != nil || ev.Seq != e.id || ev.Type != e.event {
				t.Fatalf("event %d: %v %s", e.id, err, e.data)
			}
			lastID = c.lastID
			if lastID >= head {
				break
			}
		}
		c.close()
	}
	if last := <-recorded; last != head {
		t.Fatalf("the last report is at %d, want %d", last, head)
	}
	if lastID != head || uint64(len(seen)) != head {
		t.Fatalf("saw %d distinct events up to %d, head %d", len(seen), lastID, head)
	}
	for seq, n := range seen {
		if n != 1 {
			t.Fatalf("event %d seen %d times", seq, n)
		}
	}
}

// An update on /live is sent only once the projection has applied the event, so a read right
// after it sees the event without asking for min_seq. from= starts a stream.
func TestLiveUpdatesFollowTheProjection(t *testing.T) {
	s, _ := liveStack(t, nil, nil)
	s.municipality()
	c := s.open("/live?from="+strconv.FormatUint(s.head()+1, 10), 0)
	for i := range 10 {
		seq := s.report(2024, float64(60+i))
		e, err := c.next(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		var u struct {
			Seq            uint64
			Type, Kind, ID string
			Organ, Period  string
		}
		if err := json.Unmarshal([]byte(e.data), &u); err != nil {
			t.Fatal(err)
		}
		if e.id != seq || u.Seq != seq || u.Type != "indicator.value_reported" || u.Kind != "indicator" || u.ID != "brott" || u.Organ != "buf" || u.Period != "2023-2026" {
			t.Fatalf("update %d: id %d %+v", seq, e.id, u)
		}
		var in domain.IndicatorView
		s.read("/indicators/brott", &in)
		if in.Latest == nil || *in.Latest.Value != float64(60+i) {
			t.Fatalf("after the update for %d the projection shows %+v", seq, in.Latest)
		}
	}
}

// Filters narrow a stream by kind and organ; ids stay stream sequences, and heartbeats move the
// client's Last-Event-ID past what was filtered out.
func TestFilteredStream(t *testing.T) {
	s, _ := liveStack(t, func(srv *api.Server) { srv.Heartbeat = 50 * time.Millisecond }, nil)
	s.municipality()
	s.must("/goals/trygg/revise", `{"title":"Ny","reason":"R",`+decision+`}`, 200) // seq 11
	s.report(2024, 71)                                                             // seq 12

	c := s.open("/events?kind=goals,organ", 0)
	var ids []uint64
	for range 4 {
		e, err := c.next(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.id)
	}
	if fmt.Sprint(ids) != "[1 2 3 5]" {
		t.Fatalf("organ and goal events at %v, want [1 2 3 5]", ids)
	}
	e, err := c.next(5 * time.Second)
	if err != nil || e.id != 11 || e.event != "goal.revised" {
		t.Fatalf("got %+v %v", e, err)
	}
	// Nothing more matches; a heartbeat gives the client the last sequence passed.
	deadline := time.Now().Add(5 * time.Second)
	for c.lastID < 12 && time.Now().Before(deadline) {
		c.next(100 * time.Millisecond)
	}
	if c.lastID != 12 || c.comments == 0 {
		t.Fatalf("Last-Event-ID %d after %d comments, want 12", c.lastID, c.comments)
	}

	c = s.open("/live?kind=indicator&organ=buf", 0)
	e, err = c.next(5 * time.Second)
	if err != nil || e.id != 12 || !strings.Contains(e.data, `"id":"brott"`) {
		t.Fatalf("got %+v %v", e, err)
	}

	for _, bad := range []string{"/events?kind=nope", "/live?frm=3", "/events?from=x"} {
		if status, _, b := s.get(bad); status != 400 {
			t.Fatalf("GET %s: %d %s", bad, status, b)
		}
	}
	if status, _, b := s.get("/events", "Last-Event-ID", "seven"); status != 400 || !strings.Contains(string(b), "Last-Event-ID") {
		t.Fatalf("bad Last-Event-ID: %d %s", status, b)
	}
}

// smallBuffers keeps the kernel's socket buffers small, so that a client that stops reading is
// noticed after kilobytes rather than megabytes.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetWriteBuffer(4096)
	}
	return c, err
}

// A client that stops reading is dropped, and one that reads keeps receiving every event. The
// buffer of 64 events lets a reader fall behind a burst without being taken for one that stopped;
// the 150 events overflow it and the small socket buffers of the one that never reads.
func TestSlowClientIsDropped(t *testing.T) {
	s, srv := liveStack(t, func(srv *api.Server) { srv.LiveBuffer = 64; srv.Metrics = api.NewMetrics(prometheus.NewRegistry()) },
		func(l net.Listener) net.Listener { return smallBuffers{l} })
	s.municipality()
	head := s.head()

	// The slow client asks for the stream and never reads a byte.
	d := net.Dialer{Control: func(network, address string, c syscall.RawConn) error {
		return c.Control(func(fd uintptr) { syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 2048) })
	}}
	slow, err := d.Dial("tcp", strings.TrimPrefix(strings.Split(s.url, "/v1/")[0], "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	fmt.Fprintf(slow, "GET /v1/tenants/test/events HTTP/1.1\r\nHost: test\r\nAccept: text/event-stream\r\n\r\n")

	fast := s.open("/events", head)
	text := strings.Repeat("Uppgiften kommer fran den arliga trygghetsmatningen. ", 40)
	const reports = 150
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range reports {
			body := fmt.Sprintf(`{"organ":"buf","year":2024,"value":%d,"source":{"kind":"survey","description":%q}}`, i, text[:400+i%100])
			if a := s.post("/indicators/brott/values", body); a.status != 200 {
				t.Errorf("report %d: %d %v", i, a.status, a.body)
				return
			}
		}
	}()
	for i := range reports {
		e, err := fast.next(5 * time.Second)
		if err != nil {
			t.Fatalf("the fast client, at %d of %d: %v", i, reports, err)
		}
		if e.id != head+1+uint64(i) {
			t.Fatalf("the fast client got %d, want %d", e.id, head+1+uint64(i))
		}
	}
	wg.Wait()
	if n := srv.StreamsDropped(); n != 1 || testutil.ToFloat64(srv.Metrics.LiveDropped) != 1 {
		t.Fatalf("%d clients dropped (metric %v), want the slow one", n, testutil.ToFloat64(srv.Metrics.LiveDropped))
	}
	// The slow client finds its stream closed once it reads what had been sent.
	slow.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.Copy(io.Discard, slow); err != nil {
		t.Fatalf("the slow client's stream was not closed: %v", err)
	}
	if n := srv.StreamsOpen(); n != 1 || testutil.ToFloat64(srv.Metrics.LiveClients) != 1 {
		t.Fatalf("%d streams open (metric %v), want the fast one", n, testutil.ToFloat64(srv.Metrics.LiveClients))
	}
}

// Without a log to follow the streams answer 503; an unknown tenant 404.
func TestStreamsNeedALog(t *testing.T) {
	s := mustOpenStack(t)
	if status, _, b := s.get("/events"); status != 503 || !strings.Contains(string(b), "problem") && !strings.Contains(string(b), "unavailable") {
		t.Fatalf("got %d %s", status, b)
	}
	s2, _ := liveStack(t, nil, nil)
	other := &stack{t: t, url: strings.TrimSuffix(s2.url, "/test") + "/nobody"}
	if status, _, _ := other.get("/live"); status != 404 {
		t.Fatalf("unknown tenant: %d", status)
	}
}

// A credential's live streams end at the first heartbeat after it is revoked, and it may hold only
// LivePerCredential of them open at once.
func TestStreamsOfARevokedToken(t *testing.T) {
	tokens, err := auth.OpenTokens(filepath.Join(t.TempDir(), auth.FileName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tokens.Close() })
	ctx := context.Background()
	token, tok, err := tokens.Create(ctx, domain.Token{Tenant: "test", Role: domain.RoleAuditor, Name: "Revisionen"})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := liveStack(t, func(srv *api.Server) {
		srv.Auth, srv.Tokens = tokens, tokens
		srv.Heartbeat, srv.LivePerCredential = 50*time.Millisecond, 2
	}, nil)
	get := func() *http.Response {
		req, _ := http.NewRequest("GET", s.url+"/events", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}
	first, second := get(), get()
	if first.StatusCode != 200 || second.StatusCode != 200 {
		t.Fatalf("two streams: %d %d", first.StatusCode, second.StatusCode)
	}
	if third := get(); third.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a third stream of one token: %d", third.StatusCode)
	}
	if _, err := tokens.Revoke(ctx, "test", tok.ID, "test"); err != nil {
		t.Fatal(err)
	}
	for _, resp := range []*http.Response{first, second} {
		done := make(chan error, 1)
		go func() { _, err := io.Copy(io.Discard, resp.Body); done <- err }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("the stream ended with %v, not its end", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a revoked token's stream is still open")
		}
	}
	if again := get(); again.StatusCode != http.StatusUnauthorized {
		t.Fatalf("reconnecting with the revoked token: %d", again.StatusCode)
	}
}
