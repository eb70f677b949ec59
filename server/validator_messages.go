package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/jmksales/jmk/server/apperr"
)

// flatten lists the errors of a MultiError, or err itself.
func flatten(err error) []error {
	me, ok := err.(openapi3.MultiError)
	if !ok {
		return []error{err}
	}
	var out []error
	for _, e := range me {
		out = append(out, flatten(e)...)
	}
	return out
}

// schemaFieldErrors lists the schema errors in err, each named by the field
// it is about: the body's property by the error's JSON pointer, or param, a
// parameter's name. A list parameter's element is named by the parameter
// and its value, not by its position ("status", not "status.1"): a form
// maps errors to its fields by name.
func schemaFieldErrors(param string, err error) []apperr.FieldError {
	var (
		out   []apperr.FieldError
		blank map[string]bool // the fields sent empty or blank
	)
	for _, e := range flatten(err) {
		var se *openapi3.SchemaError
		if !errors.As(e, &se) {
			continue
		}
		// An allOf (how the spec gives a $ref such as an enumeration its own
		// description) reports only that it failed; the schemas inside say
		// why, e.g. which values are allowed, under the same pointer.
		var inner openapi3.MultiError
		if se.SchemaField == "allOf" && errors.As(se.Origin, &inner) {
			out = append(out, schemaFieldErrors(param, inner)...)
			continue
		}
		field := param
		raw := firstLine(se.Reason)
		if se.SchemaField == "enum" && se.Value == nil {
			// kin-openapi checks an enumeration before nullability, and
			// null is what is wrong, not the values allowed.
			raw = "Value is not nullable"
		}
		reason := plainReason(raw)
		if reason == doubleRangeMessage {
			// kin-openapi converts a number before it checks the type: 1e309
			// for a name is wrong for being a number, not for its size.
			if m, ok := typeMessages[schemaType(se.Schema)]; ok {
				reason = m
			} else if se.Schema != nil {
				reason = hugeNumberMessage(se.Schema, se.Value)
			}
		}
		if p := se.JSONPointer(); len(p) > 0 && param != "" {
			reason = fmt.Sprintf("has %q, which %s", shortened(fmt.Sprint(se.Value)), reason)
		} else if len(p) > 0 {
			field = strings.Join(p, ".")
		}
		if field == "" {
			// "property \"x\" is unsupported" names its field only in words.
			if _, rest, ok := strings.Cut(raw, `property "`); ok {
				field, _, _ = strings.Cut(rest, `"`)
			}
		}
		if field == "" {
			field = "body"
		}
		if hint, ok := boundHints[[2]string{field[strings.LastIndexByte(field, '.')+1:], reason}]; ok {
			reason = hint
		}
		if v, ok := se.Value.(string); ok && strings.TrimSpace(v) == "" && blankReasons[reason] {
			if blank == nil {
				blank = map[string]bool{}
			}
			blank[field] = true
		}
		out = append(out, apperr.FieldError{Field: field, Message: reason})
	}
	return withoutRedundantBounds(onlyBlank(out, blank))
}

// blankReasons are the messages a string left empty or blank gets from
// the spec's rules (a length of at least 1, a letter or digit): "must not
// be blank" says it all.
var blankReasons = map[string]bool{
	"must have at least 1 character": true,
	letterOrDigitMessage:             true,
}

// onlyBlank gives each field in blank one message, "must not be blank",
// in place of all the rules its empty or blank value breaks ({"name": ""}
// is told neither its length nor that it needs a letter).
func onlyBlank(fields []apperr.FieldError, blank map[string]bool) []apperr.FieldError {
	if len(blank) == 0 {
		return fields
	}
	out := make([]apperr.FieldError, 0, len(fields))
	told := map[string]bool{}
	for _, f := range fields {
		switch {
		case !blank[f.Field]:
			out = append(out, f)
		case !told[f.Field]:
			told[f.Field] = true
			out = append(out, apperr.FieldError{Field: f.Field, Message: "must not be blank"})
		}
	}
	return out
}

// boundHints reword a bound that a client could meet for want of knowing
// what the field takes instead, by field name and message.
var boundHints = map[[2]string]string{
	{"days_since_previous_contact", "must be at most 998"}: "must be at most 998: for never contacted (999 in the UCI data), send null",
}

