package leadcsv_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmksales/jmk/server/leadcsv"
	"github.com/jmksales/jmk/server/scoring"
)

const exportHeader = "external_id,name,phone,email,status,notes,age,job,marital,education," +
	"credit_default,housing_loan,personal_loan,contact_channel,last_contact_month," +
	"last_contact_weekday,last_call_duration_sec,campaign_contacts,days_since_previous_contact," +
	"previous_contacts,previous_outcome,emp_var_rate,cons_price_idx,cons_conf_idx,euribor_3m,nr_employed," +
	"probability,category,assigned_to_name,contact_count,last_contacted_at,created_at,closed_at,id,assigned_to,version"

// Variables, not constants: Go folds constant 0.1 + 0.2 to exactly 0.3.
var tenth, fifth = 0.1, 0.2

func fullFeatures() scoring.Features {
	return scoring.Features{
		Age: ptr[int32](120), Job: ptr("blue_collar"), Marital: ptr("divorced"), Education: ptr("professional_course"),
		CreditDefault: ptr("unknown"), HousingLoan: ptr("yes"), PersonalLoan: ptr("no"),
		ContactChannel: ptr("cellular"), LastContactMonth: ptr("dec"), LastContactWeekday: ptr("sun"),
		LastCallDurationSec: ptr[int32](86400), CampaignContacts: ptr[int32](0), DaysSincePreviousContact: ptr[int32](0),
		PreviousContacts: ptr[int32](1000), PreviousOutcome: ptr("failure"),
		// Values whose shortest decimal form is long, or that 'f' formatting
		// would spell badly: the round trip must still be exact.
		EmpVarRate: ptr(tenth + fifth), ConsPriceIdx: ptr(93.99400000000001), ConsConfIdx: ptr(-1e-7),
		Euribor3m: ptr(math.Nextafter(4.857, 5)), NrEmployed: ptr(1e5),
	}
}

// exportCases are leads an export must carry unchanged through a re-import.
func exportCases() []leadcsv.ExportRow {
	return []leadcsv.ExportRow{
		{ID: "0190a1b2-0000-7000-8000-000000000001", ExternalID: ptr("crm-1"), Name: "Ana Sá",
			Phone: ptr("+351 (21) 000-0000"), Email: ptr("ana@example.pt"), Status: "follow_up",
			Notes: ptr("Call back after 18:00.\nPrefers WhatsApp, \"not\" e-mail.\n"), Features: fullFeatures(),
			Probability: ptr(0.7312), Category: ptr("hot"), AssignedToName: ptr("Rui; Seller, Jr"), AssignedTo: ptr("0190a1b2-0000-7000-8000-0000000000aa"), ContactCount: 3,
			LastContactedAt: ptr(time.Date(2026, 12, 5, 17, 30, 15, 123456000, time.FixedZone("WEST", 3600))),
			CreatedAt:       time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)},
		// No external id: the lead id takes its place. Nothing else set.
		{ID: "0190a1b2-0000-7000-8000-000000000002", Name: "Bo", Status: "new"},
		{ID: "0190a1b2-0000-7000-8000-000000000003", ExternalID: ptr(""), Name: " leading space, comma", Status: "success",
			Features: scoring.Features{Age: ptr[int32](17), NrEmployed: ptr(5191.0), DaysSincePreviousContact: ptr[int32](998)},
			ClosedAt: ptr(time.Date(2026, 12, 6, 10, 15, 0, 999999000, time.UTC))},
		// Formula injection and apostrophes, in every guarded cell.
		{ID: "0190a1b2-0000-7000-8000-000000000004", ExternalID: ptr("=1+1"), Name: `=HYPERLINK("http://x","y")`,
			Phone: ptr("-1 (555) 0100"), Email: ptr("+user@example.com"), Status: "failed",
			Notes: ptr("\t@SUM(A1:A9)\t=1+1")},
		{ID: "0190a1b2-0000-7000-8000-000000000005", ExternalID: ptr("'=already"), Name: "''+two apostrophes",
			Email: ptr("=x@example.com"), Status: "contacted", Notes: ptr("'quoted but harmless")},
		{ID: "0190a1b2-0000-7000-8000-000000000006", Name: "Zoë 🚀 \\.", Status: "new",
			Notes: ptr("\r\n-starts with CR"), Features: scoring.Features{ConsConfIdx: ptr(-50.8)}},
		{ID: "0190a1b2-0000-7000-8000-000000000007", Name: "Zoë; Sá", Status: "new", Notes: ptr(" =after a space")},
		// Formulas behind the other format's delimiter or a line break,
		// which a spreadsheet reading with the other delimiter splits at.
		{ID: "0190a1b2-0000-7000-8000-000000000008", Name: "Ana, =x", Status: "new",
			Notes: ptr("ok;=1+1;@SUM(9);\"=2\"\n- call back")},
	}
}

