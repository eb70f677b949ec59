package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/jmksales/jmk/server/store"
)

// statusClientClosed is what the access log and metrics record for a
// request whose client went away before the answer (nginx's 499): nobody
// reads the response, and it is no server error.
const statusClientClosed = 499

// errShuttingDown is the cause of the requests cut off at the shutdown
// deadline (see App.Serve).
var errShuttingDown = errors.New("server shutting down")

// outageRetryAfter is the Retry-After, in seconds, of a 503.
const outageRetryAfter = 5

// timedOutDetail is the detail of a 503 for a request over its time, or
// a statement over one of the database's limits.
const timedOutDetail = "the request did not complete in time (the server or its database is busy, or the database is unreachable); try again shortly"

// outage classifies an error no layer expected: a client that went away,
// a request over its deadline, a database that cannot be reached or is
// going down, or a transaction the database aborted because it collided
// with another (a deadlock: two imports, releases or re-scorings locking
// the same leads), which rolled back whole and may simply be tried again.
// ok is false for anything else (a genuine 500).
func outage(ctx context.Context, err error) (status int, detail string, ok bool) {
	switch {
	case errors.Is(context.Cause(ctx), errShuttingDown):
		return http.StatusServiceUnavailable, "the server is shutting down; try again", true
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return http.StatusServiceUnavailable, timedOutDetail, true
	// Before the database's own limits: a statement cancelled because the
	// client left ends as a cancelled statement too (57014).
	case errors.Is(ctx.Err(), context.Canceled):
		return statusClientClosed, "the client closed the request", true
	case errors.Is(err, context.DeadlineExceeded) || store.TimedOut(err):
		return http.StatusServiceUnavailable, timedOutDetail, true
	case store.Unavailable(err):
		return http.StatusServiceUnavailable, "the database is unavailable; try again shortly", true
	case store.Collided(err):
		return http.StatusServiceUnavailable, "the change collided with another one made at the same time and was rolled back; try again", true
	}
	return 0, "", false
}
