package leadcsv

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/jmksales/jmk/server/leadrules"
)

// cells holds the values of one row, so that a row costs one allocation
// however many of its pointers are set. Slots are given out per kind by
// init below.
type cells struct {
	// row lives here too: setCell reaches it through function pointers,
	// which would make a local Row escape to a second allocation.
	row     Row
	str     [numStrSlots]string
	i32     [numIntSlots]int32
	f64     [numFloatSlots]float64
	outcome bool
	version int32
}

const (
	numStrSlots   = 16 // 5 text + status + 10 enumerations
	numIntSlots   = 5
	numFloatSlots = 5
)

// slots[c] is column c's index in the cells array of its kind.
var slots [numColumns]int

func init() {
	var s, i, f int
	for c := range numColumns {
		switch columns[c].kind {
		case kindText, kindStatus, kindEnum:
			slots[c], s = s, s+1
		case kindInt:
			slots[c], i = i, i+1
		case kindFloat:
			slots[c], f = f, f+1
		}
	}
	if s != numStrSlots || i != numIntSlots || f != numFloatSlots {
		panic(fmt.Sprintf("leadcsv: slot counts %d/%d/%d do not match the column table", s, i, f))
	}
}

// decode validates one record against the header and builds its Row, or
// returns every problem in it.
func (r *Reader) decode(rec []string, line int) (Row, []Rejection) {
	// A row may stop short of the header's trailing unnamed columns (a
	// spreadsheet wrote a separator after the last name, not the values).
	if len(rec) < len(r.cols) && !slices.ContainsFunc(r.cols[len(rec):], func(c column) bool { return c != colUnnamed }) {
		rec = append(rec, make([]string, len(r.cols)-len(rec))...)
	}
	if len(rec) != len(r.cols) {
		msg := fmt.Sprintf("expected %d values (one per header column), found %d", len(r.cols), len(rec))
		if len(rec) > len(r.cols) && slices.ContainsFunc(rec[len(r.cols):], func(v string) bool { return !isBlank(v) }) {
			// A one-column file saved by a spreadsheet leaves "Silva, Ana"
			// unquoted, as its own delimiter is ';'.
			msg += fmt.Sprintf("; a value holding a '%c' must be in double quotes", r.comma)
		}
		return Row{}, []Rejection{{Line: line, Message: msg}}
	}
	st := new(cells)
	row := &st.row
	row.Line = line
	var (
		rejs   []Rejection
		commas bool                            // a number of the row has a decimal comma
		points []struct{ field, value string } // the row's numbers with a point
	)
	for i, raw := range rec {
		c := r.cols[i]
		if c == colUnnamed {
			if !isBlank(raw) {
				rejs = append(rejs, Rejection{Line: line, Message: fmt.Sprintf(
					"a value in column %d, which has no name in the header", i+1)})
			}
			continue
		}
		if raw == "" || columns[c].kind == kindReadOnly {
			continue
		}
		if columns[c].kind == kindText {
			// Before the size check: the apostrophe is ours, not the user's.
			raw = unescapeFormula(raw)
		}
		limit := MaxFieldBytes
		if c == colNotes {
			limit = maxNotesBytes
		}
		var msg string
		switch {
		case len(raw) > limit:
			msg = fmt.Sprintf("is longer than %d bytes", limit)
		default:
			msg = setCell(row, st, c, raw, r.comma == ';')
		}
		if msg != "" {
			rejs = append(rejs, Rejection{Line: line, Field: columns[c].api, Message: msg})
		} else if columns[c].kind == kindFloat && r.comma == ';' {
			commas = commas || strings.Contains(raw, ",")
			if strings.Contains(raw, ".") {
				points = append(points, struct{ field, value string }{columns[c].api, strings.TrimSpace(raw)})
			}
		}
	}
	// Beside decimal commas, a point groups thousands (5.191 for 5191, as
	// a European spreadsheet shows a number): read as a decimal point, the
	// value would be a thousand times too small.
	if commas {
		for _, p := range points {
			rejs = append(rejs, Rejection{Line: line, Field: p.field, Message: fmt.Sprintf(
				"%s has a point where this row's other numbers have a decimal comma; if it groups thousands, write it without (5191 for 5.191)",
				quote(p.value))})
		}
	}
	// A row without external_id is a new lead: its previous-campaign
	// inputs are all there is to check, and checked here, a file of
	// contradictions is refused early (the store checks the others, which
	// its stored values complete).
	if row.ExternalID == nil {
		f := &row.Features
		for _, p := range leadrules.PreviousCampaignProblems(f.PreviousOutcome, f.PreviousContacts, f.DaysSincePreviousContact) {
			rejs = append(rejs, Rejection{Line: line, Field: p.Field, Message: p.Message})
		}
	}
	if row.Status != nil && row.Outcome != nil && !r.ignoreOutcome {
		want, y := "failed", "no"
		if *row.Outcome {
			want, y = "success", "yes"
		}
		if *row.Status != want {
			rejs = append(rejs, Rejection{Line: line, Field: "status", Message: fmt.Sprintf(
				"%s contradicts y = %s (want %s)", *row.Status, y, want)})
		}
	}
	return *row, rejs
}

