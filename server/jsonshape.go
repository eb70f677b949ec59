package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/server/apperr"
)

// maxJSONDepth is the deepest nesting of arrays and objects a JSON body may
// have. The spec's deepest body is three levels; the OpenAPI validator's
// cost grows with the square of the depth (seconds of CPU for an 18 KB body
// nested 9,000 deep, which needs no login to send).
const maxJSONDepth = 32

// maxJSONValues is the most values a JSON body may hold in all: members'
// values and array items, nested or not, and the body itself. The spec's
// largest body has under 30 and no arrays. Without a bound, a body within
// the size limit (1 MiB of "[1,1,1,…", or 80,000 unknown fields) costs the
// validator a third of a second to a second of CPU and twenty times its
// size in memory, and needs no login to send: the caller is checked after
// the body is read (see the README).
const maxJSONValues = 1000

// jsonShape refuses, before the validator reads it, a JSON body on the API
// nested deeper than maxJSONDepth, with more than maxJSONValues values, or
// naming a field twice in one object,
// and leaves the body readable again and its bytes under jsonBodyKey, for
// textInputs.
//
// Duplicate names: RFC 8259 leaves their meaning open, and Go's decoders
// take the last value while another reader of the same request (a proxy, a
// log, a client library) may take the first, so the body would say two
// things at once.
func jsonShape(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		mt, params, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType))
		if !isAPI(r.URL.Path) || mt != echo.MIMEApplicationJSON || r.Body == nil || r.Body == http.NoBody {
			return next(c)
		}
		// JSON is UTF-8 (RFC 8259); a body in another charset would fail
		// field by field, or as a NUL byte for UTF-16.
		if !utf8Charset(params) {
			return &apperr.Error{Status: http.StatusUnsupportedMediaType,
				Detail: "a JSON body is UTF-8: send it as application/json, with charset=utf-8 or none"}
		}
		body, err := io.ReadAll(r.Body)
		var (
			mbe *http.MaxBytesError
			ne  net.Error
		)
		switch {
		case errors.As(err, &mbe):
			return bodyTooLarge(mbe.Limit)
		case errors.As(err, &ne) && ne.Timeout(): // see requestDeadline
			return &apperr.Error{Status: http.StatusRequestTimeout, Detail: "the request body did not arrive in time (REQUEST_TIMEOUT)"}
		case err != nil:
			return &apperr.Error{Status: http.StatusBadRequest, Detail: "the request body could not be read"}
		}
		if len(bytes.TrimSpace(body)) == 0 {
			// Only spaces: no body, as an empty one is (optional bodies
			// take their defaults), rather than JSON that ends too soon.
			r.Body, r.ContentLength = http.NoBody, 0
			return next(c)
		}
		if bytes.HasPrefix(body, utf8BOM) {
			return &apperr.Error{Status: http.StatusBadRequest,
				Detail: "the request body starts with a byte order mark (U+FEFF), which JSON does not allow: send it without"}
		}
		if jsonNesting(body) > maxJSONDepth {
			return &apperr.Error{Status: http.StatusBadRequest,
				Detail: fmt.Sprintf("the JSON body nests arrays and objects more than %d deep", maxJSONDepth)}
		}
		switch name, problem := scanValues(body); problem {
		case twice:
			return apperr.BadRequest(name, "is given twice in one object")
		case tooManyValues:
			return &apperr.Error{Status: http.StatusBadRequest,
				Detail: fmt.Sprintf("the JSON body has more than %d values in all (fields and array items)", maxJSONValues)}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		c.Set(jsonBodyKey, body)
		return next(c)
	}
}

// shapeProblem is what scanValues finds wrong with a body.
type shapeProblem int

const (
	shapeOK       shapeProblem = iota
	twice                      // an object holds a name twice
	tooManyValues              // more than maxJSONValues in all
)

// scanValues returns the first name that an object of the JSON text b
// holds twice, or stops once b has more than maxJSONValues values. It reads
// the bytes without decoding them, and allocates only for the names: a
// json.Decoder's tokens cost an allocation each, and 0.2 s for a 1 MiB
// array. It reads b's first value, as the validator's decoder does, which
// decodes that value whatever follows it (textinput refuses what follows,
// after the validator). A first value that is not JSON has no problem
// here: the validator reports its syntax, and finds that out before it
// decodes anything.
func scanValues(b []byte) (string, shapeProblem) {
	var first json.RawMessage
	if err := json.NewDecoder(bytes.NewReader(b)).Decode(&first); err != nil {
		return "", shapeOK
	}
	b = first
	var objects []map[string]bool // the open containers; nil for an array
	values := 0
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c == '{' || c == '[':
			values++
			var names map[string]bool
			if c == '{' {
				names = map[string]bool{}
			}
			objects = append(objects, names)
			i++
		case c == '}' || c == ']':
			objects = objects[:len(objects)-1]
			i++
		case c == '"':
			end := stringEnd(b, i)
			k := end
			for k < len(b) && isJSONSpace(b[k]) {
				k++
			}
			if k < len(b) && b[k] == ':' { // a name, in the innermost object
				var name string
				if err := json.Unmarshal(b[i:end], &name); err != nil {
					return "", shapeOK // not reached: b is valid
				}
				names := objects[len(objects)-1]
				if names[name] {
					return name, twice
				}
				names[name] = true
			} else {
				values++
			}
			i = end
		case isJSONSpace(c) || c == ',' || c == ':':
			i++
		default: // a number, true, false or null
			values++
			for i < len(b) && !isJSONSpace(b[i]) && !strings.ContainsRune(",]}", rune(b[i])) {
				i++
			}
		}
		if values > maxJSONValues {
			return "", tooManyValues
		}
	}
	return "", shapeOK
}

// stringEnd returns the index just past the JSON string that starts at
// b[i], a quote.
func stringEnd(b []byte, i int) int {
	for i++; i < len(b); i++ {
		switch b[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(b)
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// jsonBodyKey holds a JSON request body as jsonShape read it.
const jsonBodyKey = "jmk.jsonBody"

// jsonNesting returns the deepest nesting of arrays and objects in a JSON
// text, skipping strings; it does not check the syntax (the validator does).
func jsonNesting(b []byte) int {
	depth, deepest := 0, 0
	inString := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case inString && c == '\\':
			i++ // the escaped character
		case c == '"':
			inString = !inString
		case inString:
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

// utf8BOM is the byte order mark in UTF-8, which some editors and Windows
// tools put before a file's text.
var utf8BOM = []byte("\xef\xbb\xbf")
