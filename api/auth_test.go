package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/taktledger/takt/domain"
)

// One credential may send RateBurst requests at once and RateLimit a second after; the next is a
// 429 problem with Retry-After. Another credential has a bucket of its own.
func TestRateLimitPerToken(t *testing.T) {
	s := mustOpenStack(t)
	first := s.withTokens(domain.Token{Role: domain.RolePublic, Name: "Webbplatsen"})
	second := s.withTokens(domain.Token{Role: domain.RolePublic, Name: "Intranätet"})
	s.url = serveLimited(s, 0.001, 2) // one request in 1 000 s after a burst of two
	for i := range 2 {
		if status, _, b := s.get("/periods", "Authorization", "Bearer "+first); status != 200 {
			t.Fatalf("request %d: %d %s", i, status, b)
		}
	}
	status, h, b := s.get("/periods", "Authorization", "Bearer "+first)
	if status != http.StatusTooManyRequests || h.Get("Retry-After") != "1000" || !strings.Contains(string(b), `"rate_limited"`) {
		t.Fatalf("over the limit: %d %v %s", status, h, b)
	}
	if status, _, b := s.get("/periods", "Authorization", "Bearer "+second); status != 200 {
		t.Fatalf("another token: %d %s", status, b)
	}
}

func serveLimited(s *stack, limit float64, burst int) string {
	s.limit, s.burst = limit, burst
	url, _ := s.serve(nil)
	return url
}

// Every answer carries the security headers; a refused credential gets the RFC 6750 challenge.
func TestSecurityHeaders(t *testing.T) {
	s := mustOpenStack(t)
	token := s.withTokens(domain.Token{Role: domain.RoleAuditor, Name: "Revisionen"})
	s.url, _ = s.serve(nil)
	root := strings.TrimSuffix(s.url, "/v1/tenants/test")
	for _, c := range []struct{ url, token, csp string }{
		{s.url + "/periods", token, "default-src 'none'; frame-ancestors 'none'"},
		{root + "/", "", "default-src 'self'"},
		{root + "/nosuch", "", "default-src 'none'"},
	} {
		req, _ := http.NewRequest("GET", c.url, nil)
		if c.token != "" {
			req.Header.Set("Authorization", "Bearer "+c.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		h := resp.Header
		if !strings.HasPrefix(h.Get("Content-Security-Policy"), c.csp) || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("X-Frame-Options") != "DENY" || h.Get("Cross-Origin-Opener-Policy") != "same-origin" || h.Get("Permissions-Policy") == "" {
			t.Errorf("GET %s: headers %v", c.url, h)
		}
		if strings.Contains(c.url, "/v1/tenants/") && h.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: Cache-Control %q", c.url, h.Get("Cache-Control"))
		}
	}
	for header, challenge := range map[string]string{"": `Bearer realm="takt"`, "Bearer takt_x": `Bearer realm="takt", error="invalid_token"`} {
		status, h, b := s.get("/periods", "Authorization", header)
		if status != 401 || !strings.HasPrefix(h.Get("WWW-Authenticate"), challenge) || !strings.Contains(string(b), `"unauthorized"`) {
			t.Errorf("Authorization %q: %d %v %s", header, status, h, b)
		}
	}
}
