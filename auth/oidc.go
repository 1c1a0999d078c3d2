package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
)

// The claims that name a JWT principal's tenant, role and organ, unless OIDC is told others.
const (
	DefaultTenantClaim = "takt_tenant"
	DefaultRoleClaim   = "takt_role"
	DefaultOrganClaim  = "takt_organ"
)

// Algorithms is what a JWT may be signed with: public-key signatures only. HMAC would make the
// published keys a shared secret, and "none" no signature at all; both are refused.
var Algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA}

// OIDC authenticates the JWTs of a municipality's own identity provider, verified with the
// public keys of a JWKS file. The file is read again when it changes (checked at most every
// Reload), so the provider's keys can be rotated without a restart; a file that cannot be read
// again leaves the keys read before in use.
type OIDC struct {
	JWKS     string // the JWKS file's path
	Issuer   string // iss must be exactly this
	Audience string // aud must contain this

	// The claims that name the tenant, the role and, for secretaries and reporters, the organ.
	TenantClaim, RoleClaim, OrganClaim string

	Skew   time.Duration // how far exp, nbf and iat may be off the clock
	Reload time.Duration // how often the file is checked for a change
	Now    func() time.Time
	Logger *slog.Logger

	mu      sync.Mutex
	keys    []jose.JSONWebKey
	file    os.FileInfo // the file the keys were read from
	checked time.Time
}

// NewOIDC returns an OIDC with takt's claim names, a minute's skew and a five-second reload check.
func NewOIDC() *OIDC {
	return &OIDC{TenantClaim: DefaultTenantClaim, RoleClaim: DefaultRoleClaim, OrganClaim: DefaultOrganClaim,
		Skew: time.Minute, Reload: 5 * time.Second, Now: time.Now, Logger: slog.Default()}
}

// Open checks the configuration and reads the JWKS file, which must hold at least one public
// signing key and nothing secret.
func (o *OIDC) Open(ctx context.Context) error {
	switch {
	case o.JWKS == "":
		return errors.New("oidc: no JWKS file")
	case o.Issuer == "":
		return errors.New("oidc: no issuer")
	case o.Audience == "":
		return errors.New("oidc: no audience")
	case o.TenantClaim == "" || o.RoleClaim == "" || o.OrganClaim == "":
		return errors.New("oidc: the tenant, role and organ claims must be named")
	}
	fi, err := os.Stat(o.JWKS)
	if err != nil {
		return fmt.Errorf("oidc: %w", err)
	}
	keys, err := readJWKS(o.JWKS)
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.keys, o.file, o.checked = keys, fi, o.Now()
	o.mu.Unlock()
	return nil
}

// readJWKS reads the public signing keys of a JWKS file. Encryption keys are skipped; a private
// or symmetric key is an error, since the file is to hold only what the provider publishes.
func readJWKS(path string) ([]jose.JSONWebKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("oidc: %w", err)
	}
	var set struct{ Keys []json.RawMessage }
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("oidc: %s is not a JWKS: %w", path, err)
	}
	var keys []jose.JSONWebKey
	for i, raw := range set.Keys {
		var k jose.JSONWebKey
		if err := k.UnmarshalJSON(raw); err != nil {
			return nil, fmt.Errorf("oidc: %s: key %d: %w", path, i+1, err)
		}
		switch {
		case k.Use == "enc":
			continue
		case !k.IsPublic():
			return nil, fmt.Errorf("oidc: %s: key %d (kid %q) is private or symmetric: the file must hold public keys only", path, i+1, k.KeyID)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("oidc: %s holds no public signing key", path)
	}
	return keys, nil
}

