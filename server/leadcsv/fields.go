package leadcsv

import (
	"math"
	"strings"
	"unicode"

	"github.com/jmksales/jmk/server/scoring"
)

// column identifies a lead field, whatever its spelling in the header.
// The order up to colCreatedAt is the export's column order.
type column uint8

const (
	colExternalID column = iota
	colName
	colPhone
	colEmail
	colStatus
	colNotes
	colAge
	colJob
	colMarital
	colEducation
	colCreditDefault
	colHousingLoan
	colPersonalLoan
	colContactChannel
	colLastContactMonth
	colLastContactWeekday
	colLastCallDurationSec
	colCampaignContacts
	colDaysSincePreviousContact
	colPreviousContacts
	colPreviousOutcome
	colEmpVarRate
	colConsPriceIdx
	colConsConfIdx
	colEuribor3m
	colNrEmployed
	// Read-only from here to colAssignedTo: exported, ignored on import.
	colProbability
	colCategory
	colAssignedToName
	colContactCount
	colLastContactedAt
	colCreatedAt
	colClosedAt
	colID         // the lead's id, which external_id holds only when the lead has none of its own
	colAssignedTo // the seller's id: names need not be unique
	colVersion    // the lead's version when exported, checked on import
	colY          // UCI's outcome; never exported (status carries it)
	numColumns

	numExportColumns = colY

	// colUnnamed is a column whose header cell is empty (a spreadsheet's
	// trailing separator): outside the table, its cells must be empty.
	colUnnamed column = 255
)

type kind uint8

const (
	kindText     kind = iota // free text with its own validator
	kindStatus               // the lead's workflow status
	kindOutcome              // UCI's y: yes/no
	kindEnum                 // a categorical scoring input
	kindInt                  // an integer scoring input
	kindFloat                // a float scoring input
	kindReadOnly             // what the server keeps: written by an export, ignored on import
	kindVersion              // the lead's version when exported: a re-import refuses the row if it changed since
)

// columnSpec says how one field is named, checked and stored.
type columnSpec struct {
	api  string // API and export name
	uci  string // name in the UCI file, "" if none
	kind kind

	enum     *enum   // kindEnum, kindStatus, kindOutcome
	min, max float64 // kindInt, kindFloat: inclusive bounds
	// never999: UCI's pdays uses 999 for "never contacted", which we store
	// as nil.
	never999 bool

	text    func(string) (string, string)     // kindText: clean value, or "" and a message
	textPtr func(*Row) **string               // kindText
	strPtr  func(*scoring.Features) **string  // kindEnum
	intPtr  func(*scoring.Features) **int32   // kindInt
	fltPtr  func(*scoring.Features) **float64 // kindFloat
}

