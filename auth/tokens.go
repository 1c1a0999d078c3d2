package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	_ "github.com/mattn/go-sqlite3" // the database/sql driver

	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
)

// TokenPrefix starts every takt token, so that one pasted in the wrong place can be recognised
// (and found by secret scanners): takt_<id>_<secret>.
const TokenPrefix = "takt_"

// FileName is the tokens file's name under the data directory.
const FileName = "tokens.db"

// Token is what is kept of a bearer token.
type Token = domain.Token

// Tokens is the bearer tokens of a data directory, in a SQLite file of their own. takt serve
// reads it on every request and the takt token command writes it, so a token revoked from the
// command line is refused from the next request on.
type Tokens struct {
	db  *sql.DB
	Now func() time.Time
}

const schema = `
CREATE TABLE IF NOT EXISTS tokens (
	id         TEXT PRIMARY KEY,
	hash       BLOB NOT NULL,
	tenant     TEXT NOT NULL,
	role       TEXT NOT NULL,
	organ      TEXT NOT NULL,
	name       TEXT NOT NULL,
	created    TEXT NOT NULL,
	created_by TEXT NOT NULL,
	expires    TEXT,
	revoked    TEXT,
	revoked_by TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX IF NOT EXISTS tokens_tenant ON tokens (tenant, created);
PRAGMA user_version = 1;
`

// OpenTokens opens the tokens file at path, creating it (readable by its owner only) if need be.
func OpenTokens(path string) (*Tokens, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	err = f.Chmod(0o600) // an existing file too: it says who holds which role
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	q := url.Values{"_busy_timeout": {"5000"}, "_journal_mode": {"WAL"}, "_txlock": {"immediate"}}
	db, err := sql.Open("sqlite3", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	var version int
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		db.Close()
		return nil, fmt.Errorf("tokens %s: %w", path, err)
	}
	if version > 1 {
		db.Close()
		return nil, fmt.Errorf("tokens %s was written by a newer takt (schema %d)", path, version)
	}
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("tokens %s: %w", path, err)
	}
	return &Tokens{db: db, Now: time.Now}, nil
}

// Close closes the file.
func (t *Tokens) Close() error { return t.db.Close() }

// check checks a token's description before it is created: a valid tenant and role, an organ for
// the roles that act for one and none for the others, a name, an expiry in the future.
func (t *Tokens) check(spec Token) error {
	if !events.ValidTenant(spec.Tenant) {
		return domain.Invalid("tenant", "tenant", "Tenant %q is not a valid tenant name.", spec.Tenant)
	}
	if _, err := domain.ParseRole(string(spec.Role)); err != nil {
		return err
	}
	switch {
	case spec.Role.OfOrgan() && spec.Organ == "":
		return domain.Invalid("organ", "required", "A %s token acts for one organ: name it.", spec.Role)
	case !spec.Role.OfOrgan() && spec.Organ != "":
		return domain.Invalid("organ", "forbidden", "A %s token acts for no organ; only secretaries and reporters do.", spec.Role)
	case spec.Organ != "" && !events.ValidID(spec.Organ):
		return domain.Invalid("organ", "token", "Organ %q is not an organ id.", spec.Organ)
	case strings.TrimSpace(spec.Name) == "":
		return domain.Invalid("name", "required", "Name who holds the token: it is recorded as the actor of what it records.")
	case !printable(spec.Name):
		return domain.Invalid("name", "printable", "The name must be at most 200 bytes of printable text.")
	case spec.Expires != nil && !spec.Expires.After(t.Now()):
		return domain.Invalid("expires", "future", "The token would have expired already (%s).", spec.Expires.Format(time.RFC3339))
	}
	return nil
}

// isControl reports control characters, C0 and C1, and the invisible marks that reorder text
// (bidirectional controls), which could make a name in a log or an audit export read otherwise.
func isControl(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) || r == '\u200b' || r == '\ufeff'
}

// printable reports whether a name may be recorded as an actor: at most 200 bytes of printable text.
func printable(name string) bool {
	return len(name) <= 200 && utf8.ValidString(name) && !strings.ContainsFunc(name, isControl)
}

