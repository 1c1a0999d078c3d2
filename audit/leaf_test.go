package audit_test

import (
	"encoding/hex"
	"testing"

	"github.com/taktledger/takt/audit"
	"github.com/taktledger/takt/domain"
	"golang.org/x/mod/sumdb/tlog"
)

// The leaf encoding is a contract with auditors who hash the log with tools of their own
// (docs/auditing.md): it must not change.
func TestLeafHash(t *testing.T) {
	r := domain.Record{Seq: 1, Subject: "takt.demo.organ.kf", MsgID: "id1", Data: []byte(`{"a":1}`)}
	enc := audit.AppendLeaf(nil, r)
	want := "74616b74206c6561662076310a" + "0000000000000001" + "00000012" + hex.EncodeToString([]byte("takt.demo.organ.kf")) +
		"00000003" + hex.EncodeToString([]byte("id1")) + "00000007" + hex.EncodeToString([]byte(`{"a":1}`))
	if got := hex.EncodeToString(enc); got != want {
		t.Errorf("encoding\n got %s\nwant %s", got, want)
	}
	if got, want := audit.LeafHash(r), tlog.RecordHash(enc); got != want {
		t.Errorf("LeafHash %x, RecordHash of the encoding %x", got, want)
	}
	if got, want := audit.LeafHash(r).String(), "qV48S1iyYrtpIC18+osRh71kBujLZfkDs3UlOjuQkSI="; got != want {
		t.Errorf("leaf hash %s, want %s", got, want)
	}
}

func TestCheckpointText(t *testing.T) {
	root := tlog.RecordHash([]byte("x"))
	text := audit.FormatCheckpoint(audit.Origin("demo"), 2000, root)
	origin, size, got, err := audit.ParseCheckpoint(text)
	if err != nil || origin != "takt/demo" || size != 2000 || got != root {
		t.Errorf("%q: %q %d %x %v", text, origin, size, got, err)
	}
	for _, bad := range []string{"takt/demo\n2000\n", "takt/demo\n02000\n" + root.String() + "\n", "\n1\n" + root.String() + "\n", "takt/demo\n1\nnot-base64\n"} {
		if _, _, _, err := audit.ParseCheckpoint(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}
