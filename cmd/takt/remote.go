package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/taktledger/takt/api"
	"github.com/taktledger/takt/audit"
	"github.com/taktledger/takt/domain"
)

// remoteSource reads the logs, checkpoints and proofs of a running takt through its HTTP API:
// GET /v1/tenants/{t}/log, /checkpoints and /proof. Nothing it is told is trusted: takt verify
// recomputes the tree from the events and checks every checkpoint and every proof against it.
type remoteSource struct {
	base   string // the server's URL, without a trailing slash
	token  string // a bearer token; the auditor role may read all of the above
	client *http.Client
}

// logPageSize is how many events remoteSource asks the server for at once.
const logPageSize = 5000

func newRemoteSource(rawURL, token string) (*remoteSource, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--url %q is not the http or https address of a takt server (http://host:port)", rawURL)
	}
	return &remoteSource{base: strings.TrimSuffix(rawURL, "/"), token: token, client: &http.Client{Timeout: 2 * time.Minute}}, nil
}

// errURLTenants is --url without --tenant.
var errURLTenants = errors.New("--url needs --tenant: the server does not list its tenants")

func (s *remoteSource) tenants(context.Context) ([]string, error) { return nil, errURLTenants }

// get asks for the tenant's path with query and decodes the JSON answer into v. An answer that
// is not 200 is an error that says what the server said, and how to get past 401 and 403.
func (s *remoteSource) get(ctx context.Context, tenant, path string, query url.Values, v any) error {
	u := s.base + "/v1/tenants/" + url.PathEscape(tenant) + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		var problem api.Problem
		said := strings.TrimSpace(string(body))
		if json.Unmarshal(body, &problem) == nil && (problem.Detail != "" || problem.Title != "") {
			said = cmp.Or(problem.Detail, problem.Title)
		}
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			said += " (give an auditor's token with --token or TAKT_TOKEN)"
		case http.StatusForbidden:
			said += " (the token's role may not read this; an auditor's may)"
		}
		return fmt.Errorf("GET %s: %s: %s", u, resp.Status, said)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: the answer is not what takt serves: %w", u, err)
	}
	return nil
}

func (s *remoteSource) checkpoints(ctx context.Context, tenant string) ([]domain.Checkpoint, error) {
	var answer api.CheckpointList
	if err := s.get(ctx, tenant, "/checkpoints", nil, &answer); err != nil {
		return nil, err
	}
	out := make([]domain.Checkpoint, len(answer.Checkpoints))
	for i, c := range answer.Checkpoints {
		out[i] = domain.Checkpoint{Seq: c.Checkpoint, Size: c.Size, Reason: c.Reason, Note: []byte(c.Note), Stored: c.Stored}
	}
	return out, nil
}

// read pages through the tenant's log up to its head as the first page gives it.
func (s *remoteSource) read(ctx context.Context, tenant string, fn func(domain.Record) error) error {
	var head uint64
	for from, first := uint64(1), true; first || from <= head; first = false {
		var page api.LogPage
		q := url.Values{"from": {strconv.FormatUint(from, 10)}, "limit": {strconv.Itoa(logPageSize)}}
		if err := s.get(ctx, tenant, "/log", q, &page); err != nil {
			return err
		}
		if first {
			head = page.Head
		}
		if page.Next <= from && from <= head {
			return fmt.Errorf("the server's page of the log from seq %d holds nothing, though the log goes on to seq %d", from, head)
		}
		for _, r := range page.Records {
			if r.Seq > head {
				return nil
			}
			if err := fn(domain.Record{Seq: r.Seq, Subject: r.Subject, MsgID: r.MsgID, Data: r.Data, Stored: r.Stored}); err != nil {
				return err
			}
		}
		from = page.Next
	}
	return nil
}

// reference is the server's tree, through the proofs it answers, up to its last checkpoint.
func (s *remoteSource) reference(_ context.Context, tenant string, cps []domain.Checkpoint) (*audit.Reference, func() error, error) {
	var size uint64
	for _, c := range cps {
		size = max(size, c.Size)
	}
	return &audit.Reference{Size: size, Proofs: remoteProver{s, tenant}, Name: "server's /proof"}, nil, nil
}

func (s *remoteSource) Close() error {
	s.client.CloseIdleConnections()
	return nil
}

// remoteProver asks a server for the proofs of a tenant's tree. Nothing in an answer is trusted
// but that it answers what was asked: takt verify checks each proof against the signed roots and
// the recomputed tree.
type remoteProver struct {
	s      *remoteSource
	tenant string
}

func (p remoteProver) ConsistencyProof(ctx context.Context, from, to uint64) (*domain.ConsistencyProof, error) {
	var answer api.ConsistencyProof
	q := url.Values{"from": {strconv.FormatUint(from, 10)}, "to": {strconv.FormatUint(to, 10)}}
	if err := p.s.get(ctx, p.tenant, "/proof", q, &answer); err != nil {
		return nil, err
	} else if answer.From != from || answer.To != to {
		return nil, fmt.Errorf("asked for the proof from %d to %d, the server answered from %d to %d", from, to, answer.From, answer.To)
	}
	hashes, err := parseHashes(append([]string{answer.FromRoot, answer.ToRoot}, answer.Hashes...))
	if err != nil {
		return nil, err
	}
	return &domain.ConsistencyProof{From: from, To: to, FromRoot: hashes[0], ToRoot: hashes[1], Hashes: hashes[2:]}, nil
}

func (p remoteProver) InclusionProof(ctx context.Context, seq, size uint64) (*domain.InclusionProof, error) {
	var answer api.InclusionProof
	q := url.Values{"seq": {strconv.FormatUint(seq, 10)}, "size": {strconv.FormatUint(size, 10)}}
	if err := p.s.get(ctx, p.tenant, "/proof", q, &answer); err != nil {
		return nil, err
	} else if answer.Seq != seq || answer.Size != size {
		return nil, fmt.Errorf("asked for the proof of seq %d in %d, the server answered seq %d in %d", seq, size, answer.Seq, answer.Size)
	}
	hashes, err := parseHashes(append([]string{answer.Leaf, answer.Root}, answer.Hashes...))
	if err != nil {
		return nil, err
	}
	return &domain.InclusionProof{Seq: seq, Size: size, Leaf: hashes[0], Root: hashes[1], Hashes: hashes[2:]}, nil
}

// parseHashes parses the hashes of a proof the server gave.
func parseHashes(in []string) ([][32]byte, error) {
	out := make([][32]byte, len(in))
	for i, s := range in {
		h, err := tlog.ParseHash(s)
		if err != nil {
			return nil, fmt.Errorf("the server gave %q where a hash (32 bytes in base64) belongs", s)
		}
		out[i] = h
	}
	return out, nil
}
