package leadcsv

import (
	"bytes"
	"errors"
	"fmt"
)

// Rejection is one problem with one row. A rejected row is never imported;
// all its problems are reported, not only the first.
type Rejection struct {
	// Line is the 1-based physical line where the row starts; the header is
	// line 1. A quoted value may span lines, so rows and lines can differ.
	Line int
	// Field is the API name of the offending field ("y" for UCI's outcome
	// column), or "" when the problem is the row as a whole.
	Field string
	// Message says what is wrong in words fit for the person who made the
	// file.
	Message string
}

// HeaderError reports a header line that cannot be used. The file is refused
// as a whole: no row is read.
type HeaderError struct {
	// Column is the offending column as written in the file, or "" when the
	// problem is not one column.
	Column string
	// Message explains the problem.
	Message string
}

func (e *HeaderError) Error() string { return "leadcsv: header: " + e.Message }

// Sentinels wrapped by FileError, for errors.Is.
var (
	// ErrBinary: the input is not UTF-8 text (a NUL byte, or invalid
	// UTF-8 anywhere).
	ErrBinary = errors.New("not a UTF-8 CSV file")
	// ErrRecordTooLarge: one record is longer than MaxRecordBytes; the
	// usual cause is a quote that is never closed.
	ErrRecordTooLarge = errors.New("record too large")
	// ErrTooManyRejections: so many rows are invalid that the file is
	// probably not a lead file, or not the one meant.
	ErrTooManyRejections = errors.New("too many rejected rows")
	// ErrRunawayQuote: a quoted field runs on over several lines and is
	// never properly closed, swallowing the rows after it.
	ErrRunawayQuote = errors.New("a quote left open")
)

// FileError reports content that makes the rest of the file unusable. The
// caller must discard every row read so far.
type FileError struct {
	// Line is the physical line concerned, or 0 when unknown.
	Line int
	// Err is ErrBinary, ErrRecordTooLarge, ErrTooManyRejections or
	// ErrRunawayQuote.
	Err error
	// Detail adds the specifics.
	Detail string
}

func (e *FileError) Error() string {
	s := "leadcsv: "
	if e.Line > 0 {
		s += fmt.Sprintf("line %d: ", e.Line)
	}
	s += e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *FileError) Unwrap() error { return e.Err }

// saveAsCSV is the fix for a file that is not UTF-8 text, in the words of
// a spreadsheet's "Save as" list.
const saveAsCSV = "save it as CSV UTF-8"

// nulError is the FileError of a NUL byte on line: no text file has one.
// start is the file's first bytes, which may tell what it is instead: the
// kinds of file a lead CSV is most often mistaken for, a gzip file, text
// saved as UTF-16 (Excel's "Unicode text") and a workbook (a zip archive).
func nulError(line int, start []byte) *FileError {
	what := "a NUL byte, as in a binary file; " + saveAsCSV
	switch {
	case bytes.HasPrefix(start, []byte{0x1f, 0x8b}):
		what = "gzip-compressed; send the CSV itself (jmk import reads a .csv.gz file as it is)"
	case bytes.HasPrefix(start, []byte{0xff, 0xfe}), bytes.HasPrefix(start, []byte{0xfe, 0xff}):
		what = "UTF-16 text; " + saveAsCSV
	case bytes.HasPrefix(start, []byte("PK\x03\x04")):
		what = "a zip archive, such as an Excel workbook (.xlsx); " + saveAsCSV
	}
	return &FileError{Line: line, Err: ErrBinary, Detail: what}
}

// encodingError is the FileError of text on line that is not UTF-8: every
// row with an accent would be refused, so the file is.
func encodingError(line int) *FileError {
	return &FileError{Line: line, Err: ErrBinary, Detail: "text in another encoding, such as Windows-1252; " + saveAsCSV}
}
