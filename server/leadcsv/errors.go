package leadcsv

import (
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
