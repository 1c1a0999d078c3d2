package projections

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/taktledger/takt/domain"
)

// ignored are the fields of a state that change with every version and say nothing a diff should.
var ignored = map[string]bool{"seq": true, "valid_from": true, "decision": true}

// diff returns the changed fields between two states as JSON: {"field": {"before": …, "after": …}},
// fields sorted, as encoding/json writes a map[string]domain.Change. The states are encoding/json's
// own output, so their top-level fields are split and compared as they are, without decoding them;
// a state that does not split plainly is decoded.
func diff(before, after []byte) (string, error) {
	// A state has a few dozen fields at the most: split into arrays on the stack.
	var bs, as [32]field
	b, errb := appendFields(bs[:0], before)
	a, erra := appendFields(as[:0], after)
	if errb != nil || erra != nil {
		return diffDecoded(before, after)
	}
	type change struct{ key, before, after []byte }
	var cs [32]change
	changes := cs[:0]
	size := 2
	for _, f := range a {
		if ignored[string(f.key)] {
			continue
		}
		old := lookup(b, f.key)
		if !bytes.Equal(old, f.value) {
			changes = append(changes, change{f.key, old, f.value})
			size += len(f.key) + len(old) + len(f.value) + 24
		}
	}
	for _, f := range b {
		if !ignored[string(f.key)] && lookup(a, f.key) == nil {
			changes = append(changes, change{f.key, f.value, nil})
			size += len(f.key) + len(f.value) + 24
		}
	}
	slices.SortFunc(changes, func(x, y change) int { return bytes.Compare(x.key, y.key) })
	// Sized to fit, and handed over without a copy.
	var out strings.Builder
	out.Grow(size)
	out.WriteByte('{')
	for i, c := range changes {
		if i > 0 {
			out.WriteByte(',')
		}
		out.WriteByte('"')
		out.Write(c.key)
		out.WriteString(`":{`)
		if c.before != nil {
			out.WriteString(`"before":`)
			out.Write(c.before)
		}
		if c.after != nil {
			if c.before != nil {
				out.WriteByte(',')
			}
			out.WriteString(`"after":`)
			out.Write(c.after)
		}
		out.WriteByte('}')
	}
	out.WriteByte('}')
	return out.String(), nil
}

// diffDecoded is diff by decoding both states.
func diffDecoded(before, after []byte) (string, error) {
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

type field struct{ key, value []byte }

var errNotPlain = errors.New("projections: not a plain JSON object")

// fields splits a compact JSON object, as encoding/json writes it, into its top-level fields. It
// refuses what it does not need to handle: whitespace, escaped keys, and duplicate keys.
func fields(data []byte) ([]field, error) { return appendFields(nil, data) }

// appendFields is fields appending to out.
func appendFields(out []field, data []byte) ([]field, error) {
	if len(data) == 0 {
		return out, nil
	}
	if data[0] != '{' {
		return nil, errNotPlain
	}
	i := 1
	if i < len(data) && data[i] == '}' {
		return out, end(data, i+1)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return nil, errNotPlain
		}
		k := i + 1
		for k < len(data) && data[k] != '"' {
			if data[k] == '\\' {
				return nil, errNotPlain
			}
			k++
		}
		if k+1 >= len(data) || data[k+1] != ':' {
			return nil, errNotPlain
		}
		key := data[i+1 : k]
		v := k + 2
		n, err := valueEnd(data, v)
		if err != nil || n == v {
			return nil, errNotPlain
		}
		if lookup(out, key) != nil {
			return nil, errNotPlain
		}
		out = append(out, field{key, data[v:n]})
		switch data[n] {
		case ',':
			i = n + 1
		case '}':
			return out, end(data, n+1)
		default:
			return nil, errNotPlain
		}
	}
}

func end(data []byte, i int) error {
	if i != len(data) {
		return errNotPlain
	}
	return nil
}

// valueEnd returns where the JSON value starting at data[i] ends: at the comma or brace after it.
func valueEnd(data []byte, i int) (int, error) {
	depth := 0
	for j := i; j < len(data); j++ {
		switch data[j] {
		case '"':
			for j++; j < len(data) && data[j] != '"'; j++ {
				if data[j] == '\\' {
					j++
				}
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return j, nil
			}
			depth--
		case ',':
			if depth == 0 {
				return j, nil
			}
		case ' ', '\t', '\n', '\r':
			return 0, errNotPlain
		}
	}
	return 0, errNotPlain
}

func lookup(fs []field, key []byte) []byte {
	for _, f := range fs {
		if bytes.Equal(f.key, key) {
			return f.value
		}
	}
	return nil
}
