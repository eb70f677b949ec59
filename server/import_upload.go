package server

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/server/handlers"
)

// importPath is the CSV import's route, which several middlewares treat
// apart: its body is a file, larger and slower than any other.
const importPath = "/api/v1/leads/import"

// importUpload lets an import restart its upload's read deadline once it has
// its turn (handlers.WithUploadClock). The server's read timeout starts with
// the request, and an import queued behind a long one would otherwise run out
// of it before reading a row: a 408 for an upload that was on time.
func importUpload(limit time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if r.Method != http.MethodPost || c.Path() != importPath {
				return next(c)
			}
			rc := http.NewResponseController(c.Response())
			restart := func() { _ = rc.SetReadDeadline(time.Now().Add(limit)) }
			c.SetRequest(r.WithContext(handlers.WithUploadClock(r.Context(), restart)))
			return next(c)
		}
	}
}
