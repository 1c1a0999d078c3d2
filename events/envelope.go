package events

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/taktledger/takt/domain"
)

// CloudEvents attributes and headers of a takt event.
const (
	SpecVersion     = "1.0"
	ContentType     = "application/cloudevents+json" // structured mode: the body is the whole event
	DataContentType = "application/json"
	TypePrefix      = "se.takt."

	// SubjectPrefix is the first token of every NATS subject of the log: takt.{tenant}.{kind}.{id}.
	SubjectPrefix = "takt"
	// StreamPrefix names a tenant's stream: TAKT_{TENANT}.
	StreamPrefix = "TAKT_"
)

// Envelope is a takt event as CloudEvents 1.0 in JSON structured mode: the body of a message on the
// stream. The field order is the order on the wire, which the golden files pin down.
type Envelope struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`  // /tenants/{tenant}/organs/{organ}
	Type            string    `json:"type"`    // se.takt.{event type}.v{version}
	Subject         string    `json:"subject"` // {kind}/{id}
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype,omitempty"`

	// Extensions. CloudEvents allows only lowercase letters and digits in their names.
	TaktPeriod    string `json:"taktperiod,omitempty"`
	TaktEffective string `json:"takteffective,omitempty"`
	TaktActor     string `json:"taktactor,omitempty"`

	Data json.RawMessage `json:"data"`
}

var tenantPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

// ValidTenant reports whether tenant is a valid tenant name: a lowercase letter, then up to 39
// lowercase letters, digits and hyphens. Tenants name streams and subjects, so nothing else is safe.
func ValidTenant(tenant string) bool { return tenantPattern.MatchString(tenant) }

// ValidID reports whether id can be one token of a NATS subject: valid UTF-8, not empty, and
// without '.', '*', '>', whitespace or control characters.
func ValidID(id string) bool {
	if id == "" || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if r == '.' || r == '*' || r == '>' || unicode.IsSpace(r) || unicode.IsControl(r) {
			return false
		}
	}
	return true
}

func validKind(k domain.Kind) bool { return slices.Contains(domain.Kinds, k) }

func checkTenant(tenant string) error {
	if !ValidTenant(tenant) {
		return domain.Invalid("tenant", "tenant", "Tenant %q is not a valid tenant name (a-z, 0-9 and '-', starting with a letter, at most 40).", tenant)
	}
	return nil
}

func checkRef(ref domain.Ref) error {
	if !validKind(ref.Kind) {
		return domain.Invalid("kind", "kind", "%q is not an aggregate kind.", ref.Kind)
	}
	if !ValidID(ref.ID) {
		return domain.Invalid("id", "token", "Id %q is empty or holds '.', '*', '>' or whitespace.", ref.ID)
	}
	return nil
}

// StreamName returns the name of the tenant's stream: TAKT_{TENANT}.
func StreamName(tenant string) string { return StreamPrefix + strings.ToUpper(tenant) }

// TenantOf returns the tenant whose stream is named stream, as StreamName names it. It returns
// false for any other name: another application's stream, or a tenant's checkpoint stream.
func TenantOf(stream string) (string, bool) {
	rest, ok := strings.CutPrefix(stream, StreamPrefix)
	tenant := strings.ToLower(rest)
	if !ok || !ValidTenant(tenant) || StreamName(tenant) != stream {
		return "", false
	}
	return tenant, true
}

// Subject returns the NATS subject of an aggregate's events: takt.{tenant}.{kind}.{id}.
func Subject(tenant string, ref domain.Ref) string {
	return SubjectPrefix + "." + tenant + "." + string(ref.Kind) + "." + ref.ID
}

// TenantSubjects returns the subject filter of everything a tenant's stream holds: takt.{tenant}.>.
func TenantSubjects(tenant string) string { return SubjectPrefix + "." + tenant + ".>" }

// Source returns the CloudEvents source of an event: /tenants/{tenant}/organs/{organ}, or
// /tenants/{tenant} for an event that no organ decided.
func Source(tenant, organ string) string {
	if organ == "" {
		return "/tenants/" + tenant
	}
	return "/tenants/" + tenant + "/organs/" + organ
}

// ParseSource is the inverse of Source.
func ParseSource(source string) (tenant, organ string, err error) {
	rest, ok := strings.CutPrefix(source, "/tenants/")
	if !ok {
		return "", "", fmt.Errorf("source %q does not start with /tenants/", source)
	}
	tenant, organ, hasOrgan := strings.Cut(rest, "/organs/")
	if !ValidTenant(tenant) {
		return "", "", fmt.Errorf("source %q: invalid tenant", source)
	}
	if hasOrgan && organ == "" {
		return "", "", fmt.Errorf("source %q: empty organ", source)
	}
	return tenant, organ, nil
}

// TypeName returns the CloudEvents type of version of eventType: se.takt.goal.adopted.v2.
func TypeName(eventType string, version int) string {
	return TypePrefix + eventType + ".v" + strconv.Itoa(version)
}

// ParseType is the inverse of TypeName.
func ParseType(ceType string) (eventType string, version int, err error) {
	rest, ok := strings.CutPrefix(ceType, TypePrefix)
	i := strings.LastIndex(rest, ".v")
	if !ok || i <= 0 {
		return "", 0, fmt.Errorf("type %q is not se.takt.{event}.v{version}", ceType)
	}
	version, err = strconv.Atoi(rest[i+2:])
	if err != nil || version < 1 || rest[i+2] == '0' || rest[i+2] == '+' {
		return "", 0, fmt.Errorf("type %q: invalid version", ceType)
	}
	return rest[:i], version, nil
}

// ParseRef parses a CloudEvents subject, {kind}/{id}.
func ParseRef(subject string) (domain.Ref, error) {
	kind, id, ok := strings.Cut(subject, "/")
	ref := domain.Ref{Kind: domain.Kind(kind), ID: id}
	if !ok || !validKind(ref.Kind) || !ValidID(id) {
		return domain.Ref{}, fmt.Errorf("subject %q is not {kind}/{id}", subject)
	}
	return ref, nil
}
