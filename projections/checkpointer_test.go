package projections_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/taktledger/takt/audit"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/projections"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// audited is a ledger with a running checkpointer: its tree file, key and checkpoint stream.
type audited struct {
	*env
	key   *audit.Key
	tree  *projections.Tree
	cp    *projections.Checkpointer
	store *events.Store // over TCP, for the checkpointer and the auditor
}

// MustOpenKey creates a checkpoint key in a temporary directory.
func MustOpenKey(tb testing.TB) *audit.Key {
	tb.Helper()
	k, created, err := audit.LoadOrCreateKey(filepath.Join(tb.TempDir(), "keys"), "")
	if err != nil || !created {
		tb.Fatalf("key: created %v, %v", created, err)
	}
	return k
}

// MustOpenTree opens a tree file; an empty path makes one in a temporary directory.
func MustOpenTree(tb testing.TB, path string) *projections.Tree {
	tb.Helper()
	if path == "" {
		path = filepath.Join(tb.TempDir(), "demo.tree.db")
	}
	tree := projections.NewTree(path, tenant)
	if err := tree.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { tree.Close() })
	return tree
}

func newAudited(t *testing.T) *audited {
	t.Helper()
	a := &audited{env: newEnv(t), key: MustOpenKey(t), tree: MustOpenTree(t, "")}
	a.store = events.NewStore(MustConnect(t, a.srv))
	a.store.Logger = quiet
	a.cp = projections.NewCheckpointer(a.tree, a.store, a.store, a.key)
	a.cp.Logger = quiet
	a.cp.Interval = 0
	a.cp.Retry = 50 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.cp.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("checkpointer: %v", err)
		}
	})
	return a
}

// term records a term's worth of decisions: two follow-up reports and the period's close each take
// a checkpoint, and a last checkpoint is taken by hand after a value reported later. It returns
// the log's head.
func (a *audited) term(t *testing.T) uint64 {
	t.Helper()
	a.base(t)
	a.at(t, "2023-05-10", &domain.ReportValue{ID: "i1", ValueID: "v2023t1", Organ: "buf", Year: 2023, Point: "T1", Value: f(70), Effective: "2023-04-30"})
	a.at(t, "2023-05-20", &domain.AdoptFollowUp{ID: "t1-2023", Point: "T1", Year: 2023, Title: "Tertialrapport 1 2023", AsOf: "2023-04-30", Decided: decided("kf", "2023-05-19", "20")})
	for i, y := range []int{2023, 2024, 2025} {
		a.at(t, fmt.Sprintf("%d-02-01", y+1), &domain.ReportValue{ID: "i1", ValueID: fmt.Sprint("v", y), Organ: "buf", Year: y, Value: f(80 + float64(i)), Effective: domain.Date(fmt.Sprintf("%d-12-31", y))})
		a.at(t, fmt.Sprintf("%d-02-20", y+1), &domain.AssessGoal{ID: "g1", Point: "annual", Year: y, Attainment: "partly_achieved", Motivation: "Delvis", Decided: decided("kf", fmt.Sprintf("%d-02-19", y+1), fmt.Sprint(y))})
	}
	a.at(t, "2025-04-15", &domain.AdoptFollowUp{ID: "ar2024", Point: "annual", Year: 2024, Title: "Årsredovisning 2024", AsOf: "2024-12-31", Decided: decided("kf", "2025-04-14", "30")})
	a.at(t, "2027-04-21", &domain.ClosePeriod{ID: "2023-2026", Decision: ref("kf", "2027-04-20", "40")})
	head := a.at(t, "2027-05-01", &domain.ReportValue{ID: "i1", ValueID: "v2026", Organ: "buf", Year: 2026, Value: f(90), Effective: "2026-12-31"})
	a.waitTree(t, head)
	if err := a.cp.Checkpoint(context.Background(), "interval"); err != nil {
		t.Fatal(err)
	}
	a.waitCheckpoints(t, 4)
	return head
}

func (a *audited) waitTree(t *testing.T, size uint64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); a.tree.Size() < size; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("tree at %d, want %d", a.tree.Size(), size)
		}
	}
}

