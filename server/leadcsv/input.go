package leadcsv

import (
	"bytes"
	"io"
)

// input sits between the caller's reader and the buffered reader that
// encoding/csv consumes. It enforces what csv does not: no NUL byte anywhere
// (binary content) and bounded memory per record (csv would buffer an
// unclosed quote to the end of the file).
type input struct {
	r     io.Reader
	n     int64 // bytes handed out so far
	limit int64 // n may not pass this; moved forward before every record
	lines int   // newlines handed out so far, to place a NUL on its line
	nulAt int   // line of the NUL byte, once found
}

// errNUL and errOverLimit never leave the package: Reader turns them into a
// FileError with a line number.
type inputError string

func (e inputError) Error() string { return string(e) }

const (
	errNUL       inputError = "NUL byte"
	errOverLimit inputError = "over record limit"
)

func (in *input) Read(p []byte) (int, error) {
	if in.n >= in.limit {
		return 0, errOverLimit
	}
	if rest := in.limit - in.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := in.r.Read(p)
	p = p[:n]
	if i := bytes.IndexByte(p, 0); i >= 0 {
		// Hand out the clean prefix only, so the NUL never reaches csv.
		in.nulAt = in.lines + bytes.Count(p[:i], []byte{'\n'}) + 1
		in.n += int64(i)
		return i, errNUL
	}
	in.lines += bytes.Count(p, []byte{'\n'})
	in.n += int64(n)
	return n, err
}
