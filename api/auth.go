package api

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/taktledger/takt/domain"
)

// Authenticator tells who a bearer token speaks for: a principal, or EUNAUTHORIZED.
// auth.Tokens is one; auth.Chain, which takt serve uses, sends takt tokens to it and JWTs to auth.OIDC.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*domain.Principal, error)
}

// access is who may use a route. Every route is given one where it is registered (route), so
// none is served without a decision about it; docs/security.md is generated from the table.
type access struct {
	roles []domain.Role // nil: no credential is asked for
}

var (
	// anyone: outside the tenants — the dashboard's files, health, metrics, the OpenAPI document.
	anyone = access{}
	// readers: current and historical state, the projection's live updates, checkpoints and proofs.
	readers = access{domain.Roles}
	// staff: what names who recorded — the raw events — to every role but public.
	staff = access{[]domain.Role{domain.RoleAdmin, domain.RoleSecretary, domain.RoleReporter, domain.RoleAuditor}}
	// auditors: the audit export and the raw log.
	auditors = access{[]domain.Role{domain.RoleAdmin, domain.RoleAuditor}}
	// admins: organs, periods, tokens.
	admins = access{[]domain.Role{domain.RoleAdmin}}
)

func (a access) allows(r domain.Role) bool { return slices.Contains(a.roles, r) }

// recordedBy is the access of a command route: the role domain.RecordedBy names for its command;
// domain.Authorize then checks the organ.
func recordedBy(c command) access {
	return access{[]domain.Role{domain.RecordedBy(c.new(&http.Request{}))}}
}

type principalKey struct{}

// principalOf returns who sent the request, nil when the server authenticates no one.
func principalOf(ctx context.Context) *domain.Principal {
	p, _ := ctx.Value(principalKey{}).(*domain.Principal)
	return p
}

// personal reports whether the request may see who recorded what.
func personal(r *http.Request) bool {
	p := principalOf(r.Context())
	return p == nil || p.Role.Personal()
}

// guard serves h to the requests a may: it authenticates the bearer token (401), limits the rate
// per credential (429), and checks the token's tenant and role (403) — all before the request's
// body is read. A server without Auth lets every request through as its own.
func (s *Server) guard(a access, h http.Handler) http.Handler {
	if a.roles == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.Auth == nil {
			h.ServeHTTP(w, r)
			return
		}
		// An address whose refused credentials have used up its bucket is refused before its next
		// credential is even looked at, the right one too: guessing is slowed, not only counted.
		addr := "addr:" + clientNet(r)
		if !s.limits.has(s, addr) {
			s.tooMany(w, r)
			return
		}
		p, err := s.authenticate(r)
		if err != nil {
			s.limits.allow(s, addr)
			s.Metrics.authFailed(domain.ErrorCode(err), ruleOf(err))
			s.problem(w, r, err)
			return
		}
		if !s.limits.allow(s, p.ID) {
			s.tooMany(w, r)
			return
		}
		if tenant := r.PathValue("tenant"); p.Tenant != tenant {
			s.Metrics.authFailed(domain.EFORBIDDEN, "tenant")
			s.problem(w, r, domain.Forbidden("tenant", "tenant", "This token is for tenant %s, not %s.", p.Tenant, tenant))
			return
		}
		if !a.allows(p.Role) {
			s.Metrics.authFailed(domain.EFORBIDDEN, "role")
			s.problem(w, r, domain.Forbidden("Authorization", "role", "%s is for %s; this token is %s.", r.Pattern, domain.RoleNames(a.roles), p))
			return
		}
		ctx := context.WithValue(r.Context(), principalKey{}, p)
		h.ServeHTTP(w, r.WithContext(context.WithValue(ctx, credentialKey{}, bearerToken(r))))
	})
}

type credentialKey struct{}

// stillValid reports whether the request's credential would still be let in: a live stream asks
// at every heartbeat, so that a token revoked or expired while its stream is open stops it.
func (s *Server) stillValid(r *http.Request) bool {
	if s.Auth == nil {
		return true
	}
	was := principalOf(r.Context())
	token, _ := r.Context().Value(credentialKey{}).(string)
	p, err := s.Auth.Authenticate(r.Context(), token)
	return err == nil && was != nil && *p == *was
}

func ruleOf(err error) string {
	if e, ok := err.(*domain.Error); ok {
		return e.Rule
	}
	return ""
}