// withoutRedundantBounds drops the "must be at most 0.5" that kin-openapi
// reports beside "must be less than 0.5" for an exclusive bound (and "at
// least" beside "more than"): together they contradict each other on 0.5.
// It also drops the int32 range of a field that has a bound of its own:
// an age of 10^20 is told it must be at most 120, not also that it must
// be a whole number from -2147483648 to 2147483647.
func withoutRedundantBounds(fields []apperr.FieldError) []apperr.FieldError {
	exclusive := map[apperr.FieldError]bool{}
	for _, f := range fields {
		if strings.HasPrefix(f.Message, "must be at most ") || strings.HasPrefix(f.Message, "must be at least ") {
			exclusive[apperr.FieldError{Field: f.Field, Message: wholeNumberMessage(32)}] = true
		}
		if b, ok := strings.CutPrefix(f.Message, "must be less than "); ok {
			exclusive[apperr.FieldError{Field: f.Field, Message: "must be at most " + b}] = true
		}
		if b, ok := strings.CutPrefix(f.Message, "must be more than "); ok {
			exclusive[apperr.FieldError{Field: f.Field, Message: "must be at least " + b}] = true
		}
	}
	if len(exclusive) == 0 {
		return fields
	}
	return slices.DeleteFunc(fields, func(f apperr.FieldError) bool { return exclusive[f] })
}

// patternMessages say in words what each of the spec's patterns asks for;
// a client should never be shown a regular expression.
var patternMessages = map[string]string{
	`^[0-9a-f]{64}$`:                            "must be 64 lower-case hexadecimal digits, as a verification's head_hash",
	`^[^\p{Cc}]*[\p{L}\p{N}][^\p{Cc}]*$`:        letterOrDigitMessage,
	`^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$`:            "must be on one line, without control or invisible characters (a zero-width space, a text-direction control)",
	`^[+()\- ]*[0-9][0-9+()\- ]*$`:              "may hold only digits, spaces and + - ( ), and at least one digit", // textrules.PhoneProblem's order
	`^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$`: "must not hold control characters other than tab and line breaks",
	`^(me|` + uuidPattern + `)$`:                "must be a user id (a UUID), me or null", // the body's: null unassigns
	`^(me|none|` + uuidPattern + `)$`:           "must be a user id (a UUID), me or none",
}

// letterOrDigitMessage is the words for a person's name's pattern.
const letterOrDigitMessage = "must hold a letter or digit, on one line (no control characters)"

const uuidPattern = `[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`

// shortened cuts a value echoed in a problem to 100 characters: a problem
// repeats it in its detail and its field error, and a value of kilobytes
// tells the client nothing more.
func shortened(v string) string {
	if r := []rune(v); len(r) > 100 {
		return string(r[:100]) + "…"
	}
	return v
}

// typeMessages say what a field of each type other than a number takes.
var typeMessages = map[string]string{
	"string":  "must be text (a JSON string)",
	"boolean": "must be true or false",
	"object":  "must be a JSON object",
	"array":   "must be a JSON array",
}

// schemaType is a schema's one type, or "" when it has none or several.
func schemaType(s *openapi3.Schema) string {
	if s == nil || s.Type == nil || len(s.Type.Slice()) != 1 {
		return ""
	}
	return s.Type.Slice()[0]
}

