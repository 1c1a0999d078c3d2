package projections

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/taktledger/takt/domain"
)

// metaColumns are the columns of history that goal_history keeps packed in its meta column, in
// order (migration 0008).
var metaColumns = [...]string{"version", "agg_kind", "agg_id", "event_id", "event_type", "actor", "organ", "period",
	"recorded_at", "valid_from", "decision_organ", "meeting_date", "paragraph", "case_number", "reason"}

// packedMeta is the SQL expression that packs the metaColumns of the history row t into one text:
// each as its length in bytes, a colon and its text, or a dash for NULL. A goal's history is read
// as six columns a row rather than twenty, and its fields share one string rather than seventeen.
func packedMeta(t string) string {
	parts := make([]string, len(metaColumns))
	for i, c := range metaColumns {
		parts[i] = fmt.Sprintf("CASE WHEN %[1]s.%[2]s IS NULL THEN '-' ELSE length(CAST(%[1]s.%[2]s AS BLOB)) || ':' || %[1]s.%[2]s END", t, c)
	}
	return strings.Join(parts, " || ")
}

var errPacked = errors.New("projections: a packed version that does not unpack")

// unpackMeta sets the fields of v that meta packs. They share meta's memory.
func unpackMeta(v *domain.Version, meta string) error {
	var f [len(metaColumns)]string
	var null [len(metaColumns)]bool
	for i := range f {
		if strings.HasPrefix(meta, "-") {
			null[i], meta = true, meta[1:]
			continue
		}
		colon := strings.IndexByte(meta, ':')
		if colon < 1 {
			return errPacked
		}
		n, err := strconv.Atoi(meta[:colon])
		if err != nil || n < 0 || colon+1+n > len(meta) {
			return errPacked
		}
		f[i], meta = meta[colon+1:colon+1+n], meta[colon+1+n:]
	}
	if meta != "" {
		return errPacked
	}
	version, err := strconv.Atoi(f[0])
	if err != nil {
		return errPacked
	}
	v.Version, v.Aggregate = version, domain.Ref{Kind: domain.Kind(f[1]), ID: f[2]}
	v.EventID, v.EventType, v.Actor, v.Organ, v.Period = f[3], f[4], f[5], f[6], f[7]
	v.RecordedAt, _ = parseTime(f[8])
	v.ValidFrom = domain.Date(f[9])
	if !null[10] {
		v.Decision = &domain.DecisionRef{Organ: f[10], MeetingDate: domain.Date(f[11]), Paragraph: f[12], CaseNumber: f[13]}
	}
	v.Reason = f[14]
	return nil
}

// eachPackedVersion calls fn with each version rows holds as seq, kind, id, packed meta, diff and
// state, and closes rows.
func eachPackedVersion(rows *sql.Rows, fn func(*domain.Version)) error {
	defer rows.Close()
	// One of each for all the rows: fn copies what it keeps.
	var v domain.Version
	var meta, diffJSON, state string
	for rows.Next() {
		v = domain.Version{}
		if err := rows.Scan(&v.Seq, &v.Kind, &v.ID, &meta, &diffJSON, &state); err != nil {
			return err
		}
		if err := unpackMeta(&v, meta); err != nil {
			return fmt.Errorf("%s %s seq %d: %w", v.Kind, v.ID, v.Seq, err)
		}
		// Served as stored: a diff is not decoded to be encoded again.
		v.Diff, v.State = domain.Diff(bytesOf(diffJSON)), json.RawMessage(bytesOf(state))
		fn(&v)
	}
	return rows.Err()
}