// setCell parses raw (non-empty, valid UTF-8) into column c of row, keeping
// the value in st. It returns "" or what is wrong with the value. With
// decimalComma (a ';' file) a number's decimal separator may be a comma.
func setCell(row *Row, st *cells, c column, raw string, decimalComma bool) string {
	spec := &columns[c]
	slot := slots[c]
	switch spec.kind {
	case kindText:
		v, msg := spec.text(raw)
		if msg != "" || v == "" {
			return msg
		}
		st.str[slot] = v
		*spec.textPtr(row) = &st.str[slot]

	case kindEnum, kindStatus:
		v, ok := spec.enum.parse(raw)
		switch {
		case !ok && isBlank(raw):
			return ""
		case !ok:
			return quote(raw) + " is not " + spec.enum.want
		case v == "": // "unknown" where the enumeration has no such level
			return ""
		}
		st.str[slot] = v
		if spec.kind == kindStatus {
			row.Status = &st.str[slot]
		} else {
			*spec.strPtr(&row.Features) = &st.str[slot]
		}

	case kindOutcome:
		v, ok := spec.enum.parse(raw)
		switch {
		case !ok && isBlank(raw):
			return ""
		case !ok:
			return quote(raw) + " is not " + spec.enum.want
		}
		st.outcome = v == "yes"
		row.Outcome = &st.outcome

	case kindInt:
		n, err := strconv.ParseInt(raw, 10, 32)
		if err != nil {
			t := strings.TrimSpace(raw)
			if t == "" {
				return ""
			}
			if n, err = strconv.ParseInt(wholeDecimal(t, decimalComma), 10, 32); err != nil && !errors.Is(err, strconv.ErrRange) {
				return quote(raw) + " is not a whole number"
			}
		}
		if err != nil || float64(n) < spec.min || float64(n) > spec.max {
			return fmt.Sprintf("%s is not between %g and %g", quote(strings.TrimSpace(raw)), spec.min, spec.max)
		}
		if spec.never999 && n == 999 {
			return "" // UCI's "never contacted"
		}
		st.i32[slot] = int32(n)
		*spec.intPtr(&row.Features) = &st.i32[slot]

	case kindVersion:
		t := strings.TrimSpace(raw)
		if t == "" {
			return ""
		}
		n, err := strconv.ParseInt(t, 10, 32)
		if err != nil || float64(n) < spec.min {
			return quote(t) + " is not a lead's version (a whole number from 1, as an export writes it)"
		}
		st.version = int32(n)
		row.Version = &st.version

	case kindFloat:
		t := strings.TrimSpace(raw)
		if t == "" {
			return ""
		}
		d, ok := plainDecimal(t, decimalComma)
		if !ok {
			if strings.Contains(t, ",") && !decimalComma {
				return quote(raw) + " is not a number (write decimals with a point)"
			}
			return quote(raw) + " is not a number"
		}
		f, err := strconv.ParseFloat(d, 64)
		if err != nil || math.IsInf(f, 0) { // only ErrRange gets here
			return quote(t) + " is not a finite number"
		}
		if f < spec.min || f > spec.max {
			return fmt.Sprintf("%s is not between %g and %g", quote(t), spec.min, spec.max)
		}
		st.f64[slot] = f
		*spec.fltPtr(&row.Features) = &st.f64[slot]
	}
	return ""
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }
