package server

import (
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/server/apperr"
)

// problemTypeBase prefixes the problem "type" URIs; they name the kind of
// failure and are stable, so clients may switch on them.
const problemTypeBase = "https://jmk.example/problems/"

var problemTypes = map[int]string{
	400: "validation", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
	408: "request-timeout", 409: "conflict", 412: "precondition-failed", 413: "too-large", 415: "unsupported-media-type",
	422: "unprocessable", 428: "precondition-required", 429: "too-many-requests", 500: "internal",
	501: "not-implemented", 503: "unavailable",
}

// problem is the RFC 9457 body. It mirrors api.Problem but is built here so
// that errors from outside the strict handlers (middleware, router) use it too.
type problem struct {
	Type              string              `json:"type"`
	Title             string              `json:"title"`
	Status            int                 `json:"status"`
	Detail            string              `json:"detail"`
	Instance          string              `json:"instance"`
	RequestID         string              `json:"request_id"`
	Errors            []apperr.FieldError `json:"errors,omitempty"`
	AllowedNextStates *[]string           `json:"allowed_next_states,omitempty"`
}

// writeProblem sends a problem+json response.
func writeProblem(c echo.Context, status int, detail string, fields []apperr.FieldError, allowed []string) error {
	return renderProblem(c.Response(), c.Request(), status, detail, fields, allowed)
}

// tooLargeDetail is the detail of a 413 found while the body was read, with
// the limit http.MaxBytesReader was given (see bodyLimit).
func tooLargeDetail(err error) string {
	var mbe *http.MaxBytesError
	if !errors.As(err, &mbe) {
		return "the request body is over its size limit" // not reached: bodyLimit's reader says which
	}
	return bodyTooLarge(mbe.Limit).Detail
}

// maxProblemFields is the most field errors a problem lists.
const maxProblemFields = 20

