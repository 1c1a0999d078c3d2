package api

import (
	"slices"
	"strings"

	"github.com/taktledger/takt/domain"
)

// Access is who may use one route.
type Access struct {
	Method, Path string
	// Roles may use it; nil when it asks for no credential.
	Roles []domain.Role
	// Organ is set for the routes a secretary or reporter may use only for what their organ
	// reaches (domain.Authorize).
	Organ bool
}

// AccessTable is every route the API can serve, with who may use it: what docs/security.md
// shows and the access test checks, route by route.
func AccessTable() []Access {
	var out []Access
	for _, r := range accessTable() {
		method, path, _ := strings.Cut(r.pattern, " ")
		a := Access{Method: method, Path: path, Roles: r.access.roles}
		a.Organ = method == "POST" && (r.access.allows(domain.RoleSecretary) || r.access.allows(domain.RoleReporter))
		out = append(out, a)
	}
	slices.SortFunc(out, func(a, b Access) int { return strings.Compare(a.Path+" "+a.Method, b.Path+" "+b.Method) })
	return out
}

// AccessMatrix is AccessTable as a Markdown table, one row a route and one column a role: ✓
// allowed, "its organ" allowed within the organ's reach, or the status a refusal answers.
func AccessMatrix() string {
	var b strings.Builder
	b.WriteString("| route | no token |")
	for _, r := range domain.Roles {
		b.WriteString(" " + string(r) + " |")
	}
	b.WriteString("\n| --- | --- |" + strings.Repeat(" --- |", len(domain.Roles)) + "\n")
	for _, a := range AccessTable() {
		b.WriteString("| `" + a.Method + " " + a.Path + "` |")
		if a.Roles == nil {
			b.WriteString(" ✓ |" + strings.Repeat(" ✓ |", len(domain.Roles)) + "\n")
			continue
		}
		b.WriteString(" 401 |")
		for _, r := range domain.Roles {
			switch {
			case !slices.Contains(a.Roles, r):
				b.WriteString(" 403 |")
			case a.Organ && r.OfOrgan():
				b.WriteString(" its organ |")
			default:
				b.WriteString(" ✓ |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}
