package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/server/leadcsv"
	"github.com/jmksales/jmk/server/store"
)

// cmdExport writes the leads matching the filters as CSV, as GET
// /leads/export does. With -o the file appears only once complete.
func cmdExport(ctx context.Context, e env) error {
	fs := newFlags(e, "export", "[flags]", "Writes the leads matching the filters as CSV, as GET /api/v1/leads/export does.")
	status := fs.String("status", "", "comma-separated statuses (new, contacted, follow_up, success, failed)")
	category := fs.String("category", "", "comma-separated categories (hot, warm, cold)")
	job := fs.String("job", "", "comma-separated jobs")
	minP := fs.Float64("min-probability", -1, "lowest probability (0..1)")
	maxP := fs.Float64("max-probability", -1, "highest probability (0..1)")
	assigned := fs.String("assigned-to", "", "a user id, or none")
	q := fs.String("q", "", "substring of name, phone or e-mail")
	sort := fs.String("sort", string(store.SortProbabilityDesc), "probability_desc, probability_asc, updated_at_desc, created_at_desc or name_asc")
	out := fs.String("o", "", "output file (default: standard output)")
	if help, err := fs.parse(e.args, 0); help || err != nil {
		return err
	}
	f := store.LeadFilter{Statuses: list(*status), Categories: list(*category), Jobs: list(*job)}
	if *minP >= 0 {
		f.MinProbability = minP
	}
	if *maxP >= 0 {
		f.MaxProbability = maxP
	}
	switch *assigned {
	case "":
	case "none":
		f.Unassigned = true
	default:
		id, err := uuid.Parse(*assigned)
		if err != nil {
			return fmt.Errorf("export: --assigned-to must be a user id or none")
		}
		f.AssignedTo = &id
	}
	if *q != "" {
		f.Q = q
	}
	switch o := store.LeadSort(*sort); o {
	case store.SortProbabilityDesc, store.SortProbabilityAsc, store.SortUpdatedDesc, store.SortCreatedDesc, store.SortNameAsc:
	default:
		return fmt.Errorf("export: unknown --sort %q", *sort)
	}

	_, st, closeDB, err := openStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()

	w := e.stdout
	var tmp *os.File
	if *out != "" && *out != "-" {
		if tmp, err = os.CreateTemp(filepath.Dir(*out), ".jmk-export-*.csv"); err != nil {
			return err
		}
		defer os.Remove(tmp.Name()) // after the rename, a no-op
		defer tmp.Close()
		w = tmp
	}
	cw := leadcsv.NewWriter(w)
	n := 0
	err = cw.WriteHeader()
	if err == nil {
		err = st.LeadExport(ctx, f, store.LeadSort(*sort), func(l *leadcsv.ExportRow) error {
			n++
			return cw.Write(*l)
		})
	}
	if err == nil {
		err = cw.Flush()
	}
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	if tmp != nil {
		if err := tmp.Close(); err != nil {
			return err
		}
		if err := os.Rename(tmp.Name(), *out); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "exported %d leads to %s\n", n, *out)
	}
	return nil
}

// list splits a comma-separated flag value; empty gives nil (no filter).
func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
