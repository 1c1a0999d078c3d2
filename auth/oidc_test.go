package auth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/taktledger/takt/auth"
	"github.com/taktledger/takt/domain"
)

const issuer = "https://login.falun.se/realms/falun"

// signingKey is a private key of the identity provider, with its key id.
type signingKey struct {
	kid string
	key crypto.Signer
	alg jose.SignatureAlgorithm
}

func newRSA(t testing.TB, kid string) signingKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid, k, jose.RS256}
}

func newEC(t testing.TB, kid string) signingKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid, k, jose.ES256}
}

func newEd(t testing.TB, kid string) signingKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return signingKey{kid, k, jose.EdDSA}
}

// public is the key as the provider publishes it.
func (k signingKey) public() jose.JSONWebKey {
	return jose.JSONWebKey{Key: k.key.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"}
}

// sign signs claims as the provider does: a compact JWS with the key's id in its header.
func (k signingKey) sign(t testing.TB, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: jose.JSONWebKey{Key: k.key, KeyID: k.kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	token, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return token
}

// writeJWKS replaces the JWKS file at path with the public keys given, as a provider's key
// rotation does: a new file renamed over the old.
func writeJWKS(t testing.TB, path string, keys ...jose.JSONWebKey) {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatal(err)
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// claimsAt is what a secretary's JWT says, valid at now; set replaces or (with nil) removes claims.
func claimsAt(now time.Time, set map[string]any) map[string]any {
	c := map[string]any{
		"iss": issuer, "aud": []string{"takt", "intranet"}, "sub": "f81d4fae-7dec", "name": "Anna Berg",
		"preferred_username": "anna.berg", "iat": now.Add(-time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(),
		"exp": now.Add(time.Hour).Unix(), "takt_tenant": "falun", "takt_role": "secretary", "takt_organ": "bun",
	}
	for k, v := range set {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	return c
}

// openOIDC opens an OIDC on a JWKS file holding keys, with its clock at *now.
func openOIDC(t testing.TB, now *time.Time, keys ...signingKey) (*auth.OIDC, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "jwks.json")
	pub := make([]jose.JSONWebKey, len(keys))
	for i, k := range keys {
		pub[i] = k.public()
	}
	writeJWKS(t, path, pub...)
	o := auth.NewOIDC()
	o.JWKS, o.Issuer, o.Audience = path, issuer, "takt"
	o.Now = func() time.Time { return *now }
	o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := o.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	return o, path
}

func refusedJWT(t *testing.T, a interface {
	Authenticate(context.Context, string) (*domain.Principal, error)
}, token, rule string) *domain.Error {
	t.Helper()
	p, err := a.Authenticate(context.Background(), token)
	if p != nil || domain.ErrorCode(err) != domain.EUNAUTHORIZED {
		t.Fatalf("got %v, %v; want unauthorized", p, err)
	}
	e := err.(*domain.Error)
	if e.Rule != rule || e.Field != "Authorization" {
		t.Fatalf("field %s, rule %s (%s); want Authorization, %s", e.Field, e.Rule, e.Message, rule)
	}
	return e
}

// A JWT signed by a key of the JWKS file, of the issuer, for the audience and in its time,
// authenticates as the principal its claims name; RSA, ECDSA and Ed25519 keys alike.
func TestOIDCAccepts(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	rsaKey, ecKey, edKey := newRSA(t, "rsa-1"), newEC(t, "ec-1"), newEd(t, "ed-1")
	o, _ := openOIDC(t, &now, rsaKey, ecKey, edKey)
	secretary := domain.Principal{ID: "oidc:" + issuer + "#f81d4fae-7dec", Name: "Anna Berg", Tenant: "falun",
		Role: domain.RoleSecretary, Organ: "bun"}
	admin := secretary
	admin.Role, admin.Organ = domain.RoleAdmin, ""

	for _, tt := range []struct {
		name   string
		key    signingKey
		claims map[string]any
		want   domain.Principal
	}{
		{"RS256", rsaKey, nil, secretary},
		{"ES256", ecKey, nil, secretary},
		{"EdDSA", edKey, nil, secretary},
		{"audience as a string", rsaKey, map[string]any{"aud": "takt"}, secretary},
		{"expired within the skew", ecKey, map[string]any{"exp": now.Add(-30 * time.Second).Unix()}, secretary},
		{"valid within the skew", ecKey, map[string]any{"nbf": now.Add(30 * time.Second).Unix(), "iat": now.Add(30 * time.Second).Unix()}, secretary},
		{"no nbf nor iat", ecKey, map[string]any{"nbf": nil, "iat": nil}, secretary},
		{"the organ of an admin is left out", edKey, map[string]any{"takt_role": "admin"}, admin},
		{"named by preferred_username", rsaKey, map[string]any{"name": nil}, func() domain.Principal { p := secretary; p.Name = "anna.berg"; return p }()},
		{"named by sub", rsaKey, map[string]any{"name": " ", "preferred_username": nil}, func() domain.Principal { p := secretary; p.Name = "f81d4fae-7dec"; return p }()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := o.Authenticate(context.Background(), tt.key.sign(t, claimsAt(now, tt.claims)))
			if err != nil {
				t.Fatal(err)
			}
			if *p != tt.want {
				t.Fatalf("got %+v, want %+v", *p, tt.want)
			}
		})
	}

	// A header without a key id: every key of the file is tried.
	noKid := signingKey{"", ecKey.key, ecKey.alg}
	if p, err := o.Authenticate(context.Background(), noKid.sign(t, claimsAt(now, nil))); err != nil || *p != secretary {
		t.Fatalf("without a key id: got %v, %v", p, err)
	}

	// Claims named otherwise, as the municipality's provider is set up to send them.
	o.TenantClaim, o.RoleClaim, o.OrganClaim = "kommun", "roll", "organ"
	p, err := o.Authenticate(context.Background(), rsaKey.sign(t, claimsAt(now, map[string]any{"kommun": "falun", "roll": "reporter", "organ": "tn",
		"takt_tenant": "haninge", "takt_role": "admin"})))
	if err != nil {
		t.Fatal(err)
	}
	if p.Tenant != "falun" || p.Role != domain.RoleReporter || p.Organ != "tn" {
		t.Fatalf("got %+v", *p)
	}
}

// Every JWT that is not the provider's, not for takt, not of now or names no valid principal is
// refused with 401's code and a rule that says why.
func TestOIDCRefuses(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	key, ecKey := newRSA(t, "rsa-1"), newEC(t, "ec-1")
	o, path := openOIDC(t, &now, key, ecKey)
	valid := key.sign(t, claimsAt(now, nil))

	// The same claims with the role changed, under the valid token's header and signature.
	parts := strings.Split(valid, ".")
	payload, _ := json.Marshal(claimsAt(now, map[string]any{"takt_role": "admin", "takt_organ": nil}))
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
	// The signature of another token of the same key.
	other := strings.Split(key.sign(t, claimsAt(now, map[string]any{"sub": "someone-else"})), ".")
	swapped := parts[0] + "." + parts[1] + "." + other[2]

	impostor := newRSA(t, "rsa-1") // claims the provider's key id
	unknown := newEC(t, "ec-2")
	unsigned := func(alg string) string {
		h, _ := json.Marshal(map[string]string{"alg": alg, "typ": "JWT", "kid": "rsa-1"})
		return base64.RawURLEncoding.EncodeToString(h) + "." + parts[1] + "."
	}
	// HS256 keyed with the public key, the classic confusion: the file itself and its PEM form.
	jwks, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(key.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	hmacWith := func(secret []byte) string {
		signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: jose.JSONWebKey{Key: secret, KeyID: "rsa-1"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		token, err := jwt.Signed(signer).Claims(claimsAt(now, nil)).Serialize()
		if err != nil {
			t.Fatal(err)
		}
		return token
	}

	for _, tt := range []struct {
		name, token, rule, says string
	}{
		{"claims changed after signing", tampered, "token", "signature does not verify"},
		{"another token's signature", swapped, "token", "signature does not verify"},
		{"another key under the provider's key id", impostor.sign(t, claimsAt(now, nil)), "token", "signature does not verify"},
		{"a key the provider does not have", unknown.sign(t, claimsAt(now, nil)), "token", `"ec-2"`},
		{"alg none", unsigned("none"), "token", `"none"`},
		{"alg none with a signature", unsigned("none") + "c2ln", "token", `"none"`},
		{"HS256 keyed with the JWKS file", hmacWith(jwks), "token", `"HS256"`},
		{"HS256 keyed with the public key", hmacWith(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), "token", `"HS256"`},
		{"not a JWT", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "token", ""},
		{"expired", key.sign(t, claimsAt(now, map[string]any{"exp": now.Add(-2 * time.Minute).Unix()})), "expired", "2026-11-23T09:58:00Z"},
		{"no expiry", key.sign(t, claimsAt(now, map[string]any{"exp": nil})), "expired", "exp"},
		{"not valid yet", key.sign(t, claimsAt(now, map[string]any{"nbf": now.Add(2 * time.Minute).Unix()})), "not_yet_valid", "10:02:00Z"},
		{"issued in the future", key.sign(t, claimsAt(now, map[string]any{"nbf": nil, "iat": now.Add(5 * time.Minute).Unix()})), "not_yet_valid", "10:05:00Z"},
		{"another issuer", key.sign(t, claimsAt(now, map[string]any{"iss": "https://login.haninge.se"})), "issuer", "login.haninge.se"},
		{"another audience", key.sign(t, claimsAt(now, map[string]any{"aud": []string{"intranet"}})), "audience", `"takt"`},
		{"no audience", key.sign(t, claimsAt(now, map[string]any{"aud": nil})), "audience", "no audience"},
		{"unknown role", ecKey.sign(t, claimsAt(now, map[string]any{"takt_role": "mayor"})), "claims", `"takt_role"`},
		{"role not a string", ecKey.sign(t, claimsAt(now, map[string]any{"takt_role": []string{"admin"}})), "claims", `"takt_role"`},
		{"secretary without organ", ecKey.sign(t, claimsAt(now, map[string]any{"takt_organ": nil})), "claims", `"takt_organ"`},
		{"reporter with an empty organ", ecKey.sign(t, claimsAt(now, map[string]any{"takt_role": "reporter", "takt_organ": ""})), "claims", `"takt_organ"`},
		{"organ not an id", ecKey.sign(t, claimsAt(now, map[string]any{"takt_organ": "bun.*"})), "claims", `"takt_organ"`},
		{"missing tenant", ecKey.sign(t, claimsAt(now, map[string]any{"takt_tenant": nil})), "claims", `"takt_tenant"`},
		{"tenant not a tenant", ecKey.sign(t, claimsAt(now, map[string]any{"takt_tenant": "../falun"})), "claims", `"takt_tenant"`},
		{"no subject", ecKey.sign(t, claimsAt(now, map[string]any{"sub": nil})), "claims", "sub"},
		{"a name with control characters", ecKey.sign(t, claimsAt(now, map[string]any{"name": "Anna\nBerg"})), "claims", `"name"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if e := refusedJWT(t, o, tt.token, tt.rule); !strings.Contains(e.Message, tt.says) {
				t.Fatalf("message %q does not say %q", e.Message, tt.says)
			}
		})
	}
}

// The provider's keys rotate: once the JWKS file is replaced, a token of the new key is accepted
// (after the next check of the file) and one of the retired key refused, with no restart. A file
// that cannot be read leaves the keys read before in use.
func TestOIDCKeyRotation(t *testing.T) {
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	old, rotated := newEC(t, "2026-10"), newEd(t, "2026-11")
	o, path := openOIDC(t, &now, old)
	ctx := context.Background()
	if _, err := o.Authenticate(ctx, old.sign(t, claimsAt(now, nil))); err != nil {
		t.Fatal(err)
	}
	refusedJWT(t, o, rotated.sign(t, claimsAt(now, nil)), "token")

	writeJWKS(t, path, rotated.public())
	now = now.Add(o.Reload)
	if _, err := o.Authenticate(ctx, rotated.sign(t, claimsAt(now, nil))); err != nil {
		t.Fatalf("the new key's token: %v", err)
	}
	refusedJWT(t, o, old.sign(t, claimsAt(now, nil)), "token")

	// Overwritten in place with something that is no JWKS: the rotated key still serves.
	if err := os.WriteFile(path, []byte(`{"keys": [`), 0o644); err != nil {
		t.Fatal(err)
	}
	now = now.Add(o.Reload)
	if _, err := o.Authenticate(ctx, rotated.sign(t, claimsAt(now, nil))); err != nil {
		t.Fatalf("after a broken file: %v", err)
	}
	// Mended in place, with both keys: both serve.
	b, _ := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{old.public(), rotated.public()}})
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	now = now.Add(o.Reload)
	for _, k := range []signingKey{old, rotated} {
		if _, err := o.Authenticate(ctx, k.sign(t, claimsAt(now, nil))); err != nil {
			t.Fatalf("key %s: %v", k.kid, err)
		}
	}
}

// Open refuses a configuration that could not authenticate anyone, or a JWKS file that holds
// what must stay secret.
func TestOIDCOpen(t *testing.T) {
	dir := t.TempDir()
	key := newEC(t, "ec-1")
	write := func(name string, keys ...jose.JSONWebKey) string {
		path := filepath.Join(dir, name)
		writeJWKS(t, path, keys...)
		return path
	}
	good := write("good.json", key.public())
	for _, tt := range []struct {
		name, jwks, issuer, audience, want string
	}{
		{"no issuer", good, "", "takt", "issuer"},
		{"no audience", good, issuer, "", "audience"},
		{"no file", filepath.Join(dir, "none.json"), issuer, "takt", "no such file"},
		{"no keys", write("empty.json"), issuer, "takt", "no public signing key"},
		{"only an encryption key", write("enc.json", jose.JSONWebKey{Key: key.key.Public(), KeyID: "e", Use: "enc"}), issuer, "takt", "no public signing key"},
		{"a private key", write("private.json", jose.JSONWebKey{Key: key.key, KeyID: "ec-1"}), issuer, "takt", "private or symmetric"},
		{"a symmetric key", write("oct.json", jose.JSONWebKey{Key: make([]byte, 32), KeyID: "h"}), issuer, "takt", "private or symmetric"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := auth.NewOIDC()
			o.JWKS, o.Issuer, o.Audience = tt.jwks, tt.issuer, tt.audience
			if err := o.Open(context.Background()); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error saying %q", err, tt.want)
			}
		})
	}
}

// A Chain sends takt tokens to the tokens file and JWTs to the identity provider's keys.
func TestChain(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	key := newEd(t, "ed-1")
	o, _ := openOIDC(t, &now, key)
	tokens := open(t, filepath.Join(t.TempDir(), auth.FileName))
	token, _, err := tokens.Create(ctx, auth.Token{Tenant: "falun", Role: domain.RoleAuditor, Name: "Revisionen", CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	jwt := key.sign(t, claimsAt(now, nil))

	chain := &auth.Chain{Tokens: tokens, OIDC: o}
	for token, want := range map[string]string{token: "Revisionen", jwt: "Anna Berg"} {
		if p, err := chain.Authenticate(ctx, token); err != nil || p.Name != want {
			t.Fatalf("got %v, %v; want %s", p, err, want)
		}
	}
	refusedJWT(t, chain, "takt_0123456789abcdef_forged", "token")
	refusedJWT(t, chain, "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "token")
	refusedJWT(t, chain, jwt+".", "token")
	if e := refusedJWT(t, &auth.Chain{Tokens: tokens}, jwt, "token"); !strings.Contains(e.Message, "takt tokens only") {
		t.Fatalf("without OIDC: %s", e.Message)
	}

	for s, want := range map[string]bool{jwt: true, "a.b.": true, "a.b.c": true, "a.b": false, ".b.c": false, "a..c": false,
		"a.b.c.d": false, "a.b+.c": false, "a.b=.c": false, token: false} {
		if auth.IsJWT(s) != want {
			t.Errorf("IsJWT(%q) = %v, want %v", s, !want, want)
		}
	}
}
