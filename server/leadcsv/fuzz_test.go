package leadcsv_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/jmksales/jmk/server/leadcsv"
	"github.com/jmksales/jmk/server/leadrules"
)

// Any input: no panic, and whatever comes out keeps the Reader's promises.
func FuzzReader(f *testing.F) {
	f.Add("name,age\nA,30\n")
	f.Add(`"age";"job";"y"` + "\n" + `56;"housemaid";"no"` + "\n")
	f.Add("name,notes\nA,\"1\n2\"\n\"B,x\n")
	f.Add("\uFEFFname;status;y\n=A;success;yes\n")
	f.Add("name,email,phone\n'=x,'+a@b.c,'+1\n")
	f.Add("0\n\x00") // a NUL byte in a data row read with the header
	f.Fuzz(func(t *testing.T, in string) {
		r, err := leadcsv.NewReader(strings.NewReader(in), leadcsv.Options{})
		if err != nil {
			// A bad header, or a NUL byte in the rows read with it.
			var he *leadcsv.HeaderError
			var fe *leadcsv.FileError
			if !errors.As(err, &he) && !errors.As(err, &fe) {
				t.Fatalf("NewReader error %v is neither a *HeaderError nor a *FileError", err)
			}
			return
		}
		prev := 1
		for {
			row, rejs, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				var fe *leadcsv.FileError
				if !errors.As(err, &fe) {
					t.Fatalf("Next error %v is not a *FileError", err)
				}
				return
			}
			if row.Line <= prev {
				t.Fatalf("line %d after line %d", row.Line, prev)
			}
			prev = row.Line
			for _, rj := range rejs {
				if rj.Line != row.Line || rj.Message == "" {
					t.Fatalf("bad rejection %+v for line %d", rj, row.Line)
				}
			}
			for _, s := range []*string{row.Name, row.Phone, row.Email, row.ExternalID, row.Notes} {
				if s != nil && (*s == "" || !utf8.ValidString(*s)) {
					t.Fatalf("text value %q", *s)
				}
			}
		}
	})
}

// Any note a lead can hold (its line ends stored as leadrules.Notes stores
// them) comes back from export and import unchanged.
func FuzzNotesRoundTrip(f *testing.F) {
	for _, s := range []string{"=1+1", "'=1", "''@x", "'plain", "-", "\r\n=x", " lead", `"q"`, "a,b\nc", `\.`, "a;=1", "a,'=1", "x\n- y", "a;\r\n=b", `a;"=b"`, "a;'\"@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, notes string) {
		if !utf8.ValidString(notes) || strings.TrimSpace(notes) == "" || len(notes) > leadcsv.MaxFieldBytes ||
			strings.IndexFunc(notes, func(r rune) bool {
				return unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r'
			}) >= 0 {
			return // not a note the API accepts: nothing to round-trip
		}
		notes = leadrules.Notes(notes)
		for _, format := range []leadcsv.Format{leadcsv.FormatCSV, leadcsv.FormatExcel} {
			var buf bytes.Buffer
			w := leadcsv.NewWriter(&buf, format)
			if err := w.WriteHeader(); err != nil {
				t.Fatal(err)
			}
			if err := w.Write(leadcsv.ExportRow{ID: "id", Name: "A", Status: "new", Notes: &notes}); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			for name, file := range map[string][]byte{string(format): buf.Bytes(), string(format) + " saved again with the other delimiter": resaved(t, buf.Bytes())} {
				r, err := leadcsv.NewReader(bytes.NewReader(file), leadcsv.Options{})
				if err != nil {
					t.Fatal(err)
				}
				row, rejs, err := r.Next()
				if err != nil || len(rejs) > 0 {
					t.Fatalf("%q: err %v, rejections %+v", notes, err, rejs)
				}
				if row.Notes == nil || *row.Notes != notes {
					t.Fatalf("notes %q came back from %s as %v", notes, name, dump(row))
				}
			}
		}
	})
}

// resaved is file as a spreadsheet saves it again with the other delimiter
// (a ';' file downloaded from one as a comma CSV, say): every cell as it
// read it.
func resaved(t *testing.T, file []byte) []byte {
	t.Helper()
	file = bytes.TrimPrefix(file, []byte("\uFEFF"))
	r := csv.NewReader(bytes.NewReader(file))
	r.Comma = ','
	if head, _, _ := bytes.Cut(file, []byte("\n")); bytes.Count(head, []byte(";")) > bytes.Count(head, []byte(",")) {
		r.Comma = ';'
	}
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	w.Comma = ';' + ',' - r.Comma
	if err := w.WriteAll(recs); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
