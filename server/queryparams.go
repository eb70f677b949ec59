package server

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/server/apperr"
)

// strictQuery refuses, with a 400 naming each, the query parameters an
// operation does not declare and a single-valued parameter given more than
// once, as unknown body fields are: otherwise a typo (?stauts=new) would
// answer with the unfiltered list, and a second ?since= would be ignored
// unread. It runs after the validator (401 and
// 403 come first) and reads the query as the client sent it, before the
// validator added the defaults.
func strictQuery(ops operations) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			raw, _ := c.Get(rawQueryKey).(string)
			op, known := ops[c.Request().Method+" "+c.Path()]
			q := op.query
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
