package server

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"mime"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/server/apperr"
)

// Messages of the field errors textInputs gives.
const (
	notTextMessage = "must be UTF-8 text without NUL characters"
	nulMessage     = `must not contain NUL characters (\u0000)`
)

// textInputs refuses, with a 400 naming each field, query parameters that
// are not valid UTF-8 or hold a NUL, and JSON bodies with a NUL in a
// string or anything after their one value. PostgreSQL text holds neither
// a NUL nor invalid UTF-8, so they used to fail inside a query as a 500. (A JSON body's invalid UTF-8 is no problem: Go's decoder
// turns it into U+FFFD.) It runs after the validator, which has read the
// body and left a copy in its place.
func textInputs(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		var fields []apperr.FieldError
		for name, values := range r.URL.Query() {
			if slices.ContainsFunc(values, func(v string) bool { return !utf8.ValidString(v) || strings.Contains(v, "\x00") }) {
				fields = append(fields, apperr.FieldError{Field: name, Message: notTextMessage})
			}
		}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); mt == echo.MIMEApplicationJSON && r.Body != nil {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				return err
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			if !oneJSONValue(body) {
				return &apperr.Error{Status: 400, Detail: "the body must be one JSON value, with nothing after it"}
			}
			if bytes.Contains(body, []byte(`\u0000`)) { // the only way JSON can hold a NUL
				var v any
				if json.Unmarshal(body, &v) == nil {
					fields = append(fields, nulStrings("", v)...)
				}
			}
		}
		if len(fields) == 0 {
			return next(c)
		}
		slices.SortFunc(fields, func(a, b apperr.FieldError) int { return strings.Compare(a.Field, b.Field) })
		detail := "invalid text in " + fields[0].Field
		if len(fields) > 1 {
			detail = fieldsDetail(fields)
		}
		return &apperr.Error{Status: 400, Detail: detail, Fields: fields}
	}
}

// oneJSONValue reports whether body holds nothing after its first JSON
// value but white space. The validator and the handlers' decoders read the
// first value and ignore the rest, so '{"name":"a"}{"age":5}' was taken as
// the first object alone.
func oneJSONValue(body []byte) bool {
	dec := json.NewDecoder(bytes.NewReader(body))
	var v json.RawMessage
	if dec.Decode(&v) != nil {
		return true // malformed: the validator has said so already
	}
	_, err := dec.Token()
	return err == io.EOF
}

// nulStrings lists the paths of the strings in a decoded JSON value that
// contain a NUL, named as the validator names fields (a.b.0).
func nulStrings(path string, v any) []apperr.FieldError {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	var out []apperr.FieldError
	switch v := v.(type) {
	case string:
		if strings.Contains(v, "\x00") {
			out = append(out, apperr.FieldError{Field: cmp.Or(path, "body"), Message: nulMessage})
		}
	case map[string]any:
		for k, e := range v {
			out = append(out, nulStrings(join(k), e)...)
		}
	case []any:
		for i, e := range v {
			out = append(out, nulStrings(join(strconv.Itoa(i)), e)...)
		}
	}
	return out
}
