package server

import (
	"context"
	"errors"
	"mime"
	"net/http"
	"net/mail"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/labstack/echo/v4"
	nethttpmw "github.com/oapi-codegen/nethttp-middleware"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/auth"
)

// specPaths are served outside the spec and skip validation.
func outsideSpec(path string) bool {
	return path == "/metrics" || path == "/openapi.yaml" || path == "/docs" || strings.HasPrefix(path, "/docs/")
}

// validator checks every request against the embedded spec before any
// handler runs: security (401 without an identity), parameters and JSON
// bodies. The CSV import's body is streamed to its handler unread, so for
// that one route the body is left out of validation.
func validator() (echo.MiddlewareFunc, error) {
	spec, err := api.GetSwagger()
	if err != nil {
		return nil, err
	}
	spec.Servers = nil // match on path only, whatever host the server runs on
	authFn := func(ctx context.Context, in *openapi3filter.AuthenticationInput) error {
		if _, ok := auth.FromContext(in.RequestValidationInput.Request.Context()); !ok {
			return errors.New("a valid bearer access token is required")
		}
		return nil
	}
	mk := func(excludeBody bool, skip func(*http.Request) bool) func(http.Handler) http.Handler {
		return nethttpmw.OapiRequestValidatorWithOptions(spec, &nethttpmw.Options{
			Options: openapi3filter.Options{
				AuthenticationFunc:      authFn,
				ExcludeRequestBody:      excludeBody,
				SchemaValidationOptions: []openapi3.SchemaValidationOption{openapi3.WithStringFormatValidators(stringFormats)},
			},
			SilenceServersWarning: true,
			Skipper:               skip,
			ErrorHandlerWithOpts:  validationError,
		})
	}
	isImport := func(r *http.Request) bool { return r.URL.Path == "/api/v1/leads/import" }
	full := mk(false, func(r *http.Request) bool { return outsideSpec(r.URL.Path) || isImport(r) })
	noBody := mk(true, func(r *http.Request) bool { return !isImport(r) })
	return echo.WrapMiddleware(func(h http.Handler) http.Handler { return full(noBody(csvOnly(isImport, h))) }), nil
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
		if a, err := mail.ParseAddress(s); err != nil || a.Address != s {
			return errors.New("must be an e-mail address such as name@example.com")
		}
		return nil
	}),
}

// validationError writes the validator's verdict as problem+json, with the
// offending field named where kin-openapi tells it.
func validationError(ctx context.Context, err error, w http.ResponseWriter, r *http.Request, o nethttpmw.ErrorHandlerOpts) {
	status := o.StatusCode
	var (
		mbe    *http.MaxBytesError
		secErr *openapi3filter.SecurityRequirementsError
	)
	switch {
	case errors.As(err, &mbe):
		status = http.StatusRequestEntityTooLarge
	case errors.Is(err, routers.ErrMethodNotAllowed):
		status = http.StatusMethodNotAllowed
	case errors.As(err, &secErr):
		status = http.StatusUnauthorized
	}
	detail, fields := describe(err)
	switch status {
	case http.StatusNotFound:
		detail = "no such endpoint: " + r.Method + " " + r.URL.Path
	case http.StatusMethodNotAllowed:
		detail = r.Method + " is not allowed on " + r.URL.Path
	case http.StatusUnauthorized:
		detail, fields = "a valid bearer access token is required", nil
	case http.StatusRequestEntityTooLarge:
		detail, fields = "the request body is over the size limit", nil
	case http.StatusInternalServerError:
		Logger(ctx).ErrorContext(ctx, "request validation failed unexpectedly", "err", err)
		detail, fields = "internal error", nil
	}
	if strings.Contains(detail, "header Content-Type has unexpected value") {
		status = http.StatusUnsupportedMediaType
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="jmk"`)
	}
	_ = renderProblem(w, r, status, detail, fields, nil)
}

// describe turns a kin-openapi error into a one-line detail and field errors.
func describe(err error) (string, []apperr.FieldError) {
	var re *openapi3filter.RequestError
	if !errors.As(err, &re) {
		return firstLine(err.Error()), nil
	}
	var se *openapi3.SchemaError
	field := ""
	if re.Parameter != nil {
		field = re.Parameter.Name
	}
	msg := firstLine(re.Error())
	if errors.As(re.Err, &se) {
		if p := se.JSONPointer(); len(p) > 0 {
			if field != "" {
				field += "."
			}
			field += strings.Join(p, ".")
		}
		// An allOf (how the spec gives a $ref such as an enumeration its own
		// description) reports only that it failed; the schema inside says
		// why, e.g. which values are allowed.
		for se.SchemaField == "allOf" {
			var inner *openapi3.SchemaError
			if !errors.As(se.Origin, &inner) {
				break
			}
			se = inner
		}
		reason := plainReason(firstLine(se.Reason))
		if field == "" && strings.Contains(reason, "property") {
			// "property \"x\" is unsupported" / "property \"x\" is missing"
			if i := strings.Index(reason, `"`); i >= 0 {
				if j := strings.Index(reason[i+1:], `"`); j >= 0 {
					field = reason[i+1 : i+1+j]
				}
			}
		}
		if field == "" {
			field = "body"
		}
		return msg, []apperr.FieldError{{Field: field, Message: reason}}
	}
	if field != "" {
		return msg, []apperr.FieldError{{Field: field, Message: firstLine(re.Reason + errText(re.Err))}}
	}
	return msg, nil
}

// plainReason rewords the few kin-openapi reasons that confuse more than
// they tell (the tests pin each one, so a library change shows up there).
func plainReason(reason string) string {
	switch {
	case strings.Contains(reason, "cannot convert json.Number to float64"):
		return doubleRangeMessage
	case strings.Contains(reason, `doesn't match the format "int32"`):
		return wholeNumberMessage(32) // kin-openapi quotes the int64 bounds here
	}
	return reason
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
