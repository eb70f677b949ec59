package server

import (
	"context"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// longRoutes are the operations whose work grows with the data (or with
// the client's reading speed): they run without REQUEST_TIMEOUT, bounded by
// the client staying connected and by the shutdown deadline instead.
var longRoutes = map[string]bool{
	http.MethodPost + " /api/v1/leads/import":                     true,
	http.MethodGet + " /api/v1/leads/export":                      true,
	http.MethodPost + " /api/v1/scoring/models":                   true,
	http.MethodPost + " /api/v1/scoring/models/:version/activate": true,
	http.MethodPut + " /api/v1/scoring/thresholds":                true,
	http.MethodGet + " /api/v1/audit-events/verify":               true,
}

// writeGrace is how long after its deadline an API request's answer may
// still be written: its 503 is written then.
const writeGrace = 10 * time.Second

// requestDeadline bounds every other request to d, from its headers on:
// reading its body, waiting for a database connection and its queries. A
// database that hangs (a lock held, a pool taken by slow work) then costs a
// client a 503 after d instead of a request that never ends. The long
// routes' bodies (a few bytes of JSON) are bounded to d all the same, from
// the first read: the caller is checked only once the body is read, and a
// body trickled in a byte at a time would let anyone hold a connection for
// the server's long read timeout. The import's upload has its own
// (importUpload). It runs after headAsGet, so a HEAD goes as its GET does.
//
// An API answer's write deadline moves with it: none on a long route (the
// server's WriteTimeout would drop the answer of work already saved; the
// export sets one per block it sends), and past d on the others, whatever
// the WriteTimeout (REQUEST_TIMEOUT may be the longer).
func requestDeadline(d time.Duration) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			long := longRoutes[r.Method+" "+c.Path()]
			deadline := time.Now().Add(d)
			writeUntil := deadline.Add(writeGrace)
			if long {
				writeUntil = time.Time{}
			}
			rc := http.NewResponseController(c.Response())
			if isAPI(r.URL.Path) { // the docs' assets keep the server's WriteTimeout
				_ = rc.SetWriteDeadline(writeUntil)
			}
			if r.Method == http.MethodPost && c.Path() == importPath {
				return next(c)
			}
			if r.Body != nil && r.Body != http.NoBody {
				// Cleared once the body is read: net/http then reads on in
				// the background to notice a client that leaves, and a
				// deadline hit there would cancel the request.
				body := &deadlineBody{ReadCloser: r.Body, clear: func() { _ = rc.SetReadDeadline(time.Time{}) }}
				switch {
				case long:
					// From the first read: a long route has no deadline
					// on the checks before it (the caller's session may
					// wait for a database connection), and that wait must
					// not count as a slow body.
					body.start = func() { _ = rc.SetReadDeadline(time.Now().Add(d)) }
					r.Body = body
				case rc.SetReadDeadline(deadline) == nil:
					r.Body = body
				}
			}
			if long {
				return next(c)
			}
			ctx, cancel := context.WithDeadline(r.Context(), deadline)
			defer cancel()
			c.SetRequest(r.WithContext(ctx))
			// The error is answered here, while ctx still tells a deadline
			// that passed from a client that left (see outage).
			if err := next(c); err != nil {
				c.Error(err)
			}
			return nil
		}
	}
}

// deadlineBody clears the connection's read deadline when the body has
// been read to its end. After a timeout the deadline stays: net/http then
// fails at once to drain the rest of the body, and closes the connection.
type deadlineBody struct {
	io.ReadCloser
	start func() // when set, sets the deadline at the first read
	clear func()
	done  bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	if b.start != nil {
		b.start()
		b.start = nil
	}
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		b.clear()
	}
	return n, err
}
