package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/taktledger/takt/domain"
)

// runExport is `takt export audit`: the decision log of a mandate period, as CSV or JSON.
func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c offlineFlags
	fs := newFlagSet("export", "export audit --period P [flags]\n\nWrites the decision log of a mandate period: one row per version of an entity, in the\norder recorded, with the decision, the actor and the diff.", &c)
	period := fs.String("period", "", "the mandate `period`, e.g. 2023-2026 (required)")
	format := fs.String("format", "csv", "csv or json")
	organ := fs.String("organ", "", "only what this `organ` decided or reported")
	from := fs.String("from", "", "only versions that apply from this `date` on")
	to := fs.String("to", "", "only versions that apply from this `date` or earlier")
	knownAt := fs.String("known-at", "", "only what the ledger knew then: a time (RFC 3339), a date, or seq:N")
	out := fs.String("o", "", "write to this `file` instead of standard output")
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(rest) != 1 || rest[0] != "audit":
		fs.Usage()
		return fmt.Errorf("takt export takes: audit --period P")
	case *period == "":
		return fmt.Errorf("--period is required, e.g. --period 2023-2026")
	case *format != "csv" && *format != "json":
		return fmt.Errorf("--format must be csv or json")
	}
	var opts domain.ReadOptions
	if err := domain.ParseKnownAt(*knownAt, &opts); err != nil {
		return cliError(err)
	}
	db, err := readProjection(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Audit(ctx, c.Tenant, domain.AuditFilter{Period: *period, Organ: *organ, From: domain.Date(*from), To: domain.Date(*to)}, opts)
	if err != nil {
		return cliError(err)
	}

	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if *format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		err = enc.Encode(struct {
			Period string            `json:"period"`
			Rows   []domain.AuditRow `json:"rows"`
		}{*period, rows})
	} else {
		err = domain.WriteAuditCSV(w, rows)
	}
	if err != nil {
		return err
	}
	if *out != "" {
		fmt.Fprintf(stderr, "takt: wrote %s of %s to %s\n", plural(uint64(len(rows)), "row", "rows"), *period, *out)
		if f, ok := w.(*os.File); ok {
			return f.Close()
		}
	}
	return nil
}
