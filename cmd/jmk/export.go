package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/leadcsv"
	"github.com/jmksales/jmk/server/leadrules"
	"github.com/jmksales/jmk/server/scoring"
	"github.com/jmksales/jmk/server/store"
	"github.com/jmksales/jmk/server/textrules"
)

// cmdExport writes the leads matching the filters as CSV, as GET
// /leads/export does. With -o the file appears only once complete.
func cmdExport(ctx context.Context, e env) error {
	fs := newFlags(e, "export", "[flags]", "Writes the leads matching the filters as CSV, as GET /api/v1/leads/export does.")
	status := fs.String("status", "", "comma-separated statuses ("+strings.Join(leadrules.Statuses, ", ")+")")
	category := fs.String("category", "", "comma-separated categories ("+strings.Join(scoring.Categories, ", ")+")")
	job := fs.String("job", "", "comma-separated jobs (admin, blue_collar, ..., unknown: as the API names them)")
	var pMin, pMax *float64 // nil: no bound
	fs.Func("min-probability", "lowest `probability` (0..1)", optionalFloat(&pMin))
	fs.Func("max-probability", "highest `probability` (0..1)", optionalFloat(&pMax))
	assigned := fs.String("assigned-to", "", "a user id, or none")
	q := fs.String("q", "", "substring of name, phone or e-mail (at least 3 characters, with letters or digits)")
	sort := fs.String("sort", string(store.SortProbabilityDesc), "probability_desc, probability_asc, updated_at_desc, created_at_desc or name_asc")
	format := fs.String("format", string(leadcsv.FormatCSV), "csv, or excel for a spreadsheet whose decimal mark is a comma (';' between cells, decimal commas, a UTF-8 byte order mark)")
	out := fs.String("o", "", "output file (default: standard output)")
	if help, err := fs.parse(e.args, 0); help || err != nil {
		return err
	}
	// A flag given empty is refused, as the API refuses status= and the
	// like: a script's unset variable must not export every lead, nor send
	// them to standard output (-o).
	for _, name := range []string{"status", "category", "job", "assigned-to", "q"} {
		if fs.isSet(name) && strings.TrimSpace(fs.Lookup(name).Value.String()) == "" {
			return fmt.Errorf("export: %s is empty; leave it out not to filter", flagName(name))
		}
	}
	if fs.isSet("o") && strings.TrimSpace(*out) == "" {
		return errors.New("export: -o is empty; leave it out, or give -, to write to standard output")
	}
	f, err := exportFilter(*status, *category, *job, pMin, pMax, *assigned, *q)
	if err != nil {
		return err
	}
	if !api.LeadSort(*sort).Valid() {
		return fmt.Errorf("export: --sort must be one of %s, not %q", strings.Join(sortValues, ", "), *sort)
	}
	if !api.ExportLeadsParamsFormat(*format).Valid() {
		return fmt.Errorf("export: --format must be csv or excel, not %q", *format)
	}

	// The file is written next to its target and renamed over it once
	// complete; a failure leaves an existing file as it was.
	w := e.stdout
	var file *outputFile
	if *out != "" && *out != "-" {
		if file, err = createOutput(*out, 0o600); err != nil {
			return fmt.Errorf("export: -o: %w", err)
		}
		defer file.abort()
		w = file
	}

	st, closeDB, err := openExistingStore(ctx, e)
	if err != nil {
		return err
	}
	defer closeDB()

	cw := leadcsv.NewWriter(w, leadcsv.Format(*format))
	n := 0
	err = cw.WriteHeader()
	if err == nil {
		err = st.LeadExport(ctx, audit.Actor{Name: "jmk export"}, f, store.LeadSort(*sort), func(l *leadcsv.ExportRow) error {
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
	if file != nil {
		if err := file.commit(); err != nil {
			return fmt.Errorf("export: -o: %w", err)
		}
		noun := "leads"
		if n == 1 {
			noun = "lead"
		}
		fmt.Fprintf(e.stderr, "exported %d %s to %s\n", n, noun, *out)
	}
	return nil
}

// list splits a comma-separated flag value, trimming each value; empty
// gives nil (no filter).
func list(s string) []string {
	if s == "" {
		return nil
	}
	out := strings.Split(s, ",")
	for i := range out {
		out[i] = strings.TrimSpace(out[i])
	}
	return out
}

// The sort orders of GET /leads/export, for messages.
var sortValues = []string{string(api.LeadSortProbabilityDesc), string(api.LeadSortProbabilityAsc),
	string(api.LeadSortUpdatedAtDesc), string(api.LeadSortCreatedAtDesc), string(api.LeadSortNameAsc)}

// exportFilter checks the filters as GET /leads/export does (the spec's
// parameters, then the handler's rules) and maps them onto a store filter.
// A flag left empty does not filter (cmdExport refuses one given empty).
func exportFilter(status, category, job string, minP, maxP *float64, assigned, q string) (store.LeadFilter, error) {
	f := store.LeadFilter{MinProbability: minP, MaxProbability: maxP}
	var err error
	if f.Statuses, err = enumList("status", status, func(s string) bool { return api.LeadStatus(s).Valid() },
		leadrules.Statuses); err != nil {
		return f, err
	}
	if f.Categories, err = enumList("category", category, func(s string) bool { return api.Category(s).Valid() },
		scoring.Categories); err != nil {
		return f, err
	}
	if f.Jobs, err = enumList("job", job, func(s string) bool { return api.Job(s).Valid() },
		scoring.Jobs); err != nil {
		return f, err
	}
	for i, p := range []*float64{minP, maxP} {
		if p != nil && !(*p >= 0 && *p <= 1) { // NaN fails too
			return f, fmt.Errorf("export: --%s-probability must be from 0 to 1, not %g", []string{"min", "max"}[i], *p)
		}
	}
	if f.MinProbability != nil && f.MaxProbability != nil && *f.MinProbability > *f.MaxProbability {
		return f, errors.New("export: --min-probability must not be above --max-probability")
	}
	switch assigned {
	case "":
	case "none":
		f.Unassigned = true
	default:
		id, err := uuid.Parse(assigned)
		if err != nil || len(assigned) != 36 { // the spec's pattern: the hyphenated form only
			return f, errors.New("export: --assigned-to must be a user id or none")
		}
		f.AssignedTo = &id
	}
	if q != "" {
		switch s, problem := leadrules.SearchQuery(q); {
		case !textrules.IsText(q):
			return f, errors.New("export: -q must be UTF-8 text without NUL characters")
		case utf8.RuneCountInString(q) > 100:
			return f, errors.New("export: -q must have at most 100 characters")
		case problem != "":
			return f, fmt.Errorf("export: -q %s, not %q", problem, q)
		default:
			f.Q = &s
		}
	}
	return f, nil
}

// enumList splits a comma-separated flag value and checks each value with
// valid (the spec's enumeration), taking at most as many as values, which
// the messages list.
func enumList(name, s string, valid func(string) bool, values []string) ([]string, error) {
	vs := list(s)
	for _, v := range vs {
		if v == "" {
			return nil, fmt.Errorf("export: --%s: an empty value in the list", name)
		}
		if !valid(v) {
			return nil, fmt.Errorf("export: --%s: %q is not one of %s", name, v, strings.Join(values, ", "))
		}
	}
	if len(vs) > len(values) {
		return nil, fmt.Errorf("export: --%s takes at most %d values", name, len(values))
	}
	return vs, nil
}

// optionalFloat is a flag that sets *dst only when given.
func optionalFloat(dst **float64) func(string) error {
	return func(s string) error {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return errors.New("must be a number")
		}
		*dst = &v
		return nil
	}
}
