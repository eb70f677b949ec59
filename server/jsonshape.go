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

	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/server/apperr"
)

// maxJSONDepth is the deepest nesting of arrays and objects a JSON body may
// have. The spec's deepest body is three levels; the OpenAPI validator's
// cost grows with the square of the depth (seconds of CPU for an 18 KB body
// nested 9,000 deep, which needs no login to send).
const maxJSONDepth = 32

// maxJSONNames is the most object members a JSON body may have in all. The
// spec's largest body has under 30; the validator reports each unknown
// field, and 80,000 of them (an 870 KB body, no login needed) would cost
// it a second of CPU.
const maxJSONNames = 1000

// jsonShape refuses, before the validator reads it, a JSON body on the API
// nested deeper than maxJSONDepth, with more than maxJSONNames members, or
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
			return &apperr.Error{Status: http.StatusRequestEntityTooLarge, Detail: tooLargeDetail}
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
		switch name, problem := objectNames(body); problem {
		case twice:
			return apperr.BadRequest(name, "is given twice in one object")
		case tooManyNames:
			return &apperr.Error{Status: http.StatusBadRequest,
				Detail: fmt.Sprintf("the JSON body has more than %d fields in all", maxJSONNames)}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		c.Set(jsonBodyKey, body)
		return next(c)
	}
}

// namesProblem is what objectNames finds wrong with a body's names.
type namesProblem int

const (
	namesOK      namesProblem = iota
	twice                     // an object holds a name twice
	tooManyNames              // more than maxJSONNames in all
)

// objectNames returns the first name that an object of the JSON text b
// holds twice, or stops once b has more than maxJSONNames names. A text
// that is not JSON has no problem here: the validator reports its syntax.
func objectNames(b []byte) (string, namesProblem) {
	type frame struct {
		names     map[string]bool // nil for an array
		expectKey bool
	}
	var stack []frame
	count := 0
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].names != nil {
			stack[n-1].expectKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // 1e400 is a number here, not an error
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", namesOK
		}
		if n := len(stack); n > 0 && stack[n-1].expectKey {
			if name, ok := tok.(string); ok {
				if stack[n-1].names[name] {
					return name, twice
				}
				if count++; count > maxJSONNames {
					return "", tooManyNames
				}
				stack[n-1].names[name], stack[n-1].expectKey = true, false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{names: map[string]bool{}, expectKey: true})
		case json.Delim('['):
			stack = append(stack, frame{})
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			valueDone()
		default:
			valueDone()
		}
	}
}

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
