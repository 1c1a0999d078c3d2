package main

import (
	"context"
	"encoding/json"
	"errors"
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
	reads := addReadFlags(fs)
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
	opts, from, to, err := reads.options()
	if err != nil {
		return err
	}
	db, err := readProjection(ctx, c, stderr)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Audit(ctx, c.Tenant, domain.AuditFilter{Period: *period, Organ: *organ, From: from, To: to}, opts)
	if err != nil {
		return err
	}

	if *out == "" {
		return writeAudit(stdout, *format, *period, rows)
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	if err := errors.Join(writeAudit(f, *format, *period, rows), f.Close()); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "takt: wrote %s of %s to %s\n", plural(uint64(len(rows)), "row", "rows"), *period, *out)
	return nil
}

// writeAudit writes the decision log as CSV or JSON.
func writeAudit(w io.Writer, format, period string, rows []domain.AuditRow) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Period string            `json:"period"`
			Rows   []domain.AuditRow `json:"rows"`
		}{period, rows})
	}
	return domain.WriteAuditCSV(w, rows)
}
