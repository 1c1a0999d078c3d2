package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/taktledger/takt/api"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/events/natstest"
)

// The log is served as stored, a page at a time, from a real stream.
func TestLogHandler(t *testing.T) {
	ctx := context.Background()
	nc := natstest.Conn(t, natstest.Server(t))
	store := events.NewStore(nc)
	if err := store.EnsureTenant(ctx, "test"); err != nil {
		t.Fatal(err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 5; i++ {
		m := &nats.Msg{Subject: fmt.Sprintf("takt.test.goal.g%d", i), Data: fmt.Appendf(nil, `{"n":%d}`, i),
			Header: nats.Header{jetstream.MsgIDHeader: {fmt.Sprint("id", i)}}}
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}

	s := api.NewServer(refuse{t})
	mux := http.NewServeMux()
	mux.Handle("GET /v1/tenants/{tenant}/log", s.LogHandler(store))
	mux.Handle("GET /v1/tenants/{tenant}/nolog", s.LogHandler(nil))
	type page struct {
		From, Next, Head uint64
		Records          []struct {
			Seq     uint64
			Subject string
			MsgID   string `json:"msg_id"`
			Data    []byte
		}
	}
	get := func(path string) (int, page) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		var p page
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatalf("%s: %v: %s", path, err, rec.Body)
		}
		return rec.Code, p
	}
	for _, tt := range []struct {
		path             string
		from, next, head uint64
		seqs             []uint64
	}{
		{"/v1/tenants/test/log", 1, 6, 5, []uint64{1, 2, 3, 4, 5}},
		{"/v1/tenants/test/log?from=2&limit=2", 2, 4, 5, []uint64{2, 3}},
		{"/v1/tenants/test/log?from=5&limit=10000", 5, 6, 5, []uint64{5}},
		{"/v1/tenants/test/log?from=6", 6, 6, 5, nil},
	} {
		code, p := get(tt.path)
		if code != 200 || p.From != tt.from || p.Next != tt.next || p.Head != tt.head || len(p.Records) != len(tt.seqs) {
			t.Errorf("%s: %d %+v", tt.path, code, p)
			continue
		}
		for i, r := range p.Records {
			if r.Seq != tt.seqs[i] || r.Subject != fmt.Sprintf("takt.test.goal.g%d", r.Seq) || r.MsgID != fmt.Sprint("id", r.Seq) || string(r.Data) != fmt.Sprintf(`{"n":%d}`, r.Seq) {
				t.Errorf("%s: record %d is %+v", tt.path, i, r)
			}
		}
	}
	for path, want := range map[string]int{
		"/v1/tenants/test/log?limit=x":     400,
		"/v1/tenants/test/log?from=-1":     400,
		"/v1/tenants/test/log?limit=10001": 400,
		"/v1/tenants/nope/log":             404,
		"/v1/tenants/test/nolog":           503,
	} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want || rec.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s; want %d, a problem", path, rec.Code, rec.Body, want)
		}
	}
}
