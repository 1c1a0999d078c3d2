package events_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/events/natstest"
)

// A stream backed up restores on another server with every message as it was stored, and the
// ledger's settings; the backup is in the format of `nats stream backup`.
func TestStore_BackupAndRestore(t *testing.T) {
	ctx := context.Background()
	st := MustOpenStore(t, "demo")
	js, err := jetstream.New(st.Conn)
	if err != nil {
		t.Fatal(err)
	}
	// Random bodies do not compress: the snapshot takes several chunks, each acknowledged.
	for i := range 300 {
		body := make([]byte, 1500)
		rand.Read(body)
		m := &nats.Msg{Subject: fmt.Sprintf("takt.demo.goal.g%d", i%7), Data: []byte(base64.StdEncoding.EncodeToString(body)),
			Header: nats.Header{jetstream.MsgIDHeader: {fmt.Sprint("id", i)}}}
		if _, err := js.PublishMsg(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "TAKT_DEMO")
	b, err := st.BackupStream(ctx, "TAKT_DEMO", dir)
	if err != nil {
		t.Fatal(err)
	}
	if b.Stream != "TAKT_DEMO" || b.Msgs != 300 || b.FirstSeq != 1 || b.LastSeq != 300 {
		t.Errorf("backup %+v", b)
	}
	if fi, err := os.Stat(filepath.Join(dir, events.BackupDataFile)); err != nil || fi.Size() < 300*1500 {
		t.Errorf("%s: %v, %d bytes", events.BackupDataFile, err, fi.Size())
	}
	var meta struct {
		Config struct {
			Name       string `json:"name"`
			DenyDelete bool   `json:"deny_delete"`
		} `json:"config"`
		State struct {
			Messages uint64 `json:"messages"`
			LastSeq  uint64 `json:"last_seq"`
		} `json:"state"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, events.BackupMetaFile))
	if err != nil || json.Unmarshal(raw, &meta) != nil || meta.Config.Name != "TAKT_DEMO" || !meta.Config.DenyDelete || meta.State.Messages != 300 || meta.State.LastSeq != 300 {
		t.Errorf("%s: %v %+v\n%s", events.BackupMetaFile, err, meta, raw)
	}
	if got, err := events.ReadBackup(dir); err != nil || *got != *b {
		t.Errorf("ReadBackup: %+v, %v; want %+v", got, err, b)
	}
	if _, err := st.BackupStream(ctx, "TAKT_DEMO", dir); err == nil || !strings.Contains(err.Error(), "already holds a backup") {
		t.Errorf("a second backup into the same directory: %v", err)
	}

	other := events.NewStore(natstest.Conn(t, MustOpenServer(t)))
	if _, err := other.RestoreStream(ctx, dir, 1); err != nil {
		t.Fatal(err)
	}
	if got, want := readAll(t, other), readAll(t, st); !reflect.DeepEqual(got, want) {
		t.Errorf("restored %d records, want the %d backed up", len(got), len(want))
	}
	// The restored stream keeps the configuration that makes it a ledger.
	stream := func(st *events.Store) jetstream.StreamConfig {
		js, err := jetstream.New(st.Conn)
		if err != nil {
			t.Fatal(err)
		}
		s, err := js.Stream(ctx, "TAKT_DEMO")
		if err != nil {
			t.Fatal(err)
		}
		return s.CachedInfo().Config
	}
	restored, original := stream(other), stream(st)
	if !restored.DenyDelete || !restored.DenyPurge || !restored.AllowAtomicPublish ||
		restored.MaxMsgs != original.MaxMsgs || restored.MaxAge != original.MaxAge || restored.Duplicates != original.Duplicates {
		t.Errorf("the restored stream is not configured as a ledger: %+v", restored)
	}
	if _, err := other.RestoreStream(ctx, dir, 1); err == nil {
		t.Error("a stream that exists was restored over")
	}
	missing := filepath.Join(t.TempDir(), "TAKT_NONE")
	if _, err := st.BackupStream(ctx, "TAKT_NONE", missing); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("a stream that does not exist: %v", err)
	} else if _, err := os.Stat(missing); err == nil {
		t.Errorf("%s was created for a stream that does not exist", missing)
	}
	if _, err := events.ReadBackup(t.TempDir()); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("an empty directory: %v", err)
	}
}

func readAll(t *testing.T, st *events.Store) []domain.Record {
	t.Helper()
	var out []domain.Record
	if err := st.ReadRaw(context.Background(), "demo", 1, func(r domain.Record) error {
		r.Stored = r.Stored.UTC()
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
