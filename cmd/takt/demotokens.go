package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/taktledger/takt/cmd/takt/demo"
	"github.com/taktledger/takt/domain"
)

// demoCreator is the creator of the tokens takt serve --demo makes.
const demoCreator = "takt serve --demo"

// demoTokenSpecs are the tokens --demo makes for the demo tenant: one per role, enough for the
// README's tour. The council's secretary and reporter reach every organ, since all are under it.
var demoTokenSpecs = []struct {
	env  string
	spec domain.Token
}{
	{"TAKT_ADMIN", domain.Token{Role: domain.RoleAdmin, Name: "Demo admin"}},
	{"TAKT_SECRETARY", domain.Token{Role: domain.RoleSecretary, Organ: "kf", Name: "Demo secretary of kf"}},
	{"TAKT_REPORTER", domain.Token{Role: domain.RoleReporter, Organ: "kf", Name: "Demo reporter for kf"}},
	{"TAKT_AUDITOR", domain.Token{Role: domain.RoleAuditor, Name: "Demo auditor"}},
	{"TAKT_PUBLIC", domain.Token{Role: domain.RolePublic, Name: "Demo public"}},
}

// demoTokensFile is where --demo writes its tokens, as shell variables, for the README's tour.
func demoTokensFile(dataDir string) string { return filepath.Join(dataDir, "demo-tokens.env") }

// demoTokens revokes the tokens an earlier --demo made, makes one per role for the demo tenant,
// prints them, and writes them to demoTokensFile (readable by its owner only), so that a new user
// is not locked out and the tokens of a demo do not outlive it.
func (m *Main) demoTokens(ctx context.Context) error {
	old, err := m.tokens.List(ctx, demo.DefaultTenant)
	if err != nil {
		return err
	}
	for _, t := range old {
		if t.CreatedBy == demoCreator && t.Revoked == nil {
			if _, err := m.tokens.Revoke(ctx, t.Tenant, t.ID, demoCreator); err != nil {
				return err
			}
		}
	}
	var env strings.Builder
	env.WriteString("# The demo tenant's tokens, made by the last takt serve --demo; each start makes new ones.\n")
	path := demoTokensFile(m.Config.DataDir)
	fmt.Fprintf(m.Stdout, "takt: demo tokens for tenant %s, new on every start (also in %s):\n", demo.DefaultTenant, path)
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	var auditor string
	for _, d := range demoTokenSpecs {
		spec := d.spec
		spec.Tenant, spec.CreatedBy = demo.DefaultTenant, demoCreator
		token, tok, err := m.tokens.Create(ctx, spec)
		if err != nil {
			return err
		}
		fmt.Fprintf(&env, "%s=%s\n", d.env, token)
		fmt.Fprintf(tw, "takt:   %s\t%s\n", tok.Principal().Acts(), token)
		if tok.Role == domain.RoleAuditor {
			auditor = token
		}
	}
	tw.Flush()
	fmt.Fprintf(m.Stdout, "takt: the dashboard, signed in as the auditor: %s/#token=%s\n", m.URL(), auditor)
	if err := os.WriteFile(path, []byte(env.String()), 0o600); err != nil {
		return err
	}
	return os.Chmod(path, 0o600) // WriteFile sets the mode only of a file it creates
}
