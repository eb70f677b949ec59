package scoring

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jmksales/jmk/data"
)

// uciExamples loads the embedded UCI Bank Marketing file once per test
// binary; the quality tests share it read-only.
var uciExamples = sync.OnceValues(func() ([]Example, error) {
	rc, err := data.UCIBankMarketing()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return loadUCI(rc)
})

func mustUCI(tb testing.TB) []Example {
	tb.Helper()
	ex, err := uciExamples()
	if err != nil {
		tb.Fatalf("load UCI data: %v", err)
	}
	return ex
}

// uciSpelling maps the UCI category spellings onto the API's; anything not
// listed is already spelt the same.
var uciSpelling = map[string]string{
	"blue-collar":         "blue_collar",
	"self-employed":       "self_employed",
	"admin.":              "admin",
	"basic.4y":            "basic_4y",
	"basic.6y":            "basic_6y",
	"basic.9y":            "basic_9y",
	"high.school":         "high_school",
	"professional.course": "professional_course",
	"university.degree":   "university_degree",
	"nonexistent":         "none",
}

// loadUCI parses the UCI file (semicolon-separated, quoted, with header)
// into examples, in file (time) order.
func loadUCI(r io.Reader) ([]Example, error) {
	cr := csv.NewReader(r)
	cr.Comma = ';'
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	col := make(map[string]int, len(header))
	for i, h := range header {
		col[h] = i
	}
	for _, h := range []string{"age", "job", "marital", "education", "default", "housing", "loan", "contact",
		"month", "day_of_week", "duration", "campaign", "pdays", "previous", "poutcome",
		"emp.var.rate", "cons.price.idx", "cons.conf.idx", "euribor3m", "nr.employed", "y"} {
		if _, ok := col[h]; !ok {
			return nil, fmt.Errorf("missing column %q", h)
		}
	}
	var out []Example
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var perr error
		str := func(name string) *string {
			v := rec[col[name]]
			if m, ok := uciSpelling[v]; ok {
				v = m
			}
			return &v
		}
		i32 := func(name string) *int32 {
			v, err := strconv.ParseInt(rec[col[name]], 10, 32)
			if err != nil && perr == nil {
				perr = fmt.Errorf("line %d: %s: %w", line, name, err)
			}
			x := int32(v)
			return &x
		}
		f64 := func(name string) *float64 {
			v, err := strconv.ParseFloat(rec[col[name]], 64)
			if err != nil && perr == nil {
				perr = fmt.Errorf("line %d: %s: %w", line, name, err)
			}
			return &v
		}
		f := Features{
			Age:                 i32("age"),
			Job:                 str("job"),
			Marital:             str("marital"),
			Education:           str("education"),
			CreditDefault:       str("default"),
			HousingLoan:         str("housing"),
			PersonalLoan:        str("loan"),
			ContactChannel:      str("contact"),
			LastContactMonth:    str("month"),
			LastContactWeekday:  str("day_of_week"),
			LastCallDurationSec: i32("duration"),
			CampaignContacts:    i32("campaign"),
			PreviousContacts:    i32("previous"),
			PreviousOutcome:     str("poutcome"),
			EmpVarRate:          f64("emp.var.rate"),
			ConsPriceIdx:        f64("cons.price.idx"),
			ConsConfIdx:         f64("cons.conf.idx"),
			Euribor3m:           f64("euribor3m"),
			NrEmployed:          f64("nr.employed"),
		}
		if pd := i32("pdays"); *pd != 999 {
			f.DaysSincePreviousContact = pd
		}
		if perr != nil {
			return nil, perr
		}
		y := strings.TrimSpace(rec[col["y"]])
		if y != "yes" && y != "no" {
			return nil, fmt.Errorf("line %d: y = %q", line, y)
		}
		out = append(out, Example{Features: f, Converted: y == "yes"})
	}
}