func (a *audited) waitCheckpoints(t *testing.T, n int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		cps, err := a.tree.Checkpoints(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(cps) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d checkpoints published, want %d", len(cps), n)
		}
	}
}

func (a *audited) records(t *testing.T) []domain.Record {
	t.Helper()
	var out []domain.Record
	if err := a.store.Read(context.Background(), tenant, 1, func(r domain.Record) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func (a *audited) checkpoints(t *testing.T) []domain.Checkpoint {
	t.Helper()
	var out []domain.Checkpoint
	if err := a.store.ReadCheckpoints(context.Background(), tenant, 1, func(c domain.Checkpoint) error {
		out = append(out, c)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// verify verifies records against checkpoints with the ledger's key and its tree file.
func (a *audited) verify(records []domain.Record, cps []domain.Checkpoint, ref bool) (*audit.Report, error) {
	opts := audit.Options{Tenant: tenant, Verifiers: note.VerifierList(a.key.Verifier)}
	if ref {
		opts.Reference = &audit.Reference{Size: a.tree.Size(), Proofs: a.tree}
	}
	read := func(fn func(domain.Record) error) error {
		for _, r := range records {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	}
	return audit.Verify(context.Background(), opts, read, cps)
}

func TestVerify_CleanLog(t *testing.T) {
	a := newAudited(t)
	head := a.term(t)
	cps := a.checkpoints(t)
	var reasons []string
	for _, c := range cps {
		reasons = append(reasons, c.Reason)
	}
	if got, want := strings.Join(reasons, " "), "followup.adopted followup.adopted period.closed interval"; got != want {
		t.Errorf("checkpoints taken for %q, want %q", got, want)
	}
	if last := cps[len(cps)-1]; last.Size != head {
		t.Errorf("last checkpoint of size %d, want %d", last.Size, head)
	}
	// The event stream holds events only: leaf i is event i.
	if h, err := a.store.Head(context.Background(), tenant); err != nil || h != head {
		t.Errorf("head %d, %v; want %d", h, err, head)
	}

	for _, ref := range []bool{false, true} {
		r, err := a.verify(a.records(t), cps, ref)
		if err != nil {
			t.Fatalf("reference %v: %v", ref, err)
		}
		if r.Events != head || r.Checkpoints != 4 || r.Signatures != 4 || r.Roots != 4 || r.Inclusion != 4 || r.Consistency != 3 || r.Covered() != head {
			t.Errorf("reference %v: report %+v", ref, r)
		}
	}

	// The raw read, which verify uses, gives the same leaves as the decoding one.
	var raw []domain.Record
	if err := a.store.ReadRaw(context.Background(), tenant, 1, func(r domain.Record) error {
		raw = append(raw, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.verify(raw, cps, true); err != nil {
		t.Fatalf("raw: %v", err)
	}
}

func TestVerify_DetectsTampering(t *testing.T) {
	a := newAudited(t)
	a.term(t)
	clean, cps := a.records(t), a.checkpoints(t)
	const k = 9 // the event at seq 9 is tampered with; the first follow-up checkpoint covers it
	if cps[0].Size < k+1 {
		t.Fatalf("first checkpoint covers %d events, want more than %d", cps[0].Size, k)
	}
	renumber := func(rs []domain.Record) []domain.Record {
		for i := range rs {
			rs[i].Seq = uint64(i + 1)
		}
		return rs
	}
	other := MustOpenKey(t)
	resign := func(key *audit.Key) []domain.Checkpoint {
		out := make([]domain.Checkpoint, len(cps))
		for i, c := range cps {
			_, size, root, err := audit.ReadCheckpoint(c.Note)
			if err != nil {
				t.Fatal(err)
			}
			c.Note, err = key.Sign(tenant, size, root)
			if err != nil {
				t.Fatal(err)
			}
			out[i] = c
		}
		return out
	}

	tests := []struct {
		name       string
		tamper     func(rs []domain.Record) []domain.Record
		checkpoint func() []domain.Checkpoint
		seq        uint64 // the sequence the error must name
		cp         uint64 // or the checkpoint
		want       string
	}{
		{name: "data rewritten", seq: k, want: "leaf hash differs", tamper: func(rs []domain.Record) []domain.Record {
			rs[k-1].Data = bytes.Replace(rs[k-1].Data, []byte(`"value":70`), []byte(`"value":71`), 1)
			if bytes.Equal(rs[k-1].Data, clean[k-1].Data) {
				t.Fatalf("seq %d holds no value 70: %s", k, rs[k-1].Data)
			}
			return rs
		}},
		{name: "message id rewritten", seq: k, want: "leaf hash differs", tamper: func(rs []domain.Record) []domain.Record {
			rs[k-1].MsgID = "another"
			return rs
		}},
		{name: "event dropped", seq: k, want: "missing", tamper: func(rs []domain.Record) []domain.Record {
			return append(rs[:k-1], rs[k:]...)
		}},
		{name: "event dropped from a copied stream", seq: k, want: "leaf hash differs", tamper: func(rs []domain.Record) []domain.Record {
			return renumber(append(rs[:k-1], rs[k:]...))
		}},
		{name: "last event dropped", seq: uint64(len(clean)), want: "missing", tamper: func(rs []domain.Record) []domain.Record {
			return rs[:len(rs)-1]
		}},
		{name: "two events swapped", seq: k, want: "missing", tamper: func(rs []domain.Record) []domain.Record {
			rs[k-1], rs[k] = rs[k], rs[k-1]
			return rs
		}},
		{name: "two events swapped in a copied stream", seq: k, want: "leaf hash differs", tamper: func(rs []domain.Record) []domain.Record {
			rs[k-1], rs[k] = rs[k], rs[k-1]
			return renumber(rs)
		}},
		{name: "forged signature", cp: 2, want: "does not verify: the checkpoint was forged", checkpoint: func() []domain.Checkpoint {
			out := append([]domain.Checkpoint(nil), cps...)
			// The text of checkpoint 2 now claims a smaller tree, under the old signature.
			_, size, root, _ := audit.ReadCheckpoint(out[1].Note)
			text := audit.FormatCheckpoint(audit.Origin(tenant), size, root)
			forged := audit.FormatCheckpoint(audit.Origin(tenant), size-1, root)
			out[1].Note = bytes.Replace(out[1].Note, []byte(text), []byte(forged), 1)
			return out
		}},
		{name: "signature bytes forged", cp: 3, want: "does not verify: the checkpoint was forged", checkpoint: func() []domain.Checkpoint {
			out := append([]domain.Checkpoint(nil), cps...)
			// Same key name and hash, other signature bytes.
			i := bytes.LastIndex(out[2].Note, []byte(" ")) + 1
			sig, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(out[2].Note[i:])))
			if err != nil {
				t.Fatal(err)
			}
			clear(sig[4:])
			out[2].Note = append(out[2].Note[:i:i], base64.StdEncoding.EncodeToString(sig)+"\n"...)
			return out
		}},
		{name: "checkpoint from another key", cp: 1, want: "not by the key it is verified with", checkpoint: func() []domain.Checkpoint {
			return resign(other)
		}},
		{name: "one checkpoint from another key", cp: 4, want: "not by the key it is verified with", checkpoint: func() []domain.Checkpoint {
			return append(append([]domain.Checkpoint(nil), cps[:3]...), resign(other)[3])
		}},
		{name: "checkpoints from another key over a rewritten log", cp: 1, want: "not by the key it is verified with", tamper: func(rs []domain.Record) []domain.Record {
			rs[k-1].Data = []byte(`{}`)
			return rs
		}, checkpoint: func() []domain.Checkpoint { return resign(other) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := append([]domain.Record(nil), clean...)
			if tt.tamper != nil {
				rs = tt.tamper(rs)
			}
			c := cps
			if tt.checkpoint != nil {
				c = tt.checkpoint()
			}
			_, err := a.verify(rs, c, true)
			var m *audit.Mismatch
			if !errors.As(err, &m) {
				t.Fatalf("err %v, want a mismatch", err)
			}
			if m.Seq != tt.seq || m.Checkpoint != tt.cp && tt.cp != 0 {
				t.Errorf("mismatch at seq %d, checkpoint %d; want seq %d, checkpoint %d: %v", m.Seq, m.Checkpoint, tt.seq, tt.cp, err)
			}
			if tt.seq > 0 && !strings.HasPrefix(err.Error(), fmt.Sprintf("seq %d: ", tt.seq)) || tt.cp > 0 && !strings.HasPrefix(err.Error(), fmt.Sprintf("checkpoint %d ", tt.cp)) {
				t.Errorf("message %q names neither seq %d nor checkpoint %d", err, tt.seq, tt.cp)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("message %q, want it to say %q", err, tt.want)
			}
			t.Log(err)
		})
	}

	// Without the tree file the rewritten event is narrowed down to the range between two
	// checkpoints, whose first sequence the message names.
	rs := append([]domain.Record(nil), clean...)
	rs[k-1].Data = []byte(`{}`)
	_, err := a.verify(rs, cps, false)
	var m *audit.Mismatch
	if !errors.As(err, &m) || m.Seq != 1 || m.Checkpoint != 1 || !strings.Contains(err.Error(), fmt.Sprintf("from seq 1 to %d", cps[0].Size)) {
		t.Errorf("without a tree file: %v", err)
	}
}

func TestTree_Proofs(t *testing.T) {
	a := newAudited(t)
	head := a.term(t)
	ctx := context.Background()
	cps := a.checkpoints(t)
	records := a.records(t)
	for _, c := range cps {
		_, size, root, _ := audit.ReadCheckpoint(c.Note)
		for _, seq := range []uint64{1, size / 2, size} {
			p, err := a.tree.InclusionProof(ctx, seq, size)
			if err != nil {
				t.Fatal(err)
			}
			proof := make(tlog.RecordProof, len(p.Hashes))
			for i, h := range p.Hashes {
				proof[i] = h
			}
			if p.Root != root || p.Leaf != audit.LeafHash(records[seq-1]) {
				t.Errorf("seq %d in %d: root or leaf differ", seq, size)
			}
			if err := tlog.CheckRecord(proof, int64(size), root, int64(seq-1), audit.LeafHash(records[seq-1])); err != nil {
				t.Errorf("seq %d in %d: %v", seq, size, err)
			}
		}
	}
	_, from, fromRoot, _ := audit.ReadCheckpoint(cps[0].Note)
	_, to, toRoot, _ := audit.ReadCheckpoint(cps[len(cps)-1].Note)
	p, err := a.tree.ConsistencyProof(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	proof := make(tlog.TreeProof, len(p.Hashes))
	for i, h := range p.Hashes {
		proof[i] = h
	}
	if p.FromRoot != fromRoot || p.ToRoot != toRoot {
		t.Errorf("consistency proof roots differ from the checkpoints'")
	}
	if err := tlog.CheckTree(proof, int64(to), toRoot, int64(from), fromRoot); err != nil {
		t.Error(err)
	}
	// The latest checkpoint is the default size; sizes beyond the tree are not found.
	if p, err := a.tree.InclusionProof(ctx, 3, 0); err != nil || p.Size != head {
		t.Errorf("default size: %+v, %v", p, err)
	}
	if _, err := a.tree.InclusionProof(ctx, 3, head+1); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("size beyond the tree: %v", err)
	}
	if _, err := a.tree.ConsistencyProof(ctx, 5, 4); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("from beyond to: %v", err)
	}
}

// unavailable is a checkpoint log that cannot be reached.
type unavailable struct{ domain.CheckpointLog }

func (unavailable) AppendCheckpoint(context.Context, string, domain.Checkpoint) (uint64, error) {
	return 0, domain.Errorf(domain.EUNAVAILABLE, "down")
}

// A tree built across restarts equals one built in one go, and a checkpoint taken before a crash
// and not published is published by the next run.
func TestCheckpointer_Resumes(t *testing.T) {
	a := newAudited(t)
	head := a.term(t)
	ctx := context.Background()

	path := filepath.Join(t.TempDir(), "resumed.db")
	tree := MustOpenTree(t, path)
	cp := projections.NewCheckpointer(tree, a.store, unavailable{a.store}, a.key)
	cp.BatchSize = 3
	// Stop after the first follow-up report: the checkpoint it takes cannot be published.
	stop := errors.New("crash")
	err := a.store.Read(ctx, tenant, 1, func(r domain.Record) error {
		if r.Err != nil || r.Event.Type != "followup.adopted" {
			return tree.Append(ctx, []domain.Record{r}, nil)
		}
		if err := tree.Append(ctx, []domain.Record{r}, []projections.Mark{{Size: r.Seq, Reason: r.Event.Type}}); err != nil {
			return err
		}
		return stop
	})
	if err != stop {
		t.Fatal(err)
	}
	tree.Close()
	tree = MustOpenTree(t, path)
	cp = projections.NewCheckpointer(tree, a.store, unavailable{a.store}, a.key)
	cp.BatchSize = 3
	if n, err := cp.CatchUp(ctx); err != nil || n != head {
		t.Fatalf("catch up: %d, %v", n, err)
	}
	for _, size := range []uint64{1, 7, head} {
		want, _ := a.tree.Root(ctx, size)
		if got, err := tree.Root(ctx, size); err != nil || got != want {
			t.Errorf("root at %d: %x, %v; want %x", size, got, err, want)
		}
	}
	if err := cp.Checkpoint(ctx, "interval"); domain.ErrorCode(err) != domain.EUNAVAILABLE {
		t.Fatalf("publish to a log that is down: %v", err)
	}
	if pending, err := tree.Pending(ctx); err != nil || len(pending) != 4 {
		t.Fatalf("pending %v, %v", pending, err)
	}

	// The checkpoint log has the running checkpointer's checkpoints: the new file takes them over
	// and publishes nothing twice.
	cp = projections.NewCheckpointer(tree, a.store, a.store, a.key)
	if err := cp.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := cp.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	if got := a.checkpoints(t); len(got) != 4 {
		t.Errorf("%d checkpoints on the log, want 4", len(got))
	}
	if pending, err := tree.Pending(ctx); err != nil || len(pending) != 0 {
		t.Errorf("pending after sync: %v, %v", pending, err)
	}
}

// A checkpoint taken and not published is published once the checkpoint log is back.
func TestCheckpointer_PublishesAfterOutage(t *testing.T) {
	a := newAudited(t)
	head := a.term(t)
	ctx := context.Background()
	// One more event, checkpointed while the log is down.
	a.at(t, "2027-06-01", &domain.ReportValue{ID: "i1", ValueID: "v2026b", Organ: "buf", Year: 2026, Point: "T1", Value: f(91), Effective: "2026-04-30"})
	a.waitTree(t, head+1)
	down := projections.NewCheckpointer(a.tree, a.store, unavailable{a.store}, a.key)
	if err := down.Checkpoint(ctx, "interval"); domain.ErrorCode(err) != domain.EUNAVAILABLE {
		t.Fatalf("publish to a log that is down: %v", err)
	}
	if err := a.cp.Publish(ctx); err != nil {
		t.Fatal(err)
	}
	cps := a.checkpoints(t)
	if len(cps) != 5 || cps[4].Size != head+1 {
		t.Fatalf("checkpoints %+v", cps)
	}
	if _, err := a.verify(a.records(t), cps, true); err != nil {
		t.Fatal(err)
	}
}

func TestCheckpointStream_IsALedger(t *testing.T) {
	a := newAudited(t)
	a.term(t)
	ctx := context.Background()
	js, err := jetstream.New(a.nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(ctx, events.CheckpointStreamName(tenant))
	if err != nil {
		t.Fatal(err)
	}
	cfg := s.CachedInfo().Config
	if !cfg.DenyDelete || !cfg.DenyPurge || cfg.MaxAge != 0 || cfg.Subjects[0] != "takt-checkpoints.demo" {
		t.Errorf("config %+v", cfg)
	}
	if err := s.DeleteMsg(ctx, 1); err == nil {
		t.Error("deleted a checkpoint")
	}
	if err := s.Purge(ctx); err == nil {
		t.Error("purged the checkpoints")
	}
	// A stale writer is refused.
	if _, err := a.store.AppendCheckpoint(ctx, tenant, domain.Checkpoint{Seq: 2, Size: 1, Note: []byte("x")}); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("stale append: %v", err)
	}
}
