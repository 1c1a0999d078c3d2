package auth_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/taktledger/takt/auth"
	"github.com/taktledger/takt/domain"
)

func open(t *testing.T, path string) *auth.Tokens {
	t.Helper()
	tokens, err := auth.OpenTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tokens.Close() })
	return tokens
}

func refused(t *testing.T, tokens *auth.Tokens, token, rule string) {
	t.Helper()
	p, err := tokens.Authenticate(context.Background(), token)
	var e *domain.Error
	if p != nil || domain.ErrorCode(err) != domain.EUNAUTHORIZED {
		t.Fatalf("token %q: got %v, %v; want unauthorized", token, p, err)
	}
	if e, _ = err.(*domain.Error); e.Rule != rule {
		t.Fatalf("token %q: rule %s, want %s", token, e.Rule, rule)
	}
}

// A token authenticates as the principal it was created for, until it is revoked or expires; a
// forged one, or one with a byte changed, never does. The file keeps no token, only hashes, and a
// revocation written by one handle (takt token revoke) is seen by another (takt serve) at once.
func TestTokens(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), auth.FileName)
	serve, cli := open(t, path), open(t, path)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	serve.Now = func() time.Time { return now }
	cli.Now = serve.Now

	token, tok, err := cli.Create(ctx, auth.Token{Tenant: "demo", Role: domain.RoleSecretary, Organ: "bun", Name: "Anna Berg", CreatedBy: "cli"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, auth.TokenPrefix+tok.ID+"_") || len(token) < 60 {
		t.Fatalf("token %q", token)
	}
	p, err := serve.Authenticate(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	want := domain.Principal{ID: "token:" + tok.ID, Name: "Anna Berg", Tenant: "demo", Role: domain.RoleSecretary, Organ: "bun"}
	if *p != want {
		t.Fatalf("principal %+v, want %+v", *p, want)
	}

	forged := []byte(token)
	forged[len(forged)-1] ^= 1
	refused(t, serve, string(forged), "token")
	refused(t, serve, auth.TokenPrefix+"0123456789abcdef_"+strings.Repeat("A", 43), "token")
	refused(t, serve, "Bearer "+token, "token")
	refused(t, serve, "", "token")

	expiring := now.Add(time.Hour)
	short, _, err := cli.Create(ctx, auth.Token{Tenant: "demo", Role: domain.RoleAuditor, Name: "Revisionen", Expires: &expiring})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := serve.Authenticate(ctx, short); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	refused(t, serve, short, "expired")

	if _, err := cli.Revoke(ctx, "other", tok.ID, "cli"); domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Fatalf("revoked through another tenant: %v", err)
	}
	if _, err := serve.Authenticate(ctx, token); err != nil {
		t.Fatalf("a revocation through another tenant took effect: %v", err)
	}
	revoked, err := cli.Revoke(ctx, "demo", tok.ID, "Cecilia (admin)")
	if err != nil || revoked.Revoked == nil || revoked.RevokedBy != "Cecilia (admin)" {
		t.Fatalf("revoke: %+v, %v", revoked, err)
	}
	refused(t, serve, token, "revoked")

	list, err := serve.List(ctx, "demo")
	if err != nil || len(list) != 2 || list[0].ID != tok.ID || list[0].Revoked == nil || list[1].Expires == nil {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if other, _ := serve.List(ctx, "other"); len(other) != 0 {
		t.Fatalf("tenant other lists %+v", other)
	}
}

// A token is described completely or not created: each mistake names its field.
func TestTokenChecks(t *testing.T) {
	tokens := open(t, filepath.Join(t.TempDir(), auth.FileName))
	past := time.Now().Add(-time.Minute)
	for field, spec := range map[string]auth.Token{
		"tenant":  {Tenant: "Not A Tenant", Role: domain.RoleAuditor, Name: "x"},
		"role":    {Tenant: "demo", Role: "root", Name: "x"},
		"organ":   {Tenant: "demo", Role: domain.RoleReporter, Name: "x"},
		"name":    {Tenant: "demo", Role: domain.RolePublic, Name: " "},
		"expires": {Tenant: "demo", Role: domain.RolePublic, Name: "x", Expires: &past},
	} {
		_, _, err := tokens.Create(context.Background(), spec)
		if e, ok := err.(*domain.Error); !ok || e.Code != domain.EINVALID || e.Field != field {
			t.Errorf("%s: got %v", field, err)
		}
	}
	if _, _, err := tokens.Create(context.Background(), auth.Token{Tenant: "demo", Role: domain.RoleAdmin, Organ: "kf", Name: "x"}); domain.ErrorCode(err) != domain.EINVALID {
		t.Errorf("an admin token for an organ: %v", err)
	}
	if list, _ := tokens.List(context.Background(), ""); len(list) != 0 {
		t.Errorf("refused tokens were kept: %+v", list)
	}
}
