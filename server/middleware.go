package server

import (
	"context"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/handlers"
	"github.com/jmksales/jmk/server/store"
	"github.com/jmksales/jmk/server/textrules"
)

// validRequestID accepts a caller's X-Request-ID only when it is short and
// plain, so it cannot inject anything into logs or the audit trail.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

type loggerKey struct{}

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
			ctx = context.WithValue(ctx, loggerKey{}, log.With("request_id", id))
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
	// with its cause): a page-worthy ERROR only for the other 5xx. A
	// response cut off is marked aborted; its cause is logged by whoever
	// cut it, at WARN unless the client hung up. /readyz answering 503 is
	// its job: its handler logs why at WARN (a stop draining is no
	// warning), and the access line would say it again at every poll.
	level := slog.LevelInfo
	switch {
	case status == http.StatusServiceUnavailable && c.Path() == "/readyz":
	case status == http.StatusServiceUnavailable:
		level = slog.LevelWarn
	case status >= 500:
		level = slog.LevelError
	}
	attrs := []slog.Attr{slog.String("method", method), slog.String("path", r.URL.Path), slog.String("route", c.Path()),
		slog.Int("status", status), slog.Int64("bytes", size),
		slog.Duration("duration", time.Since(start)), slog.String("ip", c.RealIP())}
	if aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
	}
	Logger(r.Context()).LogAttrs(r.Context(), level, "request", attrs...)
}

// securityHeaders are safe defaults for a JSON API; /docs loosens the
// content security policy for its own page only.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cache-Control", "no-store")
		if !isDocs(c.Request().URL.Path) {
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		}
		return next(c)
	}
}

// authState looks up who a session's user is now.
type authState interface {
	AuthState(ctx context.Context, userID, sessionID uuid.UUID) (auth.Identity, error)
}

// authenticate reads an optional bearer token. A valid token whose session
// is live and whose user is active puts an Identity (with the role as the
// database has it now) into the context; anything else leaves the request
// anonymous, and the validator answers 401 where the spec wants a token.
// Only the API's requests are looked at: the probes, metrics and docs need
// no identity, and a token sent to them (a browser's, say) must not make
// /healthz depend on the database.
func authenticate(iss *auth.Issuer, st authState) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			if !isAPI(r.URL.Path) {
				return next(c)
			}
			token, ok := bearerToken(r)
			if !ok {
				return next(c)
			}
			userID, sessionID, err := iss.Verify(token)
			if err != nil {
				return next(c)
			}
			id, err := st.AuthState(r.Context(), userID, sessionID)
			if err != nil {
				if !isUnauthorized(err) {
					// The database failed or was too busy to answer in time:
					// a 503 (or 500), never a 401 that would send a valid
					// token's client to refresh, or to log its user out.
					return err
				}
				return next(c)
			}
			c.SetRequest(r.WithContext(auth.WithIdentity(r.Context(), id)))
			return next(c)
		}
	}
}

// bearerToken returns the token of an Authorization: Bearer header; the
// scheme is case-insensitive (RFC 9110 section 11.1). Two Authorization
// headers give none: a proxy in front may have judged the other one.
func bearerToken(r *http.Request) (string, bool) {
	if len(r.Header.Values(echo.HeaderAuthorization)) > 1 {
		return "", false
	}
	scheme, token, ok := strings.Cut(r.Header.Get(echo.HeaderAuthorization), " ")
	token = strings.TrimSpace(token)
	return token, ok && strings.EqualFold(scheme, "Bearer") && token != ""
}

// bodyLimit caps request bodies: the CSV import gets its own, larger limit.
// An operation without a request body gets none: a body sent to it is
// dropped unread, with its Content-Encoding, so that it answers as without
// it, never with a 413 or 415 its spec does not list, and nothing after this
// reads the body into memory.
func bodyLimit(ops operations, def, importLimit int64) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			method := r.Method
			if method == http.MethodHead { // served as its GET, further on
				method = http.MethodGet
			}
			if op, known := ops[method+" "+c.Path()]; known && !op.body {
				// Go's server still drains or closes the connection's body.
				r.Body, r.ContentLength = http.NoBody, 0
				r.Header.Del("Content-Encoding")
				return next(c)
			}
			isImport := c.Path() == importPath
			limit := def
			if isImport {
				limit = importLimit
			}
			switch {
			case r.ContentLength <= limit:
			case isImport:
				return store.ImportTooLarge(limit) // as for a body found too long while read
			default:
				return &apperr.Error{Status: http.StatusRequestEntityTooLarge,
					Detail: fmt.Sprintf("the request body is over the size limit of %d bytes", limit)}
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(c.Response(), r.Body, limit)
			}
			return next(c)
		}
	}
}

// identityOnly answers 415 to a body sent with a Content-Encoding (RFC 9110,
// section 15.5.16): the server decodes none, and a gzip-compressed CSV read
// as text was refused as "not a UTF-8 CSV file (NUL byte on line 1)". A
// caller without a token on a secured operation, or without the admin role
// on an admin's, is left to the validator, which answers its 401 or 403
// before it looks at parameters or fields. (bodyLimit has dropped the
// bodies of operations that take none.)
func identityOnly(ops operations) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r := c.Request()
			coding := strings.TrimSpace(r.Header.Get("Content-Encoding"))
			if coding == "" || strings.EqualFold(coding, "identity") {
				return next(c)
			}
			// Unknown routes and methods are the router's 404 and 405.
			op, known := ops[r.Method+" "+c.Path()]
			id, ok := auth.FromContext(r.Context())
			if !known || !ok && !op.open || op.admin && !id.IsAdmin() {
				return next(c)
			}
			c.Response().Header().Set("Accept-Encoding", "identity")
			return &apperr.Error{Status: http.StatusUnsupportedMediaType,
				Detail: "the body must be sent uncompressed, without Content-Encoding (jmk import reads gzip-compressed files itself)"}
		}
	}
}

// allowHeader sends the Allow header that RFC 9110 requires with a 405: the
// router knows the path's methods, but the 405 itself comes from the
// request validator, which runs later and does not.
func allowHeader(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if allow, ok := c.Get(echo.ContextKeyHeaderAllow).(string); ok && allow != "" {
			c.Response().Header().Set(echo.HeaderAllow, allow)
		}
		return next(c)
	}
}

// joinIfMatch folds several If-Match lines into one list, which RFC 9110
// (section 5.3) makes them equivalent to; the generated binding takes one
// value and answered a second line with a 400.
func joinIfMatch(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if v := h.Values("If-Match"); len(v) > 1 {
			h.Set("If-Match", strings.Join(v, ", "))
		}
		return next(c)
	}
}

// mergePatchAsJSON takes a PATCH sent as application/merge-patch+json (RFC
// 7396), which is what our PATCH bodies are, as the JSON the spec declares.
func mergePatchAsJSON(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if r.Method == http.MethodPatch {
			if mt, params, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); err == nil && mt == "application/merge-patch+json" {
				r.Header.Set(echo.HeaderContentType, mime.FormatMediaType(echo.MIMEApplicationJSON, params))
			}
		}
		return next(c)
	}
}

// registrationClosed answers 403 to a self-registration while it is closed,
// before the body is read or validated: whatever the request carries, the
// answer is that there is nothing to register with.
func registrationClosed(open bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if !open && c.Request().Method == http.MethodPost && c.Path() == "/api/v1/auth/register" {
				return apperr.Forbidden(handlers.RegistrationClosed)
			}
			return next(c)
		}
	}
}
