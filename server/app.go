package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/dbconf"
	"github.com/jmksales/jmk/server/store"
)

// App is a running service's resources: pool, store and HTTP handler.
type App struct {
	Cfg   Config
	Log   *slog.Logger
	Pool  *pgxpool.Pool
	Store *store.Store
	Echo  *echo.Echo
	// draining is set once a stop begins and SHUTDOWN_DRAIN runs: /readyz
	// then answers 503 while every request is still served.
	draining atomic.Bool
}

// NewLogger returns the structured logger the configuration asks for.
func NewLogger(cfg Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// OpenPool connects to the database; when migrate is true it creates the
// database if missing and applies pending migrations, otherwise it refuses
// a missing database and a schema that is behind this binary.
func OpenPool(ctx context.Context, cfg Config, log *slog.Logger, migrate bool) (*pgxpool.Pool, error) {
	pool, _, err := openPool(ctx, cfg, log, migrate)
	return pool, err
}

// openPool is OpenPool that also says how many migrations it applied.
func openPool(ctx context.Context, cfg Config, log *slog.Logger, migrate bool) (pool *pgxpool.Pool, applied int, err error) {
	if migrate {
		if err := store.EnsureDatabase(ctx, cfg.DatabaseURL, log); err != nil {
			return nil, 0, err
		}
		if applied, err = store.Migrate(ctx, cfg.DatabaseURL, log); err != nil {
			return nil, 0, err
		}
	} else {
		if err := store.RequireDatabase(ctx, cfg.DatabaseURL); err != nil {
			return nil, 0, err
		}
		if err := store.CheckSchema(ctx, cfg.DatabaseURL); err != nil {
			return nil, 0, err
		}
	}
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, 0, fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	if cfg.DBMaxConns > 0 {
		pc.MaxConns = cfg.DBMaxConns
	}
	if d := cfg.DBIdleTimeout; d > 0 {
		// Idle connections are closed by the pool's health check.
		pc.MaxConnIdleTime, pc.HealthCheckPeriod = d, d
	}
	pc.ConnConfig.RuntimeParams["application_name"] = "jmk"
	dbconf.Configure(pc)
	pool, err = pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, 0, fmt.Errorf("connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, 0, fmt.Errorf("connect: %w", err)
	}
	return pool, applied, nil
}

// Open prepares the service: database, migrations, bootstrap admin, handler.
// out receives the one-time bootstrap password when one is generated.
func Open(ctx context.Context, cfg Config, log *slog.Logger, out io.Writer) (*App, error) {
	if cfg.JWTSecretRandom {
		log.Warn("JWT_SECRET is not set: using a random secret; tokens will not survive a restart or work on another instance (set JWT_SECRET, the same on every instance; required in production)")
	}
	if cfg.Env == "production" && cfg.MetricsToken == "" {
		log.Warn("METRICS_TOKEN is not set: GET /metrics answers anyone who reaches this port, with the request counts " +
			"per route and status (set METRICS_TOKEN, or keep the port off the public network)")
	}
	pool, applied, err := openPool(ctx, cfg, log, true)
	if err != nil {
		return nil, err
	}
	st := store.New(pool)
	st.SetLogger(log)
	st.SetLoginFailureSecret(cfg.JWTSecret) // every instance counts the same e-mail under the same key
	if err := BootstrapAdmin(ctx, st, cfg, log, out); err != nil {
		pool.Close()
		return nil, err
	}
	a := &App{Cfg: cfg, Log: log, Pool: pool, Store: st}
	if a.Echo, err = New(cfg, st, log, a.draining.Load); err != nil {
		pool.Close()
		return nil, err
	}
	logStarting(ctx, log, cfg, st, applied)
	return a, nil
}

// BootstrapAdmin creates the first admin when there are no users at all:
// from ADMIN_EMAIL/ADMIN_PASSWORD, or with a random password printed once,
// which production refuses.
func BootstrapAdmin(ctx context.Context, st *store.Store, cfg Config, log *slog.Logger, out io.Writer) error {
	n, err := st.UserCount(ctx)
	if err != nil || n > 0 {
		return err
	}
	email, password, generated := cfg.AdminEmail, cfg.AdminPassword, false
	if email == "" {
		email = "admin@example.com"
	}
	if password == "" && cfg.Env == "production" {
		// Printed, it would go wherever the process's output is shipped:
		// its logs.
		return errors.New("there are no users yet: set ADMIN_PASSWORD (and ADMIN_EMAIL, admin@example.com if unset) for the " +
			"first admin, or create one with jmk users create --role admin; with APP_ENV=production no password is generated and printed")
	}
	if password == "" {
		b := make([]byte, 18)
		_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms.
		password, generated = base64.RawURLEncoding.EncodeToString(b), true
	}
	hash, err := auth.HashPassword(password)
	if err != nil {
		return err
	}
	_, err = st.UserCreate(ctx, audit.System, store.NewUser{Name: "Administrator", Email: email, PasswordHash: hash, Role: auth.RoleAdmin})
	if errors.Is(err, apperr.ErrConflict) {
		return nil // another instance bootstrapped at the same moment
	}
	if err != nil {
		return fmt.Errorf("bootstrap admin: %w", err)
	}
	log.Info("bootstrapped the first admin", "email", email)
	if generated {
		fmt.Fprintf(out, "\n  First admin created: %s\n  Password (shown only this once): %s\n\n", email, password)
	}
	return nil
}

// Serve runs the HTTP server on ln, with the background work (audit sealer,
// janitor), until ctx ends, then shuts down gracefully: stop accepting,
// finish in-flight requests (up to ShutdownTimeout), stop the background work.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	// Requests outlive ctx (they drain after it ends) until the shutdown
	// deadline cuts them off: cancelling this stops their queries too.
	reqCtx, cutOff := context.WithCancelCause(context.WithoutCancel(ctx))
	defer cutOff(errShuttingDown)
	srv := &http.Server{
		BaseContext:       func(net.Listener) context.Context { return reqCtx },
		Handler:           a.Echo,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       a.Cfg.ImportUploadTimeout,                 // CSV imports (importUpload); other bodies have REQUEST_TIMEOUT
		WriteTimeout:      cmp.Or(a.Cfg.WriteTimeout, 5*time.Minute), // the API's requests set their own (requestDeadline)
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	// Background work stops only after the HTTP server has drained, so the
	// last requests' audit events still get sealed.
	bgCtx, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	var bg sync.WaitGroup
	bg.Go(func() { a.Store.RunSealer(bgCtx, a.Cfg.SealInterval, a.Log) })
	bg.Go(func() { a.Store.RunJanitor(bgCtx, time.Minute, 2*a.Cfg.LoginThrottle.Window, a.Log) })

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("serving", "addr", ln.Addr().String())

	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		// A server that failed while draining has nothing left to shut down.
		if err = a.drain(errc); err == nil {
			err = a.shutdown(ctx, srv, cutOff)
		}
	}
	stopBackground()
	bg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	// The last line of a stop, so the log tells it from a hang, in the
	// log's own format (the command also prints an error on stderr).
	if err == nil {
		a.Log.Info("stopped: every request finished")
	} else {
		a.Log.Error("stopped: " + err.Error())
	}
	return err
}

