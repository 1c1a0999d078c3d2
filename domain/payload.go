package domain

import "sort"

// payloads maps each event type of the catalogue to a constructor of its (current version) data.
var payloads = map[string]func() Payload{}

func register(fns ...func() Payload) {
	for _, fn := range fns {
		payloads[fn().EventType()] = fn
	}
}

// NewPayload returns an empty payload of the event type ("goal.adopted"), ready to be decoded into.
func NewPayload(eventType string) (Payload, bool) {
	fn, ok := payloads[eventType]
	if !ok {
		return nil, false
	}
	return fn(), true
}

// EventTypes returns every event type of the catalogue, sorted.
func EventTypes() []string {
	types := make([]string, 0, len(payloads))
	for t := range payloads {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}
