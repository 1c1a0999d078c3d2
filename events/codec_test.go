package events_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goalAdopted is the event of the golden files.
func goalAdopted() domain.Event {
	weight := 0.5
	return domain.Event{
		ID:        "0193a5e4-7c2a-7d3e-9a51-3f0c2b8e4d11",
		Type:      "goal.adopted",
		Tenant:    "demo",
		Aggregate: domain.Ref{Kind: domain.KindGoal, ID: "kf-trygghet"},
		Organ:     "kf",
		Period:    "2023-2026",
		Effective: "2025-01-01",
		Actor:     "anna.secretary",
		Time:      time.Date(2025, 3, 1, 9, 12, 44, 318000000, time.UTC),
		Data: &domain.GoalAdopted{
			Title:         "Alla ska känna sig trygga i hela kommunen",
			Level:         "strategic",
			Owner:         "kf",
			GoalArea:      "trygghet",
			ContributesTo: []domain.Link{{Goal: "vision-2030", Weight: &weight}},
			SDGs:          []domain.SDGLink{{SDG: 3, Strength: "full"}, {SDG: 11, Strength: "full"}},
			Decision:      domain.DecisionRef{Organ: "kf", MeetingDate: "2024-11-25", Paragraph: "§ 142", CaseNumber: "KS 2024/311"},
		},
	}
}

func TestEncode_Golden(t *testing.T) {
	body, err := events.Encode(goalAdopted())
	if err != nil {
		t.Fatal(err)
	}
	body = append(body, '\n')
	path := filepath.Join("testdata", "goal_adopted_v2.json")
	if *update {
		if err := os.WriteFile(path, body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want) {
		t.Errorf("the encoding of goal.adopted has drifted from %s (run with -update if that is intended, and bump the version with an upcaster if stored events change meaning):\n got %s\nwant %s", path, body, want)
	}
}

func TestDecode_Golden(t *testing.T) {
	want := goalAdopted()
	// v1 stored bare SDG numbers; the upcaster reads them as full links.
	for _, name := range []string{"goal_adopted_v1.json", "goal_adopted_v2.json"} {
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			got, err := events.Decode(body)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decoded:\n got %+v %+v\nwant %+v %+v", got, got.Data, want, want.Data)
			}
		})
	}
}

func TestCodec_RoundTripEveryType(t *testing.T) {
	for _, typ := range domain.EventTypes() {
		kind, _, _ := strings.Cut(typ, ".")
		p, _ := domain.NewPayload(typ)
		e := domain.Event{ID: "e1", Type: typ, Tenant: "demo", Aggregate: domain.Ref{Kind: domain.Kind(kind), ID: "x"},
			Time: time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC), Data: p}
		msg, err := events.Types.EncodeMsg(e, "")
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		if msg.Subject != "takt.demo."+kind+".x" || msg.Header.Get("Nats-Msg-Id") != "e1" || msg.Header.Get("Content-Type") != events.ContentType {
			t.Errorf("%s: subject %q, headers %v", typ, msg.Subject, msg.Header)
		}
		rec := events.Types.DecodeMsg(msg.Subject, msg.Header, msg.Data, 7, time.Now())
		e.Seq = 7
		if rec.Err != nil || !reflect.DeepEqual(rec.Event, e) || rec.MsgID != "e1" {
			t.Errorf("%s: got %+v (%v), want %+v", typ, rec.Event, rec.Err, e)
		}
		// No organ: the source is the tenant's.
		if !bytes.Contains(msg.Data, []byte(`"source":"/tenants/demo",`)) || bytes.Contains(msg.Data, []byte("taktperiod")) {
			t.Errorf("%s: %s", typ, msg.Data)
		}
	}
}

