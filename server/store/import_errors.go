package store

// What an import's reader and upload failures become for the client.

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/leadcsv"
)

// ImportTooLarge is the 413 of an upload over limit bytes, whether its
// declared length says so or its body turns out so.
func ImportTooLarge(limit int64) error {
	return apperr.TooLarge("the file", limit, " for an upload; nothing was imported (use jmk import for larger files)")
}

// UploadTimedOut is the 408 of an upload whose body did not arrive within
// its time (IMPORT_UPLOAD_TIMEOUT).
func UploadTimedOut() error {
	return &apperr.Error{Status: http.StatusRequestTimeout, Detail: "the file did not arrive in time " +
		"(IMPORT_UPLOAD_TIMEOUT, counted from the import's turn); nothing was imported (use jmk import for large files on a slow link)"}
}

// firstRejections adds the first rows' reasons to the refusal of a file
// with too many rejected rows: "1000 of the first 1000 rows rejected"
// alone leaves a user with the right file in the wrong format (decimal
// commas, say) no clue.
func firstRejections(err error, rejs []leadcsv.Rejection) error {
	var fe *leadcsv.FileError
	if !errors.As(err, &fe) || !errors.Is(fe.Err, leadcsv.ErrTooManyRejections) || len(rejs) == 0 {
		return err
	}
	var first []string
	for _, r := range rejs[:min(len(rejs), 3)] {
		where := fmt.Sprintf("line %d", r.Line)
		if r.Field != "" {
			where += ", " + r.Field
		}
		first = append(first, where+": "+r.Message)
	}
	out := *fe
	out.Detail += "; the first: " + strings.Join(first, "; ")
	return &out
}

// importError turns what the reader reports into the import's errors; see
// LeadImport.
func importError(err error) error {
	var (
		he  *leadcsv.HeaderError
		fe  *leadcsv.FileError
		mbe *http.MaxBytesError
		ne  net.Error
	)
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		// The body's read deadline (the server's read timeout) passed: the
		// client is still there, so this is no 499.
		return UploadTimedOut()
	case errors.As(err, &mbe):
		return ImportTooLarge(mbe.Limit)
	case errors.As(err, &he):
		e := &apperr.Error{Status: http.StatusUnprocessableEntity, Err: apperr.ErrInvalid,
			Detail: "the file cannot be imported: " + strings.TrimPrefix(he.Error(), "leadcsv: ")}
		field := "header"
		if he.Column != "" {
			field = he.Column
		}
		e.Fields = []apperr.FieldError{{Field: field, Message: he.Message}}
		return e
	case errors.As(err, &fe):
		msg := strings.TrimPrefix(fe.Error(), "leadcsv: ")
		return &apperr.Error{Status: http.StatusUnprocessableEntity, Err: apperr.ErrInvalid,
			Detail: "the file cannot be imported: " + msg,
			Fields: []apperr.FieldError{{Field: "file", Message: msg}}}
	}
	return err
}