// shutdown stops accepting and waits for in-flight requests up to
// SHUTDOWN_TIMEOUT, then cuts off what still runs.
func (a *App) shutdown(ctx context.Context, srv *http.Server, cutOff context.CancelCauseFunc) error {
	a.Log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.Cfg.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		// Shutdown only stops waiting: cancel what still runs, so its
		// database connections come back for the pool to close, give the
		// cut-off requests a moment to send their 503s, then close the
		// client connections still open.
		cutOff(errShuttingDown)
		gctx, gcancel := context.WithTimeout(context.WithoutCancel(ctx), cutOffGrace)
		_ = srv.Shutdown(gctx)
		gcancel()
		srv.Close()
		err = fmt.Errorf("requests still running after SHUTDOWN_TIMEOUT (%s) were cut off", a.Cfg.ShutdownTimeout)
	}
	return err
}

// cutOffGrace is how long requests cut off at SHUTDOWN_TIMEOUT have to
// answer (their queries are cancelled, so they fail at once) before their
// connections are closed.
const cutOffGrace = 2 * time.Second

// drain keeps serving for SHUTDOWN_DRAIN with /readyz answering 503, so a
// load balancer polling it stops sending new requests before the listener
// closes. It returns the server's error if it fails meanwhile.
func (a *App) drain(errc <-chan error) error {
	d := a.Cfg.ShutdownDrain
	if d <= 0 {
		return nil
	}
	a.draining.Store(true)
	a.Log.Info("draining: /readyz answers 503, requests are still served", "for", d.String())
	select {
	case <-time.After(d):
		return nil
	case err := <-errc:
		return err
	}
}

// Close ends the store's background work and releases the pool.
func (a *App) Close() {
	a.Store.Close()
	a.Pool.Close()
}