// current returns the keys, reading the file again first if it has changed since they were read.
func (o *OIDC) current() []jose.JSONWebKey {
	now := o.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	if now.Sub(o.checked) < o.Reload && !now.Before(o.checked) {
		return o.keys
	}
	o.checked = now
	fi, err := os.Stat(o.JWKS)
	if err != nil {
		o.Logger.Error("JWKS file unreadable: the keys read before are still used", "path", o.JWKS, "err", err)
		return o.keys
	}
	if o.file != nil && os.SameFile(o.file, fi) && fi.ModTime().Equal(o.file.ModTime()) && fi.Size() == o.file.Size() {
		return o.keys
	}
	keys, err := readJWKS(o.JWKS)
	if err != nil {
		o.Logger.Error("JWKS file not read again: the keys read before are still used", "path", o.JWKS, "err", err)
		return o.keys // and it is tried again at the next check
	}
	o.keys, o.file = keys, fi
	o.Logger.Info("JWKS file read again", "path", o.JWKS, "keys", len(keys))
	return o.keys
}

// Authenticate returns the principal a JWT speaks for, or EUNAUTHORIZED (in Field
// "Authorization") for one that is malformed, signed otherwise than by a key of the JWKS file
// with an accepted algorithm (rule token), of another issuer (issuer) or audience (audience),
// expired (expired), not valid yet (not_yet_valid), or whose claims name no valid principal
// (claims).
func (o *OIDC) Authenticate(ctx context.Context, token string) (*domain.Principal, error) {
	tok, err := jwt.ParseSigned(token, Algorithms)
	if err != nil {
		if alg := headerAlg(token); alg != "" {
			return nil, unauthorized("token", "A JWT signed with %q is not accepted; takt accepts %s.", alg, algorithmList())
		}
		return nil, unauthorized("token", "This is not a signed JWT.")
	}
	h := tok.Headers[0]
	var std jwt.Claims
	var claims map[string]any
	verified, known := false, false
	for _, k := range o.current() {
		if (h.KeyID != "" && k.KeyID != h.KeyID) || (k.Algorithm != "" && k.Algorithm != h.Algorithm) {
			continue
		}
		known = true
		if tok.Claims(k.Key, &std, &claims) == nil {
			verified = true
			break
		}
	}
	switch {
	case !known && h.KeyID != "":
		return nil, unauthorized("token", "The JWT is signed with key %q, which is not one of the identity provider's.", h.KeyID)
	case !verified:
		return nil, unauthorized("token", "The JWT's signature does not verify with the identity provider's keys.")
	}
	if err := o.validate(std); err != nil {
		return nil, err
	}
	return o.principal(std, claims)
}

// validate checks the registered claims: the issuer, the audience and the times, exp required.
func (o *OIDC) validate(c jwt.Claims) error {
	if c.Expiry == nil {
		return unauthorized("expired", "The JWT has no expiry (exp); takt accepts only tokens that expire.")
	}
	err := c.ValidateWithLeeway(jwt.Expected{Issuer: o.Issuer, AnyAudience: jwt.Audience{o.Audience}, Time: o.Now()}, o.Skew)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return unauthorized("issuer", "The JWT is issued by %q; takt accepts those of %q.", c.Issuer, o.Issuer)
	case errors.Is(err, jwt.ErrInvalidAudience):
		return unauthorized("audience", "The JWT is for %s, not for %q.", audience(c.Audience), o.Audience)
	case errors.Is(err, jwt.ErrExpired):
		return unauthorized("expired", "The JWT expired at %s.", c.Expiry.Time().UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrNotValidYet):
		return unauthorized("not_yet_valid", "The JWT is not valid before %s.", c.NotBefore.Time().UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return unauthorized("not_yet_valid", "The JWT is issued in the future, at %s.", c.IssuedAt.Time().UTC().Format(time.RFC3339))
	}
	return unauthorized("token", "The JWT's claims do not validate: %v.", err)
}