func TestDecodeMsg_Errors(t *testing.T) {
	good, _ := events.Encode(goalAdopted())
	replace := func(old, new string) []byte { return bytes.Replace(good, []byte(old), []byte(new), 1) }
	noData := append(bytes.Clone(good[:bytes.Index(good, []byte(`,"data"`))]), '}')
	for name, c := range map[string]struct {
		subject string
		body    []byte
	}{
		"not json":           {"takt.demo.goal.kf-trygghet", []byte("{")},
		"not an object":      {"takt.demo.goal.kf-trygghet", []byte("[]")},
		"spec version":       {"takt.demo.goal.kf-trygghet", replace(`"specversion":"1.0"`, `"specversion":"0.3"`)},
		"no id":              {"takt.demo.goal.kf-trygghet", replace(`"id":"0193a5e4-7c2a-7d3e-9a51-3f0c2b8e4d11"`, `"id":""`)},
		"no source":          {"takt.demo.goal.kf-trygghet", replace(`"source":"/tenants/demo/organs/kf"`, `"source":""`)},
		"bad source":         {"takt.demo.goal.kf-trygghet", replace(`"source":"/tenants/demo/organs/kf"`, `"source":"urn:x"`)},
		"unknown type":       {"takt.demo.goal.kf-trygghet", replace(`goal.adopted.v2`, `goal.exploded.v1`)},
		"no version":         {"takt.demo.goal.kf-trygghet", replace(`goal.adopted.v2`, `goal.adopted`)},
		"future version":     {"takt.demo.goal.kf-trygghet", replace(`goal.adopted.v2`, `goal.adopted.v3`)},
		"foreign type":       {"takt.demo.goal.kf-trygghet", replace(`se.takt.goal.adopted.v2`, `com.example.thing`)},
		"bad subject":        {"takt.demo.goal.kf-trygghet", replace(`"subject":"goal/kf-trygghet"`, `"subject":"kf-trygghet"`)},
		"unknown kind":       {"takt.demo.goal.kf-trygghet", replace(`"subject":"goal/kf-trygghet"`, `"subject":"budget/kf-trygghet"`)},
		"no time":            {"takt.demo.goal.kf-trygghet", replace(`"time":"2025-03-01T09:12:44.318Z",`, ``)},
		"bad time":           {"takt.demo.goal.kf-trygghet", replace(`"time":"2025-03-01T09:12:44.318Z"`, `"time":"yesterday"`)},
		"content type":       {"takt.demo.goal.kf-trygghet", replace(`"datacontenttype":"application/json"`, `"datacontenttype":"text/xml"`)},
		"no data":            {"takt.demo.goal.kf-trygghet", noData},
		"data of wrong type": {"takt.demo.goal.kf-trygghet", replace(`"level":"strategic"`, `"level":7`)},
		"v1 data bad":        {"takt.demo.goal.kf-trygghet", replace(`goal.adopted.v2`, `goal.adopted.v1`)},
		"wrong subject":      {"takt.demo.goal.other", good},
		"wrong tenant":       {"takt.other.goal.kf-trygghet", good},
	} {
		rec := events.Types.DecodeMsg(c.subject, nats.Header{"Nats-Msg-Id": {"m"}}, c.body, 3, time.Now())
		if rec.Err == nil {
			t.Errorf("%s: no error for %s", name, c.body)
			continue
		}
		if rec.Seq != 3 || rec.MsgID != "m" || rec.Subject != c.subject || !bytes.Equal(rec.Data, c.body) {
			t.Errorf("%s: record %+v", name, rec)
		}
	}
}

func TestEncode_Invalid(t *testing.T) {
	for name, mod := range map[string]func(*domain.Event){
		"no id":        func(e *domain.Event) { e.ID = "" },
		"no tenant":    func(e *domain.Event) { e.Tenant = "" },
		"no time":      func(e *domain.Event) { e.Time = time.Time{} },
		"no data":      func(e *domain.Event) { e.Data = nil },
		"organ/x":      func(e *domain.Event) { e.Organ = "a b" },
		"wrong type":   func(e *domain.Event) { e.Type = "goal.retired" },
		"bad kind":     func(e *domain.Event) { e.Aggregate.Kind = "" },
		"id with dots": func(e *domain.Event) { e.Aggregate.ID = "a.b" },
	} {
		e := goalAdopted()
		mod(&e)
		if _, err := events.Encode(e); domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", name, err)
		}
	}
}