// renderProblem writes a problem+json response on a plain ResponseWriter,
// for the validator, which runs as net/http middleware.
func renderProblem(w http.ResponseWriter, r *http.Request, status int, detail string, fields []apperr.FieldError, allowed []string) error {
	// A request with thousands of bad parameters would otherwise get a
	// response many times its size; the detail gives the count.
	fields = fields[:min(len(fields), maxProblemFields)]
	p := problem{
		Type:      problemTypeBase + problemTypes[status],
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.Path,
		RequestID: w.Header().Get(echo.HeaderXRequestID),
		Errors:    fields,
	}
	if allowed != nil {
		// An empty list is information too: the lead cannot move at all.
		p.AllowedNextStates = &allowed
	}
	switch {
	case problemTypes[status] == "":
		p.Type = "about:blank"
	case status == http.StatusUnauthorized && strings.Contains(w.Header().Get("WWW-Authenticate"), "invalid_token"):
		// Refresh, rather than log in: told apart for clients that read
		// the body only (a browser needs WWW-Authenticate exposed).
		p.Type = problemTypeBase + "invalid-token"
	}
	if status == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="jmk"`) // RFC 9110 requires it on every 401
	}
	w.Header().Set(echo.HeaderContentType, "application/problem+json")
	w.WriteHeader(status)
	_, err := w.Write(mustJSON(p))
	return err
}

// recoveredPanic is a handler's panic, caught and logged by the recover
// middleware: a 500 whatever the request's context says by then. The
// deadline middleware's cancel runs while the panic unwinds, so the context
// tells of a client gone away (a 499 at INFO) that is still there.
type recoveredPanic struct{ error }

// errorHandler is Echo's one error handler: expected errors become their
// problem, router errors their status, and anything else a logged 500 whose
// detail never reaches the client.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		var (
			ae *apperr.Error
			he *echo.HTTPError
		)
		switch {
		case errors.As(err, &ae):
			if ae.RetryAfter > 0 {
				c.Response().Header().Set("Retry-After", strconv.Itoa(ae.RetryAfter))
			}
			if ae.ETag != "" {
				c.Response().Header().Set("ETag", ae.ETag)
			}
			logServerProblem(c, log, ae, err)
			_ = writeProblem(c, ae.Status, ae.Detail, ae.Fields, ae.AllowedNextStates)
			return
		case errors.As(err, &he):
			detail, fields := http.StatusText(he.Code), []apperr.FieldError(nil)
			switch he.Code {
			case http.StatusNotFound:
				detail = noSuchEndpoint(c.Request())
			case http.StatusMethodNotAllowed:
				detail = c.Request().Method + " is not allowed on " + c.Request().URL.Path
			case http.StatusRequestEntityTooLarge:
				detail = tooLargeDetail(err)
			case http.StatusBadRequest:
				detail = "malformed request"
				if f, ok := typeError(err); ok {
					detail, fields = f.Field+": "+f.Message, []apperr.FieldError{f}
				} else if f, ok := bindError(he); ok {
					detail, fields = f.Field+": "+f.Message, []apperr.FieldError{f}
				}
			}
			if he.Code >= 500 {
				requestLogger(c, log).ErrorContext(c.Request().Context(), "http error", append(where(c), "err", err)...)
				detail = "internal error"
			}
			_ = writeProblem(c, he.Code, detail, fields, nil)
			return
		}
		if status := apperr.StatusOf(err); status != http.StatusInternalServerError {
			_ = writeProblem(c, status, sentinelDetail(err), nil, nil)
			return
		}
		if errors.As(err, new(recoveredPanic)) {
			_ = writeProblem(c, http.StatusInternalServerError, unexpectedDetail, nil, nil)
			return
		}
		if status, detail, ok := outage(c.Request().Context(), err); ok {
			level := slog.LevelWarn
			if status == statusClientClosed {
				level = slog.LevelInfo
			} else {
				c.Response().Header().Set("Retry-After", strconv.Itoa(outageRetryAfter))
			}
			requestLogger(c, log).Log(c.Request().Context(), level, detail, append(where(c), "err", err)...)
			_ = writeProblem(c, status, detail, nil, nil)
			return
		}
		requestLogger(c, log).ErrorContext(c.Request().Context(), "unexpected error", append(where(c), "err", err)...)
		_ = writeProblem(c, http.StatusInternalServerError, unexpectedDetail, nil, nil)
	}
}

// logServerProblem logs the cause of an expected 5xx (every export or bulk
// write slot taken, an import's staging tables held by a backup), which
// would otherwise show only as its access line's status: a 503 at WARN, as
// every other 503's cause is, any other 5xx at ERROR, which makes its
// access line a WARN (one failure, one ERROR line). /readyz's handler logs
// its own cause, once a minute while it fails; a client error is not
// logged.
func logServerProblem(c echo.Context, log *slog.Logger, ae *apperr.Error, err error) {
	if ae.Status < 500 || c.Path() == "/readyz" {
		return
	}
	level := slog.LevelError
	if ae.Status == http.StatusServiceUnavailable {
		level = slog.LevelWarn
	}
	args := where(c)
	if msg := err.Error(); msg != ae.Detail { // wrapped with more to say
		args = append(args, "err", msg)
	}
	requestLogger(c, log).Log(c.Request().Context(), level, ae.Detail, args...)
}

// where names a failed request in its error's log line, so that the line
// says what failed without the request's access line.
func where(c echo.Context) []any { return whereRequest(c.Request(), c.Path()) }

// whereRequest is where for code that has the request and its route (as
// Echo names it, /api/v1/leads/:id) but not Echo's context: the
// validator, which runs as net/http middleware.
func whereRequest(r *http.Request, route string) []any {
	return []any{"method", r.Method, "route", route, "path", r.URL.Path}
}

// unexpectedDetail is the detail of a 500, which says nothing of its cause.
const unexpectedDetail = "an unexpected error occurred; quote the request_id when reporting it"

// requestLogger is the request's logger, which carries its request id (the
// 500's body tells the client to quote it), or log before that is set.
func requestLogger(c echo.Context, log *slog.Logger) *slog.Logger {
	if l, ok := c.Request().Context().Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return log
}

// typeError names the field of a JSON value that the spec allows but its Go
// type cannot hold: 40.0 or 4e1 for an integer (JSON Schema counts them as
// integers, Go's decoder does not), or a number beyond the type's range.
func typeError(err error) (apperr.FieldError, bool) {
	var ute *json.UnmarshalTypeError
	if !errors.As(err, &ute) || ute.Field == "" || ute.Type == nil {
		return apperr.FieldError{}, false
	}
	msg := "must be a " + ute.Type.String()
	switch ute.Type.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		msg = wholeNumberMessage(ute.Type.Bits())
		if strings.ContainsAny(ute.Value, ".eE") { // "number 40.0": in range, but not as Go reads integers
			msg = "must be written as a whole number, without a fraction or exponent (such as 40)"
		}
	case reflect.Float32, reflect.Float64:
		msg = doubleRangeMessage
	}
	return apperr.FieldError{Field: ute.Field, Message: msg}, true
}

// bindError names the parameter the generated router could not bind, in
// the few cases the validator lets through: a single-valued query parameter
// given twice (the validator reads the first).
func bindError(he *echo.HTTPError) (apperr.FieldError, bool) {
	msg, _ := he.Message.(string)
	rest, ok := strings.CutPrefix(msg, "Invalid format for parameter ")
	name, reason, ok2 := strings.Cut(rest, ": ")
	if !ok || !ok2 {
		return apperr.FieldError{}, false
	}
	if strings.Contains(reason, "multiple values for single value parameter") {
		reason = "must be given once"
	}
	return apperr.FieldError{Field: name, Message: reason}, true
}

// doubleRangeMessage is the field error for a number too large for a double.
const doubleRangeMessage = "must be a number within the range of a double"

// wholeNumberMessage is the field error for a value outside the range of a
// signed integer of that many bits.
func wholeNumberMessage(bits int) string { return wholeNumberRange(bits, nil, nil) }

// wholeNumberRange says the range of a whole number: from minimum to maximum, each
// where set, else the bound of a signed integer of that many bits.
func wholeNumberRange(bits int, minimum, maximum *float64) string {
	hi := int64(math.MaxInt64 >> (64 - bits))
	from, to := strconv.FormatInt(-hi-1, 10), strconv.FormatInt(hi, 10)
	if minimum != nil {
		from = strconv.FormatFloat(*minimum, 'f', -1, 64)
	}
	if maximum != nil {
		to = strconv.FormatFloat(*maximum, 'f', -1, 64)
	}
	return "must be a whole number from " + from + " to " + to
}

// sentinelDetail is the client-safe text of a bare sentinel.
func sentinelDetail(err error) string {
	for _, s := range []error{apperr.ErrStale, apperr.ErrPreconditionRequired, apperr.ErrNotFound,
		apperr.ErrConflict, apperr.ErrForbidden, apperr.ErrUnauthorized} {
		if errors.Is(err, s) {
			return s.Error()
		}
	}
	return ""
}

// noSuchEndpoint is the 404's detail for a route that does not exist,
// pointing a lost caller (a browser at /, a path without /api/v1) to the
// reference.
func noSuchEndpoint(r *http.Request) string {
	hint := " (the API is under /api/v1; its reference is at /docs)"
	if r.URL.Path == "/api/v1" || strings.HasPrefix(r.URL.Path, "/api/v1/") {
		hint = " (the API's reference is at /docs)"
	}
	return "no such endpoint: " + r.Method + " " + r.URL.Path + hint
}