// plainReason rewords the kin-openapi reasons that confuse more than they
// tell (the tests pin each one, so a library change shows up there).
func plainReason(reason string) string {
	switch {
	case strings.Contains(reason, "cannot convert json.Number to float64"):
		return doubleRangeMessage
	case strings.Contains(reason, `doesn't match the format "int32"`):
		return wholeNumberMessage(32) // kin-openapi quotes the int64 bounds here
	case strings.Contains(reason, `doesn't match the format "uuid"`):
		return "must be a UUID, such as 0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
	case reason == openapi3filter.ErrInvalidRequired.Error(): // a required header left out
		return "is required"
	case reason == "there must be at least 1 properties":
		return "must name at least one field to change"
	case reason == "value must be an integer": // a fraction or another type
		return "must be a whole number"
	case reason == "value must be an object":
		return typeMessages["object"]
	case reason == "value must be a string":
		return typeMessages["string"]
	case reason == "value must be a boolean":
		return typeMessages["boolean"] // as the query parameters say
	case reason == "value must be an array":
		return typeMessages["array"]
	case reason == "value must be a number":
		return "must be a number"
	case reason == "Value is not nullable":
		return "must not be null"
	case reason == "empty value is not allowed":
		return "must not be empty (leave the parameter out instead)"
	}
	if n, ok := strings.CutPrefix(reason, "maximum number of items is "); ok {
		return "takes at most " + n + " " + plural(n, "value")
	}
	if _, rest, ok := strings.Cut(reason, `property "`); ok {
		switch {
		case strings.HasSuffix(rest, `" is missing`):
			return "is required"
		case strings.HasSuffix(rest, `" is unsupported`):
			return "is not a field of this request (unknown or read-only)"
		}
	}
	if n, ok := strings.CutPrefix(reason, "minimum string length is "); ok {
		return "must have at least " + n + " " + plural(n, "character")
	}
	if n, ok := strings.CutPrefix(reason, "maximum string length is "); ok {
		return "must have at most " + n + " " + plural(n, "character")
	}
	// `value is not one of the allowed values ["admin","sales"]`
	if list, ok := strings.CutPrefix(reason, "value is not one of the allowed values "); ok {
		var values []any
		if json.Unmarshal([]byte(list), &values) == nil {
			words := make([]string, len(values))
			for i, v := range values {
				words[i] = fmt.Sprint(v)
			}
			return "must be one of " + strings.Join(words, ", ")
		}
	}
	// A format of ours explains itself: `string doesn't match the format
	// "email" (must be an e-mail address ...)`.
	if _, rest, ok := strings.Cut(reason, `doesn't match the format "`); ok {
		if _, why, ok := strings.Cut(rest, `" (`); ok && strings.HasSuffix(why, ")") {
			return strings.TrimSuffix(why, ")")
		}
	}
	// "number must be at most 9.007199254740991e+15": the bound as written.
	if rest, ok := strings.CutPrefix(reason, "number must be "); ok {
		if i := strings.LastIndexByte(rest, ' '); i > 0 {
			if v, err := strconv.ParseFloat(rest[i+1:], 64); err == nil {
				return "must be " + rest[:i+1] + strconv.FormatFloat(v, 'f', -1, 64)
			}
		}
	}
	if _, pattern, ok := strings.Cut(reason, `doesn't match the regular expression "`); ok {
		if m, ok := patternMessages[strings.TrimSuffix(pattern, `"`)]; ok {
			return m
		}
	}
	return reason
}

// hugeNumberMessage words a number past a double's range (1e400) sent for
// a numeric field: the field's own bound on that side, as a number within
// the range hears it (1e100 for an age is told "must be at most 120"), or
// else the range of its format.
func hugeNumberMessage(s *openapi3.Schema, value any) string {
	neg := strings.HasPrefix(strings.TrimSpace(fmt.Sprint(value)), "-")
	bound, word := s.Max, "at most"
	switch {
	case neg && s.ExclusiveMin.IsTrue():
		bound, word = s.Min, "more than"
	case neg:
		bound, word = s.Min, "at least"
	case s.ExclusiveMax.IsTrue():
		word = "less than"
	}
	switch {
	case bound != nil:
		return "must be " + word + " " + strconv.FormatFloat(*bound, 'f', -1, 64)
	case schemaType(s) == "integer" && s.Format == "int32":
		return wholeNumberMessage(32)
	case schemaType(s) == "integer":
		return wholeNumberMessage(64)
	case neg:
		return "is too small"
	}
	return "is too large"
}

// rangeMessage says the range of a numeric parameter, its format's where
// the spec sets no bound, for a value past it: "" when it has none to say.
func rangeMessage(s *openapi3.Schema) string {
	switch {
	case schemaType(s) == "integer" && s.Format == "int32":
		return wholeNumberRange(32, s.Min, s.Max)
	case schemaType(s) == "integer":
		return wholeNumberRange(64, s.Min, s.Max)
	case s.Min != nil && s.Max != nil:
		return "must be from " + strconv.FormatFloat(*s.Min, 'f', -1, 64) + " to " + strconv.FormatFloat(*s.Max, 'f', -1, 64)
	}
	return ""
}

// parseProblem words a parameter that did not parse as its type ("value
// abc: an invalid integer: invalid syntax"), from kin-openapi's ParseError
// rather than its text, which quotes the client's value; msg otherwise.
func parseProblem(re *openapi3filter.RequestError, msg string) string {
	var pe *openapi3filter.ParseError
	if !errors.As(re.Err, &pe) {
		return msg
	}
	if errors.Is(pe.Cause, strconv.ErrRange) {
		if sc := re.Parameter.Schema; sc != nil && sc.Value != nil {
			if m := rangeMessage(sc.Value); m != "" {
				return m
			}
		}
		return "is out of range"
	}
	switch pe.Reason {
	case "an invalid integer":
		return "must be a whole number"
	case "an invalid number":
		return "must be a number"
	case "an invalid boolean":
		return typeMessages["boolean"]
	}
	return msg
}

func plural(n, word string) string {
	if n == "1" {
		return word
	}
	return word + "s"
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return ": " + err.Error()
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.TrimPrefix(strings.TrimSpace(s), ": ")
}
