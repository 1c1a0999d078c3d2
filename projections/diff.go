package projections

import (
	"encoding/json"

	"github.com/taktledger/takt/domain"
)

// ignored are the fields of a state that change with every version and say nothing a diff should.
var ignored = map[string]bool{"seq": true, "valid_from": true, "decision": true}

// diff returns the changed fields between two states as JSON: {"field": {"before": …, "after": …}}.
func diff(before, after []byte) (string, error) {
	var b, a map[string]json.RawMessage
	if len(before) > 0 {
		if err := json.Unmarshal(before, &b); err != nil {
			return "", err
		}
	}
	if err := json.Unmarshal(after, &a); err != nil {
		return "", err
	}
	changes := map[string]domain.Change{}
	for k, v := range a {
		if !ignored[k] && string(b[k]) != string(v) {
			changes[k] = domain.Change{Before: b[k], After: v}
		}
	}
	for k, v := range b {
		if _, ok := a[k]; !ok && !ignored[k] {
			changes[k] = domain.Change{Before: v}
		}
	}
	out, err := json.Marshal(changes)
	return string(out), err
}
