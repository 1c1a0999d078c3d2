package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/taktledger/takt/audit"
	"github.com/taktledger/takt/domain"
)

// A data directory written by takt serve with its checkpointers verifies; checked with another
// key, its first checkpoint fails.
func TestVerify_DataDirectory(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := NewMain()
	m.Config.Addr, m.Config.DataDir, m.Logger, m.Stdout = "127.0.0.1:0", data, quiet, io.Discard
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cps := m.checkpoints // takt serve's own checkpointers
	decided := domain.Decided{Period: "2023-2026", Decision: domain.DecisionRef{Organ: "kf", MeetingDate: "2024-04-14", Paragraph: "30", CaseNumber: "KS 2024/30"}}
	for _, c := range []domain.Command{
		&domain.RegisterOrgan{ID: "kf", Name: "Kommunfullmäktige", Kind: "council"},
		&domain.OpenPeriod{ID: "2023-2026"},
		&domain.AdoptFollowUp{ID: "ar2023", Point: "annual", Year: 2023, Title: "Årsredovisning 2023", AsOf: "2023-12-31", Decided: decided},
		&domain.RegisterOrgan{ID: "ks", Name: "Kommunstyrelsen", Kind: "executive_board"},
	} {
		if _, err := m.ledger.Record(ctx, domain.Request{Tenant: "demo", Actor: "test", Command: c}); err != nil {
			t.Fatalf("%T: %v", c, err)
		}
	}
	tree := cps.Trees["demo"]
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		got, err := tree.Checkpoints(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 1 && tree.Size() == 4 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d checkpoints, tree of %d", len(got), tree.Size())
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	var out bytes.Buffer
	if err := verify(ctx, &out, io.Discard, offlineFlags{logConfig: logConfig{DataDir: data}, Tenant: "all"}, ""); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	t.Log("\n" + out.String())
	for _, want := range []string{"tenant       demo", "events       4 read", "checkpoints  1 read, 1 signatures verified", "inclusion    1 proofs verified", "from the tree file",
		"last         checkpoint 1, size 3", "uncovered    1 events after the last checkpoint", "ok"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// The published key, given as a file, verifies; another key does not.
	vkey := filepath.Join(data, "keys", audit.VerifierKeyFile)
	if err := verify(ctx, io.Discard, io.Discard, offlineFlags{logConfig: logConfig{DataDir: data}, Tenant: "demo"}, vkey); err != nil {
		t.Errorf("with the key file: %v", err)
	}
	other, _, err := audit.LoadOrCreateKey(t.TempDir(), "")
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	err = verify(ctx, &out, io.Discard, offlineFlags{logConfig: logConfig{DataDir: data}, Tenant: "all"}, other.VKey)
	if err == nil || !strings.Contains(err.Error(), "checkpoint 1 (size 3): signed by key takt+") {
		t.Errorf("with another key: %v\n%s", err, out.String())
	}

	// takt key prints the key it signs with, and makes none anew.
	stdout := os.Stdout
	r, w, _ := os.Pipe()
	os.Stdout = w
	err = runKey(ctx, []string{"--data", data})
	w.Close()
	os.Stdout = stdout
	printed, _ := io.ReadAll(r)
	key, kerr := audit.LoadKey(filepath.Join(data, "keys"))
	if err != nil || kerr != nil || strings.TrimSpace(string(printed)) != key.VKey {
		t.Errorf("takt key printed %q, %v, %v", printed, err, kerr)
	}
}