// authenticate reads the Authorization header: exactly one bearer token.
func (s *Server) authenticate(r *http.Request) (*domain.Principal, error) {
	hs := r.Header.Values("Authorization")
	if len(hs) == 0 {
		return nil, &domain.Error{Code: domain.EUNAUTHORIZED, Field: "Authorization", Rule: "required",
			Message: "This route needs a bearer token: Authorization: Bearer <token>."}
	}
	token := bearerToken(r)
	if len(hs) > 1 || token == "" {
		return nil, &domain.Error{Code: domain.EUNAUTHORIZED, Field: "Authorization", Rule: "bearer",
			Message: "Authorization must be one header: Bearer <token>."}
	}
	return s.Auth.Authenticate(r.Context(), token)
}

// bearerToken is the token of the request's first Authorization header, "" when it holds none.
func bearerToken(r *http.Request) string {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// challenge is the WWW-Authenticate header of a 401 (RFC 6750 §3).
func challenge(e *domain.Error) string {
	if e.Rule == "required" {
		return `Bearer realm="takt"`
	}
	return fmt.Sprintf(`Bearer realm="takt", error="invalid_token", error_description=%q`, e.Message)
}

// clientNet is the client's address, or its /64 for IPv6, where one client holds a whole network.
func clientNet(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	ip := net.ParseIP(host)
	if ip == nil || ip.To4() != nil {
		return host
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// Defaults of the rate limit; Server's fields override them.
const (
	defaultRate  = 50
	defaultBurst = 200
)

// maxAddresses bounds how many client addresses with refused credentials are remembered; past it,
// a new address is refused until the old ones are forgotten.
const maxAddresses = 100_000

// limits keeps a token bucket per credential (and per address, for requests whose credential is
// refused), forgetting those unused for a while.
type limits struct {
	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	*rate.Limiter
	used time.Time
}

// allow takes one request from key's bucket. A negative Server.RateLimit turns the limit off.
func (l *limits) allow(s *Server, key string) bool {
	b := l.bucket(s, key, true)
	return b == nil || b.AllowN(time.Now(), 1)
}

// has reports whether key's bucket holds a request, without taking it.
func (l *limits) has(s *Server, key string) bool {
	b := l.bucket(s, key, false)
	return b == nil || b.TokensAt(time.Now()) >= 1
}

// bucket returns key's bucket, made if create is set (a missing one is full); nil when there is no
// limit, or an empty one when too many addresses are remembered.
func (l *limits) bucket(s *Server, key string, create bool) *bucket {
	if s.RateLimit < 0 {
		return nil
	}
	limit, burst := rate.Limit(defaultRate), defaultBurst
	if s.RateLimit > 0 {
		limit = rate.Limit(s.RateLimit)
	}
	if s.RateBurst > 0 {
		burst = s.RateBurst
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.buckets == nil {
		l.buckets = map[string]*bucket{}
	}
	full := len(l.buckets) > maxAddresses
	if now.Sub(l.swept) > time.Minute || full && now.Sub(l.swept) > time.Second {
		idle := 10 * time.Minute
		if full {
			idle = time.Minute
		}
		for k, b := range l.buckets {
			if now.Sub(b.used) > idle {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	switch {
	case b != nil:
	case !create:
		return nil
	case len(l.buckets) > maxAddresses && strings.HasPrefix(key, "addr:"):
		return &bucket{Limiter: rate.NewLimiter(0, 0)}
	default:
		b = &bucket{Limiter: rate.NewLimiter(limit, burst)}
		l.buckets[key] = b
	}
	b.used = now
	return b
}

func (s *Server) tooMany(w http.ResponseWriter, r *http.Request) {
	limit := s.RateLimit
	if limit == 0 {
		limit = defaultRate
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(1/limit))))
	s.Metrics.rateLimited()
	s.problem(w, r, &domain.Error{Code: domain.ELIMIT, Field: "Authorization", Rule: "rate_limit",
		Message: fmt.Sprintf("More than %g requests a second with this credential; retry later.", limit)})
}

// secure sets the headers every answer carries: no sniffing, no framing, no referrer, no shared
// caching of what a token read, and a Content-Security-Policy that allows an API answer nothing
// (the dashboard's files set their own).
func secure(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs := w.Header()
		hs.Set("X-Content-Type-Options", "nosniff")
		hs.Set("X-Frame-Options", "DENY")
		hs.Set("Referrer-Policy", "no-referrer")
		hs.Set("Cross-Origin-Opener-Policy", "same-origin")
		hs.Set("Cross-Origin-Resource-Policy", "same-origin")
		hs.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
		hs.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		if r.TLS != nil {
			hs.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if strings.HasPrefix(r.URL.Path, "/v1/tenants/") {
			hs.Set("Cache-Control", "no-store")
		}
		h.ServeHTTP(w, r)
	})
}