// Create makes a token as spec describes and returns it: the only time the token is seen, since
// only its hash is kept.
func (t *Tokens) Create(ctx context.Context, spec Token) (string, Token, error) {
	if err := t.check(spec); err != nil {
		return "", Token{}, err
	}
	var id [8]byte
	var secret [32]byte
	rand.Read(id[:])
	rand.Read(secret[:])
	spec.ID = hex.EncodeToString(id[:])
	token := TokenPrefix + spec.ID + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
	spec.Created = t.Now().UTC().Truncate(time.Second)
	spec.Name = strings.TrimSpace(spec.Name)
	spec.Revoked, spec.RevokedBy = nil, ""
	hash := sha256.Sum256([]byte(token))
	_, err := t.db.ExecContext(ctx, `INSERT INTO tokens (id, hash, tenant, role, organ, name, created, created_by, expires)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, spec.ID, hash[:], spec.Tenant, string(spec.Role), spec.Organ, spec.Name,
		stamp(&spec.Created), spec.CreatedBy, stamp(spec.Expires))
	if err != nil {
		return "", Token{}, fmt.Errorf("tokens: %w", err)
	}
	return token, spec, nil
}

// List returns the tokens of tenant ("": of every tenant), oldest first, revoked ones too.
func (t *Tokens) List(ctx context.Context, tenant string) ([]Token, error) {
	rows, err := t.db.QueryContext(ctx, `SELECT `+columns+` FROM tokens WHERE ? = '' OR tenant = ? ORDER BY created, rowid`, tenant, tenant)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		tok, _, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, tok)
	}
	return out, rows.Err()
}

// Revoke revokes tenant's token id, in the name of by, and returns it. Revoking a revoked token
// changes nothing; an unknown one is ENOTFOUND.
func (t *Tokens) Revoke(ctx context.Context, tenant, id, by string) (Token, error) {
	now := t.Now().UTC().Truncate(time.Second)
	if _, err := t.db.ExecContext(ctx, `UPDATE tokens SET revoked = ?, revoked_by = ? WHERE tenant = ? AND id = ? AND revoked IS NULL`,
		stamp(&now), by, tenant, id); err != nil {
		return Token{}, fmt.Errorf("tokens: %w", err)
	}
	tok, _, err := t.get(ctx, id)
	if err == nil && tok.Tenant != tenant {
		err = sql.ErrNoRows
	}
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, domain.NotFound("id", "Tenant %s has no token %s.", tenant, id)
	}
	return tok, err
}

// Authenticate returns the principal a bearer token speaks for, or EUNAUTHORIZED for a token
// that is malformed, unknown, forged, expired or revoked.
func (t *Tokens) Authenticate(ctx context.Context, token string) (*domain.Principal, error) {
	id, _, ok := strings.Cut(strings.TrimPrefix(token, TokenPrefix), "_")
	if !strings.HasPrefix(token, TokenPrefix) || !ok || len(id) != 16 {
		return nil, unauthorized("token", "This is not a takt token.")
	}
	tok, hash, err := t.get(ctx, id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, unauthorized("token", "The token is not known here.")
	} else if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(token))
	switch {
	case subtle.ConstantTimeCompare(sum[:], hash) != 1:
		return nil, unauthorized("token", "The token is not known here.")
	case tok.Revoked != nil:
		return nil, unauthorized("revoked", "The token was revoked on %s.", tok.Revoked.Format(time.RFC3339))
	case tok.Expires != nil && !t.Now().Before(*tok.Expires):
		return nil, unauthorized("expired", "The token expired on %s.", tok.Expires.Format(time.RFC3339))
	}
	return tok.Principal(), nil
}

func unauthorized(rule, format string, args ...any) error {
	return &domain.Error{Code: domain.EUNAUTHORIZED, Field: "Authorization", Rule: rule, Message: fmt.Sprintf(format, args...)}
}

const columns = `id, hash, tenant, role, organ, name, created, created_by, expires, revoked, revoked_by`

func (t *Tokens) get(ctx context.Context, id string) (Token, []byte, error) {
	return scan(t.db.QueryRowContext(ctx, `SELECT `+columns+` FROM tokens WHERE id = ?`, id))
}

func scan(row interface{ Scan(...any) error }) (Token, []byte, error) {
	var tok Token
	var hash []byte
	var role, created string
	var expires, revoked sql.NullString
	if err := row.Scan(&tok.ID, &hash, &tok.Tenant, &role, &tok.Organ, &tok.Name, &created, &tok.CreatedBy, &expires, &revoked, &tok.RevokedBy); err != nil {
		return tok, nil, err
	}
	tok.Role = domain.Role(role)
	var err error
	if tok.Created, err = time.Parse(time.RFC3339, created); err != nil {
		return tok, nil, fmt.Errorf("tokens: token %s: %w", tok.ID, err)
	}
	for _, f := range []struct {
		s   sql.NullString
		out **time.Time
	}{{expires, &tok.Expires}, {revoked, &tok.Revoked}} {
		if f.s.Valid {
			at, err := time.Parse(time.RFC3339, f.s.String)
			if err != nil {
				return tok, nil, fmt.Errorf("tokens: token %s: %w", tok.ID, err)
			}
			*f.out = &at
		}
	}
	return tok, hash, nil
}

// stamp writes a time as the file keeps it: RFC 3339 in UTC, or NULL.
func stamp(at *time.Time) any {
	if at == nil {
		return nil
	}
	return at.UTC().Format(time.RFC3339)
}
