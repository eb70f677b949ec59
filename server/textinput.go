package server

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/textrules"
)

// Messages of the field errors textInputs gives.
const (
	notTextMessage = "must be UTF-8 text without NUL characters"
	nulMessage     = `must not contain NUL characters (\u0000)`
	notUTF8Message = `must be Unicode text: UTF-8 (not Latin-1) without a lone \uD800-\uDFFF escape`
)

// textInputs refuses, with a 400 naming each field, query parameters that
// are not valid UTF-8 or hold a NUL, and JSON bodies with a NUL in a
// string, bytes that are not UTF-8, or anything after their one value.
// PostgreSQL text holds neither a NUL nor invalid UTF-8, so they would
// fail inside a query as a 500; Go's JSON decoder would store invalid
// UTF-8 as U+FFFD, so a Latin-1 "João" would become "Jo\uFFFDo" for good.
// It runs after the validator, on the body jsonShape read.
func textInputs(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if !isAPI(r.URL.Path) {
			return next(c) // the probes and docs read no parameters
		}
		raw, _ := c.Get(rawQueryKey).(string)
		fields := malformedQuery(raw)
		for name, values := range r.URL.Query() {
			if slices.ContainsFunc(values, func(v string) bool { return !textrules.IsText(v) }) {
				fields = append(fields, apperr.FieldError{Field: name, Message: notTextMessage})
			}
		}
		if body, ok := c.Get(jsonBodyKey).([]byte); ok {
			if !oneJSONValue(body) {
				return &apperr.Error{Status: 400, Detail: "the body must be one JSON value, with nothing after it"}
			}
			notUTF8 := !utf8.Valid(body) || loneSurrogate(body)
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
		return &apperr.Error{Status: 400, Detail: fieldsDetail(fields), Fields: fields}
	}
}

// rawQueryKey holds the query string as the client sent it: the validator
// rewrites it with the defaults filled in and what does not decode dropped.
const rawQueryKey = "jmk.rawQuery"

// keepRawQuery saves the query string for textInputs; it runs before the
// validator.
func keepRawQuery(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(rawQueryKey, c.Request().URL.RawQuery)
		return next(c)
	}
}

// malformedQuery names the parameters of a raw query string that do not
// decode (a bad %-escape, a ';' separator): url.Values drops them without a
// word, so "q=%zz" would list every lead as if no filter had been given.
func malformedQuery(raw string) []apperr.FieldError {
	var out []apperr.FieldError
	for _, pair := range strings.Split(raw, "&") {
		key, value, _ := strings.Cut(pair, "=")
		name, errKey := url.QueryUnescape(key)
		_, errValue := url.QueryUnescape(value)
		switch {
		case errKey != nil || !utf8.ValidString(name):
			out = append(out, apperr.FieldError{Field: "query", Message: "has a parameter name that is not a valid %-escape: " + strconv.Quote(key)})
		case errValue != nil || strings.Contains(pair, ";"):
			out = append(out, apperr.FieldError{Field: name, Message: "is not a valid %-escaped query value (write a literal % as %25, ; as %3B)"})
		}
	}
	return out
}

// loneSurrogate reports whether a JSON text escapes half a UTF-16 surrogate
// pair ("\ud800" alone), which Go's decoder turns into U+FFFD.
func loneSurrogate(body []byte) bool {
	hex4 := func(i int) (rune, bool) {
		if i+6 > len(body) || body[i] != '\\' || body[i+1] != 'u' {
			return 0, false
		}
		n, err := strconv.ParseUint(string(body[i+2:i+6]), 16, 16)
		return rune(n), err == nil
	}
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		r, ok := hex4(i)
		if !ok {
			i++ // another escape: skip the escaped character
			continue
		}
		i += 5
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		case r >= 0xD800 && r < 0xDC00:
			if low, ok := hex4(i + 1); !ok || low < 0xDC00 || low > 0xDFFF {
				return true
			}
			i += 6
		}
	}
	return false
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
