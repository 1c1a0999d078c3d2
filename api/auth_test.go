package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/taktledger/takt/api"
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

// Refused credentials use up their address's bucket, and then the address is refused before its
// next credential is looked at, even a good one: guessing is slowed.
func TestGuessingIsSlowed(t *testing.T) {
	s := mustOpenStack(t)
	good := s.withTokens(domain.Token{Role: domain.RolePublic, Name: "Webbplatsen"})
	s.url = serveLimited(s, 0.001, 2)
	var got []int
	for _, token := range []string{"takt_0000000000000000_guess", "takt_0000000000000001_guess", "takt_0000000000000002_guess", good} {
		status, _, _ := s.get("/periods", "Authorization", "Bearer "+token)
		got = append(got, status)
	}
	if fmt.Sprint(got) != "[401 401 429 429]" {
		t.Fatalf("two guesses, a third, then the right token: %v", got)
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

// A server that asks for no credential answers only requests addressed to the loopback, so that a
// page on another name that resolves there (DNS rebinding) reaches nothing.
func TestLoopbackOnly(t *testing.T) {
	srv := api.NewServer(&fake{})
	srv.LoopbackOnly = true
	for host, want := range map[string]int{"localhost:8080": 200, "127.0.0.1:8080": 200, "[::1]:8080": 200, "evil.example:8080": 403, "10.0.0.1": 403} {
		req := httptest.NewRequest("GET", "/healthz", nil)
		req.Host = host
		w := httptest.NewRecorder()
		srv.Handler().ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("Host %s: %d, want %d", host, w.Code, want)
		}
	}
}
