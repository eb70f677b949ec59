package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"
	nethttpmw "github.com/oapi-codegen/nethttp-middleware"

	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/handlers"
	"github.com/jmksales/jmk/server/leadrules"
)

// invalidTokenDetail is the detail of a 401 for a bearer token that was
// refused, whose problem type is invalid-token.
const invalidTokenDetail = "the access token is expired, revoked or invalid: refresh it (POST /api/v1/auth/refresh), or log in again"

// isAPI reports whether path is the API's, under /api/: the probes, metrics
// and docs take no token, parameters or JSON bodies.
func isAPI(path string) bool { return strings.HasPrefix(path, "/api/") }

// outsideSpec reports the paths served outside the spec, which skip validation.
func outsideSpec(path string) bool {
	return path == "/metrics" || path == "/openapi.yaml" || isDocs(path)
}

// isDocs reports whether path is Swagger UI's: its page or its assets.
func isDocs(path string) bool { return path == "/docs" || strings.HasPrefix(path, "/docs/") }

// validator checks every request against the embedded spec before any
// handler runs: security (401 without an identity), parameters and JSON
// bodies. The CSV import's body is streamed to its handler unread, so for
// that one route the body is left out of validation.
func validator(spec *openapi3.T) echo.MiddlewareFunc {
	spec.Servers = nil // match on path only, whatever host the server runs on
	authFn := func(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
		r := in.RequestValidationInput.Request
		if _, ok := auth.FromContext(r.Context()); !ok {
			return errors.New("a valid bearer access token is required")
		}
		// kin-openapi checks security before parameters and body, so the
		// wrong role hears its 403 whatever it sent. The handlers check the
		// role again; this only puts the answer first.
		if in.RequestValidationInput.Route.Operation.Extensions["x-required-role"] == "admin" {
			_, err := handlers.Admin(r.Context())
			return err
		}
		return nil
	}
	mk := func(excludeBody bool, skip func(*http.Request) bool) func(http.Handler) http.Handler {
		return nethttpmw.OapiRequestValidatorWithOptions(spec, &nethttpmw.Options{
			Options: openapi3filter.Options{
				AuthenticationFunc: authFn,
				ExcludeRequestBody: excludeBody,
				MultiError:         true,
				// Without details an error does not carry the rejected value,
				// indented, which costs time and memory with the value's size.
				SchemaValidationOptions: []openapi3.SchemaValidationOption{
					openapi3.WithStringFormatValidators(stringFormats), openapi3.DisableSchemaErrorDetails()},
			},
			SilenceServersWarning: true,
			Skipper:               skip,
			ErrorHandlerWithOpts:  validationError,
		})
	}
	isImport := func(r *http.Request) bool { return r.URL.Path == importPath }
	full := mk(false, func(r *http.Request) bool { return outsideSpec(r.URL.Path) || isImport(r) })
	noBody := mk(true, func(*http.Request) bool { return false })
	return echo.WrapMiddleware(func(h http.Handler) http.Handler {
		next := csvOnly(isImport, h)
		return full(bodyAside(isImport, noBody, next))
	})
}

// savedBody is a request body set aside while the validator runs.
type savedBody struct {
	body   io.ReadCloser
	length int64
}

type savedBodyKey struct{}

// bodyAside runs validate on the requests it applies to with their body set
// aside, and gives the body back before next. kin-openapi's security check
// reads a request's whole body into memory (for authentication functions
// that sign bodies), before anyone knows who is calling: for the streamed
// CSV import that was up to 64 MiB held per connection.
func bodyAside(applies func(*http.Request) bool, validate func(http.Handler) http.Handler, next http.Handler) http.Handler {
	validated := validate(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s, ok := r.Context().Value(savedBodyKey{}).(savedBody); ok {
			r.Body, r.ContentLength = s.body, s.length
		}
		next.ServeHTTP(w, r)
	}))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !applies(r) {
			next.ServeHTTP(w, r)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), savedBodyKey{}, savedBody{r.Body, r.ContentLength}))
		r.Body, r.ContentLength = http.NoBody, 0
		validated.ServeHTTP(w, r)
	})
}

