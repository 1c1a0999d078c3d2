package api

import (
	"context"
	"net/http"
	"time"

	"github.com/taktledger/takt/domain"
)

// RawLog reads a tenant's log as it is stored, without decoding it: what an auditor hashes to
// rebuild the Merkle tree (docs/auditing.md). events.Store is one.
type RawLog interface {
	// ReadRange calls fn with every record of the tenant's log from sequence from to sequence to,
	// or to the head as it was when called if that comes first, in order: sequence, subject,
	// message id, body and storage time; and returns that head. It stops at the first error fn
	// returns, and returns it; ENOTFOUND for a tenant without a log.
	ReadRange(ctx context.Context, tenant string, from, to uint64, fn func(domain.Record) error) (uint64, error)
}

// The events a page of the log holds by default, and at the most.
const (
	defaultLogLimit = 1000
	maxLogLimit     = 10000
)

// logParams are the query parameters of /log.
var logParams = []param{
	{name: "from", typ: "integer", desc: "The first sequence; default 1."},
	{name: "limit", typ: "integer", desc: "How many events at the most; default 1000, at most 10000."},
}

// LogPage is a page of the log as GET /v1/tenants/{tenant}/log serves it. A client asks again from
// Next while Next <= Head.
type LogPage struct {
	From    uint64      `json:"from"`
	Next    uint64      `json:"next"` // from of the next page; beyond head once this page reached it
	Head    uint64      `json:"head"` // the log's last sequence when the page was read
	Records []LogRecord `json:"records"`
}

// LogRecord is one stored event in a LogPage, with everything its leaf hash covers
// (audit.LeafHash of the domain.Record it holds).
type LogRecord struct {
	Seq     uint64    `json:"seq"`
	Subject string    `json:"subject"`
	MsgID   string    `json:"msg_id"`
	Data    []byte    `json:"data"` // the body exactly as stored, in standard base64
	Stored  time.Time `json:"stored"`
}

// LogHandler serves GET /v1/tenants/{tenant}/log?from=N&limit=M: up to M events (default 1000,
// at most 10000) from sequence N (default 1) on, as stored — sequence, subject, Nats-Msg-Id, body
// and storage time — with the log's head, so that a client pages through the whole log and hashes
// it. log serves the route when it is a RawLog too (events.Store is); otherwise it answers 503.
func (s *Server) LogHandler(log domain.Follower) http.HandlerFunc {
	raw, _ := log.(RawLog)
	return func(w http.ResponseWriter, r *http.Request) {
		page, err := s.logPage(r, raw)
		if err != nil {
			s.problem(w, r, err)
			return
		}
		writeProof(w, page)
	}
}

func (s *Server) logPage(r *http.Request, raw RawLog) (*LogPage, error) {
	tenant := r.PathValue("tenant")
	if err := s.knownTenant(tenant); err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, domain.Errorf(domain.EUNAVAILABLE, "This server does not serve its log as stored.")
	}
	q := &queryArgs{values: r.URL.Query()}
	if err := knownParams(q.values, logParams); err != nil {
		return nil, err
	}
	from, limit := uint64(max(q.int("from"), 1)), q.int("limit")
	if err := q.err(); err != nil {
		return nil, err
	}
	switch {
	case limit == 0:
		limit = defaultLogLimit
	case limit > maxLogLimit:
		return nil, domain.Invalid("limit", "range", "limit is at most %d, not %d.", maxLogLimit, limit)
	}
	page := &LogPage{From: from, Next: from, Records: []LogRecord{}}
	head, err := raw.ReadRange(r.Context(), tenant, from, from+uint64(limit)-1, func(rec domain.Record) error {
		page.Records = append(page.Records, LogRecord{Seq: rec.Seq, Subject: rec.Subject, MsgID: rec.MsgID, Data: rec.Data, Stored: rec.Stored.UTC()})
		page.Next = rec.Seq + 1
		return nil
	})
	if err != nil {
		return nil, err
	}
	page.Head = head
	return page, nil
}
