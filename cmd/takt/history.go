package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/taktledger/takt/domain"
)

// runHistory is `takt history goal <id>`: every version of a goal, its indicators, targets, values
// and commitments, with the decision and what changed.
func runHistory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c offlineFlags
	fs := newFlagSet("history", "history goal <id> [flags]\n\nPrints every version of a goal, of its indicators and their targets, the corrections of\ntheir values, and of its commitments: when it applied, when it was recorded, by which decision, and what changed.", &c)
	format := fs.String("format", "text", "text or json")
	reads := addReadFlags(fs)
	rest, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(rest) != 2 || rest[0] != "goal" {
		fs.Usage()
		return fmt.Errorf("takt history takes: goal <id>")
	}
	if *format != "text" && *format != "json" {
		return fmt.Errorf("--format must be text or json")
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
	vs, err := db.GoalHistory(ctx, c.Tenant, rest[1], domain.HistoryFilter{From: from, To: to}, opts)
	if err != nil {
		return err
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Versions []domain.Version `json:"versions"`
		}{vs})
	}
	return printHistory(stdout, rest[1], vs)
}

// printHistory prints versions as a readable account: a line per version, then what changed.
func printHistory(w io.Writer, goal string, vs []domain.Version) error {
	fmt.Fprintf(w, "History of goal %s: %s\n\n", goal, plural(uint64(len(vs)), "version", "versions"))
	for _, v := range vs {
		valid := string(v.ValidFrom) + " →"
		if v.ValidTo != "" {
			valid += " " + string(v.ValidTo)
		}
		decision := "no decision (a report)"
		if d := v.Decision; d != nil {
			decision = strings.TrimSpace(fmt.Sprintf("%s %s %s %s", d.Organ, d.MeetingDate, d.Paragraph, d.CaseNumber))
		}
		fmt.Fprintf(w, "seq %d  %s %s v%d  %s\n", v.Seq, v.Kind, v.ID, v.Version, v.EventType)
		tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
		fmt.Fprintf(tw, "  in force\t%s\n", valid)
		fmt.Fprintf(tw, "  recorded\t%s by %s, event %s\n", v.RecordedAt.UTC().Format(time.RFC3339), v.Actor, v.EventID)
		fmt.Fprintf(tw, "  decision\t%s\n", decision)
		if v.Reason != "" {
			fmt.Fprintf(tw, "  reason\t%s\n", v.Reason)
		}
		tw.Flush()
		changes, err := v.Diff.Changes()
		if err != nil {
			return err
		}
		for _, f := range slices.Sorted(maps.Keys(changes)) {
			ch := changes[f]
			switch {
			case ch.Before == nil:
				fmt.Fprintf(w, "    %s: %s\n", f, ch.After)
			case ch.After == nil:
				fmt.Fprintf(w, "    %s: %s → (removed)\n", f, ch.Before)
			default:
				fmt.Fprintf(w, "    %s: %s → %s\n", f, ch.Before, ch.After)
			}
		}
		fmt.Fprintln(w)
	}
	return nil
}
