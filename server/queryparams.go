package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/server/apperr"
)

// queryParams is what one operation takes in its query string.
type queryParams struct {
	names []string        // sorted, for the message
	multi map[string]bool // name -> may be repeated (an array)
}

// echoRoute is a spec path as Echo names the route that serves it
// (/api/v1/leads/{id} is /api/v1/leads/:id), for middleware that looks an
// operation up by c.Path().
func echoRoute(path string) string {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, "{") {
			segs[i] = ":" + strings.Trim(seg, "{}")
		}
	}
	return strings.Join(segs, "/")
}

// strictQuery refuses, with a 400 naming each, the query parameters an
// operation does not declare and a single-valued parameter given more than
// once, as unknown body fields are: otherwise a typo (?stauts=new) would
// answer with the unfiltered list, and a second ?since= would be ignored
// unread. It runs after the validator (401 and
// 403 come first) and reads the query as the client sent it, before the
// validator added the defaults.
func strictQuery(spec *openapi3.T) echo.MiddlewareFunc {
	ops := map[string]queryParams{} // "GET /api/v1/leads/:id", as Echo names its routes
	for path, item := range spec.Paths.Map() {
		echoPath := echoRoute(path)
		for method, op := range item.Operations() {
			q := queryParams{multi: map[string]bool{}}
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				if p.Value.In != openapi3.ParameterInQuery {
					continue
				}
				q.names = append(q.names, p.Value.Name)
				q.multi[p.Value.Name] = p.Value.Schema != nil && p.Value.Schema.Value.Type.Is(openapi3.TypeArray)
			}
			slices.Sort(q.names)
			ops[method+" "+echoPath] = q
		}
	}
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			raw, _ := c.Get(rawQueryKey).(string)
			q, known := ops[c.Request().Method+" "+c.Path()]
			// The probes answer whatever a load balancer appends.
			if raw == "" || !known || !isAPI(c.Path()) {
				return next(c)
			}
			values, _ := url.ParseQuery(raw) // textInputs reports what does not decode
			var fields []apperr.FieldError
			for name, vs := range values {
				multi, declared := q.multi[name]
				switch {
				case name == "":
					fields = append(fields, apperr.FieldError{Field: "query", Message: "has a parameter without a name (=value)"})
				case !declared:
					fields = append(fields, apperr.FieldError{Field: name, Message: unknownParamMessage(q.names)})
				case len(vs) > 1 && !multi:
					fields = append(fields, apperr.FieldError{Field: name, Message: "must be given once"})
				}
			}
			if len(fields) == 0 {
				return next(c)
			}
			slices.SortFunc(fields, func(a, b apperr.FieldError) int { return strings.Compare(a.Field, b.Field) })
			return &apperr.Error{Status: http.StatusBadRequest, Detail: fieldsDetail(fields), Fields: fields}
		}
	}
}

func unknownParamMessage(names []string) string {
	if len(names) == 0 {
		return "is not a parameter of this endpoint, which takes none"
	}
	return "is not a parameter of this endpoint, which takes " + strings.Join(names, ", ")
}
