package leadcsv

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jmksales/jmk/server/scoring"
)

// ExportRow is one lead as the export writes it.
type ExportRow struct {
	// ID is the lead's id; it is written as external_id when ExternalID is
	// nil or empty, so a re-import finds the lead again.
	ID         string
	ExternalID *string
	Name       string
	Phone      *string
	Email      *string
	Status     string
	Notes      *string
	Features   scoring.Features
	// Probability and Category are the lead's score, nil when unscored.
	Probability *float64
	Category    *string
	// The rest is written for reading only, as the list shows it.
	AssignedToName  *string // nil: unassigned
	AssignedTo      *string // the seller's id; nil: unassigned
	ContactCount    int32
	LastContactedAt *time.Time
	CreatedAt       time.Time
	ClosedAt        *time.Time // nil: not success or failed
	// Version is the lead's version, which a re-import checks (0: none
	// written).
	Version int32
}

// Format is how a file's cells are separated and its numbers written.
type Format string

const (
	// FormatCSV is a comma CSV with decimal points, as tools read it.
	FormatCSV Format = "csv"
	// FormatExcel is what a spreadsheet whose decimal mark is a comma
	// (Excel in Portugal and most of continental Europe) opens as columns:
	// ';' between cells, decimal commas, and a UTF-8 byte order mark, without
	// which Excel takes the file for its local code page and garbles
	// accents. The reader takes such a file back as it is.
	FormatExcel Format = "excel"
)

// Writer writes leads as CSV with the API column names. It formats
// cells straight into a buffer rather than going through csv.Writer, which
// wants a []string and so a string per number: an export can be a million
// rows. Quoting follows csv.Writer's rules, so encoding/csv reads it back.
type Writer struct {
	w     *bufio.Writer
	buf   []byte
	err   error // sticky: the first write error
	excel bool  // FormatExcel
	comma byte
}

// NewWriter returns a Writer of format f on w (FormatCSV for any other
// value). Call Flush at the end.
func NewWriter(w io.Writer, f Format) *Writer {
	cw := &Writer{w: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 1024), excel: f == FormatExcel, comma: ','}
	if cw.excel {
		cw.comma = ';'
	}
	return cw
}

// Header returns the export's column names, in order.
func Header() []string {
	names := make([]string, numExportColumns)
	for c := range numExportColumns {
		names[c] = columns[c].api
	}
	return names
}

// WriteHeader writes the header line. It returns the first write error.
func (w *Writer) WriteHeader() error {
	if w.err != nil {
		return w.err
	}
	b := w.buf[:0]
	if w.excel {
		b = append(b, "\uFEFF"...)
	}
	for c := range numExportColumns {
		if c > 0 {
			b = append(b, w.comma)
		}
		b = append(b, columns[c].api...)
	}
	b = append(b, '\n')
	w.buf = b
	_, w.err = w.w.Write(b)
	return w.err
}

// Write writes one lead. It returns the first write error, or an error when
// a float is NaN or infinite: such a value could not be read back, and the
// database never holds one.
func (w *Writer) Write(l ExportRow) error {
	if w.err != nil {
		return w.err
	}
	id := l.ID
	if l.ExternalID != nil && *l.ExternalID != "" {
		id = *l.ExternalID
	}
	b := w.buf[:0]
	b = w.appendText(b, id)
	b = append(b, w.comma)
	b = w.appendText(b, l.Name)
	b = append(b, w.comma)
	b = w.appendOptText(b, l.Phone)
	b = append(b, w.comma)
	b = w.appendOptText(b, l.Email)
	b = append(b, w.comma)
	b = w.appendCell(b, l.Status)
	b = append(b, w.comma)
	b = w.appendOptText(b, l.Notes)
	for c := colAge; c < numExportColumns; c++ {
		b = append(b, w.comma)
		spec := &columns[c]
		switch spec.kind {
		case kindEnum:
			if v := *spec.strPtr(&l.Features); v != nil {
				b = w.appendCell(b, *v)
			}
		case kindInt:
			if v := *spec.intPtr(&l.Features); v != nil {
				b = strconv.AppendInt(b, int64(*v), 10)
			}
		case kindFloat:
			if v := *spec.fltPtr(&l.Features); v != nil {
				if math.IsNaN(*v) || math.IsInf(*v, 0) {
					return fmt.Errorf("leadcsv: lead %s: %s is %v", l.ID, spec.api, *v)
				}
				b = w.appendFloat(b, *v)
			}
		case kindReadOnly:
			switch {
			case c == colProbability && l.Probability != nil:
				b = w.appendFloat(b, *l.Probability)
			case c == colCategory && l.Category != nil:
				b = w.appendCell(b, *l.Category)
			case c == colAssignedToName && l.AssignedToName != nil:
				b = w.appendText(b, *l.AssignedToName)
			case c == colContactCount:
				b = strconv.AppendInt(b, int64(l.ContactCount), 10)
			case c == colLastContactedAt && l.LastContactedAt != nil:
				b = w.appendTime(b, *l.LastContactedAt)
			case c == colCreatedAt:
				b = w.appendTime(b, l.CreatedAt)
			case c == colClosedAt && l.ClosedAt != nil:
				b = w.appendTime(b, *l.ClosedAt)
			case c == colID:
				b = w.appendCell(b, l.ID)
			case c == colAssignedTo && l.AssignedTo != nil:
				b = w.appendCell(b, *l.AssignedTo)
			}
		case kindVersion:
			if l.Version > 0 {
				b = strconv.AppendInt(b, int64(l.Version), 10)
			}
		}
	}
	b = append(b, '\n')
	w.buf = b
	_, w.err = w.w.Write(b)
	return w.err
}

// Flush writes any buffered data to the underlying writer and returns the
// first error met so far.
func (w *Writer) Flush() error {
	if w.err == nil {
		w.err = w.w.Flush()
	}
	return w.err
}

// Error returns the first write or flush error, if any.
func (w *Writer) Error() error { return w.err }

// appendFloat writes the shortest representation that parses back to the
// same float. Excel's is without an exponent, which a spreadsheet might
// show as text with a decimal comma.
func (w *Writer) appendFloat(b []byte, v float64) []byte {
	if !w.excel {
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	}
	start := len(b)
	b = strconv.AppendFloat(b, v, 'f', -1, 64)
	if i := bytes.IndexByte(b[start:], '.'); i >= 0 {
		b[start+i] = ','
	}
	return b
}

// appendTime writes a time in UTC to the second: RFC 3339 for tools, and
// for Excel the "2006-01-02 15:04:05" it reads as a date and time.
func (w *Writer) appendTime(b []byte, t time.Time) []byte {
	if w.excel {
		return t.UTC().AppendFormat(b, time.DateTime)
	}
	return t.UTC().AppendFormat(b, "2006-01-02T15:04:05Z")
}

func (w *Writer) appendOptText(b []byte, s *string) []byte {
	if s == nil {
		return b
	}
	return w.appendText(b, *s)
}

// appendText writes a user-supplied text cell, guarded against formula
// injection, and quoted when it holds either delimiter, so that a
// spreadsheet told to split at both keeps it whole.
func (w *Writer) appendText(b []byte, s string) []byte {
	s = escapeFormula(s)
	return appendQuoted(b, s, needsQuotes(s, w.comma) || strings.ContainsAny(s, delimiters))
}

// appendCell writes one cell, quoted when csv.Writer would quote it.
func (w *Writer) appendCell(b []byte, s string) []byte {
	return appendQuoted(b, s, needsQuotes(s, w.comma))
}

// appendQuoted writes s, in quotes if quote is set.
func appendQuoted(b []byte, s string, quote bool) []byte {
	if !quote {
		return append(b, s...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

// needsQuotes mirrors csv.Writer: the delimiter, a quote or line break, a
// leading space, or PostgreSQL's end-of-data marker.
func needsQuotes(s string, comma byte) bool {
	if s == "" {
		return false
	}
	if s == `\.` || strings.IndexByte(s, comma) >= 0 || strings.ContainsAny(s, "\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}
