package api

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/taktledger/takt/domain"
)

// A goal's history is a thousand versions and a megabyte of JSON at a million events. encoding/json
// took as long to write it as the projection took to read it: it walks each version by reflection,
// and scans every state and diff, stored as the JSON it wrote, to check and compact them once more.
// appendJSON writes the same bytes directly; TestHistoryJSONAsEncodingJSON holds it to that.

var _ jsonAppender = historyAnswer{}

// appendJSON appends the answer as json.Encoder writes it, with its newline.
func (a historyAnswer) appendJSON(b []byte) []byte {
	b = append(b, `{"versions":`...)
	if a.Versions == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i := range a.Versions {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendVersion(b, &a.Versions[i])
		}
		b = append(b, ']')
	}
	return append(b, "}\n"...)
}

// appendVersion appends v as encoding/json writes a domain.Version, its state and diff as stored.
// They are written as they are, so they must be what the projection stores: encoding/json's own
// compact output, with HTML characters and line separators escaped (projections/apply.go and
// projections/diff.go write them so). A missing state is written as null.
func appendVersion(b []byte, v *domain.Version) []byte {
	b = append(b, `{"seq":`...)
	b = strconv.AppendUint(b, v.Seq, 10)
	b = append(b, `,"kind":`...)
	b = appendString(b, v.Kind)
	b = append(b, `,"id":`...)
	b = appendString(b, v.ID)
	b = append(b, `,"aggregate":"`...)
	// As domain.Ref.MarshalText writes it: kind/id.
	b = appendEscaped(b, string(v.Aggregate.Kind))
	b = append(b, '/')
	b = appendEscaped(b, v.Aggregate.ID)
	b = append(b, `","version":`...)
	b = strconv.AppendInt(b, int64(v.Version), 10)
	b = append(b, `,"event_id":`...)
	b = appendString(b, v.EventID)
	b = append(b, `,"event_type":`...)
	b = appendString(b, v.EventType)
	if v.Actor != "" {
		b = append(b, `,"actor":`...)
		b = appendString(b, v.Actor)
	}
	b = append(b, `,"organ":`...)
	b = appendString(b, v.Organ)
	if v.Period != "" {
		b = append(b, `,"period":`...)
		b = appendString(b, v.Period)
	}
	b = append(b, `,"recorded_at":"`...)
	b = v.RecordedAt.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","valid_from":`...)
	b = appendString(b, string(v.ValidFrom))
	if v.ValidTo != "" {
		b = append(b, `,"valid_to":`...)
		b = appendString(b, string(v.ValidTo))
	}
	if d := v.Decision; d != nil {
		b = append(b, `,"decision":{"organ":`...)
		b = appendString(b, d.Organ)
		b = append(b, `,"meeting_date":`...)
		b = appendString(b, string(d.MeetingDate))
		b = append(b, `,"paragraph":`...)
		b = appendString(b, d.Paragraph)
		b = append(b, `,"case_number":`...)
		b = appendString(b, d.CaseNumber)
		b = append(b, '}')
	}
	if v.Reason != "" {
		b = append(b, `,"reason":`...)
		b = appendString(b, v.Reason)
	}
	b = append(b, `,"diff":`...)
	if len(v.Diff) == 0 {
		b = append(b, "{}"...)
	} else {
		b = append(b, v.Diff...)
	}
	b = append(b, `,"state":`...)
	if len(v.State) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, v.State...)
	}
	return append(b, '}')
}

const hex = "0123456789abcdef"

// appendString appends s quoted as encoding/json quotes a string, HTML characters escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	b = appendEscaped(b, s)
	return append(b, '"')
}

// appendEscaped appends s escaped as encoding/json escapes the text of a string. Bytes that are not
// UTF-8 are each written as U+FFFD, so s may be a part of the text.
func appendEscaped(b []byte, s string) []byte {
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		} else {
			i += size
			continue
		}
		i += size
		start = i
	}
	return append(b, s[start:]...)
}