func TestWriterHeader(t *testing.T) {
	t.Parallel()

	if got := strings.Join(leadcsv.Header(), ","); got != exportHeader {
		t.Errorf("Header() = %s\nwant %s", got, exportHeader)
	}
	for _, tt := range []struct {
		format leadcsv.Format
		want   string
	}{
		{leadcsv.FormatCSV, exportHeader + "\n"},
		{leadcsv.FormatExcel, "\uFEFF" + strings.ReplaceAll(exportHeader, ",", ";") + "\n"},
	} {
		var buf bytes.Buffer
		w := leadcsv.NewWriter(&buf, tt.format)
		if err := w.WriteHeader(); err != nil {
			t.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tt.want {
			t.Errorf("%s header line = %q", tt.format, buf.String())
		}
	}
}

// writeCases is exportCases written in format, without a header.
func writeCases(t *testing.T, format leadcsv.Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := leadcsv.NewWriter(&buf, format)
	for _, l := range exportCases() {
		if err := w.Write(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeCells reads the cells of writeCases back with encoding/csv.
func writeCells(t *testing.T, format leadcsv.Format, comma rune) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(writeCases(t, format)))
	r.Comma = comma
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("encoding/csv cannot read the %s export: %v", format, err)
	}
	return recs
}

func TestWriterCells(t *testing.T) {
	t.Parallel()

	csvFormat, excel := leadcsv.FormatCSV, leadcsv.FormatExcel
	recs := map[leadcsv.Format][][]string{csvFormat: writeCells(t, csvFormat, ','), excel: writeCells(t, excel, ';')}
	tests := []struct {
		format   leadcsv.Format
		name     string
		row, col int
		want     string
	}{
		{csvFormat, "ExternalID", 0, 0, "crm-1"},
		{csvFormat, "IDWhenNoExternalID", 1, 0, "0190a1b2-0000-7000-8000-000000000002"},
		{csvFormat, "IDWhenEmptyExternalID", 2, 0, "0190a1b2-0000-7000-8000-000000000003"},
		{csvFormat, "NeverContactedIsEmpty", 1, 18, ""},
		{csvFormat, "ZeroDaysIsZero", 0, 18, "0"},
		{csvFormat, "ShortestFloat", 0, 21, "0.30000000000000004"},
		{csvFormat, "SmallFloat", 0, 23, "-1e-07"},
		{csvFormat, "IntegralFloat", 2, 25, "5191"},
		{csvFormat, "GuardedExternalID", 3, 0, "'=1+1"},
		{csvFormat, "GuardedName", 3, 1, `'=HYPERLINK("http://x","y")`},
		{csvFormat, "GuardedPhone", 3, 2, "'-1 (555) 0100"},
		{csvFormat, "GuardedEmail", 3, 3, "'+user@example.com"},
		// A tab is guarded as it starts a cell and where it splits one
		// (a file read as tab-separated).
		{csvFormat, "GuardedNotes", 3, 5, "'\t'@SUM(A1:A9)\t'=1+1"},
		{csvFormat, "ApostropheBeforeFormula", 4, 0, "''=already"},
		{csvFormat, "ApostrophesBeforeFormula", 4, 1, "'''+two apostrophes"},
		{csvFormat, "HarmlessApostrophe", 4, 5, "'quoted but harmless"},
		{csvFormat, "CR", 5, 5, "'\n'-starts with CR"}, // encoding/csv folds CR LF inside quotes to LF
		{csvFormat, "GuardedAfterSemicolons", 7, 5, "ok;'=1+1;'@SUM(9);'\"=2\"\n'- call back"},
		{csvFormat, "GuardedAfterComma", 7, 1, "Ana,' =x"},
		{csvFormat, "SpaceBeforeFormula", 6, 5, "' =after a space"},
		{csvFormat, "Probability", 0, 26, "0.7312"},
		{csvFormat, "Category", 0, 27, "hot"},
		{csvFormat, "Unscored", 1, 26, ""},
		{csvFormat, "AssigneeName", 0, 28, "Rui; Seller, Jr"},
		{csvFormat, "Unassigned", 1, 28, ""},
		{csvFormat, "ContactCount", 0, 29, "3"},
		{csvFormat, "NoContactCountIsZero", 1, 29, "0"},
		{csvFormat, "LastContactedUTCToTheSecond", 0, 30, "2026-12-05T16:30:15Z"},
		{csvFormat, "NeverContacted", 1, 30, ""},
		{csvFormat, "CreatedAt", 0, 31, "2026-11-02T09:00:00Z"},
		{csvFormat, "ClosedAt", 2, 32, "2026-12-06T10:15:00Z"},
		{csvFormat, "OpenNotClosed", 0, 32, ""},
		// The ids, for joining rows to the API: the lead's even where
		// external_id holds another, the seller's as names may repeat.
		{csvFormat, "LeadID", 0, 33, "0190a1b2-0000-7000-8000-000000000001"},
		{csvFormat, "LeadIDWithoutExternalID", 1, 33, "0190a1b2-0000-7000-8000-000000000002"},
		{csvFormat, "AssigneeID", 0, 34, "0190a1b2-0000-7000-8000-0000000000aa"},
		{csvFormat, "UnassignedID", 1, 34, ""},
		// Excel's: decimal commas without exponents, and ';' quoted where ',' no
		// longer needs it.
		{excel, "ShortestFloat", 0, 21, "0,30000000000000004"},
		{excel, "LongFloat", 0, 22, "93,99400000000001"},
		{excel, "SmallFloatWithoutExponent", 0, 23, "-0,0000001"},
		{excel, "LargeFloatWithoutExponent", 0, 25, "100000"},
		{excel, "IntegralFloat", 2, 25, "5191"},
		{excel, "Int", 0, 6, "120"},
		{excel, "Probability", 0, 26, "0,7312"},
		{excel, "Category", 0, 27, "hot"},
		{excel, "CommaInText", 2, 1, " leading space, comma"},
		{excel, "SemicolonInText", 6, 1, "Zoë; Sá"},
		{excel, "GuardedName", 3, 1, `'=HYPERLINK("http://x","y")`},
		{excel, "GuardedAfterComma", 7, 1, "Ana,' =x"},
		{excel, "GuardedAfterSemicolons", 7, 5, "ok;'=1+1;'@SUM(9);'\"=2\"\n'- call back"},
		{excel, "AssigneeName", 0, 28, "Rui; Seller, Jr"},
		{excel, "LastContactedAsExcelReadsIt", 0, 30, "2026-12-05 16:30:15"},
		{excel, "ClosedAtAsExcelReadsIt", 2, 32, "2026-12-06 10:15:00"},
	}
	for _, tt := range tests {
		t.Run(string(tt.format)+"/"+tt.name, func(t *testing.T) {
			t.Parallel()
			if got := recs[tt.format][tt.row][tt.col]; got != tt.want {
				t.Errorf("cell [%d][%d] = %q, want %q", tt.row, tt.col, got, tt.want)
			}
		})
	}
}

// TestWriterOtherDelimiter opens each format as a spreadsheet set for the
// other one does: it splits at that delimiter (here at both) and starts a
// row at every line break, quotes or not. No cell it sees may start a
// formula, save numbers.
func TestWriterOtherDelimiter(t *testing.T) {
	t.Parallel()
	for _, format := range []leadcsv.Format{leadcsv.FormatCSV, leadcsv.FormatExcel} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			file := string(writeCases(t, format))
			cells := strings.FieldsFunc(file, func(r rune) bool { return strings.ContainsRune(",;\r\n", r) })
			for _, cell := range cells {
				v := strings.TrimLeft(cell, " \"")
				if v == "" || !strings.ContainsRune("=+-@\t", rune(v[0])) {
					continue
				}
				if _, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64); err != nil {
					t.Errorf("a cell starts a formula: %q", cell)
				}
			}
		})
	}
}

