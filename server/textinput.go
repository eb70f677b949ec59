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
	notUTF8Message = "must be UTF-8 text (JSON is always UTF-8; was it sent as Latin-1?)"
)

// textInputs refuses, with a 400 naming each field, query parameters that
// are not valid UTF-8 or hold a NUL, and JSON bodies with a NUL in a
// string, bytes that are not UTF-8, or anything after their one value.
// PostgreSQL text holds neither a NUL nor invalid UTF-8, so they used to
// fail inside a query as a 500; Go's JSON decoder would store invalid UTF-8
// as U+FFFD, so a Latin-1 "João" became "Jo\uFFFDo" for good. It runs after
// the validator, which has read the body and left a copy in its place.
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
			notUTF8 := !utf8.Valid(body)
			if notUTF8 || bytes.Contains(body, []byte(`\u0000`)) { // the only way JSON can hold a NUL
				var v any
				if json.Unmarshal(body, &v) == nil {
					fields = append(fields, badStrings("", v, notUTF8)...)
				}
				if notUTF8 && !slices.ContainsFunc(fields, func(f apperr.FieldError) bool { return f.Message == notUTF8Message }) {
					fields = append(fields, apperr.FieldError{Field: "body", Message: notUTF8Message}) // e.g. in a key
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

// badStrings lists the paths of the strings in a decoded JSON value that
// contain a NUL or, when the body was not UTF-8 (notUTF8), the U+FFFD the
// decoder put in place of the bad bytes; named as the validator names
// fields (a.b.0).
func badStrings(path string, v any, notUTF8 bool) []apperr.FieldError {
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
		} else if notUTF8 && strings.ContainsRune(v, utf8.RuneError) {
			out = append(out, apperr.FieldError{Field: cmp.Or(path, "body"), Message: notUTF8Message})
		}
	case map[string]any:
		for k, e := range v {
			out = append(out, badStrings(join(k), e, notUTF8)...)
		}
	case []any:
		for i, e := range v {
			out = append(out, badStrings(join(strconv.Itoa(i)), e, notUTF8)...)
		}
	}
	return out
}
