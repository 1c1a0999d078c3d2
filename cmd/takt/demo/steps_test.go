package demo

import (
	"strings"
	"testing"
)

// The story's steps are well-formed on their own: every Idempotency-Key is unique and a valid
// header, every date lies inside the period and not after the demo's today, and the steps come in
// the order of their dates.
func TestSteps(t *testing.T) {
	seen := map[string]bool{}
	steps := steps()
	for i, s := range steps {
		if seen[s.key] {
			t.Errorf("key %s is used twice", s.key)
		}
		seen[s.key] = true
		if len(s.key) > 200 || strings.ContainsFunc(s.key, func(r rune) bool { return r <= ' ' || r > '~' }) {
			t.Errorf("key %q is not a valid Idempotency-Key", s.key)
		}
		if !s.date.Valid() || s.date < "2023-01-01" || s.date > Today {
			t.Errorf("step %s is dated %s", s.key, s.date)
		}
		if i > 0 && s.date < steps[i-1].date {
			t.Errorf("step %s (%s) comes after %s (%s)", s.key, s.date, steps[i-1].key, steps[i-1].date)
		}
		if err := s.cmd.Validate(); err != nil {
			t.Errorf("step %s: %v", s.key, err)
		}
	}
}
