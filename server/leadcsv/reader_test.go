package leadcsv_test

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jmksales/jmk/server/leadcsv"
	"github.com/jmksales/jmk/server/scoring"
)

// uciSampleRows are the rows of testdata/uci_sample.csv as the API sees them.
var uciSampleRows = []leadcsv.Row{
	{Line: 2, Outcome: ptr(false), Features: scoring.Features{
		Age: ptr[int32](56), Job: ptr("housemaid"), Marital: ptr("married"), Education: ptr("basic_4y"),
		CreditDefault: ptr("no"), HousingLoan: ptr("no"), PersonalLoan: ptr("no"),
		ContactChannel: ptr("telephone"), LastContactMonth: ptr("may"), LastContactWeekday: ptr("mon"),
		LastCallDurationSec: ptr[int32](261), CampaignContacts: ptr[int32](1),
		PreviousContacts: ptr[int32](0), PreviousOutcome: ptr("none"),
		EmpVarRate: ptr(1.1), ConsPriceIdx: ptr(93.994), ConsConfIdx: ptr(-36.4), Euribor3m: ptr(4.857), NrEmployed: ptr(5191.0),
	}},
	{Line: 3, Outcome: ptr(false), Features: scoring.Features{
		Age: ptr[int32](41), Job: ptr("blue_collar"), Marital: ptr("married"), Education: ptr("unknown"),
		CreditDefault: ptr("unknown"), HousingLoan: ptr("no"), PersonalLoan: ptr("no"),
		ContactChannel: ptr("telephone"), LastContactMonth: ptr("may"), LastContactWeekday: ptr("mon"),
		LastCallDurationSec: ptr[int32](217), CampaignContacts: ptr[int32](1),
		PreviousContacts: ptr[int32](0), PreviousOutcome: ptr("none"),
		EmpVarRate: ptr(1.1), ConsPriceIdx: ptr(93.994), ConsConfIdx: ptr(-36.4), Euribor3m: ptr(4.857), NrEmployed: ptr(5191.0),
	}},
	{Line: 4, Outcome: ptr(false), Features: scoring.Features{
		Age: ptr[int32](29), Job: ptr("self_employed"), Marital: ptr("married"), Education: ptr("university_degree"),
		CreditDefault: ptr("no"), HousingLoan: ptr("yes"), PersonalLoan: ptr("no"),
		ContactChannel: ptr("telephone"), LastContactMonth: ptr("nov"), LastContactWeekday: ptr("thu"),
		LastCallDurationSec: ptr[int32](86), CampaignContacts: ptr[int32](1),
		PreviousContacts: ptr[int32](1), PreviousOutcome: ptr("failure"),
		EmpVarRate: ptr(-0.1), ConsPriceIdx: ptr(93.2), ConsConfIdx: ptr(-42.0), Euribor3m: ptr(4.245), NrEmployed: ptr(5195.8),
	}},
	{Line: 5, Outcome: ptr(true), Features: scoring.Features{
		Age: ptr[int32](43), Job: ptr("admin"), Marital: ptr("single"), Education: ptr("university_degree"),
		CreditDefault: ptr("no"), HousingLoan: ptr("yes"), PersonalLoan: ptr("no"),
		ContactChannel: ptr("cellular"), LastContactMonth: ptr("apr"), LastContactWeekday: ptr("mon"),
		LastCallDurationSec: ptr[int32](670), CampaignContacts: ptr[int32](4), DaysSincePreviousContact: ptr[int32](11),
		PreviousContacts: ptr[int32](1), PreviousOutcome: ptr("success"),
		EmpVarRate: ptr(-1.8), ConsPriceIdx: ptr(93.075), ConsConfIdx: ptr(-47.1), Euribor3m: ptr(1.405), NrEmployed: ptr(5099.1),
	}},
	{Line: 6, Outcome: ptr(false), Features: scoring.Features{
		Age: ptr[int32](48), Job: ptr("admin"), Marital: ptr("married"), Education: ptr("university_degree"),
		CreditDefault: ptr("no"), HousingLoan: ptr("yes"), PersonalLoan: ptr("no"),
		ContactChannel: ptr("cellular"), LastContactMonth: ptr("dec"), LastContactWeekday: ptr("mon"),
		LastCallDurationSec: ptr[int32](347), CampaignContacts: ptr[int32](4), DaysSincePreviousContact: ptr[int32](6),
		PreviousContacts: ptr[int32](2), PreviousOutcome: ptr("success"),
		EmpVarRate: ptr(-3.0), ConsPriceIdx: ptr(92.713), ConsConfIdx: ptr(-33.0), Euribor3m: ptr(0.717), NrEmployed: ptr(5023.5),
	}},
}

