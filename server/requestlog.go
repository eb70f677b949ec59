package server

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/textrules"
)

// validRequestID accepts a caller's X-Request-ID only when it is short and
// plain, so it cannot inject anything into logs or the audit trail.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

type loggerKey struct{}

// erroredKey holds the request's *atomic.Bool that its logger sets once it
// has written a line at ERROR (see errorMarker).
type erroredKey struct{}

// errorMarker is a request's log handler: it notes that a line at ERROR
// went out (a 500's cause, a panic), so that the access line does not say
// the same failure at ERROR a second time, and one 500 is one alert.
type errorMarker struct {
	slog.Handler
	errored *atomic.Bool
}

func (h errorMarker) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		h.errored.Store(true)
	}
	return h.Handler.Handle(ctx, r)
}

func (h errorMarker) WithAttrs(attrs []slog.Attr) slog.Handler {
	return errorMarker{h.Handler.WithAttrs(attrs), h.errored}
}

func (h errorMarker) WithGroup(name string) slog.Handler {
	return errorMarker{h.Handler.WithGroup(name), h.errored}
}

// errorLogged reports whether the request's logger has written a line at
// ERROR.
func errorLogged(ctx context.Context) bool {
	b, ok := ctx.Value(erroredKey{}).(*atomic.Bool)
	return ok && b.Load()
}

// Logger returns the request's logger (carrying its request id), or the default.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// requestContext gives every request an id (the caller's, if sane), echoes
// it in X-Request-ID, and puts the id, client IP and user agent into the
// context for the logs and the audit trail.
func requestContext(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			id := r.Header.Get(echo.HeaderXRequestID)
			if !validRequestID.MatchString(id) {
				u := uuid.Must(uuid.NewV7())
				id = u.String()
			}
			c.Response().Header().Set(echo.HeaderXRequestID, id)
			ctx := audit.WithMeta(r.Context(), audit.Meta{RequestID: id, IP: c.RealIP(), UserAgent: storableText(r.UserAgent(), audit.MaxUserAgent)})
			errored := new(atomic.Bool)
			ctx = context.WithValue(ctx, erroredKey{}, errored)
			ctx = context.WithValue(ctx, loggerKey{}, slog.New(errorMarker{log.Handler(), errored}).With("request_id", id))
			c.SetRequest(r.WithContext(ctx))
			return next(c)
		}
	}
}

// storableText is s made fit for a PostgreSQL text column and a log line:
// valid UTF-8 (HTTP headers are bytes, and old clients send Latin-1), no NUL
// (text cannot hold it), at most max bytes. Without it such a header made
// every audited write fail with a 500, failed logins included. Text-direction
// controls go too: shown in an audit list, they reorder what follows them,
// as names are kept from doing (textrules.HasDirectionControl).
func storableText(s string, max int) string {
	s = strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	s = strings.Map(func(r rune) rune {
		if textrules.IsDirectionControl(r) {
			return -1
		}
		return r
	}, s)
	if len(s) > max {
		s = strings.ToValidUTF8(s[:max], "")
	}
	return s
}

// accessLog logs one line per request, after the error handler has written
// the response, so the status is the one the client saw.
func accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		method := c.Request().Method // before headAsGet shows a HEAD as GET
		defer func() {
			// A response cut off after it started (an export whose client
			// stalled, or whose database failed) ends in this panic: it is
			// logged like any request before it goes on up.
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					logRequest(c, method, start, true)
				}
				panic(p)
			}
		}()
		if err := next(c); err != nil {
			c.Error(err)
		}
		logRequest(c, method, start, false)
		return nil
	}
}

func logRequest(c echo.Context, method string, start time.Time, aborted bool) {
	r := c.Request()
	status := c.Response().Status
	size := c.Response().Size
	if method == http.MethodHead {
		size = 0 // net/http dropped the body
	}
	// A 503 is the server declining by design (an export slot taken, a
	// deadline passed, the database out, each already logged at WARN
	// with its cause by the error handler): a page-worthy ERROR only for
	// the other 5xx. A
	// response cut off is marked aborted; its cause is logged by whoever
	// cut it, at WARN unless the client hung up. /readyz answering 503 is
	// its job: its handler logs why at WARN (a stop draining is no
	// warning), and the access line would say it again at every poll. A
	// 500 whose cause is logged at ERROR already (the error handler, a
	// panic) is a WARN here: one failure, one ERROR line.
	// The probes' and scrapes' successes come every few seconds from every
	// balancer and Prometheus: at DEBUG, so that they do not bury the
	// requests of people. Their failures stay as any other's.
	level := slog.LevelInfo
	switch {
	case status >= 200 && status < 300 && quietRoutes[c.Path()]:
		level = slog.LevelDebug
	case status == http.StatusServiceUnavailable && c.Path() == "/readyz":
	case status == http.StatusServiceUnavailable:
		level = slog.LevelWarn
	case status >= 500 && errorLogged(r.Context()):
		level = slog.LevelWarn
	case status >= 500:
		level = slog.LevelError
	}
	attrs := []slog.Attr{slog.String("method", method), slog.String("path", r.URL.Path), slog.String("route", c.Path()),
		slog.Int("status", status), slog.Int64("bytes", size),
		slog.Duration("duration", time.Since(start)), slog.String("ip", c.RealIP())}
	if id, ok := auth.FromContext(r.Context()); ok { // a valid token of a live session
		attrs = append(attrs, slog.String("user_id", id.UserID.String()))
	}
	if aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
	}
	Logger(r.Context()).LogAttrs(r.Context(), level, "request", attrs...)
}

// quietRoutes are the probes' and the scrape's, whose successes are logged
// at DEBUG.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}
