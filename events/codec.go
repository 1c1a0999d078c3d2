package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/taktledger/takt/domain"
)

// Encode returns the CloudEvents body of e with takt's catalogue, Types.
func Encode(e domain.Event) ([]byte, error) { return Types.Encode(e) }

// Decode reads a CloudEvents body with takt's catalogue, Types.
func Decode(body []byte) (domain.Event, error) { return Types.Decode(body) }

// Encode returns the CloudEvents body of e, typed with the current version of its event type. It
// returns EINVALID when e lacks what every event needs or names a type the registry does not know.
func (r *Registry) Encode(e domain.Event) ([]byte, error) {
	env, err := r.envelope(e)
	if err != nil {
		return nil, err
	}
	return json.Marshal(env)
}

func (r *Registry) envelope(e domain.Event) (*Envelope, error) {
	if e.Data == nil {
		return nil, domain.Invalid("data", "required", "Event %s has no data.", e.ID)
	}
	eventType := e.Data.EventType()
	if e.Type != "" && e.Type != eventType {
		return nil, domain.Invalid("type", "type", "Event type %q does not match its data (%s).", e.Type, eventType)
	}
	version := r.Version(eventType)
	if version == 0 {
		return nil, domain.Invalid("type", "type", "Event type %q is not in the catalogue.", eventType)
	}
	if !ValidID(e.ID) {
		return nil, domain.Invalid("id", "token", "Event id %q is empty or not a valid token.", e.ID)
	}
	if err := checkTenant(e.Tenant); err != nil {
		return nil, err
	}
	if err := checkRef(e.Aggregate); err != nil {
		return nil, err
	}
	if e.Organ != "" && !ValidID(e.Organ) {
		return nil, domain.Invalid("organ", "token", "Organ %q is not a valid id.", e.Organ)
	}
	if e.Time.IsZero() {
		return nil, domain.Invalid("time", "required", "Event %s has no recording time.", e.ID)
	}
	data, err := json.Marshal(e.Data)
	if err != nil {
		return nil, fmt.Errorf("events: encode %s data: %w", eventType, err)
	}
	return &Envelope{
		SpecVersion:     SpecVersion,
		ID:              e.ID,
		Source:          Source(e.Tenant, e.Organ),
		Type:            TypeName(eventType, version),
		Subject:         e.Aggregate.String(),
		Time:            e.Time.UTC(),
		DataContentType: DataContentType,
		TaktPeriod:      e.Period,
		TaktEffective:   string(e.Effective),
		TaktActor:       e.Actor,
		Data:            data,
	}, nil
}

// Decode reads a CloudEvents body back into an event. Data written as an older version of its type
// is upcast to the current one first.
func (r *Registry) Decode(body []byte) (domain.Event, error) {
	var env Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		return domain.Event{}, fmt.Errorf("not a CloudEvents JSON body: %w", err)
	}
	switch {
	case env.SpecVersion != SpecVersion:
		return domain.Event{}, fmt.Errorf("specversion %q is not %s", env.SpecVersion, SpecVersion)
	case env.ID == "":
		return domain.Event{}, errors.New("missing id")
	case env.Source == "":
		return domain.Event{}, errors.New("missing source")
	case env.Type == "":
		return domain.Event{}, errors.New("missing type")
	case env.Subject == "":
		return domain.Event{}, errors.New("missing subject")
	case env.Time.IsZero():
		return domain.Event{}, errors.New("missing time")
	case env.DataContentType != "" && env.DataContentType != DataContentType:
		return domain.Event{}, fmt.Errorf("datacontenttype %q is not %s", env.DataContentType, DataContentType)
	case len(env.Data) == 0 || bytes.Equal(env.Data, []byte("null")):
		return domain.Event{}, errors.New("missing data")
	}
	tenant, organ, err := ParseSource(env.Source)
	if err != nil {
		return domain.Event{}, err
	}
	ref, err := ParseRef(env.Subject)
	if err != nil {
		return domain.Event{}, err
	}
	eventType, version, err := ParseType(env.Type)
	if err != nil {
		return domain.Event{}, err
	}
	data, err := r.Upcast(eventType, version, env.Data)
	if err != nil {
		return domain.Event{}, err
	}
	payload, ok := domain.NewPayload(eventType)
	if !ok {
		return domain.Event{}, fmt.Errorf("unknown event type %q", eventType)
	}
	if err := json.Unmarshal(data, payload); err != nil {
		return domain.Event{}, fmt.Errorf("%s data: %w", env.Type, err)
	}
	return domain.Event{
		ID:        env.ID,
		Type:      eventType,
		Tenant:    tenant,
		Aggregate: ref,
		Organ:     organ,
		Period:    env.TaktPeriod,
		Effective: domain.Date(env.TaktEffective),
		Actor:     env.TaktActor,
		Time:      env.Time.UTC(),
		Data:      payload,
	}, nil
}

// EncodeMsg returns the NATS message that stores e: its subject, the CloudEvents body, and the
// headers Content-Type and Nats-Msg-Id (msgID, or the event id when msgID is empty).
func (r *Registry) EncodeMsg(e domain.Event, msgID string) (*nats.Msg, error) {
	body, err := r.Encode(e)
	if err != nil {
		return nil, err
	}
	if msgID == "" {
		msgID = e.ID
	}
	return &nats.Msg{
		Subject: Subject(e.Tenant, e.Aggregate),
		Header:  nats.Header{"Content-Type": {ContentType}, jetstream.MsgIDHeader: {msgID}},
		Data:    body,
	}, nil
}

// DecodeMsg returns the record of a message read off a tenant's stream. When the body is not a takt
// event this version can read, or it was stored on a subject other than its own, the record's Err
// says why; the record is returned all the same, because it is still part of the log.
func (r *Registry) DecodeMsg(subject string, header nats.Header, body []byte, seq uint64, stored time.Time) domain.Record {
	rec := domain.Record{Seq: seq, Subject: subject, Stored: stored, Data: body}
	if header != nil {
		rec.MsgID = header.Get(jetstream.MsgIDHeader)
	}
	e, err := r.Decode(body)
	if err != nil {
		rec.Err = fmt.Errorf("seq %d on %s: %w", seq, subject, err)
		return rec
	}
	if want := Subject(e.Tenant, e.Aggregate); want != subject {
		rec.Err = fmt.Errorf("seq %d on %s: event %s belongs on %s", seq, subject, e.ID, want)
		return rec
	}
	e.Seq = seq
	rec.Event = e
	return rec
}
