package server

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/server/handlers"
)

// headRouter registers every GET route for HEAD as well: RFC 9110 requires
// a general-purpose server to answer HEAD wherever it answers GET, and load
// balancers and uptime checks use it. net/http drops the body of a response
// to HEAD, so the GET handler serves both.
type headRouter struct{ *echo.Echo }

// GET registers h for GET and HEAD.
func (r headRouter) GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) *echo.Route {
	r.Echo.HEAD(path, h, m...)
	return r.Echo.GET(path, h, m...)
}

// headAsGet shows a HEAD request to the rest of the chain (the spec
// validator, the generated bindings) as the GET it stands for. The server
// keeps the original request, so it still sends no body.
func headAsGet(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if r := c.Request(); r.Method == http.MethodHead {
			get := r.Clone(handlers.AsHead(r.Context()))
			get.Method = http.MethodGet
			c.SetRequest(get)
		}
		return next(c)
	}
}