// principal maps the claims to whom they name: the tenant, role and organ from the configured
// claims; the name from name, else preferred_username, else sub.
func (o *OIDC) principal(c jwt.Claims, claims map[string]any) (*domain.Principal, error) {
	if c.Subject == "" {
		return nil, unauthorized("claims", "The JWT names no subject (sub).")
	}
	tenant, err := stringClaim(claims, o.TenantClaim)
	if err != nil {
		return nil, err
	}
	if !events.ValidTenant(tenant) {
		return nil, unauthorized("claims", "The JWT's claim %q is %q, which is not a tenant.", o.TenantClaim, tenant)
	}
	role, err := stringClaim(claims, o.RoleClaim)
	if err != nil {
		return nil, err
	}
	if _, err := domain.ParseRole(role); err != nil {
		return nil, unauthorized("claims", "The JWT's claim %q: %s", o.RoleClaim, domain.ErrorMessage(err))
	}
	p := &domain.Principal{ID: "oidc:" + c.Issuer + "#" + c.Subject, Tenant: tenant, Role: domain.Role(role)}
	if p.Role.OfOrgan() { // any organ claim of the other roles is left out: they act for none
		if p.Organ, err = stringClaim(claims, o.OrganClaim); err != nil {
			return nil, unauthorized("claims", "A %s acts for one organ, which the JWT's claim %q must name.", role, o.OrganClaim)
		}
		if !events.ValidID(p.Organ) {
			return nil, unauthorized("claims", "The JWT's claim %q is %q, which is not an organ id.", o.OrganClaim, p.Organ)
		}
	}
	for _, name := range []string{"name", "preferred_username"} {
		if v, ok := claims[name].(string); ok && strings.TrimSpace(v) != "" {
			p.Name = strings.TrimSpace(v)
			if !printable(p.Name) {
				return nil, unauthorized("claims", "The JWT's claim %q must be at most 200 bytes of printable text.", name)
			}
			return p, nil
		}
	}
	p.Name = c.Subject
	return p, nil
}

// stringClaim returns claim name, which must be a string that is not empty.
func stringClaim(claims map[string]any, name string) (string, error) {
	v, ok := claims[name]
	if !ok {
		return "", unauthorized("claims", "The JWT has no claim %q.", name)
	}
	s, ok := v.(string)
	if !ok || s == "" {
		return "", unauthorized("claims", "The JWT's claim %q must be a string that is not empty.", name)
	}
	return s, nil
}

// headerAlg reads the alg of a compact JWS's header without trusting anything else of it, for
// the message that refuses it.
func headerAlg(token string) string {
	head, _, _ := strings.Cut(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		return ""
	}
	var h struct{ Alg string }
	if json.Unmarshal(b, &h) != nil || len(h.Alg) > 20 || strings.ContainsFunc(h.Alg, isControl) {
		return ""
	}
	return h.Alg
}

func algorithmList() string {
	names := make([]string, len(Algorithms))
	for i, a := range Algorithms {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

func audience(aud jwt.Audience) string {
	if len(aud) == 0 {
		return "no audience"
	}
	return fmt.Sprintf("%q", []string(aud))
}

// Chain sends each bearer token to what authenticates its kind: a takt token (takt_…) to
// Tokens, a JWT (three base64url parts separated by dots) to OIDC. Without OIDC, JWTs are
// refused.
type Chain struct {
	Tokens *Tokens
	OIDC   *OIDC
}

// Authenticate returns the principal a token speaks for, or EUNAUTHORIZED.
func (c *Chain) Authenticate(ctx context.Context, token string) (*domain.Principal, error) {
	switch {
	case strings.HasPrefix(token, TokenPrefix):
		return c.Tokens.Authenticate(ctx, token)
	case !IsJWT(token):
		return nil, unauthorized("token", "This is neither a takt token nor a JWT.")
	case c.OIDC == nil:
		return nil, unauthorized("token", "This server accepts takt tokens only, not JWTs.")
	}
	return c.OIDC.Authenticate(ctx, token)
}

// IsJWT reports whether token has the shape of a compact JWS: a header, a payload and a
// signature in base64url, separated by dots. The signature may be empty, so that an unsigned
// JWT reaches OIDC to be refused for what it is.
func IsJWT(token string) bool {
	parts := strings.Split(token, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return false
	}
	for _, p := range parts {
		for _, r := range p {
			if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	return true
}
