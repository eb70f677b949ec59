package leadcsv

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"github.com/jmksales/jmk/server/scoring"
)

const (
	// MaxRecordBytes bounds one record (row) in bytes. A longer one is a
	// FileError: no real lead is that long, and the usual cause is a quote
	// left open, which would otherwise swallow the rest of the file.
	MaxRecordBytes = 1 << 20
	// DefaultMaxRejectedRows is Options.MaxRejectedRows when left zero.
	DefaultMaxRejectedRows = 10000

	// bufSize is the read buffer, and so the longest header line accepted.
	bufSize = 64 << 10
	// earlyRows: when more than half of the first earlyRows rows are
	// rejected, the file is the wrong one and reading stops early.
	earlyRows = 1000
)

// Options tune a Reader. The zero value is the production setting.
type Options struct {
	// MaxRejectedRows stops reading with ErrTooManyRejections once more
	// rows than this have been rejected. Zero means DefaultMaxRejectedRows;
	// a negative value means no limit.
	MaxRejectedRows int
	// IgnoreOutcome is set when the import leaves y aside (outcome=ignore):
	// a status that disagrees with y is then no contradiction.
	IgnoreOutcome bool
}

// Row is one valid lead read from a file. Every pointer is nil when its
// column is absent or its cell empty. Name may be nil: the importer makes one
// up.
type Row struct {
	// Line is the 1-based physical line where the row starts (header = 1).
	Line int

	ExternalID, Name, Phone, Email, Notes *string
	// Status is the status column's value, nil when the file has none.
	Status *string
	// Outcome is UCI's y: true for yes, false for no, nil when absent.
	// Turning it into a closed status (or ignoring it, ?outcome=ignore) is
	// the importer's decision. When both status and y are given they agree
	// (success with yes, failed with no), or the row is rejected.
	Outcome *bool
	// Version is the version the lead had when the file was exported (the
	// version column), nil when absent.
	Version *int32

	Features scoring.Features
}

// Reader reads leads from a CSV file, one row per call to Next, in constant
// memory. It is not safe for concurrent use.
type Reader struct {
	in     *input
	csv    *csv.Reader
	bomLen int64
	comma  rune
	cols   []column // the file's columns, in file order

	maxRejected   int
	ignoreOutcome bool
	rows          int // data records read, valid or not
	rejected      int // rows rejected
	earlyRejected int // rows rejected among the first earlyRows
	nextLine      int // best guess at the line the next record starts on
	err           error
}

