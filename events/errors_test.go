package events

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/taktledger/takt/domain"
)

func TestMapError(t *testing.T) {
	api := func(code jetstream.ErrorCode) error {
		// As nats.go returns it from a publish: wrapped.
		return fmt.Errorf("nats: %w", &jetstream.APIError{Code: 400, ErrorCode: code, Description: "wrong last sequence: 3"})
	}
	for _, c := range []struct {
		err  error
		want string
	}{
		{api(10071), domain.ECONFLICT},
		{api(10164), domain.ECONFLICT},
		{&jetstream.APIError{ErrorCode: 10164}, domain.ECONFLICT},
		{api(10201), domain.ECONFLICT},
		{api(10158), domain.ECONFLICT},
		{jetstream.ErrStreamNotFound, domain.ENOTFOUND},
		{api(10199), domain.EINVALID},
		{api(10054), domain.EINVALID},
		{api(10210), domain.EUNAVAILABLE},
		{jetstream.ErrJetStreamNotEnabled, domain.EUNAVAILABLE},
		{context.DeadlineExceeded, domain.EUNAVAILABLE},
		{fmt.Errorf("x: %w", nats.ErrTimeout), domain.EUNAVAILABLE},
		{nats.ErrConnectionClosed, domain.EUNAVAILABLE},
		{nats.ErrNoResponders, domain.EUNAVAILABLE},
		{api(10176), domain.EINTERNAL}, // an incomplete batch is our bug
		{errors.New("boom"), domain.EINTERNAL},
	} {
		got := mapError("demo", c.err)
		if code := domain.ErrorCode(got); code != c.want {
			t.Errorf("%v: got %s (%v), want %s", c.err, code, got, c.want)
		}
		if c.want == domain.EINTERNAL && !errors.Is(got, c.err) {
			t.Errorf("%v: the cause is lost: %v", c.err, got)
		}
	}
	if mapError("demo", nil) != nil {
		t.Error("nil must stay nil")
	}
	// The server's batch answer decodes into the same error type.
	var ack batchAck
	if err := json.Unmarshal([]byte(`{"error":{"code":400,"err_code":10164,"description":"wrong last sequence"},"stream":"TAKT_DEMO","seq":0}`), &ack); err != nil {
		t.Fatal(err)
	}
	if code := domain.ErrorCode(mapError("demo", ack.Error)); code != domain.ECONFLICT {
		t.Errorf("batch ack error: got %s", code)
	}
}

func TestRegistry_UpcastChain(t *testing.T) {
	r := NewRegistry()
	step := func(from, to string) Upcaster {
		return func(data json.RawMessage) (json.RawMessage, error) {
			var m map[string]string
			if err := json.Unmarshal(data, &m); err != nil {
				return nil, err
			}
			if m["v"] != from {
				return nil, fmt.Errorf("got v%s, want v%s", m["v"], from)
			}
			m["v"] = to
			return json.Marshal(m)
		}
	}
	r.Register("x.happened", step("1", "2"), step("2", "3"))
	if v := r.Version("x.happened"); v != 3 {
		t.Fatalf("Version: %d", v)
	}
	for from := 1; from <= 3; from++ {
		got, err := r.Upcast("x.happened", from, json.RawMessage(fmt.Sprintf(`{"v":"%d"}`, from)))
		if err != nil || string(got) != `{"v":"3"}` {
			t.Errorf("from v%d: %s %v", from, got, err)
		}
	}
	for _, v := range []int{0, 4} {
		if _, err := r.Upcast("x.happened", v, json.RawMessage(`{}`)); err == nil {
			t.Errorf("v%d: no error", v)
		}
	}
	if _, err := r.Upcast("y.happened", 1, json.RawMessage(`{}`)); err == nil {
		t.Error("unknown type: no error")
	}
}

func TestTypes(t *testing.T) {
	for _, typ := range domain.EventTypes() {
		want := 1
		if typ == "goal.adopted" {
			want = 2
		}
		if v := Types.Version(typ); v != want {
			t.Errorf("%s: v%d, want v%d", typ, v, want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{`{"title":"t","sdgs":[3,11]}`, `{"sdgs":[{"sdg":3,"strength":"full"},{"sdg":11,"strength":"full"}],"title":"t"}`},
		{`{"title":"t","sdgs":[]}`, `{"sdgs":[],"title":"t"}`},
		{`{"title":"t"}`, `{"title":"t"}`},
		{`{"title":"t","sdgs":null}`, `{"title":"t","sdgs":null}`},
	} {
		got, err := Types.Upcast("goal.adopted", 1, json.RawMessage(c.in))
		if err != nil || string(got) != c.want {
			t.Errorf("%s: got %s %v, want %s", c.in, got, err, c.want)
		}
	}
	if _, err := Types.Upcast("goal.adopted", 1, json.RawMessage(`{"sdgs":[{"sdg":3}]}`)); err == nil {
		t.Error("v2 data read as v1: no error")
	}
}