// Every field of every lead survives export then import, in each format.
func TestWriteReadRoundTrip(t *testing.T) {
	t.Parallel()
	for _, f := range []leadcsv.Format{leadcsv.FormatCSV, leadcsv.FormatExcel} {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			testWriteReadRoundTrip(t, f)
		})
	}
}

func testWriteReadRoundTrip(t *testing.T, format leadcsv.Format) {
	leads := exportCases()
	var buf bytes.Buffer
	w := leadcsv.NewWriter(&buf, format)
	if err := w.WriteHeader(); err != nil {
		t.Fatal(err)
	}
	for _, l := range leads {
		if err := w.Write(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}

	rows, rejs, err := readAll(t, &buf, leadcsv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	equalRejections(t, rejs, nil)

	want := make([]leadcsv.Row, len(leads))
	line := 2
	for i, l := range leads {
		ext := l.ExternalID
		if ext == nil || *ext == "" {
			ext = ptr(l.ID)
		}
		name := l.Name
		if strings.TrimSpace(name) != name {
			name = strings.TrimSpace(name) // names are trimmed on import
		}
		notes := l.Notes
		if notes != nil {
			notes = ptr(strings.ReplaceAll(*notes, "\r\n", "\n")) // CSV folds CR LF in a cell
		}
		want[i] = leadcsv.Row{Line: line, ExternalID: ext, Name: ptr(name), Phone: l.Phone, Email: l.Email,
			Status: ptr(l.Status), Notes: notes, Features: l.Features}
		line += 1 + strings.Count(l.Name, "\n")
		if l.Notes != nil {
			line += strings.Count(*l.Notes, "\n")
		}
	}
	equalRows(t, rows, want)
}

func TestWriterErrors(t *testing.T) {
	t.Parallel()

	t.Run("NaN", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		w := leadcsv.NewWriter(&buf, leadcsv.FormatCSV)
		err := w.Write(leadcsv.ExportRow{ID: "x", Name: "A", Status: "new",
			Features: scoring.Features{EmpVarRate: ptr(math.NaN())}})
		if err == nil || !strings.Contains(err.Error(), "emp_var_rate") {
			t.Errorf("err = %v, want an error naming emp_var_rate", err)
		}
	})
	t.Run("WriteFails", func(t *testing.T) {
		t.Parallel()
		boom := errors.New("disk full")
		w := leadcsv.NewWriter(failingWriter{boom}, leadcsv.FormatCSV)
		if err := w.WriteHeader(); err != nil {
			t.Fatal(err) // buffered, nothing written yet
		}
		if err := w.Flush(); !errors.Is(err, boom) {
			t.Errorf("Flush = %v, want %v", err, boom)
		}
		if err := w.Write(exportCases()[0]); !errors.Is(err, boom) {
			t.Errorf("Write after failure = %v, want %v", err, boom)
		}
		if err := w.Error(); !errors.Is(err, boom) {
			t.Errorf("Error = %v, want %v", err, boom)
		}
	})
}

type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }
