package leadcsv

import (
	"bufio"

	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
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
}

// Writer writes leads as a comma CSV with the API column names. It formats
// cells straight into a buffer rather than going through csv.Writer, which
// wants a []string and so a string per number: an export can be a million
// rows. Quoting follows csv.Writer's rules, so encoding/csv reads it back.
type Writer struct {
	w   *bufio.Writer
	buf []byte
	err error // sticky: the first write error
}

// NewWriter returns a Writer on w. Call Flush at the end.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: bufio.NewWriterSize(w, 64<<10), buf: make([]byte, 0, 1024)}
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
	for c := range numExportColumns {
		if c > 0 {
			b = append(b, ',')
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
	b = appendText(b, id)
	b = append(b, ',')
	b = appendText(b, l.Name)
	b = append(b, ',')
	b = appendOptText(b, l.Phone)
	b = append(b, ',')
	b = appendOptText(b, l.Email)
	b = append(b, ',')
	b = appendCell(b, l.Status)
	b = append(b, ',')
	b = appendOptText(b, l.Notes)
	for c := colAge; c < numExportColumns; c++ {
		b = append(b, ',')
		spec := &columns[c]
		switch spec.kind {
		case kindEnum:
			if v := *spec.strPtr(&l.Features); v != nil {
				b = appendCell(b, *v)
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
				// Shortest representation that parses back to the same float.
				b = strconv.AppendFloat(b, *v, 'g', -1, 64)
			}
		case kindScore:
			switch {
			case c == colProbability && l.Probability != nil:
				b = strconv.AppendFloat(b, *l.Probability, 'g', -1, 64)
			case c == colCategory && l.Category != nil:
				b = appendCell(b, *l.Category)
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

func appendOptText(b []byte, s *string) []byte {
	if s == nil {
		return b
	}
	return appendText(b, *s)
}

// appendText writes a user-supplied text cell, guarded against formula
// injection.
func appendText(b []byte, s string) []byte { return appendCell(b, escapeFormula(s)) }

// appendCell writes one cell, quoted when csv.Writer would quote it.
func appendCell(b []byte, s string) []byte {
	if !needsQuotes(s) {
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

// needsQuotes mirrors csv.Writer: a delimiter, quote or line break, a
// leading space, or PostgreSQL's end-of-data marker.
func needsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` || strings.ContainsAny(s, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}