// csvOnly answers 415 when a request that must carry a CSV body (the
// import, whose body the validator leaves unread) says it carries something
// else, or text in another charset than UTF-8.
func csvOnly(applies func(*http.Request) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if applies(r) && r.Method == http.MethodPost {
			mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			cs := strings.ToLower(params["charset"])
			if err != nil || mt != "text/csv" || (cs != "" && cs != "utf-8" && cs != "us-ascii") {
				_ = renderProblem(w, r, http.StatusUnsupportedMediaType,
					"the body must be a CSV file sent as Content-Type: text/csv (UTF-8)", nil, nil)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// stringFormats are the formats the spec uses that kin-openapi leaves
// unchecked by default. Without them a malformed uuid or e-mail passed the
// validator and failed later, in the generated binding, as a 400 that named
// no field.
var stringFormats = map[string]openapi3.StringFormatValidator{
	// Any version: our ids are UUIDv7, which kin-openapi's RFC 4122 pattern refuses.
	"uuid": openapi3.NewRegexpFormatValidator(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`),
	// A bare address, exactly as the generated types' net/mail check takes
	// it: "Ana <ana@example.com>" would otherwise be stored as another string.
	"email": openapi3.NewCallbackValidator(func(s string) error {
		if !auth.IsAddress(s) {
			return errors.New("must be an e-mail address such as name@example.com")
		}
		return nil
	}),
	// The spec's pattern for names cannot name these characters in a
	// syntax both Go and ECMAScript read; this format adds them.
	"person-name":  openapi3.NewCallbackValidator(noDirectionControls),
	"visible-text": openapi3.NewCallbackValidator(noDirectionControls),
	// The byte rule bcrypt needs, checked with the rest of the body: as a
	// handler's check it would be told only once every other field was right.
	"password": openapi3.NewCallbackValidator(func(s string) error {
		if auth.CheckPasswordRules(s) != nil {
			return errors.New(auth.PasswordLengthRule)
		}
		return nil
	}),
	// The parser the generated binding uses, so the two never disagree, and
	// a message that shows the form instead of kin-openapi's regular expression.
	"date-time": openapi3.NewCallbackValidator(func(s string) error {
		t, err := time.Parse(time.RFC3339Nano, s)
		switch {
		// A "+02:00" typed into a URL arrives as " 02:00": a query decodes
		// + as a space.
		case err != nil && len(s) > 6 && s[len(s)-6] == ' ' && s[len(s)-3] == ':':
			return errors.New("must be an RFC 3339 date-time with its time zone, such as 2026-11-01T09:00:00Z; in a URL, write the + of an offset as %2B (2026-11-01T09:00:00%2B01:00)")
		case err != nil:
			return errors.New("must be an RFC 3339 date-time with its time zone, such as 2026-11-01T09:00:00Z")
		// An offset can take a valid year out of range in UTC, where JSON
		// (an echoed "since") cannot write it.
		case t.UTC().Year() < 1 || t.UTC().Year() > 9999:
			return errors.New("must fall between 0001-01-01 and 9999-12-31 in UTC")
		}
		return nil
	}),
}

// noDirectionControls refuses text whose invisible direction controls
// would make what follows them display in another order wherever it is
// shown (lists, exports, the audit trail's summaries).
func noDirectionControls(s string) error {
	switch {
	case leadrules.HasDirectionControl(s):
		return errors.New(leadrules.DirectionControlProblem)
	case leadrules.HasLineSeparator(s):
		return errors.New(leadrules.LineSeparatorProblem)
	}
	return nil
}

// validationError writes the validator's verdict as problem+json, with the
// offending field named where kin-openapi tells it.
func validationError(ctx context.Context, err error, w http.ResponseWriter, r *http.Request, o nethttpmw.ErrorHandlerOpts) {
	status := o.StatusCode
	var (
		mbe    *http.MaxBytesError
		secErr *openapi3filter.SecurityRequirementsError
	)
	// In MultiError mode a request without a token has its parameters and
	// body checked too; it still gets the 401 alone. kin-openapi reads the
	// body while checking security, so a body that cannot be read fails
	// that check too: a 413 when over the limit, else a 400.
	switch {
	case errors.As(err, &mbe):
		status = http.StatusRequestEntityTooLarge
	case errors.As(err, &secErr):
		status = http.StatusUnauthorized
		var (
			unread  *openapi3filter.RequestError
			refused *apperr.Error // the wrong role
		)
		switch {
		case errors.As(secErr, &unread):
			status = http.StatusBadRequest
			err = unread
		case errors.As(secErr, &refused):
			_ = renderProblem(w, r, refused.Status, refused.Detail, nil, nil)
			return
		}
	case errors.Is(err, routers.ErrMethodNotAllowed):
		status = http.StatusMethodNotAllowed
	}
	detail, fields := describe(err)
	if listHint(r, fields) {
		detail = fieldsDetail(fields)
	}
	switch status {
	case http.StatusNotFound:
		detail = "no such endpoint: " + r.Method + " " + r.URL.Path
	case http.StatusMethodNotAllowed:
		detail = r.Method + " is not allowed on " + r.URL.Path
	case http.StatusUnauthorized:
		detail, fields = "a valid bearer access token is required", nil
		// RFC 6750: a bearer token came and was refused (expired, revoked,
		// forged), which tells a client to refresh rather than to log in.
		// Only here: a public endpoint's 401 is about its body's credentials.
		if _, ok := bearerToken(r); ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="jmk", error="invalid_token", error_description="the access token is expired, revoked or invalid"`)
			detail = invalidTokenDetail
		}
	case http.StatusRequestEntityTooLarge:
		detail, fields = tooLargeDetail, nil
	case http.StatusInternalServerError:
		Logger(ctx).ErrorContext(ctx, "request validation failed unexpectedly", "err", err)
		detail, fields = "internal error", nil
	}
	if status == http.StatusBadRequest && strings.Contains(err.Error(), "header Content-Type has unexpected value") {
		status = http.StatusUnsupportedMediaType
		detail, fields = "the body must be JSON, sent as Content-Type: application/json", nil
		if r.Method == http.MethodPatch {
			// RFC 5789 section 2.2: say which patch formats are accepted.
			w.Header().Set("Accept-Patch", "application/merge-patch+json, application/json")
			detail = "the body must be a JSON merge patch, sent as Content-Type: application/merge-patch+json or application/json"
		}
	}
	_ = renderProblem(w, r, status, detail, fields, nil)
}

// describe turns a kin-openapi verdict into a one-line detail and field
// errors. The validator runs in MultiError mode, so one verdict may list
// every bad parameter and every bad body property; a client fixing a form
// then sees all of them at once.
func describe(err error) (string, []apperr.FieldError) {
	var (
		details []string
		fields  []apperr.FieldError
	)
	for _, e := range flatten(err) {
		var re *openapi3filter.RequestError
		if !errors.As(e, &re) {
			details = append(details, firstLine(e.Error()))
			continue
		}
		if d := bodyDetail(re); d != "" {
			details = append(details, d)
			continue
		}
		details = append(details, firstLine(re.Error()))
		field := ""
		if re.Parameter != nil {
			field = re.Parameter.Name
		}
		if fe := schemaFieldErrors(field, re.Err); len(fe) > 0 {
			fields = append(fields, fe...)
		} else if field != "" {
			msg := re.Reason
			if re.Err != nil && re.Err.Error() != re.Reason { // "empty value is not allowed" comes as both
				msg += errText(re.Err)
			}
			fields = append(fields, apperr.FieldError{Field: field, Message: parseProblem(re, plainReason(firstLine(msg)))})
		}
	}
	fields = slices.CompactFunc(fields, func(a, b apperr.FieldError) bool { return a == b })
	if len(fields) > 0 {
		return fieldsDetail(fields), fields
	}
	if len(details) == 0 {
		return firstLine(err.Error()), fields
	}
	return details[0], fields
}

// listHint tells a caller who sent a list filter as one comma-separated
// value (?status=new,contacted) how a list is sent: the parameter repeated.
// It reports whether it changed a message.
func listHint(r *http.Request, fields []apperr.FieldError) bool {
	changed := false
	for i, f := range fields {
		// A list's element is named by its value (see schemaFieldErrors).
		if !strings.HasPrefix(f.Message, "has ") {
			continue
		}
		name := f.Field
		if vals := r.URL.Query()[name]; slices.ContainsFunc(vals, func(v string) bool { return strings.Contains(v, ",") }) {
			fields[i].Message += fmt.Sprintf("; for several values repeat the parameter: ?%s=a&%s=b", name, name)
			changed = true
		}
	}
	return changed
}

// bodyDetail words the errors about a body as a whole, which kin-openapi
// reports as "request body has an error: failed to decode request body:
// EOF": "" for any other error.
func bodyDetail(re *openapi3filter.RequestError) string {
	switch {
	case re.RequestBody == nil:
		return ""
	case errors.Is(re.Err, openapi3filter.ErrInvalidRequired):
		return "the request body is missing: send a JSON object"
	case re.Reason == "failed to decode request body":
		return "the request body is not valid JSON" + errText(re.Err)
	}
	return ""
}

// fieldsDetail is the detail of a 400 with several field errors: the
// first maxProblemFields fields it names, each once, or one field's
// problems when they are all about the same field ({"age": 16.5} is
// neither an integer nor at least 17).
func fieldsDetail(fields []apperr.FieldError) string {
	var names, messages []string
	seen := make(map[string]bool, len(fields)) // thousands of fields must not cost their square
	for _, f := range fields {
		if !seen[f.Field] {
			seen[f.Field] = true
			names = append(names, f.Field)
		}
		if len(messages) < maxProblemFields && !slices.Contains(messages, f.Message) {
			messages = append(messages, f.Message)
		}
	}
	if len(names) == 1 {
		d := names[0] + ": " + strings.Join(messages, "; ")
		if len(fields) > len(messages) {
			d += fmt.Sprintf(" (%d errors)", len(fields))
		}
		return d
	}
	shown := names[:min(len(names), maxProblemFields)]
	more := ""
	if n := len(names) - len(shown); n > 0 {
		more = fmt.Sprintf(" and %d more", n)
	}
	return fmt.Sprintf("%d fields are invalid: %s%s", len(names), strings.Join(shown, ", "), more)
}

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
	var out []apperr.FieldError
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
		reason := plainReason(raw)
		if reason == doubleRangeMessage {
			// kin-openapi converts a number before it checks the type: 1e309
			// for a name is wrong for being a number, not for its size.
			if m, ok := typeMessages[schemaType(se.Schema)]; ok {
				reason = m
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
		out = append(out, apperr.FieldError{Field: field, Message: reason})
	}
	return withoutRedundantBounds(out)
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
	`^[^\p{Cc}]*[\p{L}\p{N}][^\p{Cc}]*$`:        "must hold a letter or digit, on one line (no control characters)",
	`^[^\p{Cc}]*$`:                              "must be on one line (no control characters)",
	`^[+()\- ]*[0-9][0-9+()\- ]*$`:              "may hold only digits, spaces and + ( ) -, and at least one digit",
	`^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F]*$`: "must not hold control characters other than tab and line breaks",
	`^(me|` + uuidPattern + `)$`:                "must be a user id (a UUID) or me",
	`^(me|none|` + uuidPattern + `)$`:           "must be a user id (a UUID), me or none",
}

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

// parseProblem words a parameter that did not parse as its type ("value
// abc: an invalid integer: invalid syntax"), from kin-openapi's ParseError
// rather than its text, which quotes the client's value; msg otherwise.
func parseProblem(re *openapi3filter.RequestError, msg string) string {
	var pe *openapi3filter.ParseError
	if !errors.As(re.Err, &pe) {
		return msg
	}
	if errors.Is(pe.Cause, strconv.ErrRange) {
		if sc := re.Parameter.Schema; sc != nil && sc.Value != nil && sc.Value.Min != nil && sc.Value.Max != nil {
			return fmt.Sprintf("must be from %s to %s", strconv.FormatFloat(*sc.Value.Min, 'f', -1, 64), strconv.FormatFloat(*sc.Value.Max, 'f', -1, 64))
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