// columns is the single table behind header matching, validation and export.
// The numeric bounds are the API's (openapi.yaml, LeadCreate) so that an
// imported lead is one the API would accept. They are wide around the UCI
// data (age 17..98, emp.var.rate -3.4..1.4, cons.price.idx 92..95,
// cons.conf.idx -51..-27, euribor3m 0.6..5.1, nr.employed 4964..5228), and a
// file in another unit or scale is refused rather than scored as nonsense.
var columns = [numColumns]columnSpec{
	colExternalID: {api: "external_id", kind: kindText, text: cleanExternalID,
		textPtr: func(r *Row) **string { return &r.ExternalID }},
	colName: {api: "name", kind: kindText, text: cleanName,
		textPtr: func(r *Row) **string { return &r.Name }},
	colPhone: {api: "phone", kind: kindText, text: cleanPhone,
		textPtr: func(r *Row) **string { return &r.Phone }},
	colEmail: {api: "email", kind: kindText, text: cleanEmail,
		textPtr: func(r *Row) **string { return &r.Email }},
	colStatus: {api: "status", kind: kindStatus, enum: statusEnum},
	colNotes: {api: "notes", kind: kindText, text: cleanNotes,
		textPtr: func(r *Row) **string { return &r.Notes }},

	colAge: {api: "age", uci: "age", kind: kindInt, min: 17, max: 120,
		intPtr: func(f *scoring.Features) **int32 { return &f.Age }},
	colJob: {api: "job", uci: "job", kind: kindEnum, enum: jobEnum,
		strPtr: func(f *scoring.Features) **string { return &f.Job }},
	colMarital: {api: "marital", uci: "marital", kind: kindEnum, enum: maritalEnum,
		strPtr: func(f *scoring.Features) **string { return &f.Marital }},
	colEducation: {api: "education", uci: "education", kind: kindEnum, enum: educationEnum,
		strPtr: func(f *scoring.Features) **string { return &f.Education }},
	colCreditDefault: {api: "credit_default", uci: "default", kind: kindEnum, enum: yesNoUnknownEnum,
		strPtr: func(f *scoring.Features) **string { return &f.CreditDefault }},
	colHousingLoan: {api: "housing_loan", uci: "housing", kind: kindEnum, enum: yesNoUnknownEnum,
		strPtr: func(f *scoring.Features) **string { return &f.HousingLoan }},
	colPersonalLoan: {api: "personal_loan", uci: "loan", kind: kindEnum, enum: yesNoUnknownEnum,
		strPtr: func(f *scoring.Features) **string { return &f.PersonalLoan }},
	colContactChannel: {api: "contact_channel", uci: "contact", kind: kindEnum, enum: contactEnum,
		strPtr: func(f *scoring.Features) **string { return &f.ContactChannel }},
	colLastContactMonth: {api: "last_contact_month", uci: "month", kind: kindEnum, enum: monthEnum,
		strPtr: func(f *scoring.Features) **string { return &f.LastContactMonth }},
	colLastContactWeekday: {api: "last_contact_weekday", uci: "day_of_week", kind: kindEnum, enum: weekdayEnum,
		strPtr: func(f *scoring.Features) **string { return &f.LastContactWeekday }},
	colLastCallDurationSec: {api: "last_call_duration_sec", uci: "duration", kind: kindInt, min: 0, max: 86400,
		intPtr: func(f *scoring.Features) **int32 { return &f.LastCallDurationSec }},
	colCampaignContacts: {api: "campaign_contacts", uci: "campaign", kind: kindInt, min: 0, max: 1000,
		intPtr: func(f *scoring.Features) **int32 { return &f.CampaignContacts }},
	colDaysSincePreviousContact: {api: "days_since_previous_contact", uci: "pdays", kind: kindInt, min: 0, max: 999, never999: true,
		intPtr: func(f *scoring.Features) **int32 { return &f.DaysSincePreviousContact }},
	colPreviousContacts: {api: "previous_contacts", uci: "previous", kind: kindInt, min: 0, max: 1000,
		intPtr: func(f *scoring.Features) **int32 { return &f.PreviousContacts }},
	colPreviousOutcome: {api: "previous_outcome", uci: "poutcome", kind: kindEnum, enum: previousOutcomeEnum,
		strPtr: func(f *scoring.Features) **string { return &f.PreviousOutcome }},
	colEmpVarRate: {api: "emp_var_rate", uci: "emp.var.rate", kind: kindFloat, min: -10, max: 10,
		fltPtr: func(f *scoring.Features) **float64 { return &f.EmpVarRate }},
	colConsPriceIdx: {api: "cons_price_idx", uci: "cons.price.idx", kind: kindFloat, min: 50, max: 200,
		fltPtr: func(f *scoring.Features) **float64 { return &f.ConsPriceIdx }},
	colConsConfIdx: {api: "cons_conf_idx", uci: "cons.conf.idx", kind: kindFloat, min: -100, max: 100,
		fltPtr: func(f *scoring.Features) **float64 { return &f.ConsConfIdx }},
	colEuribor3m: {api: "euribor_3m", uci: "euribor3m", kind: kindFloat, min: -5, max: 25,
		fltPtr: func(f *scoring.Features) **float64 { return &f.Euribor3m }},
	colNrEmployed: {api: "nr_employed", uci: "nr.employed", kind: kindFloat, min: 0, max: 100000,
		fltPtr: func(f *scoring.Features) **float64 { return &f.NrEmployed }},

	// The server keeps these; an export writes them for whoever reads it,
	// and its re-import ignores them.
	colProbability:     {api: "probability", kind: kindReadOnly},
	colCategory:        {api: "category", kind: kindReadOnly},
	colAssignedToName:  {api: "assigned_to_name", kind: kindReadOnly},
	colContactCount:    {api: "contact_count", kind: kindReadOnly},
	colLastContactedAt: {api: "last_contacted_at", kind: kindReadOnly},
	colCreatedAt:       {api: "created_at", kind: kindReadOnly},
	colClosedAt:        {api: "closed_at", kind: kindReadOnly},
	colID:              {api: "id", kind: kindReadOnly},
	colAssignedTo:      {api: "assigned_to", kind: kindReadOnly},
	// An export's version: the import refuses a row whose lead has changed
	// since, as a PATCH with a stale If-Match gets 412.
	colVersion: {api: "version", kind: kindVersion, min: 1, max: math.MaxInt32},

	colY: {api: "y", uci: "y", kind: kindOutcome, enum: outcomeEnum},
}

// headerNames maps every accepted spelling, lower-cased, to its column.
var headerNames = func() map[string]column {
	m := make(map[string]column, 2*numColumns)
	for c := range numColumns {
		m[columns[c].api] = c
		if columns[c].uci != "" {
			m[columns[c].uci] = c
		}
	}
	m["e_mail"] = colEmail // "E-Mail", as spreadsheets often head it
	return m
}()

// isScoringInput reports whether c is one of the model's inputs.
func (c column) isScoringInput() bool { return c >= colAge && c <= colNrEmployed }

const numScoringInputs = int(colNrEmployed - colAge + 1)

// normaliseHeaderName folds a header cell to the form headerNames uses: a
// spreadsheet may add spaces, capitals or a byte order mark.
func normaliseHeaderName(s string) string {
	s = strings.TrimPrefix(s, "\uFEFF")
	// "External ID" and "external-id" are external_id: no known name has
	// a space or a hyphen.
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return unicode.IsSpace(r) || r == '-' }), "_")
}
