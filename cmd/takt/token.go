package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/taktledger/takt/auth"
	"github.com/taktledger/takt/domain"
	"github.com/taktledger/takt/events"
	"github.com/taktledger/takt/projections"
)

// tokensPath is where a data directory keeps its bearer tokens' hashes.
func tokensPath(dataDir string) string { return filepath.Join(dataDir, auth.FileName) }

// openTokens opens the data directory's tokens file, creating the directory if need be.
func openTokens(dataDir string) (*auth.Tokens, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	return auth.OpenTokens(tokensPath(dataDir))
}

// runToken is `takt token create|list|revoke`: the bearer tokens of a data directory, managed on
// the file itself, so that it works whether takt serve runs or not; a running server sees a
// revocation from the next request on.
func runToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprint(stderr, tokenUsage)
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return flag.ErrHelp
		}
		return errUsage
	}
	sub, args := args[0], args[1:]
	fs := flag.NewFlagSet("takt token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataDir := fs.String("data", DefaultConfig().DataDir, "data `directory`; the tokens are in <data>/"+auth.FileName)
	tenant := fs.String("tenant", "", "the tenant `id`")
	var spec domain.Token
	var role, expires string
	var ttl time.Duration
	var asJSON bool
	switch sub {
	case "create":
		fs.StringVar(&role, "role", "", "the `role`: admin, secretary, reporter, auditor or public")
		fs.StringVar(&spec.Organ, "organ", "", "the organ `id` a secretary or reporter acts for")
		fs.StringVar(&spec.Name, "name", "", "who holds the token (`text`); recorded as the actor of what it records")
		fs.StringVar(&expires, "expires", "", "when the token expires: a `time` (RFC 3339) or a date; default never")
		fs.DurationVar(&ttl, "ttl", 0, "the token expires this long from now (`duration`, e.g. 2160h); instead of --expires")
	case "list":
		fs.BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	case "revoke":
	default:
		fmt.Fprintf(stderr, "takt token: unknown command %q\n\n%s", sub, tokenUsage)
		return errUsage
	}
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	tokens, err := openTokens(*dataDir)
	if err != nil {
		return err
	}
	defer tokens.Close()

	switch sub {
	case "create":
		if len(rest) > 0 {
			return fmt.Errorf("takt token create takes no arguments, got %q", rest)
		}
		spec.Tenant, spec.Role, spec.CreatedBy = *tenant, domain.Role(role), "takt token create"+byWhom()
		if spec.Expires, err = expiry(expires, ttl); err != nil {
			return err
		}
		if err := checkOrgan(ctx, *dataDir, spec, stderr); err != nil {
			return flagError(err)
		}
		token, tok, err := tokens.Create(ctx, spec)
		if err != nil {
			return flagError(err)
		}
		fmt.Fprintf(stderr, "takt: token %s for tenant %s, %s; it is shown this once:\n", tok.ID, tok.Tenant, tok.Principal())
		fmt.Fprintln(stdout, token)
		return nil
	case "list":
		if len(rest) > 0 {
			return fmt.Errorf("takt token list takes no arguments, got %q", rest)
		}
		list, err := tokens.List(ctx, *tenant)
		if err != nil {
			return err
		}
		if asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(list)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tTENANT\tROLE\tORGAN\tNAME\tCREATED\tEXPIRES\tREVOKED")
		for _, t := range list {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Tenant, t.Role, dash(t.Organ), t.Name,
				t.Created.Format(time.DateOnly), stampOf(t.Expires), stampOf(t.Revoked))
		}
		return tw.Flush()
	default: // revoke
		if len(rest) != 1 || *tenant == "" {
			return errors.New("takt token revoke takes --tenant and one token id")
		}
		tok, err := tokens.Revoke(ctx, *tenant, rest[0], "takt token revoke"+byWhom())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked %s (%s) on %s\n", tok.ID, tok.Principal(), tok.Revoked.Format(time.RFC3339))
		return nil
	}
}

const tokenUsage = `Usage:

	takt token create --tenant T --role R [--organ O] --name N [--expires TIME | --ttl DURATION] [--data DIR]
	takt token list [--tenant T] [--json] [--data DIR]
	takt token revoke --tenant T ID [--data DIR]

Manages the bearer tokens of a data directory: only their hashes are kept, so a token is printed
once, when it is created. Roles: admin (organs, periods, tokens), secretary of an organ (its
decisions), reporter for an organ (values and progress), auditor (reads everything), public (reads
without personal data). docs/security.md has the whole matrix.
`

// byWhom names the system user and host a token command runs as, for the tokens file's record of
// who created and who revoked a token.
func byWhom() string {
	who := "unknown"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	if host, err := os.Hostname(); err == nil {
		who += "@" + host
	}
	return " by " + who
}

// flagError names the flag whose value a token's check refused: --organ: Organ x is not registered.
func flagError(err error) error {
	var e *domain.Error
	if errors.As(err, &e) && e.Field != "" {
		return fmt.Errorf("--%s: %s", e.Field, e.Message)
	}
	return err
}

// checkOrgan checks a secretary's or reporter's organ against the tenant's projection, when the
// data directory holds one; without it the organ is taken on trust, and said so.
func checkOrgan(ctx context.Context, dataDir string, spec domain.Token, stderr io.Writer) error {
	if spec.Organ == "" || !events.ValidTenant(spec.Tenant) {
		return nil // tokens.Create names what is wrong
	}
	path := projectionPath(dataDir, spec.Tenant)
	if !fileExists(path) {
		fmt.Fprintf(stderr, "takt: %s has no projection of tenant %s: organ %s is not checked\n", dataDir, spec.Tenant, spec.Organ)
		return nil
	}
	db, err := readOnlyProjection(ctx, path, spec.Tenant, quietLogger(stderr))
	if err != nil {
		return err
	}
	defer db.Close()
	organs, err := projections.Tenants{spec.Tenant: db}.Organs(ctx, spec.Tenant, domain.ReadOptions{})
	if err != nil {
		return err
	}
	return domain.CheckTokenOrgan(organs, spec.Organ)
}

// expiry reads --expires (a time or a date, whose end is meant) or --ttl.
func expiry(expires string, ttl time.Duration) (*time.Time, error) {
	switch {
	case expires != "" && ttl != 0:
		return nil, errors.New("give --expires or --ttl, not both")
	case ttl < 0:
		return nil, errors.New("--ttl must be positive")
	case ttl > 0:
		at := time.Now().Add(ttl)
		return &at, nil
	case expires == "":
		return nil, nil
	}
	if at, err := time.Parse(time.RFC3339, expires); err == nil {
		return &at, nil
	}
	day, err := time.Parse(time.DateOnly, expires)
	if err != nil {
		return nil, fmt.Errorf("--expires %q is neither a time (RFC 3339) nor a date (YYYY-MM-DD)", expires)
	}
	at := day.AddDate(0, 0, 1)
	return &at, nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func stampOf(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}
