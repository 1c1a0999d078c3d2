package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Role is what a principal may do in its tenant. docs/security.md holds the whole matrix.
type Role string

const (
	// RoleAdmin registers organs, opens and closes periods and manages tokens; it reads everything.
	RoleAdmin Role = "admin"
	// RoleSecretary records the decisions of one organ, on what that organ or an organ under it
	// owns, and only those.
	RoleSecretary Role = "secretary"
	// RoleReporter reports indicator values and commitment progress for what one organ, or an
	// organ under it, owns.
	RoleReporter Role = "reporter"
	// RoleAuditor reads everything: history, the audit export, the raw log, proofs.
	RoleAuditor Role = "auditor"
	// RolePublic reads current and historical state without personal data: no actor names.
	RolePublic Role = "public"
)

// Roles is every role, from the most to the least trusted.
var Roles = []Role{RoleAdmin, RoleSecretary, RoleReporter, RoleAuditor, RolePublic}

// ParseRole reads a role by name.
func ParseRole(s string) (Role, error) {
	if r := Role(s); slices.Contains(Roles, r) {
		return r, nil
	}
	return "", Invalid("role", "enum", "Role %q is not one of %s.", s, RoleNames(Roles))
}

// RoleNames lists roles for a message: "admin, auditor".
func RoleNames(roles []Role) string {
	names := make([]string, len(roles))
	for i, r := range roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// OfOrgan reports whether the role acts for one organ, which a principal of it must name.
func (r Role) OfOrgan() bool { return r == RoleSecretary || r == RoleReporter }

// Personal reports whether the role may see personal data: the names of those who recorded.
func (r Role) Personal() bool { return r != RolePublic }

// Principal is who a request comes from, as authentication established it: never what the
// request itself says.
type Principal struct {
	ID     string // the credential: a token's id, or the identity provider's issuer and subject
	Name   string // who holds it; recorded as the actor of every event it records
	Tenant string
	Role   Role
	Organ  string // the organ a secretary or reporter acts for
}

// String describes the principal for messages and logs: "Anna Berg (secretary of bun)".
func (p Principal) String() string { return p.Name + " (" + p.Acts() + ")" }

// Acts says what the principal acts as: "admin", "secretary of bun", "reporter for kf".
func (p Principal) Acts() string {
	switch p.Role {
	case RoleSecretary:
		return "secretary of " + p.Organ
	case RoleReporter:
		return "reporter for " + p.Organ
	}
	return string(p.Role)
}

// What a role may record, by event type: organs and periods are administration, values and
// progress are reports, and everything else is the decision of an organ.
var (
	administered = map[string]bool{"organ.registered": true, "organ.renamed": true, "organ.dissolved": true,
		"period.opened": true, "period.closed": true}
	reports = map[string]bool{"indicator.value_reported": true, "indicator.value_corrected": true,
		"commitment.progress_reported": true}
)

// RecordsAs returns the role that may record events of type typ: admin, reporter or secretary.
func RecordsAs(typ string) Role {
	switch {
	case administered[typ]:
		return RoleAdmin
	case reports[typ]:
		return RoleReporter
	}
	return RoleSecretary
}

// RecordedBy returns the role that may send a command: admin for organs and periods, reporter for
// values and progress, secretary for every other decision. It agrees with RecordsAs on the events
// the command appends (a test checks it), and lets the api refuse a role before reading the body.
func RecordedBy(c Command) Role {
	switch c.(type) {
	case *RegisterOrgan, *RenameOrgan, *DissolveOrgan, *OpenPeriod, *ClosePeriod:
		return RoleAdmin
	case *ReportValue, *CorrectValue, *ReportProgress:
		return RoleReporter
	}
	return RoleSecretary
}

// Authorize checks that p may record events, decided against s. An admin records organs and
// periods. A secretary of organ X records X's decisions (decision.organ is X) about what X, or an
// organ under X, owns — before the decision and after it, so a goal cannot be handed out of X's
// reach either. A reporter for X reports on what X or an organ under it owns, in the name of X or
// an organ under it. Owners: a goal's owner; an indicator's goal's owner, or the organ that
// defined it when it serves no goal; a commitment's responsible organ; a vision's adopting organ.
// A principal of a dissolved organ records nothing that applies from the dissolution on.
func Authorize(s *State, p *Principal, events []Event) error {
	if p == nil {
		return nil // the process itself: the demo loader, an import
	}
	a := authorizer{s: s, p: p, owners: map[Ref]string{}}
	for _, e := range events {
		if err := a.event(e); err != nil {
			return err
		}
	}
	return nil
}

type authorizer struct {
	s      *State
	p      *Principal
	owners map[Ref]string // owners set by earlier events of the same decision
}

func (a *authorizer) event(e Event) error {
	if o := a.s.Organs[a.p.Organ]; a.p.Role.OfOrgan() && o.Dissolved && e.Effective >= o.DissolvedOn {
		msg := fmt.Sprintf("Organ %s has been dissolved as of %s: %s records nothing that applies from then", a.p.Organ, o.DissolvedOn, a.p)
		if o.Successor != "" {
			msg += "; its successor " + o.Successor + " needs tokens of its own"
		}
		return Forbidden("Authorization", "organ_active", "%s.", msg)
	}
	need := RecordsAs(e.Type)
	if a.p.Role != need {
		return Forbidden("role", "role", "Recording %s is for the %s role; this token is %s.", e.Type, need, a.p)
	}
	switch need {
	case RoleAdmin:
		return nil
	case RoleSecretary:
		if e.Organ != a.p.Organ {
			organ := e.Organ
			if organ == "" {
				organ = "no organ"
			}
			return Forbidden("decision.organ", "organ_scope", "The decision is %s's; %s records only decisions of %s.", organ, a.p, a.p.Organ)
		}
	case RoleReporter:
		if !a.within(e.Organ) {
			return Forbidden("organ", "organ_scope", "The report is made by %s; %s reports only as %s or an organ under it.", e.Organ, a.p, a.p.Organ)
		}
	}
	if owner, ok := a.owner(e.Aggregate); ok && !a.within(owner) {
		return Forbidden("id", "organ_scope", "%s belongs to %s, which is not %s or under it: %s may not record on it.", e.Aggregate, owner, a.p.Organ, a.p)
	}
	field, owner := "", ""
	switch d := e.Data.(type) {
	case *GoalAdopted:
		field, owner = "owner", d.Owner
	case *GoalRevised:
		if d.Owner != nil {
			field, owner = "owner", *d.Owner
		}
	case *IndicatorDefined:
		field, owner = "goal", e.Organ
		if d.Goal != "" {
			owner, _ = a.owner(Ref{KindGoal, d.Goal})
		}
	case *CommitmentMade:
		field, owner = "responsible", d.Responsible
	case *CommitmentRevised:
		if d.Responsible != nil {
			field, owner = "responsible", *d.Responsible
		}
	}
	if field == "" {
		return nil
	}
	if !a.within(owner) {
		return Forbidden(field, "organ_scope", "%s would belong to %s, which is not %s or under it.", e.Aggregate, owner, a.p.Organ)
	}
	a.owners[e.Aggregate] = owner
	return nil
}

// owner returns the organ an aggregate belongs to, as this decision leaves it so far; false for
// what belongs to no organ (a follow-up report: the deciding organ answers for it).
func (a *authorizer) owner(r Ref) (string, bool) {
	if o, ok := a.owners[r]; ok {
		return o, true
	}
	switch r.Kind {
	case KindVision:
		v, ok := a.s.Visions[r.ID]
		return v.Organ, ok
	case KindGoal:
		g, ok := a.s.Goals[r.ID]
		return g.Owner, ok
	case KindIndicator:
		in, ok := a.s.Indicators[r.ID]
		if !ok {
			return "", false
		}
		if in.Goal != "" {
			return a.owner(Ref{KindGoal, in.Goal})
		}
		return in.Organ, true
	case KindCommitment:
		c, ok := a.s.Commitments[r.ID]
		return c.Responsible, ok
	}
	return "", false
}

// within reports whether organ is the principal's organ or under it, following parents.
func (a *authorizer) within(organ string) bool {
	for seen := 0; organ != "" && seen <= len(a.s.Organs); seen++ {
		if organ == a.p.Organ {
			return true
		}
		organ = a.s.Organs[organ].Parent
	}
	return false
}

// Token is what is kept of a bearer token: never the token itself, only its hash (which this
// description leaves out).
type Token struct {
	ID        string     `json:"id"`
	Tenant    string     `json:"tenant"`
	Role      Role       `json:"role"`
	Organ     string     `json:"organ,omitempty"`
	Name      string     `json:"name"` // who holds it; recorded as the actor of what it records
	Created   time.Time  `json:"created"`
	CreatedBy string     `json:"created_by"`
	Expires   *time.Time `json:"expires,omitempty"`
	Revoked   *time.Time `json:"revoked,omitempty"`
	RevokedBy string     `json:"revoked_by,omitempty"`
}

// Principal is who the token speaks for.
func (t Token) Principal() *Principal {
	return &Principal{ID: "token:" + t.ID, Name: t.Name, Tenant: t.Tenant, Role: t.Role, Organ: t.Organ}
}

// CheckTokenOrgan checks the organ of a token about to be created against the tenant's organs: one
// that is not registered, or has been dissolved, could never record anything.
func CheckTokenOrgan(organs []OrganView, organ string) error {
	for _, o := range organs {
		if o.ID != organ {
			continue
		}
		if o.Dissolved {
			return Violation("organ", "organ_active", "Organ %s has been dissolved; its successor is %s.", organ, o.Successor)
		}
		return nil
	}
	return Violation("organ", "exists", "Organ %s is not registered in this tenant.", organ)
}
