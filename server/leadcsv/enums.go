package leadcsv

import (
	"strings"

	"github.com/jmksales/jmk/server/leadrules"
	"github.com/jmksales/jmk/server/scoring"
)

// enum is one of the API's enumerations (openapi.yaml) with the spellings the import
// accepts for it.
type enum struct {
	values []string          // API values, in the spec's order, for messages
	lookup map[string]string // lower-case spelling -> API value; "" = missing
	want   string            // "one of a, b, c", precomputed for messages
}

// newEnum builds an enum from its API values and extra (from, to) spelling
// pairs. When the enumeration has no "unknown" level, "unknown" is read as a
// missing value: that is what UCI means by it, and the database could not
// hold it.
func newEnum(values []string, aliases ...string) *enum {
	e := closedEnum(values, aliases...)
	if _, ok := e.lookup["unknown"]; !ok {
		e.lookup["unknown"] = ""
	}
	return e
}

// closedEnum is newEnum without "unknown" as a missing value, for the
// columns that are no scoring input (a lead's status, y): there, unknown is
// no answer the file can give, and taking it for an empty cell would keep
// or close a lead the file never spoke of.
func closedEnum(values []string, aliases ...string) *enum {
	e := &enum{values: values, lookup: make(map[string]string, len(values)+len(aliases)/2+1)}
	for _, v := range values {
		e.lookup[v] = v
	}
	for i := 0; i+1 < len(aliases); i += 2 {
		e.lookup[aliases[i]] = aliases[i+1]
	}
	e.want = "one of " + strings.Join(values, ", ")
	return e
}

// parse maps a non-empty cell to its API value; "" with ok means missing.
func (e *enum) parse(s string) (v string, ok bool) {
	// Fast path: the UCI file and our exports are already lower-case and
	// trimmed, and a map lookup with a string key does not allocate.
	if v, ok = e.lookup[s]; ok {
		return v, true
	}
	v, ok = e.lookup[strings.ToLower(strings.TrimSpace(s))]
	return v, ok
}

// The API values come from scoring and leadrules, whose lists the spec's
// enumerations are tested against; only the UCI spellings, and follow_up as
// people write it, are added here.
var (
	jobEnum = newEnum(scoring.Jobs,
		"admin.", "admin", "blue-collar", "blue_collar", "self-employed", "self_employed")
	maritalEnum   = newEnum(scoring.MaritalStatuses)
	educationEnum = newEnum(scoring.EducationLevels,
		"basic.4y", "basic_4y", "basic.6y", "basic_6y", "basic.9y", "basic_9y",
		"high.school", "high_school", "professional.course", "professional_course",
		"university.degree", "university_degree")
	yesNoUnknownEnum    = newEnum(scoring.YesNoUnknown)
	contactEnum         = newEnum(scoring.ContactChannels)
	monthEnum           = newEnum(scoring.Months)
	weekdayEnum         = newEnum(scoring.Weekdays)
	previousOutcomeEnum = newEnum(scoring.PreviousOutcomes, "nonexistent", "none")
	statusEnum          = closedEnum(leadrules.Statuses, "follow-up", "follow_up", "follow up", "follow_up")
	outcomeEnum         = closedEnum([]string{"yes", "no"})
)