func TestNames(t *testing.T) {
	ref := domain.Ref{Kind: domain.KindIndicator, ID: "N00945"}
	if got := events.Subject("eskilstuna", ref); got != "takt.eskilstuna.indicator.N00945" {
		t.Errorf("Subject: %q", got)
	}
	if got := events.StreamName("region-x"); got != "TAKT_REGION-X" {
		t.Errorf("StreamName: %q", got)
	}
	for _, tenant := range []string{"a", "demo", "region-x", strings.Repeat("a", 40)} {
		if got, ok := events.TenantOf(events.StreamName(tenant)); !ok || got != tenant {
			t.Errorf("TenantOf(%q): %q, %v", events.StreamName(tenant), got, ok)
		}
	}
	for _, stream := range []string{"TAKT_", "TAKT_demo", "TAKT_Demo", "TAKT_DEMO_CHECKPOINTS", "TAKT_2DEMO", "KV_DEMO", "takt_demo", "DEMO",
		"TAKT_" + strings.Repeat("A", 41)} {
		if got, ok := events.TenantOf(stream); ok {
			t.Errorf("TenantOf(%q): %q, true", stream, got)
		}
	}
	for _, tenant := range []string{"a", "demo", "falun-2", strings.Repeat("a", 40)} {
		if !events.ValidTenant(tenant) {
			t.Errorf("ValidTenant(%q): false", tenant)
		}
	}
	for _, tenant := range []string{"", "2demo", "Demo", "de.mo", "de_mo", "de mo", "-a", strings.Repeat("a", 41), "å"} {
		if events.ValidTenant(tenant) {
			t.Errorf("ValidTenant(%q): true", tenant)
		}
	}
	for _, id := range []string{"x", "kf-trygghet", "0193a5e4-7c2a-7d3e-9a51-3f0c2b8e4d11", "mål_1", "a/b"} {
		if !events.ValidID(id) {
			t.Errorf("ValidID(%q): false", id)
		}
	}
	for _, id := range []string{"", "a.b", "*", ">", "a b", "a\tb", "a\nb", "a\u00a0b", "\x00", "\xff"} {
		if events.ValidID(id) {
			t.Errorf("ValidID(%q): true", id)
		}
	}
	for _, c := range []struct{ source, tenant, organ string }{
		{"/tenants/demo", "demo", ""}, {"/tenants/demo/organs/kf", "demo", "kf"},
	} {
		tenant, organ, err := events.ParseSource(c.source)
		if err != nil || tenant != c.tenant || organ != c.organ || events.Source(tenant, organ) != c.source {
			t.Errorf("ParseSource(%q): %q %q %v", c.source, tenant, organ, err)
		}
	}
	for _, s := range []string{"", "/tenants/", "/tenants/Demo", "/tenants/demo/organs/", "tenants/demo"} {
		if _, _, err := events.ParseSource(s); err == nil {
			t.Errorf("ParseSource(%q): no error", s)
		}
	}
	if typ, v, err := events.ParseType("se.takt.indicator.value_reported.v12"); typ != "indicator.value_reported" || v != 12 || err != nil {
		t.Errorf("ParseType: %q %d %v", typ, v, err)
	}
	for _, s := range []string{"se.takt.goal.adopted", "se.takt.goal.adopted.v0", "se.takt.goal.adopted.v01", "se.takt.goal.adopted.v+1", "se.takt..v1", "goal.adopted.v1"} {
		if _, _, err := events.ParseType(s); err == nil {
			t.Errorf("ParseType(%q): no error", s)
		}
	}
}
