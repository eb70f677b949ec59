package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	nethttpmw "github.com/oapi-codegen/nethttp-middleware"

	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/auth"
)

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
	case onlyIfMatchMissing(err):
		_ = renderProblem(w, r, http.StatusPreconditionRequired, apperr.ErrPreconditionRequired.Error(), nil, nil)
		return
	}
	detail, fields := describe(err)
	if listHint(r, fields) {
		detail = fieldsDetail(fields)
	}
	switch status {
	case http.StatusNotFound:
		detail = noSuchEndpoint(r)
	case http.StatusMethodNotAllowed:
		detail = r.Method + " is not allowed on " + r.URL.Path
	case http.StatusUnauthorized:
		detail, fields = auth.TokenRequired, nil
		// RFC 6750: a bearer token came and was refused (expired, revoked,
		// forged), which tells a client to refresh rather than to log in.
		// Only here: a public endpoint's 401 is about its body's credentials.
		if _, ok := bearerToken(r); ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="jmk", error="invalid_token", error_description="the access token is expired, revoked or invalid"`)
			detail = invalidTokenDetail
		} else if r.Header.Get("Authorization") != "" {
			// A token pasted without its scheme, or another scheme: a new
			// login would not help.
			detail = authSchemeDetail
		}
	case http.StatusRequestEntityTooLarge:
		detail, fields = tooLargeDetail(err), nil
	case http.StatusInternalServerError:
		route := ""
		if o.MatchedRoute != nil && o.MatchedRoute.Route != nil {
			route = echoRoute(o.MatchedRoute.Route.Path)
		}
		Logger(ctx).ErrorContext(ctx, "request validation failed unexpectedly", append(whereRequest(r, route), "err", err)...)
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

// onlyIfMatchMissing reports whether err's one complaint is a PATCH's
// required If-Match left out: a 428 (RFC 6585), as the handlers answer a
// blank one, not a 400. With other complaints it is listed among them.
func onlyIfMatchMissing(err error) bool {
	errs := flatten(err)
	var re *openapi3filter.RequestError
	return len(errs) == 1 && errors.As(errs[0], &re) && re.Parameter != nil && re.Parameter.Name == "If-Match" &&
		errors.Is(re.Err, openapi3filter.ErrInvalidRequired)
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
		return jsonSyntaxDetail(decodeCause(re.Err), requestBody(re))
	}
	return ""
}

// decodeCause is the decoder's own error inside a body's decoding
// failure, which kin-openapi wraps in a ParseError: its text, not the
// wrapper's, is the fallback detail.
func decodeCause(err error) error {
	var pe *openapi3filter.ParseError
	if errors.As(err, &pe) && pe.Cause != nil {
		return pe.RootCause()
	}
	return err
}

// requestBody is the body the validator read, which it leaves readable
// again; nil when it cannot be had.
func requestBody(re *openapi3filter.RequestError) []byte {
	if re.Input == nil || re.Input.Request == nil || re.Input.Request.GetBody == nil {
		return nil
	}
	rc, err := re.Input.Request.GetBody()
	if err != nil {
		return nil
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return b
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
