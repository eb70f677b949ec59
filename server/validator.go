package server

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/labstack/echo/v4"
	nethttpmw "github.com/oapi-codegen/nethttp-middleware"

	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/handlers"
)

// invalidTokenDetail is the detail of a 401 for a bearer token that was
// refused, whose problem type is invalid-token.
const invalidTokenDetail = "the access token is expired, revoked or invalid: refresh it (POST /api/v1/auth/refresh), or log in again"

// authSchemeDetail is the detail of a 401 for an Authorization header that
// holds no bearer token: a token without "Bearer ", another scheme, or two
// headers.
const authSchemeDetail = "the Authorization header must be one header of the form: Bearer <access token>"

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
			return errors.New(auth.TokenRequired)
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

// utf8Charset reports whether a media type's parameters leave its charset
// UTF-8: none named, utf-8, or us-ascii (a subset of it).
func utf8Charset(params map[string]string) bool {
	cs := strings.ToLower(params["charset"])
	return cs == "" || cs == "utf-8" || cs == "us-ascii"
}

// csvOnly answers 415 when a request that must carry a CSV body (the
// import, whose body the validator leaves unread) says it carries something
// else, or text in another charset than UTF-8.
func csvOnly(applies func(*http.Request) bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if applies(r) && r.Method == http.MethodPost {
			mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
			if err != nil || mt != "text/csv" || !utf8Charset(params) {
				_ = renderProblem(w, r, http.StatusUnsupportedMediaType,
					"the body must be a CSV file sent as Content-Type: text/csv (UTF-8)", nil, nil)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}