// NewReader checks the header of r and returns a Reader positioned on the
// first data row. It returns a *HeaderError when the header is unusable
// (an empty file, an unknown or duplicate column, no lead column at all), a
// *FileError wrapping ErrBinary for input that is not UTF-8 text (a NUL
// byte, or bytes that are not UTF-8, in the header or the data rows it
// reads ahead), or the read error of r.
func NewReader(r io.Reader, opts Options) (*Reader, error) {
	in := &input{r: r, limit: MaxRecordBytes + bufSize}
	br := bufio.NewReaderSize(in, bufSize)

	// Look at the header line before csv does: the delimiter must be
	// chosen, and binary input refused with a clear message, first.
	peek, err := br.Peek(bufSize)
	switch {
	case errors.Is(err, errNUL):
		// In the header or a data row read ahead: the file's either way.
		return nil, nulError(in.nulAt, peek)
	case err != nil && err != io.EOF:
		return nil, fmt.Errorf("leadcsv: reading header: %w", err)
	}
	var bomLen int64
	if bytes.HasPrefix(peek, []byte("\uFEFF")) {
		bomLen = 3
		peek = peek[3:]
	}
	// csv skips blank lines before the header, so the delimiter is counted
	// on the first line that is not blank.
	line, _, found := bytes.Cut(bytes.TrimLeft(peek, "\r\n"), []byte{'\n'})
	// No line break at all in what was read, LF or CR: the file's may have
	// been lost on the way (curl --data strips them).
	oneLine := !found && !bytes.ContainsRune(peek, '\r')
	if !found && err == nil {
		msg := fmt.Sprintf("the header line is longer than %d bytes", bufSize)
		if oneLine {
			msg += "; " + lostLineBreaks
		}
		return nil, &HeaderError{Message: msg}
	}
	if !utf8.Valid(line) {
		blank := len(peek) - len(bytes.TrimLeft(peek, "\r\n")) // the lines csv skips
		return nil, encodingError(1 + bytes.Count(peek[:blank], []byte{'\n'}))
	}
	if _, err := br.Discard(int(bomLen)); err != nil {
		return nil, fmt.Errorf("leadcsv: reading header: %w", err)
	}

	comma := ','
	if bytes.Count(line, []byte{';'}) > bytes.Count(line, []byte{','}) {
		comma = ';'
	}
	// csv.NewReader keeps br as is (it is a large enough *bufio.Reader), so
	// csv and the peek above share one buffer.
	cr := csv.NewReader(br)
	cr.Comma = comma
	cr.FieldsPerRecord = -1 // checked per row in decode: a short row is a rejection, not the end
	cr.ReuseRecord = true
	cr.LazyQuotes = false

	header, err := cr.Read()
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		return nil, &HeaderError{Message: "the file is empty"}
	case errors.As(err, &pe):
		return nil, &HeaderError{Message: "malformed header line: " + pe.Err.Error()}
	case err != nil:
		return nil, fmt.Errorf("leadcsv: reading header: %w", err)
	}
	cols, herr := parseHeader(header, oneLine)
	if herr != nil {
		return nil, herr
	}

	maxRejected := opts.MaxRejectedRows
	if maxRejected == 0 {
		maxRejected = DefaultMaxRejectedRows
	}
	hl, _ := cr.FieldPos(len(header) - 1)
	return &Reader{
		in: in, csv: cr, bomLen: bomLen, comma: comma, cols: cols,
		maxRejected: maxRejected, ignoreOutcome: opts.IgnoreOutcome, nextLine: hl + 1,
	}, nil
}

// Columns returns the API names of the file's columns in file order ("y"
// for UCI's outcome).
func (r *Reader) Columns() []string {
	names := make([]string, 0, len(r.cols))
	for _, c := range r.cols {
		if c != colUnnamed {
			names = append(names, columns[c].api)
		}
	}
	return names
}

// ScoringInputs reports whether the file has a column for any of the
// model's inputs, and for all of them (then a row's score is its lead's).
func (r *Reader) ScoringInputs() (any, all bool) {
	n := 0
	for _, c := range r.cols {
		if c.isScoringInput() {
			n++
		}
	}
	return n > 0, n == numScoringInputs
}

// ScoringInputNames returns the API names of the model's inputs.
func ScoringInputNames() []string {
	names := make([]string, 0, numScoringInputs)
	for c := colAge; c <= colNrEmployed; c++ {
		names = append(names, columns[c].api)
	}
	return names
}

// Comma returns the delimiter found in the header: ';' or ','.
func (r *Reader) Comma() rune { return r.comma }

