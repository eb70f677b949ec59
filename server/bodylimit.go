package server

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/store"
)

// bodyLimit caps request bodies: the CSV import gets its own, larger limit.
// An operation without a request body gets none: a body sent to it is
// dropped unread, with its Content-Encoding, so that it answers as without
// it, never with a 413 or 415 its spec does not list, and nothing after this
// reads the body into memory.
func bodyLimit(ops operations, def, importLimit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			method := r.Method
			if method == http.MethodHead { // served as its GET, further on
				method = http.MethodGet
			}
			if op, known := ops[method+" "+c.Path()]; known && !op.body {
				// Go's server still drains or closes the connection's body.
				r.Body, r.ContentLength = http.NoBody, 0
				r.Header.Del("Content-Encoding")
				return next(c)
			}
			isImport := c.Path() == importPath
			limit := def
			if isImport {
				limit = importLimit
			}
			switch {
			case r.ContentLength <= limit:
			case isImport:
				return store.ImportTooLarge(limit) // as for a body found too long while read
			default:
				return bodyTooLarge(limit)
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
			}
			return next(c)
		}
	}
}

// bodyTooLarge is the 413 of a request body over limit bytes, whether its
// Content-Length says so or its reader finds it; the CSV import's file has
// its own (store.ImportTooLarge).
func bodyTooLarge(limit int64) *apperr.Error {
	return apperr.TooLarge("the request body", limit, "")
}

// rejectContentEncoding answers 415 to a body sent with a Content-Encoding (RFC 9110,
// section 15.5.16): the server decodes none, and a gzip-compressed CSV read
// as text would be refused as not a UTF-8 CSV file, for its NUL bytes. A
// caller without a token on a secured operation, or without the admin role
// on an admin's, is left to the validator, which answers its 401 or 403
// before it looks at parameters or fields. (bodyLimit has dropped the
// bodies of operations that take none.)
func rejectContentEncoding(ops operations) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			coding := strings.TrimSpace(r.Header.Get("Content-Encoding"))
			if coding == "" || strings.EqualFold(coding, "identity") {
				return next(c)
			}
			// Unknown routes and methods are the router's 404 and 405.
			op, known := ops[r.Method+" "+c.Path()]
			id, ok := auth.FromContext(r.Context())
			if !known || !ok && !op.open || op.admin && !id.IsAdmin() {
				return next(c)
			}
			c.Response().Header().Set("Accept-Encoding", "identity")
			return &apperr.Error{Status: http.StatusUnsupportedMediaType,
				Detail: "the body must be sent uncompressed, without Content-Encoding (jmk import reads gzip-compressed files itself)"}
		}
	}
}
