package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/taktledger/takt/domain"
)

// TokenAdmin manages a tenant's bearer tokens: auth.Tokens is one. With it, a tenant's admins
// create, list and revoke its tokens over HTTP, as `takt token` does on the data directory.
type TokenAdmin interface {
	Create(ctx context.Context, spec domain.Token) (string, domain.Token, error)
	List(ctx context.Context, tenant string) ([]domain.Token, error)
	Revoke(ctx context.Context, tenant, id, by string) (domain.Token, error)
}

// tokenRequest is the body of POST /tokens.
type tokenRequest struct {
	Role    domain.Role `json:"role"`
	Organ   string      `json:"organ,omitempty"`
	Name    string      `json:"name"`
	Expires *time.Time  `json:"expires,omitempty"`
}

// createdToken is the answer to POST /tokens: the token, shown this once, and its description.
type createdToken struct {
	Secret string `json:"token"`
	domain.Token
}

type tokensAnswer struct {
	Tokens []domain.Token `json:"tokens"`
}

// actorOf names who sends a request, for what the server itself records of it.
func actorOf(r *http.Request) string {
	if p := principalOf(r.Context()); p != nil {
		return p.String()
	}
	return "anonymous"
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	var body tokenRequest
	err := s.knownTenant(tenant)
	if err == nil {
		err = s.decode(w, r, &body)
	}
	if err == nil && body.Organ != "" && s.Queries != nil {
		var organs []domain.OrganView
		if organs, err = s.Queries.Organs(r.Context(), tenant, domain.ReadOptions{}); err == nil {
			err = domain.CheckTokenOrgan(organs, body.Organ)
		}
	}
	var token string
	var tok domain.Token
	if err == nil {
		token, tok, err = s.Tokens.Create(r.Context(), domain.Token{Tenant: tenant, Role: body.Role, Organ: body.Organ,
			Name: body.Name, Expires: body.Expires, CreatedBy: actorOf(r)})
	}
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.Logger.InfoContext(r.Context(), "token created", "tenant", tenant, "id", tok.ID, "role", tok.Role, "organ", tok.Organ, "by", tok.CreatedBy)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Location", "/v1/tenants/"+url.PathEscape(tenant)+"/tokens/"+tok.ID)
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(createdToken{Secret: token, Token: tok})
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	if err := s.knownTenant(tenant); err != nil {
		s.problem(w, r, err)
		return
	}
	list, err := s.Tokens.List(r.Context(), tenant)
	if err != nil {
		s.problem(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(tokensAnswer{list})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	tenant := r.PathValue("tenant")
	tok, err := domain.Token{}, s.knownTenant(tenant)
	if err == nil {
		tok, err = s.Tokens.Revoke(r.Context(), tenant, id(r), actorOf(r))
	}
	if err != nil {
		s.problem(w, r, err)
		return
	}
	s.Logger.InfoContext(r.Context(), "token revoked", "tenant", tenant, "id", tok.ID, "by", tok.RevokedBy)
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(tok)
}