func uciSample(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/uci_sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The same five rows must read identically however the file is spelled.
func TestReaderFormats(t *testing.T) {
	t.Parallel()

	sample := uciSample(t)
	unquoted := strings.ReplaceAll(sample, `"`, "")
	comma := strings.ReplaceAll(unquoted, ";", ",")
	apiHeader := "age,job,marital,education,credit_default,housing_loan,personal_loan,contact_channel," +
		"last_contact_month,last_contact_weekday,last_call_duration_sec,campaign_contacts," +
		"days_since_previous_contact,previous_contacts,previous_outcome,emp_var_rate,cons_price_idx," +
		"cons_conf_idx,euribor_3m,nr_employed,y"
	_, commaBody, _ := strings.Cut(comma, "\n")
	header, body, _ := strings.Cut(sample, "\n")
	shouting := " " + strings.ReplaceAll(strings.ToUpper(strings.ReplaceAll(header, `"`, "")), ";", " ; ") + " \n" + body

	tests := []struct {
		name, in string
		shift    int // lines before the header
	}{
		{"UCIAsPublished", sample, 0},
		{"SemicolonUnquoted", unquoted, 0},
		{"CommaUnquoted", comma, 0},
		{"CommaQuoted", strings.ReplaceAll(sample, ";", ","), 0},
		{"CRLF", strings.ReplaceAll(comma, "\n", "\r\n"), 0},
		{"BOM", "\uFEFF" + sample, 0},
		{"BOMUnquoted", "\uFEFF" + comma, 0},
		{"APIHeader", apiHeader + "\n" + commaBody, 0},
		{"HeaderCaseAndSpaces", shouting, 0},
		{"NoFinalNewline", strings.TrimSuffix(sample, "\n"), 0},
		{"BlankLinesFirst", "\r\n\n" + sample, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, rejs, err := readString(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			equalRejections(t, rejs, nil)
			want := append([]leadcsv.Row(nil), uciSampleRows...)
			for i := range want {
				want[i].Line += tt.shift
			}
			equalRows(t, rows, want)
		})
	}
}

func TestReaderDelimiterAndColumns(t *testing.T) {
	t.Parallel()

	r, err := leadcsv.NewReader(strings.NewReader(uciSample(t)), leadcsv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Comma() != ';' {
		t.Errorf("Comma = %q, want ';'", r.Comma())
	}
	cols := r.Columns()
	if len(cols) != 21 || cols[4] != "credit_default" || cols[15] != "emp_var_rate" || cols[20] != "y" {
		t.Errorf("Columns = %v", cols)
	}
}

// An import keeps a staged score only when the file holds every input.
func TestReaderScoringInputs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		header   string
		any, all bool
	}{
		{strings.Join(leadcsv.ScoringInputNames(), ","), true, true},
		{"name,age,job", true, false},
		{"name,phone", false, false},
	} {
		r, err := leadcsv.NewReader(strings.NewReader(tc.header+"\n"), leadcsv.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if a, all := r.ScoringInputs(); a != tc.any || all != tc.all {
			t.Errorf("%s: ScoringInputs = %v, %v, want %v, %v", tc.header, a, all, tc.any, tc.all)
		}
	}
	if n := len(leadcsv.ScoringInputNames()); n != 20 {
		t.Errorf("%d scoring inputs, want 20", n)
	}
}

// The score an export writes is the server's to compute: a re-import
// reads past it, whatever it holds.
func TestReaderIgnoresScore(t *testing.T) {
	t.Parallel()

	rows, rejs, err := readAll(t, strings.NewReader("name,probability,category,age\nAna,0.93,hot,40\nRui,not a number,lukewarm,\n"), leadcsv.Options{})
	if err != nil || len(rejs) != 0 || len(rows) != 2 {
		t.Fatalf("rows %+v, rejections %+v, err %v", rows, rejs, err)
	}
	if *rows[0].Name != "Ana" || *rows[0].Features.Age != 40 || *rows[1].Name != "Rui" || rows[1].Features.Age != nil {
		t.Errorf("rows %+v", rows)
	}
}

func TestReaderValues(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name, in string
		want     []leadcsv.Row
	}{
		{"OnlyName", "name\nAna\n", []leadcsv.Row{{Line: 2, Name: ptr("Ana")}}},
		{"EmptyCellsAreNil", "name,age,job,emp_var_rate,y,status\nAna,,,,,\n", []leadcsv.Row{{Line: 2, Name: ptr("Ana")}}},
		{"BlankCellsAreNil", "name,age,job,notes,phone,email,external_id\nAna, ,  , , \t ,  , \n", []leadcsv.Row{{Line: 2, Name: ptr("Ana")}}},
		{"ValuesTrimmedAndFolded", "job;education;default;y\n Blue-Collar ;HIGH.SCHOOL; Yes ;YES\n",
			[]leadcsv.Row{{Line: 2, Outcome: ptr(true), Features: scoring.Features{
				Job: ptr("blue_collar"), Education: ptr("high_school"), CreditDefault: ptr("yes")}}}},
		{"APISpellings", "job,education,previous_outcome\nself_employed,professional_course,none\n",
			[]leadcsv.Row{{Line: 2, Features: scoring.Features{
				Job: ptr("self_employed"), Education: ptr("professional_course"), PreviousOutcome: ptr("none")}}}},
		{"UnknownKeptWhereItIsALevel", "job,marital,education,housing\nunknown,unknown,unknown,unknown\n",
			[]leadcsv.Row{{Line: 2, Features: scoring.Features{
				Job: ptr("unknown"), Marital: ptr("unknown"), Education: ptr("unknown"), HousingLoan: ptr("unknown")}}}},
		{"UnknownIsMissingElsewhere", "contact,month,day_of_week,poutcome\nunknown,unknown,UNKNOWN,unknown\n",
			[]leadcsv.Row{{Line: 2}}},
		// Days come with an outcome (leadrules.PreviousCampaignProblems).
		{"Pdays999IsNeverContacted", "poutcome,pdays\nnonexistent,999\nfailure,0\nsuccess,998\n\n",
			[]leadcsv.Row{{Line: 2, Features: scoring.Features{PreviousOutcome: ptr("none")}},
				{Line: 3, Features: scoring.Features{PreviousOutcome: ptr("failure"), DaysSincePreviousContact: ptr[int32](0)}},
				{Line: 4, Features: scoring.Features{PreviousOutcome: ptr("success"), DaysSincePreviousContact: ptr[int32](998)}}}},
		{"Bounds", "age,duration,campaign,previous\n17,0,0,0\n120,86400,1000,1000\n",
			[]leadcsv.Row{
				{Line: 2, Features: scoring.Features{Age: ptr[int32](17), LastCallDurationSec: ptr[int32](0),
					CampaignContacts: ptr[int32](0), PreviousContacts: ptr[int32](0)}},
				{Line: 3, Features: scoring.Features{Age: ptr[int32](120), LastCallDurationSec: ptr[int32](86400),
					CampaignContacts: ptr[int32](1000), PreviousContacts: ptr[int32](1000)}}}},
		{"Text", "external_id,name,phone,email,notes\n" +
			"crm-7, Ana Sá ,+351 (21) 000-0000,ana@example.pt,\"two\nlines, \"\"quoted\"\"\"\n",
			[]leadcsv.Row{{Line: 2, ExternalID: ptr("crm-7"), Name: ptr("Ana Sá"), Phone: ptr("+351 (21) 000-0000"),
				Email: ptr("ana@example.pt"), Notes: ptr("two\nlines, \"quoted\"")}}},
		{"StatusAndOutcomeAgree", "name,status,y\nA,success,yes\nB,failed,no\nC,new,\n",
			[]leadcsv.Row{
				{Line: 2, Name: ptr("A"), Status: ptr("success"), Outcome: ptr(true)},
				{Line: 3, Name: ptr("B"), Status: ptr("failed"), Outcome: ptr(false)},
				{Line: 4, Name: ptr("C"), Status: ptr("new")}}},
		{"StatusValues", "name,status\nA,New\nB,contacted\nC,FOLLOW_UP\nD,Follow-up\nE, Follow Up \n",
			[]leadcsv.Row{
				{Line: 2, Name: ptr("A"), Status: ptr("new")},
				{Line: 3, Name: ptr("B"), Status: ptr("contacted")},
				{Line: 4, Name: ptr("C"), Status: ptr("follow_up")},
				{Line: 5, Name: ptr("D"), Status: ptr("follow_up")},
				{Line: 6, Name: ptr("E"), Status: ptr("follow_up")}}},
		// Physical line numbers: a quoted line break and blank lines count.
		{"LineNumbers", "name,notes\nA,\"1\n2\n3\"\n\nB,x\n",
			[]leadcsv.Row{{Line: 2, Name: ptr("A"), Notes: ptr("1\n2\n3")}, {Line: 6, Name: ptr("B"), Notes: ptr("x")}}},
		{"HeaderOnly", "age;job\n", nil},
		// Spreadsheet leftovers: a trailing separator (an unnamed column),
		// rows of empty cells, a header written as people write it.
		{"SpreadsheetLeftovers", "External ID,Name\u00a0,,E-Mail,\u00a0\nx-1,Ana,,ana@example.com,\n,,,,\n ,,, ,\t\nx-2,Rui,,,\n",
			[]leadcsv.Row{{Line: 2, ExternalID: ptr("x-1"), Name: ptr("Ana"), Email: ptr("ana@example.com")},
				{Line: 5, ExternalID: ptr("x-2"), Name: ptr("Rui")}}},
		// A European spreadsheet's ';' file writes decimals with a comma,
		// which cannot be its delimiter; pandas writes a whole-number column
		// with empty cells as 52.0.
		{"DecimalComma", "age;campaign;euribor3m;emp.var.rate;cons.price.idx\n41,0;6;4,857;-1,8;93\n",
			[]leadcsv.Row{{Line: 2, Features: scoring.Features{Age: ptr[int32](41), CampaignContacts: ptr[int32](6),
				Euribor3m: ptr(4.857), EmpVarRate: ptr(-1.8), ConsPriceIdx: ptr(93.0)}}}},
		{"WholeNumbersWithAFraction", "age,campaign,euribor3m\n52.0,3.00,1e1\n",
			[]leadcsv.Row{{Line: 2, Features: scoring.Features{Age: ptr[int32](52), CampaignContacts: ptr[int32](3), Euribor3m: ptr(10.0)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, rejs, err := readString(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			equalRejections(t, rejs, nil)
			equalRows(t, rows, tt.want)
		})
	}
}

func TestReaderRejections(t *testing.T) {
	t.Parallel()

	huge := strings.Repeat("x", leadcsv.MaxFieldBytes+1)
	tests := []struct {
		name, in string
		want     []leadcsv.Rejection
		good     int // valid rows expected besides the rejected ones
	}{
		{"WrongFieldCount", "name,age\nA,30\nB\nC,30,extra\nD,31\n",
			[]leadcsv.Rejection{{Line: 3, Message: "expected 2 values"}, {Line: 4, Message: "found 3"}}, 2},
		// A one-column list from a spreadsheet whose own delimiter is ';'.
		{"UnquotedComma", "\ufeffName\r\nSilva, Ana\r\nRui Sá\r\n",
			[]leadcsv.Rejection{{Line: 2, Message: `found 2; a value holding a ',' must be in double quotes`}}, 1},
		{"BadEnum", "name;job;month\nA;pilot;may\n",
			[]leadcsv.Rejection{{Line: 2, Field: "job", Message: `"pilot" is not one of admin, blue_collar`}}, 0},
		// Unknown is a missing scoring input, not an answer to y or a
		// status: it neither closes a lead nor leaves it as it was.
		{"UnknownOutcomeOrStatus", "name,y\nA,unknown\nB,Unknown\n",
			[]leadcsv.Rejection{{Line: 2, Field: "y", Message: `"unknown" is not one of yes, no`},
				{Line: 3, Field: "y", Message: `"Unknown" is not one of yes, no`}}, 0},
		{"UnknownStatus", "name,status\nA,unknown\n",
			[]leadcsv.Rejection{{Line: 2, Field: "status", Message: `"unknown" is not one of new, contacted`}}, 0},
		{"ContactHasNoUnknownButNoOther", "contact\nfax\n",
			[]leadcsv.Rejection{{Line: 2, Field: "contact_channel", Message: "one of cellular, telephone"}}, 0},
		{"BadNumbers", "age,campaign,pdays,emp.var.rate,euribor3m,cons.price.idx\n12.5,-1,1000,abc,1e999,\"93,2\"\n",
			[]leadcsv.Rejection{
				{Line: 2, Field: "age", Message: `"12.5" is not a whole number`},
				{Line: 2, Field: "campaign_contacts", Message: "not between 0 and 1000"},
				{Line: 2, Field: "days_since_previous_contact", Message: "not between 0 and 999"},
				{Line: 2, Field: "emp_var_rate", Message: `"abc" is not a number`},
				{Line: 2, Field: "euribor_3m", Message: "not a finite number"},
				{Line: 2, Field: "cons_price_idx", Message: "decimals with a point"},
			}, 0},
		// Beside decimal commas, a point groups thousands; a row with
		// points alone (the UCI file's) is read as written.
		{"ThousandsPoint", "name;nr.employed;euribor3m;cons.price.idx\nA;5.191;4,857;93,994\nB;5191;4.857;93.994\n",
			[]leadcsv.Rejection{{Line: 2, Field: "nr_employed",
				Message: `"5.191" has a point where this row's other numbers have a decimal comma; if it groups thousands, write it without (5191 for 5.191)`}}, 1},
		{"OutOfRange", "age,duration,nr.employed,cons.conf.idx,emp.var.rate,cons.price.idx,euribor3m\n" +
			"16,86401,5191000,NaN,-10.5,0.94,25.01\n",
			[]leadcsv.Rejection{
				{Line: 2, Field: "age", Message: `"16" is not between 17 and 120`},
				{Line: 2, Field: "last_call_duration_sec", Message: "between 0 and 86400"},
				{Line: 2, Field: "nr_employed", Message: "between 0 and 100000"},
				{Line: 2, Field: "cons_conf_idx", Message: `"NaN" is not a number`},
				{Line: 2, Field: "emp_var_rate", Message: "between -10 and 10"},
				{Line: 2, Field: "cons_price_idx", Message: "between 50 and 200"},
				{Line: 2, Field: "euribor_3m", Message: "between -5 and 25"},
			}, 0},
		// Go's own number syntax is no spreadsheet's.
		{"GoNumberSyntax", "euribor3m,nr.employed,cons.price.idx,emp.var.rate,age\n0x1p3,1_000,Inf,1.2.3,42.5\n",
			[]leadcsv.Rejection{
				{Line: 2, Field: "euribor_3m", Message: `"0x1p3" is not a number`},
				{Line: 2, Field: "nr_employed", Message: `"1_000" is not a number`},
				{Line: 2, Field: "cons_price_idx", Message: `"Inf" is not a number`},
				{Line: 2, Field: "emp_var_rate", Message: `"1.2.3" is not a number`},
				{Line: 2, Field: "age", Message: `"42.5" is not a whole number`},
			}, 0},
		// A thousand, in much of Europe: not one.
		{"ThousandsGroup", "age;duration\n41;1.000\n",
			[]leadcsv.Rejection{{Line: 2, Field: "last_call_duration_sec", Message: `"1.000" is not a whole number`}}, 0},
		// A comma is a decimal separator in a ';' file only.
		{"DecimalCommaInACommaFile", "name,euribor3m\nA,\"4,857\"\n",
			[]leadcsv.Rejection{{Line: 2, Field: "euribor_3m", Message: "decimals with a point"}}, 0},
		{"ShortOfTrailingUnnamedOnly", "name,age,,\nAna,40\nRui,41,\nEva\n",
			[]leadcsv.Rejection{{Line: 4, Message: "expected 4 values"}}, 2},
		{"ValueInAnUnnamedColumn", "name,,age\nAna,oops,40\nRui,,41\n",
			[]leadcsv.Rejection{{Line: 2, Message: "a value in column 2, which has no name in the header"}}, 1},
		{"BadVersions", "external_id,name,version\nx,A,0\ny,B,2.0\nz,C,99999999999\nw,D, 7 \nv,E,\n",
			[]leadcsv.Rejection{
				{Line: 2, Field: "version", Message: `"0" is not a lead's version`},
				{Line: 3, Field: "version", Message: `"2.0" is not a lead's version`},
				{Line: 4, Field: "version", Message: `"99999999999" is not a lead's version`},
			}, 2},
		{"IntOverflow", "age\n99999999999999999999\n",
			[]leadcsv.Rejection{{Line: 2, Field: "age", Message: "not between 17 and 120"}}, 0},
		{"BadY", "name,y\nA,maybe\n", []leadcsv.Rejection{{Line: 2, Field: "y", Message: "one of yes, no"}}, 0},
		{"BadStatus", "name,status\nA,won\n",
			[]leadcsv.Rejection{{Line: 2, Field: "status", Message: "one of new, contacted, follow_up, success, failed"}}, 0},
		{"StatusContradictsY", "name,status,y\nA,success,no\nB,new,yes\n",
			[]leadcsv.Rejection{{Line: 2, Field: "status", Message: "contradicts y = no"},
				{Line: 3, Field: "status", Message: "contradicts y = yes"}}, 0},
		// A new lead's previous-campaign inputs are checked here; a row with
		// an external_id may complete a stored lead's, and the store checks it.
		{"PreviousCampaignOfNewLeads", "name,external_id,poutcome,previous,pdays\nA,,nonexistent,0,3\n" +
			"B,b-1,nonexistent,0,3\nC,,failure,2,999\n",
			[]leadcsv.Rejection{
				{Line: 2, Field: "days_since_previous_contact", Message: "needs previous_outcome failure or success"},
				{Line: 2, Field: "previous_outcome", Message: "is none, which contradicts days_since_previous_contact 3"},
				{Line: 2, Field: "previous_contacts", Message: "is 0, which contradicts days_since_previous_contact 3"},
			}, 2},
		{"HugeField", "name,email\nA," + huge + "\nB,\n",
			[]leadcsv.Rejection{{Line: 2, Field: "email", Message: "longer than 10000 bytes"}}, 1},
		// Notes are measured in characters, as the API does; bytes only
		// bound them at 4 per character.
		{"LongNotes", "name,notes\nA," + strings.Repeat("é", 10000) + "\nB," + strings.Repeat("é", 10001) +
			"\nC," + strings.Repeat("x", 40001) + "\n",
			[]leadcsv.Rejection{{Line: 3, Field: "notes", Message: "longer than 10000 characters"},
				{Line: 4, Field: "notes", Message: "longer than 40000 bytes"}}, 1},
		{"ShortPhone", "name,phone\nA,12\nB,123\n",
			[]leadcsv.Rejection{{Line: 2, Field: "phone", Message: "shorter than 3"}}, 1},
		{"Text", "name,phone,email,external_id\n" +
			strings.Repeat("n", 201) + ",12ab,not-an-email," + strings.Repeat("e", 101) + "\n" +
			"Tab\there,phone,a..b@example.com,id\n",
			[]leadcsv.Rejection{
				{Line: 2, Field: "name", Message: "longer than 200 characters"},
				{Line: 2, Field: "phone", Message: "only digits"},
				{Line: 2, Field: "email", Message: `"not-an-email" is not an e-mail address such as name@example.com`},
				{Line: 2, Field: "external_id", Message: "longer than 100 characters"},
				{Line: 3, Field: "name", Message: "control character"},
				{Line: 3, Field: "phone", Message: "only digits"},
				{Line: 3, Field: "email", Message: `"a..b@example.com" is not an e-mail address such as name@example.com`},
			}, 0},
		// An id pasted with an invisible character would look like one it
		// does not match.
		{"InvisibleExternalID", "name,external_id\nA,crm\u200b-1\nB,\u202ecrm-2\nC,crm-3\n",
			[]leadcsv.Rejection{{Line: 2, Field: "external_id", Message: "invisible character"},
				{Line: 3, Field: "external_id", Message: "invisible character"}}, 1},
		// E-mails by the API's rule, both ways: what one path stores the
		// other takes back.
		{"EmailAsTheAPI", "name,email\nA,a@localhost\nB,.a@example.com\nC,a.@example.com\nD,Ana <a@example.com>\nE,x@example.pt\n",
			[]leadcsv.Rejection{{Line: 3, Field: "email", Message: `".a@example.com" is not an e-mail address`},
				{Line: 4, Field: "email", Message: `"a.@example.com" is not an e-mail address`},
				{Line: 5, Field: "email", Message: `"Ana <a@example.com>" is not an e-mail address`}}, 2},
		// A name must hold a letter or digit, as through the API.
		{"NameWithoutLetters", "name,age\n\u200b,30\n\"—\",30\nAna 2,30\n",
			[]leadcsv.Rejection{{Line: 2, Field: "name", Message: "no letter or digit"},
				{Line: 3, Field: "name", Message: "no letter or digit"}}, 1},
		// Said without encoding/csv's words, with the fix.
		{"BareQuote", "name,age\nA \"B\",30\nC,30\n",
			[]leadcsv.Rejection{{Line: 2, Message: `a double quote inside a value that does not start with one: quote the whole value and double each quote inside it, such as "Ana ""Bia"" Silva"`}}, 1},
		{"BadQuote", "name,age\n\"A\"x,30\nC,30\n",
			[]leadcsv.Rejection{{Line: 2, Message: `text after the closing double quote of a quoted value: quote the whole value`}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rows, rejs, err := readString(t, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			equalRejections(t, rejs, tt.want)
			if len(rows) != tt.good {
				t.Errorf("got %d valid rows, want %d", len(rows), tt.good)
			}
		})
	}
}

// An empty cell after the last is a wrong count, not a value to quote.
func TestReaderTrailingDelimiter(t *testing.T) {
	t.Parallel()
	_, rejs, err := readString(t, "name,age\nAna,30,\n")
	if err != nil || len(rejs) != 1 || rejs[0].Message != "expected 2 values (one per header column), found 3" {
		t.Fatalf("%+v %v", rejs, err)
	}
}

func TestReaderHeaderErrors(t *testing.T) {
	t.Parallel()

	tests := []struct {
		name, in string
		column   string // HeaderError.Column
		message  string // contained in HeaderError.Message
	}{
		{"Empty", "", "", "empty"},
		{"OnlyBlankLines", "\n\r\n\n", "", "empty"},
		{"Unknown", "age;job;salary;y\n1;2;3;4\n", "salary", `unknown column "salary"`},
		{"SeveralUnknown", "name,foo,bar\n", "foo", `unknown columns "foo", "bar"`},
		{"CROnly", "name,age\rAna,40\r", "age\rAna", "not CR alone"},
		{"CROnlyOneColumn", "name\rAna\r", "name\rAna", "unknown column \"name\\rAna\"; lines must end in LF or CRLF"},
		{"ThousandsUnknown", "name" + strings.Repeat(",foo", 5000) + "\n", "foo", `"foo", "foo" and 4980 more; known columns`},
		{"OnlyUnnamedAndExternalID", "external_id,,\n", "", "no lead column"},
		{"TabSeparated", "name\tage\n", "name\tage", "separated by ';' or ','"},
		{"Duplicate", "name,age,Age\n", "Age", `"Age" repeats column "age"`},
		{"DuplicateAcrossSpellings", "default;credit_default\n", "credit_default", "both are credit_default"},
		{"NoLeadColumn", "email,phone\nx@y.z,1\n", "", "no lead column"},
		{"OnlyExternalID", "external_id\nx\n", "", "no lead column"},
		{"ExternalIDAndScore", "external_id,probability,category\nx,0.5,warm\n", "", "no lead column"},
		{"ExternalIDAndReadOnly", "external_id,assigned_to_name,created_at\nx,Ana,2026-12-01T00:00:00Z\n", "",
			"another column than version and those an export writes for reading only (probability, category, assigned_to_name, contact_count, last_contacted_at, created_at, closed_at, id, assigned_to)"},
		{"ExternalIDAndVersion", "external_id,version\nx,3\n", "", "another column than version"},
		// An export's id and assigned_to, in a file that is no export
		// (no version or assigned_to_name column): the file's own, which
		// would be dropped.
		{"ExportWithoutExternalID", "id,name,version\n0193a1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b,Ana,2\n", "external_id",
			"matched to their leads by its external_id column, which this file lacks"},
		{"ExportWithoutExternalIDOrVersion", "name,assigned_to_name\nAna,Rui\n", "external_id", "which this file lacks"},
		{"OwnID", "ID,Name\n7,Ana\n", "ID", `column "ID" is read only in an export (a file with its version or assigned_to_name column): a file's own lead ids go in external_id`},
		{"OwnAssignee", "Name,Assigned To\nAna,Rui\n", "Assigned To", "an import does not assign leads"},
		{"MalformedHeader", "\"name,age\n", "", "malformed header"},
		{"HeaderTooLong", strings.Repeat("a", 70000) + "\n", "", "longer than 65536 bytes; if the file's line breaks were lost on the way"},
		// A header alone with a typo, no line break after it, gets no hint.
		{"OneLineTypo", "nme,age", "nme", `unknown column "nme"; known columns`},
		// curl --data sends the file without its line breaks.
		{"LineBreaksLost", "external_id,name,agex-1,Ana Lopes,30x-2,Rui Sá,41", "agex-1",
			`unknown columns "agex-1", "Ana Lopes", "30x-2", "Rui Sá", "41"; the file has no line break: if the file's line breaks were lost on the way (curl --data drops them), send it with --data-binary; known columns`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := leadcsv.NewReader(strings.NewReader(tt.in), leadcsv.Options{})
			var he *leadcsv.HeaderError
			if !errors.As(err, &he) {
				t.Fatalf("err = %v, want a *HeaderError", err)
			}
			if he.Column != tt.column || !strings.Contains(he.Message, tt.message) {
				t.Errorf("HeaderError = {Column: %q, Message: %q}, want column %q, message containing %q",
					he.Column, he.Message, tt.column, tt.message)
			}
		})
	}
}

// A file that is not UTF-8 text is refused whole, as the file's fault
// on the line where it shows (the header's included), saying what it is
// where that can be told and to save it as CSV UTF-8.
func TestReaderNotUTF8(t *testing.T) {
	t.Parallel()
	const save = "save it as CSV UTF-8"
	good := strings.Repeat("A,30\n", 20000)
	for _, tt := range []struct {
		name, in string
		line     int
		detail   string // after "not a UTF-8 CSV file: "
	}{
		{"NULInHeader", "name,age\x00\n", 1, "a NUL byte, as in a binary file; " + save},
		{"NULOnLine2", "name,age\nA,3\x004\n", 2, "a NUL byte, as in a binary file; " + save},
		{"NULLater", "name,age\n" + good + "A,3\x004\n", 20002, "a NUL byte, as in a binary file; " + save},
		{"Gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff", 1, "gzip-compressed; send the CSV itself (jmk import reads a .csv.gz file as it is)"},
		{"UTF16LE", "\xff\xfen\x00a\x00m\x00e\x00\n\x00", 1, "UTF-16 text; " + save},
		{"UTF16BE", "\xfe\xff\x00n\x00a\x00m\x00e\x00\n", 1, "UTF-16 text; " + save},
		{"Workbook", "PK\x03\x04\x14\x00\x06\x00", 1, "a zip archive, such as an Excel workbook (.xlsx); " + save},
		{"Latin1Header", "nome,\xe2ge\n", 1, "text in another encoding, such as Windows-1252; " + save},
		{"Latin1HeaderAfterBlankLines", "\n\r\nnome,\xe2ge\n", 3, "text in another encoding, such as Windows-1252; " + save},
		{"Latin1Row", "name,age\nJos\xe9,30\n", 2, "text in another encoding, such as Windows-1252; " + save},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := readAll(t, strings.NewReader(tt.in), leadcsv.Options{})
			var fe *leadcsv.FileError
			if !errors.As(err, &fe) || !errors.Is(err, leadcsv.ErrBinary) {
				t.Fatalf("err = %v, want a *FileError wrapping ErrBinary", err)
			}
			if fe.Line != tt.line || fe.Detail != tt.detail {
				t.Errorf("line %d, detail %q; want line %d, %q", fe.Line, fe.Detail, tt.line, tt.detail)
			}
		})
	}
}

func TestReaderFatal(t *testing.T) {
	t.Parallel()

	bad := func(n int) string { return strings.Repeat("A,200\n", n) }
	good := func(n int) string { return strings.Repeat("A,30\n", n) }
	tests := []struct {
		name, in string
		opts     leadcsv.Options
		want     error
		line     int
	}{
		// In the header's read-ahead, but a data row's, and so reported
		// at its line rather than as the header's fault.
		{"NULOnLine2", "name,age\nA,3\x004\n", leadcsv.Options{}, leadcsv.ErrBinary, 2},
		{"NULAfterBlankLines", "\n\nname,age\nA,30\nB,3\x004\n", leadcsv.Options{}, leadcsv.ErrBinary, 5},
		// Beyond the header's read-ahead, so the row reader must catch it.
		{"NULLater", "name,age\n" + good(20000) + "A,3\x004\n" + good(5), leadcsv.Options{}, leadcsv.ErrBinary, 20002},
		{"RecordTooLarge", "name,notes\nA,\"" + strings.Repeat("x\n", leadcsv.MaxRecordBytes/2+1) + "\"\n",
			leadcsv.Options{}, leadcsv.ErrRecordTooLarge, 2},
		{"LineTooLarge", "name,notes\nA,x\nB," + strings.Repeat("x", leadcsv.MaxRecordBytes+1) + "\n",
			leadcsv.Options{}, leadcsv.ErrRecordTooLarge, 3},
		{"MaxRejectedRows", "name,age\n" + good(3) + bad(3) + good(3), leadcsv.Options{MaxRejectedRows: 2},
			leadcsv.ErrTooManyRejections, 7},
		{"DefaultMaxRejectedRows", "name,age\n" + good(10000) + bad(10001), leadcsv.Options{},
			leadcsv.ErrTooManyRejections, 20002},
		{"MostOfTheFirstThousand", "name,age\n" + good(499) + bad(501) + good(10), leadcsv.Options{},
			leadcsv.ErrTooManyRejections, 1002},
		// Another encoding is the whole file's problem, not its accented
		// rows': it is refused, not loaded without them.
		{"InvalidUTF8Row", "name,notes,age\nA,ok,30\nB,Jos\xe9,30\nC,ok,30\n", leadcsv.Options{}, leadcsv.ErrBinary, 3},
		{"InvalidUTF8Name", "name,notes,age\nA\xff,ok,30\n", leadcsv.Options{}, leadcsv.ErrBinary, 2},
		// A quote left open swallows the rows after it into one field.
		{"QuoteNeverClosed", "name,age\nA,30\n\"B,30\n" + good(50), leadcsv.Options{}, leadcsv.ErrRunawayQuote, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := readAll(t, strings.NewReader(tt.in), tt.opts)
			var fe *leadcsv.FileError
			if !errors.As(err, &fe) || !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want a *FileError wrapping %v", err, tt.want)
			}
			if fe.Line != tt.line {
				t.Errorf("FileError.Line = %d, want %d (%v)", fe.Line, tt.line, err)
			}
		})
	}

	// A file of no more than the first thousand rows is judged row by row.
	t.Run("MostOfAThousandRowFile", func(t *testing.T) {
		t.Parallel()
		rows, rejs, err := readAll(t, strings.NewReader("name,age\n"+good(499)+bad(501)), leadcsv.Options{})
		if err != nil || len(rows) != 499 || len(rejs) != 501 {
			t.Errorf("got %d rows, %d rejections, err %v; want 499, 501, nil", len(rows), len(rejs), err)
		}
	})
	t.Run("HalfOfTheFirstThousandIsFine", func(t *testing.T) {
		t.Parallel()
		rows, rejs, err := readAll(t, strings.NewReader("name,age\n"+good(500)+bad(500)+good(10)), leadcsv.Options{})
		if err != nil || len(rows) != 510 || len(rejs) != 500 {
			t.Errorf("got %d rows, %d rejections, err %v; want 510, 500, nil", len(rows), len(rejs), err)
		}
	})
	t.Run("NoLimit", func(t *testing.T) {
		t.Parallel()
		_, rejs, err := readAll(t, strings.NewReader("name,age\n"+good(1000)+bad(10010)), leadcsv.Options{MaxRejectedRows: -1})
		if err != nil || len(rejs) != 10010 {
			t.Errorf("got %d rejections, err %v; want 10010, nil", len(rejs), err)
		}
	})
	t.Run("Sticky", func(t *testing.T) {
		t.Parallel()
		r, err := leadcsv.NewReader(strings.NewReader("name,age\n"+good(30000)+"\x00"), leadcsv.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var first error
		for first == nil {
			_, _, first = r.Next()
		}
		if _, _, again := r.Next(); again != first {
			t.Errorf("after %v, Next returned %v", first, again)
		}
	})
}

// A failing reader's error reaches the caller unchanged, not as a FileError.
func TestReaderReadError(t *testing.T) {
	t.Parallel()

	boom := errors.New("connection reset")
	in := &failingReader{data: "name,age\n" + strings.Repeat("A,30\n", 20000), err: boom}
	_, _, err := readAll(t, in, leadcsv.Options{})
	var fe *leadcsv.FileError
	if !errors.Is(err, boom) || errors.As(err, &fe) {
		t.Errorf("err = %v, want the read error", err)
	}
}

type failingReader struct {
	data string
	err  error
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.data == "" {
		return 0, f.err
	}
	n := copy(p, f.data)
	f.data = f.data[n:]
	return n, nil
}
