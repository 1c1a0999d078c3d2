package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/taktledger/takt/domain"
)

// takt serve --oidc-jwks accepts the JWTs of the municipality's identity provider besides takt
// tokens: an admin's JWT registers an organ, a secretary's records a decision in the name the
// JWT gives, a JWT of another tenant gets 403 and one of a key the provider does not have 401.
func TestServeOIDC(t *testing.T) {
	const issuer = "https://login.falun.se/realms/falun"
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, stranger, _ := ed25519.GenerateKey(rand.Reader)
	jwks, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "k1", Algorithm: "EdDSA", Use: "sig"}}})
	path := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(path, jwks, 0o644); err != nil {
		t.Fatal(err)
	}

	m := runAuthenticated(t, func(c *Config) {
		c.Tenants = []string{"falun", "haninge"}
		c.OIDC.JWKS, c.OIDC.Issuer, c.OIDC.Audience = path, issuer, "takt"
	})

	sign := func(key ed25519.PrivateKey, tenant, role, organ, name string) string {
		t.Helper()
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.EdDSA, Key: jose.JSONWebKey{Key: key, KeyID: "k1"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		token, err := jwt.Signed(signer).Claims(map[string]any{"iss": issuer, "aud": "takt", "sub": strings.ToLower(strings.Fields(name)[0]),
			"name": name, "iat": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(),
			"takt_tenant": tenant, "takt_role": role, "takt_organ": organ}).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return token
	}
	admin := sign(key, "falun", "admin", "", "Karin Ek")
	secretary := sign(key, "falun", "secretary", "kf", "Anna Berg")
	base := m.URL() + "/v1/tenants/falun"

	record(t, base+"/organs", admin, `{"id":"kf","name":"Kommunfullmäktige","kind":"council"}`)
	record(t, base+"/periods", admin, `{"id":"2023-2026"}`)
	status, _, _, b := call(t, "POST", base+"/goals", secretary, `{"id":"trygg","title":"Alla känner sig trygga","level":"result","owner":"kf",
		"period":"2023-2026","decision":{"organ":"kf","meeting_date":"2023-02-13","paragraph":"§ 12","case_number":"KS 2023/45"}}`)
	if status != 201 {
		t.Fatalf("the secretary's JWT adopting a goal: %d %s", status, b)
	}
	var receipt struct{ ETag uint64 }
	json.Unmarshal([]byte(b), &receipt)

	// A takt token still serves beside the JWTs; it reads who recorded the goal.
	auditor, _, err := m.tokens.Create(context.Background(), domain.Token{Tenant: "falun", Role: domain.RoleAuditor, Name: "Revisionen"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, b := call(t, "GET", base+"/goals/trygg/history?min_seq="+jsonNumber(receipt.ETag), auditor, ""); !strings.Contains(b, `"actor":"Anna Berg"`) {
		t.Fatalf("the goal was not recorded as the JWT's name: %s", b)
	}

	if status, field, _, b := call(t, "GET", base+"/goals", sign(key, "haninge", "admin", "", "Per Lind"), ""); status != 403 || field != "tenant" {
		t.Fatalf("haninge's JWT reading falun: %d %s", status, b)
	}
	if status, _, rule, b := call(t, "GET", base+"/goals", sign(stranger, "falun", "admin", "", "Mallory Ek"), ""); status != 401 || rule != "token" {
		t.Fatalf("a JWT of another key: %d %s", status, b)
	}
}
