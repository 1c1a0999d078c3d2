package api

import (
	"net/http/httptest"
	"testing"
)

// The audit log is CSV when Accept prefers it to JSON, by the qualities it gives.
func TestAcceptsCSV(t *testing.T) {
	for accept, want := range map[string]bool{
		"":                                     false,
		"text/csv":                             true,
		"application/json":                     false,
		"text/csv, application/json":           true,
		"text/csv;q=0.5, application/json":     false,
		"application/json;q=0.4, text/csv":     true,
		"text/csv;q=0":                         false,
		"TEXT/CSV; charset=utf-8":              true,
		"text/csv;q=0.8, */*;q=0.9":            false,
		"text/html, text/csv;q=0.9, */*;q=0.1": true,
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", accept)
		if got := acceptsCSV(r); got != want {
			t.Errorf("Accept %q: csv %v, want %v", accept, got, want)
		}
	}
}
