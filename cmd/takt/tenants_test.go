package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/taktledger/takt/cmd/takt/demo"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
)

// capture passes requests on to a Recorder and keeps each command and the aggregate it was about.
type capture struct {
	domain.Recorder
	mu      sync.Mutex
	cmds    []domain.Command
	targets []domain.Ref
}

func (c *capture) Record(ctx context.Context, req domain.Request) (*domain.Receipt, error) {
	rc, err := c.Recorder.Record(ctx, req)
	if err == nil {
		c.mu.Lock()
		c.cmds = append(c.cmds, req.Command)
		c.targets = append(c.targets, rc.Target)
		c.mu.Unlock()
	}
	return rc, err
}

// routes reads the API's routes from its OpenAPI document: method and path of each operation
// under a tenant, and for each command the name of its type.
func routes(t *testing.T, base string) (gets []string, commands map[string]string) {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Ref string `json:"$ref"`
					}
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(get(t, base+"/v1/openapi.yaml")), &doc); err != nil {
		t.Fatal(err)
	}
	commands = map[string]string{}
	for path, ops := range doc.Paths {
		path, ok := strings.CutPrefix(path, "/v1/tenants/{tenant}")
		if !ok {
			continue
		}
		if _, ok := ops["get"]; ok {
			gets = append(gets, path)
		}
		if op, ok := ops["post"]; ok {
			ref := op.RequestBody.Content["application/json"].Schema.Ref
			commands[strings.TrimPrefix(ref, "#/components/schemas/")] = path
		}
	}
	slices.Sort(gets)
	return gets, commands
}

// One municipality can never read or write another's data through the API: every query route,
// asked under tenant other with the ids of tenant demo's aggregates, answers 404 or an empty
// answer that names none of them, and every command of demo's history, sent to other, is refused
// and writes nothing.
func TestTenantsAreIsolated(t *testing.T) {
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Tenants = []string{"demo", "other"}
	m := mustRun(t, cfg)
	ctx := context.Background()
	rec := &capture{Recorder: m.ledger}
	sum, err := demo.Load(ctx, rec, "demo")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.dbs["demo"].WaitFor(ctx, sum.LastSeq); err != nil {
		t.Fatal(err)
	}
	base := m.URL() + "/v1/tenants/"

	// The ids of demo's aggregates, by kind, and every id a command names in its path.
	ids := map[domain.Kind][]string{}
	var all []string
	for _, ref := range rec.targets {
		if !slices.Contains(ids[ref.Kind], ref.ID) {
			ids[ref.Kind] = append(ids[ref.Kind], ref.ID)
			all = append(all, ref.ID)
		}
	}
	if len(ids) < 7 || len(all) < 50 {
		t.Fatalf("the demo made too few aggregates to test with: %v", ids)
	}
	leaks := func(body string) []string {
		var found []string
		for _, id := range all {
			if strings.Contains(body, `"`+id+`"`) {
				found = append(found, id)
			}
		}
		return found
	}

	gets, commands := routes(t, m.URL())
	if len(gets) < 10 || len(commands) < 20 {
		t.Fatalf("the OpenAPI document names %d queries and %d commands", len(gets), len(commands))
	}
	gets = append(gets, "/checkpoints", "/proof?seq=1", "/proof?from=1&to=2")
	pluralOf := map[domain.Kind]string{domain.KindOrgan: "organs", domain.KindPeriod: "periods", domain.KindVision: "visions",
		domain.KindGoal: "goals", domain.KindIndicator: "indicators", domain.KindCommitment: "commitments", domain.KindFollowUp: "followups"}
	kindOf := map[string]domain.Kind{}
	for k, p := range pluralOf {
		kindOf[p] = k
	}

	// Queries.
	asked := 0
	ask := func(path string) {
		t.Helper()
		asked++
		for _, tenant := range []string{"other", "demo"} {
			status, body := sendWithin(t, base+tenant+path, 500*time.Millisecond)
			if status == 503 && strings.Contains(body, "follows no log") {
				continue // a server without live streams
			}
			if tenant == "demo" {
				if status != 200 && status != 400 && !strings.HasPrefix(path, "/proof") {
					t.Errorf("demo %s: %d (the route must work for its own tenant)", path, status)
				}
				continue
			}
			if status != 200 && status != 404 && status != 400 {
				t.Errorf("other %s: %d %.200s", path, status, body)
			}
			if found := leaks(body); status != 404 && len(found) > 0 {
				t.Errorf("other %s: %d names demo's %v", path, status, found)
			}
		}
	}
	for _, path := range gets {
		switch {
		case strings.HasPrefix(path, "/tokens"):
			// Served only with authentication; TestEveryRoleOnEveryRoute asks them across tenants.
		case strings.Contains(path, "{kinds}"):
			for kind, list := range ids {
				for _, id := range list {
					ask(strings.NewReplacer("{kinds}", pluralOf[kind], "{id}", id).Replace(path))
				}
			}
		case strings.Contains(path, "{id}"):
			kind := kindOf[strings.Split(path, "/")[1]]
			for _, id := range ids[kind] {
				ask(strings.Replace(path, "{id}", id, 1))
			}
		case path == "/events" || path == "/live":
			ask(path + "?from=1")
		default:
			ask(path)
		}
	}

	// Commands: every command demo recorded, sent to other with the same ids. The only ones other
	// may take are those that name nothing of demo's: an organ without a parent, a period.
	refused := 0
	for _, cmd := range rec.cmds {
		name := reflect.TypeOf(cmd).Elem().Name()
		path, ok := commands[name]
		if !ok {
			t.Fatalf("no route for %s", name)
		}
		if o, ok := cmd.(*domain.RegisterOrgan); (ok && o.Parent == "") || name == "OpenPeriod" {
			continue
		}
		path = strings.Replace(path, "{id}", cmd.Target().ID, 1)
		if c, ok := cmd.(*domain.CorrectValue); ok {
			path = strings.Replace(path, "{value_id}", c.Corrects, 1)
		}
		b, err := json.Marshal(cmd)
		if err != nil {
			t.Fatal(err)
		}
		status, body := send(t, "POST", base+"other"+path, string(b))
		if status < 400 || status >= 500 {
			t.Fatalf("POST other%s (%s): %d %s", path, name, status, body)
		}
		refused++
	}

	reader := events.NewStore(m.log.read)
	if head, err := reader.Head(ctx, "other"); err != nil || head != 0 {
		t.Fatalf("tenant other's log holds %d events (%v)", head, err)
	}
	if head, err := reader.Head(ctx, "demo"); err != nil || head != sum.LastSeq {
		t.Fatalf("tenant demo's log is at %d, want %d (%v)", head, sum.LastSeq, err)
	}
	if m.dbs["other"].Checkpoint() != 0 {
		t.Fatal("tenant other's projection applied something")
	}
	t.Logf("%d queries and %d commands under tenant other, with demo's %d ids: nothing read, nothing written", asked, refused, len(all))
}

// sendWithin GETs url and reads its body for at most d: a live stream answers at once and then
// keeps the connection open.
func sendWithin(t *testing.T, url string, d time.Duration) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		b.WriteString(sc.Text())
		b.WriteByte('\n')
	}
	return resp.StatusCode, b.String()
}
