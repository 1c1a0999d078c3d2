package events

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	"github.com/taktledger/takt/domain"
)

// Upcaster turns the data of one version of an event type into the data of the next version. It
// works on raw JSON, because the Go type of an old version no longer exists.
type Upcaster func(data json.RawMessage) (json.RawMessage, error)

// Registry knows the current version of every event type and how to lift the data of an older
// version to it. Events are never rewritten on the stream: they are upcast each time they are read,
// so a log written years ago still replays.
type Registry struct {
	mu    sync.RWMutex
	types map[string][]Upcaster // event type → upcasters; the current version is len+1
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{types: map[string][]Upcaster{}}
}

// Register declares eventType with the chain of upcasters from version 1: up[0] lifts v1 to v2,
// up[1] v2 to v3, and so on. A type registered without upcasters is at version 1. Registering a
// type again replaces it.
func (r *Registry) Register(eventType string, up ...Upcaster) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.types[eventType] = up
}

// Version returns the current version of eventType, and 0 when it is not registered.
func (r *Registry) Version(eventType string) int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	up, ok := r.types[eventType]
	if !ok {
		return 0
	}
	return len(up) + 1
}

// Types returns the registered event types, sorted.
func (r *Registry) Types() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	types := make([]string, 0, len(r.types))
	for t := range r.types {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}

// Upcast lifts data written as version of eventType to the current version. Data that is already
// current is returned as it is.
func (r *Registry) Upcast(eventType string, version int, data json.RawMessage) (json.RawMessage, error) {
	r.mu.RLock()
	up, ok := r.types[eventType]
	r.mu.RUnlock()
	switch {
	case !ok:
		return nil, fmt.Errorf("unknown event type %q", eventType)
	case version < 1:
		return nil, fmt.Errorf("%s: invalid version %d", eventType, version)
	case version > len(up)+1:
		// Written by a newer takt: reading it as the current version would silently drop meaning.
		return nil, fmt.Errorf("%s: version %d is newer than this build knows (v%d)", eventType, version, len(up)+1)
	}
	for v := version; v <= len(up); v++ {
		var err error
		if data, err = up[v-1](data); err != nil {
			return nil, fmt.Errorf("%s: upcast v%d to v%d: %w", eventType, v, v+1, err)
		}
	}
	return data, nil
}

// Types is the registry of takt's event catalogue: every event type of the domain, at its current
// version, with the upcasters from older versions.
var Types = newTypes()

func newTypes() *Registry {
	r := NewRegistry()
	for _, t := range domain.EventTypes() {
		r.Register(t)
	}
	// v2 (2025): an SDG link has a strength; v1 stored bare SDG numbers, which were full links.
	r.Register("goal.adopted", upcastGoalAdoptedV1)
	return r
}

// upcastGoalAdoptedV1 turns "sdgs": [3, 11] into "sdgs": [{"sdg": 3, "strength": "full"}, ...].
func upcastGoalAdoptedV1(data json.RawMessage) (json.RawMessage, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, err
	}
	raw, ok := fields["sdgs"]
	if !ok || string(raw) == "null" {
		return data, nil
	}
	var numbers []int
	if err := json.Unmarshal(raw, &numbers); err != nil {
		return nil, fmt.Errorf("sdgs: %w", err)
	}
	type link struct {
		SDG      int    `json:"sdg"`
		Strength string `json:"strength"`
	}
	links := make([]link, len(numbers))
	for i, n := range numbers {
		links[i] = link{SDG: n, Strength: "full"}
	}
	var err error
	if fields["sdgs"], err = json.Marshal(links); err != nil {
		return nil, err
	}
	return json.Marshal(fields)
}
