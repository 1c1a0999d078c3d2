package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/taktledger/takt/web"
)

func get(t *testing.T, h http.Handler, path string) (*http.Response, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
	b, _ := io.ReadAll(rec.Result().Body)
	return rec.Result(), string(b)
}

// The page and its files are served with a policy that allows nothing but the origin, and the page
// needs nothing else: no inline script or style, no other host.
func TestDashboardIsSelfContained(t *testing.T) {
	h := web.Handler()
	resp, page := get(t, h, "/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Fatalf("Content-Security-Policy %q", csp)
	}
	if regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`).MatchString(page) || strings.Contains(page, "style=") {
		t.Fatal("the page has an inline script or style")
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllStringSubmatch(page, -1)
	if len(refs) < 3 {
		t.Fatalf("the page refers to %v", refs)
	}
	for _, m := range refs {
		ref := m[1]
		if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
			t.Errorf("the page refers to %s, outside the origin", ref)
			continue
		}
		if !strings.HasPrefix(ref, "/assets/") {
			continue
		}
		resp, body := get(t, h, ref)
		if resp.StatusCode != 200 || body == "" {
			t.Errorf("GET %s: %d", ref, resp.StatusCode)
		}
		if strings.HasSuffix(ref, ".js") && !strings.Contains(resp.Header.Get("Content-Type"), "javascript") {
			t.Errorf("GET %s: Content-Type %s; a module needs a JavaScript type", ref, resp.Header.Get("Content-Type"))
		}
	}
	for _, name := range []string{"app.js", "chart.js", "i18n.js", "style.css"} {
		_, body := get(t, h, "/assets/"+name)
		body = strings.ReplaceAll(body, "http://www.w3.org/2000/svg", "") // a namespace, not a request
		for _, bad := range []string{"http://", "https://", "eval(", "new Function", "innerHTML", "@import", "url("} {
			if strings.Contains(body, bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
	if resp, _ := get(t, h, "/assets/nope.js"); resp.StatusCode != 404 {
		t.Fatalf("a missing file: %d", resp.StatusCode)
	}
}
