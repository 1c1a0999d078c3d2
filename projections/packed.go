package projections

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/taktledger/takt/domain"
)

// versionFields are the columns of history a domain.Version is made of, in the order they are
// packed: in goal_history's blocks (migration 0009), and by every read of versions from history.
var versionFields = [...]string{"seq", "kind", "id", "version", "agg_kind", "agg_id", "event_id", "event_type", "actor",
	"organ", "period", "recorded_at", "valid_from", "decision_organ", "meeting_date", "paragraph", "case_number",
	"reason", "diff", "state"}

// packedVersion is the SQL expression that packs the versionFields of the history row t into one
// text: each as its length in bytes, a colon and its text, or a dash for NULL. Versions packed one
// after the other are a block of goal_history, read as one column of one row and split by
// unpackVersions into versions whose fields share its memory.
func packedVersion(t string) string {
	parts := make([]string, len(versionFields))
	for i, c := range versionFields {
		parts[i] = fmt.Sprintf("CASE WHEN %[1]s.%[2]s IS NULL THEN '-' ELSE length(CAST(%[1]s.%[2]s AS BLOB)) || ':' || %[1]s.%[2]s END", t, c)
	}
	return strings.Join(parts, " || ")
}

// packedH is packedVersion of the table h, as every query of versions names it: built once, not
// for every read.
var packedH = packedVersion("h")

var errPacked = errors.New("projections: a packed version that does not unpack")

// unpackVersions calls fn with each version packed in s, in order, until one recorded after
// known, and reports whether it met one. The versions' strings share s's memory; fn copies what it
// keeps of the version, which is reused.
func unpackVersions(s string, known uint64, fn func(*domain.Version)) (after bool, err error) {
	var v domain.Version
	var f [len(versionFields)]string
	var null [len(versionFields)]bool
	for s != "" {
		for i := range f {
			if f[i], null[i], s, err = nextField(s); err != nil {
				return false, err
			}
		}
		seq, ok := digits(f[0])
		if !ok {
			return false, errPacked
		}
		if seq > known {
			return true, nil
		}
		version, ok := digits(f[3])
		if !ok {
			return false, errPacked
		}
		v = domain.Version{Seq: seq, Kind: f[1], ID: f[2], Version: int(version),
			Aggregate: domain.Ref{Kind: domain.Kind(f[4]), ID: f[5]}, EventID: f[6], EventType: f[7], Actor: f[8],
			Organ: f[9], Period: f[10], ValidFrom: domain.Date(f[12]), Reason: f[17],
			// Served as stored: a diff is not decoded to be encoded again.
			Diff: domain.Diff(bytesOf(f[18])), State: json.RawMessage(bytesOf(f[19]))}
		v.RecordedAt, _ = parseTime(f[11])
		if !null[13] {
			v.Decision = &domain.DecisionRef{Organ: f[13], MeetingDate: domain.Date(f[14]), Paragraph: f[15], CaseNumber: f[16]}
		}
		fn(&v)
	}
	return false, nil
}

// bytesOf returns the bytes of s without copying them: s is part of a column as the driver read
// it, a string nothing else refers to, and the bytes are only ever read (encoded, printed), never
// written. States and diffs are most of a history's bytes, and each was copied once more.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// nextField splits the first packed field off s: its text, or null, and what follows it.
func nextField(s string) (text string, null bool, rest string, err error) {
	if strings.HasPrefix(s, "-") {
		return "", true, s[1:], nil
	}
	colon := strings.IndexByte(s, ':')
	if colon < 1 || colon > 10 {
		return "", false, "", errPacked
	}
	n, ok := digits(s[:colon])
	if !ok || uint64(len(s)-colon-1) < n {
		return "", false, "", errPacked
	}
	return s[colon+1 : colon+1+int(n)], false, s[colon+1+int(n):], nil
}

// digits reads s as a number of at most 19 decimal digits.
func digits(s string) (uint64, bool) {
	if s == "" || len(s) > 19 {
		return 0, false
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + uint64(s[i]-'0')
	}
	return n, true
}
