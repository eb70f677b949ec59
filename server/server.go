package server

import (
	"errors"
	"log/slog"
	"net/http"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/handlers"
	"github.com/jmksales/jmk/server/store"
)

// Issuer and audience of our access tokens.
const (
	tokenIssuer   = "jmk-sales-api"
	tokenAudience = "jmk-sales-api"
)

// New assembles the HTTP server: middleware in order, the spec validator,
// the strict handlers, operations endpoints and the error handler.
func New(cfg Config, st *store.Store, log *slog.Logger, draining func() bool) (*echo.Echo, error) {
	iss, err := auth.NewIssuer(cfg.JWTSecret, tokenIssuer, tokenAudience, nil)
	if err != nil {
		return nil, err
	}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(log)
	// The client's IP is the TCP peer unless a proxy is configured: trusting
	// X-Forwarded-For blindly would let anyone dodge the per-IP login limit.
	e.IPExtractor = ipExtractor(cfg.TrustedProxies)

	m := newMetrics(st.Pool(), st)
	spec, err := api.GetSpec()
	if err != nil {
		return nil, err
	}
	ops := newOperations(spec)
	e.Use(
		unmatchedRoute,
		requestContext(log),
		closeIfBodyUnread,
		m.middleware,
		accessLog,
		middleware.RecoverWithConfig(middleware.RecoverConfig{
			LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
				Logger(c.Request().Context()).Error("panic", append(where(c), "err", err, "stack", string(stack))...)
				if c.Response().Committed {
					// Too late for a 500: the body is under way (an export).
					// Cut the connection, so that a client never takes a
					// truncated file for a whole one (see accessLog).
					panic(http.ErrAbortHandler)
				}
				return recoveredPanic{err}
			},
			DisableErrorHandler: true,
		}),
		securityHeaders,
		middleware.CORSWithConfig(middleware.CORSConfig{
			AllowOrigins: cfg.CORSOrigins,
			AllowMethods: []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
			AllowHeaders: []string{echo.HeaderAuthorization, echo.HeaderContentType, "If-Match", echo.HeaderXRequestID},
			ExposeHeaders: []string{"ETag", echo.HeaderXRequestID, "Retry-After", "Location", echo.HeaderContentDisposition,
				// error="invalid_token" tells a browser client to refresh rather than log in again.
				echo.HeaderWWWAuthenticate},
			MaxAge: 600,
		}),
		bodyLimit(ops, cfg.MaxBodyBytes, cfg.MaxImportBytes),
		headAsGet,
		requestDeadline(cfg.RequestTimeout),
		importUpload(cfg.ImportUploadTimeout),
		authenticate(iss, st),
		rejectContentEncoding(ops),
		allowHeader,
		joinIfMatch,
		mergePatchAsJSON,
		keepRawQuery,
		registrationClosed(cfg.RegistrationOpen),
		jsonShape,
		validator(spec),
		strictQuery(ops),
		textInputs,
	)

	h := handlers.New(st, iss, handlers.Options{
		RegistrationOpen:    cfg.RegistrationOpen,
		RegisterThrottle:    cfg.RegisterThrottle,
		Throttle:            cfg.LoginThrottle,
		ExportMaxConcurrent: cfg.ExportMaxConcurrent,
		ExportStall:         cfg.ExportStall,
		ImportUploadTimeout: cfg.ImportUploadTimeout,
		Draining:            draining,
		Imported:            m.imported,
		Exported:            m.exported,
		LoginOutcome:        m.loginOutcome,
		RefreshReused:       m.reuses.Inc,
		Trained:             m.trainings.Inc,
		Activated:           m.activations.Inc,
	}, log)
	routes := headRouter{e}
	api.RegisterHandlers(routes, api.NewStrictHandler(h, nil))
	routes.GET("/metrics", m.handler(cfg.MetricsToken))
	if err := registerDocs(routes); err != nil {
		return nil, err
	}
	return e, nil
}

func isUnauthorized(err error) bool { return errors.Is(err, apperr.ErrUnauthorized) }