// Next returns the next row.
//
// A valid row comes back with nil rejections. An invalid one comes back as a
// Row holding only Line and, when its cell was valid, ExternalID (a
// rejected last row of an id still supersedes the earlier ones), with every
// problem found in it; the caller reports them and calls Next again. At the
// end of input err is io.EOF.
//
// Any other error is fatal and the caller must discard every row read so
// far: a *FileError wrapping ErrBinary, ErrRecordTooLarge,
// ErrTooManyRejections or ErrRunawayQuote, or the error of the underlying
// reader. After an
// error Next keeps returning it.
func (r *Reader) Next() (Row, []Rejection, error) {
	if r.err != nil {
		return Row{}, nil, r.err
	}
	var (
		rec  []string
		line int
	)
	for {
		// The input limit bounds memory (one record plus the read-ahead of
		// a full buffer); the size check after Read makes the rule exact.
		start := r.csv.InputOffset()
		r.in.limit = r.bomLen + start + MaxRecordBytes + bufSize
		var err error
		if rec, err = r.csv.Read(); err != nil {
			return r.readError(err)
		}
		line, _ = r.csv.FieldPos(0)
		if r.csv.InputOffset()-start > MaxRecordBytes {
			r.err = tooLarge(line)
			return Row{}, nil, r.err
		}
		last, _ := r.csv.FieldPos(len(rec) - 1)
		r.nextLine = last + 1
		// A row of empty cells (",,," where a spreadsheet had an empty
		// row) is skipped as an empty line is.
		if !slices.ContainsFunc(rec, func(f string) bool { return !isBlank(f) }) {
			continue
		}
		break
	}
	r.rows++
	// Text in another encoding is not one bad row: every row with an
	// accent in it would be, and the rest would load without them.
	for _, f := range rec {
		if !utf8.ValidString(f) {
			r.err = encodingError(line)
			return Row{}, nil, r.err
		}
	}

	row, rejs := r.decode(rec, line)
	if len(rejs) > 0 {
		r.rejected++
	}
	if err := r.checkRejections(line); err != nil {
		return Row{}, nil, err
	}
	if len(rejs) > 0 {
		return Row{Line: line, ExternalID: row.ExternalID}, rejs, nil
	}
	return row, nil, nil
}

// readError sorts what csv.Reader returned: a malformed record is one
// rejected row; anything else ends reading.
func (r *Reader) readError(err error) (Row, []Rejection, error) {
	var pe *csv.ParseError
	switch {
	case err == io.EOF:
		r.err = io.EOF
	case errors.Is(err, errNUL):
		r.err = nulError(r.in.nulAt, nil)
	case errors.Is(err, errOverLimit):
		r.err = tooLarge(r.nextLine)
	case errors.As(err, &pe) && pe.Err == csv.ErrQuote && pe.Line > pe.StartLine:
		// A quoted field ran on over the next lines: the rows it swallowed
		// would be lost without a word.
		r.err = &FileError{Line: pe.StartLine, Err: ErrRunawayQuote, Detail: fmt.Sprintf(
			"the quote opened here runs on to line %d", pe.Line)}
	case errors.As(err, &pe) && (pe.Err == csv.ErrQuote || pe.Err == csv.ErrBareQuote):
		r.rows++
		r.rejected++
		r.nextLine = pe.Line + 1
		// In the words of the person who made the file, not encoding/csv's
		// ("bare \" in non-quoted-field").
		msg := "a double quote inside a value that does not start with one"
		if pe.Err == csv.ErrQuote {
			msg = "text after the closing double quote of a quoted value"
		}
		msg += `: quote the whole value and double each quote inside it, such as "Ana ""Bia"" Silva"`
		if err := r.checkRejections(pe.StartLine); err != nil {
			return Row{}, nil, err
		}
		return Row{Line: pe.StartLine}, []Rejection{{Line: pe.StartLine, Message: msg}}, nil
	default:
		r.err = fmt.Errorf("leadcsv: reading line %d: %w", r.nextLine, err)
	}
	return Row{}, nil, r.err
}

func tooLarge(line int) error {
	return &FileError{Line: line, Err: ErrRecordTooLarge, Detail: fmt.Sprintf(
		"the row starting here is longer than %d bytes; is a quote left open?", MaxRecordBytes)}
}

// checkRejections stops reading when the file is hopeless, after the row at
// line has been counted.
func (r *Reader) checkRejections(line int) error {
	switch {
	case r.maxRejected >= 0 && r.rejected > r.maxRejected:
		r.err = &FileError{Line: line, Err: ErrTooManyRejections, Detail: fmt.Sprintf(
			"more than %d rows rejected", r.maxRejected)}
	case r.rows == earlyRows:
		r.earlyRejected = r.rejected
	// Judged once a row follows the first earlyRows: a file of no more
	// rows than that gets every one of them reported instead.
	case r.rows == earlyRows+1 && 2*r.earlyRejected > earlyRows:
		r.err = &FileError{Line: line, Err: ErrTooManyRejections, Detail: fmt.Sprintf(
			"%d of the first %d rows rejected; is it the right file?", r.earlyRejected, earlyRows)}
	}
	return r.err
}
