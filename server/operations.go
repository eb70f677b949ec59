package server

import (
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"
)

// operations indexes what the middleware needs to know of the spec's
// operations by Echo's name for the route that serves them ("GET
// /api/v1/leads/:id"), so that each looks an operation up by c.Path().
type operations map[string]operation

// operation is one operation of the spec, as the middleware sees it.
type operation struct {
	body  bool        // it takes a request body
	open  bool        // a caller without a token may use it (no security, or logout's optional token)
	admin bool        // it needs the admin role (x-required-role: admin)
	query queryParams // what it takes in its query string
}

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

func newOperations(spec *openapi3.T) operations {
	ops := operations{}
	for path, item := range spec.Paths.Map() {
		for method, op := range item.Operations() {
			o := operation{body: op.RequestBody != nil, admin: op.Extensions["x-required-role"] == "admin",
				query: queryParams{multi: map[string]bool{}}}
			if op.Security != nil {
				o.open = len(*op.Security) == 0 || slices.ContainsFunc(*op.Security,
					func(req openapi3.SecurityRequirement) bool { return len(req) == 0 })
			}
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				if p.Value.In != openapi3.ParameterInQuery {
					continue
				}
				o.query.names = append(o.query.names, p.Value.Name)
				o.query.multi[p.Value.Name] = p.Value.Schema != nil && p.Value.Schema.Value.Type.Is(openapi3.TypeArray)
			}
			slices.Sort(o.query.names)
			ops[method+" "+echoRoute(path)] = o
		}
	}
	return ops
}

// unmatchedRoute clears the route of a request no route matched, for the
// middleware after it, the metrics and the access log. Echo's router, after
// a miss below a parameter route (/api/v1/users/1/x), leaves that route's
// name in c.Path(), and the request would be counted, logged and checked
// as a call of it. A route without a wildcard matches only paths of as
// many segments as its own, so a mismatch there is a miss.
func unmatchedRoute(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if route := c.Path(); !strings.HasSuffix(route, "*") &&
			strings.Count(route, "/") != strings.Count(echo.GetPath(c.Request()), "/") {
			c.SetPath("")
		}
		return next(c)
	}
}
