package server

import (
	"errors"
	"log/slog"
	"math"
	"net/netip"
	"strings"
	"time"

	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/dbconf"
	"github.com/jmksales/jmk/server/store"
)

// DefaultDatabaseURL is used when DATABASE_URL is not set.
const DefaultDatabaseURL = "postgres://postgres@localhost:5432/jmk_sales?sslmode=disable"

// Config is everything the service reads from its environment.
type Config struct {
	Env             string // "development" (default) or "production"
	DatabaseURL     string
	HTTPAddr        string
	JWTSecret       []byte
	JWTSecretRandom bool // true when no secret was configured (development only)
	CORSOrigins     []string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (TRUSTED_PROXIES); none: the client is the TCP peer.
	TrustedProxies   []netip.Prefix
	RegistrationOpen bool
	AdminEmail       string
	AdminPassword    string
	LogLevel         slog.Level
	LogFormat        string // json or text
	LoginThrottle    Throttle
	RegisterThrottle RegisterThrottle
	MaxBodyBytes     int64
	MaxImportBytes   int64
	DBMaxConns       int32
	// DBIdleTimeout, when set, closes a pool connection idle that long
	// (pgx's default keeps one for 30 minutes). Tests set it: dozens of
	// servers at once, each with its idle connections, came within one of
	// PostgreSQL's 100.
	DBIdleTimeout time.Duration
	// WriteTimeout bounds writing the answer of a request outside the API
	// (docs, metrics); the API's own are bounded by requestDeadline. Five
	// minutes when zero; tests shorten it.
	WriteTimeout    time.Duration
	SealInterval    time.Duration
	ShutdownTimeout time.Duration
	// MetricsToken, when set, is the bearer token GET /metrics requires.
	MetricsToken string
	// ShutdownDrain is how long a stopping server keeps serving, with
	// /readyz answering 503, before it stops accepting connections.
	ShutdownDrain time.Duration
	// RequestTimeout bounds an API request, waiting for a database
	// connection and queries included; imports, exports, training, model
	// activation, thresholds and audit verification are exempt.
	RequestTimeout time.Duration
	// ImportUploadTimeout bounds the upload of an import's file, counted
	// from its turn (imports run one at a time) for its rows; every other
	// body is bounded by RequestTimeout.
	ImportUploadTimeout time.Duration
	// ExportMaxConcurrent bounds the exports running at once: each holds a
	// database connection for as long as its client takes to read it.
	ExportMaxConcurrent int
	// ExportStall ends an export whose client has taken nothing for this
	// long: one that stops reading would otherwise hold its connection and
	// its slot for as long as the server's write timeout. Not an environment
	// variable; tests shorten it.
	ExportStall time.Duration
}

// Throttle is the failed-login limit, as the store applies it.
type Throttle = store.Throttle

// RegisterThrottle is the self-registration limit, as the store applies it.
type RegisterThrottle = store.RegisterThrottle

// LoadConfig reads the server's configuration through getenv (os.Getenv in
// main, a map in tests). It returns an error naming the variable that is
// wrong.
func LoadConfig(getenv func(string) string) (Config, error) {
	return loadConfig(getenv, true)
}

// LoadToolConfig is LoadConfig for the operations commands (migrate, seed,
// import, export, users, model, audit): they sign no tokens, so production
// does not require JWT_SECRET of them, which an operator migrating from a
// deploy job need not be handed. A JWT_SECRET that is set is still checked.
func LoadToolConfig(getenv func(string) string) (Config, error) {
	return loadConfig(getenv, false)
}

func loadConfig(getenv func(string) string, signsTokens bool) (Config, error) {
	env := &envReader{getenv: getenv}
	c := Config{
		Env:            env.str("APP_ENV", "development"),
		DatabaseURL:    env.str("DATABASE_URL", DefaultDatabaseURL),
		HTTPAddr:       env.str("HTTP_ADDR", ":8080"),
		AdminEmail:     env.str("ADMIN_EMAIL", ""),
		AdminPassword:  getenv("ADMIN_PASSWORD"),
		LogFormat:      env.str("LOG_FORMAT", "json"),
		MaxBodyBytes:   1 << 20,
		MaxImportBytes: 64 << 20,
		SealInterval:   200 * time.Millisecond,
		ExportStall:    30 * time.Second,
	}
	c.DatabaseURL = dbconf.WithConnectTimeout(c.DatabaseURL, getenv("PGCONNECT_TIMEOUT"))
	env.check(databaseURLError(c.DatabaseURL))
	env.check(httpAddrError(c.HTTPAddr))
	if c.Env != "development" && c.Env != "production" {
		env.fail("APP_ENV must be development or production, got %q", c.Env)
	}
	c.JWTSecret, c.JWTSecretRandom = env.jwtSecret(c.Env == "production", signsTokens)
	c.CORSOrigins = env.corsOrigins()
	c.TrustedProxies = env.trustedProxies()

	c.RegistrationOpen = env.bool("REGISTRATION_OPEN", false)
	c.LoginThrottle = Throttle{
		PerEmail: env.int("LOGIN_MAX_FAILURES_PER_EMAIL", 5, 0, math.MaxInt32),
		PerIP:    env.int("LOGIN_MAX_FAILURES_PER_IP", 50, 0, math.MaxInt32),
		Window:   env.duration("LOGIN_THROTTLE_WINDOW", 15*time.Minute),
	}
	c.RegisterThrottle = RegisterThrottle{
		PerIP:  env.int("REGISTER_MAX_PER_IP", 10, 0, math.MaxInt32),
		Window: env.duration("REGISTER_THROTTLE_WINDOW", time.Hour),
	}
	// Bounded before the int32 conversion, which would otherwise wrap a
	// typo such as 99999999999 into a nonsense pool size.
	// 0 would silently mean pgx's own default (4 on two cores).
	c.DBMaxConns = int32(env.int("DB_MAX_CONNS", 20, 1, 10000))
	// Each running export holds a connection while its client downloads:
	// with as many exports as connections, a few slow downloads would
	// leave none for the rest of the API. Unset, it is 4 or, with a small
	// pool, half of it; set, it may not be more than half.
	half := max(1, int(c.DBMaxConns)/2)
	c.ExportMaxConcurrent = env.int("EXPORT_MAX_CONCURRENT", min(4, half), 1, 10000)
	if env.str("EXPORT_MAX_CONCURRENT", "") != "" && c.ExportMaxConcurrent > half {
		env.fail("EXPORT_MAX_CONCURRENT (%d) must be at most half of DB_MAX_CONNS (%d): each running export holds a database connection, and the rest of the API needs the others",
			c.ExportMaxConcurrent, c.DBMaxConns)
	}
	c.MetricsToken = getenv("METRICS_TOKEN")
	if t := c.MetricsToken; t != "" && (len(t) < 16 || strings.TrimSpace(t) != t) {
		env.fail("METRICS_TOKEN must be at least 16 characters without leading or trailing spaces (e.g. openssl rand -hex 24)")
	}
	c.ShutdownTimeout = env.duration("SHUTDOWN_TIMEOUT", 15*time.Second)
	c.ShutdownDrain = env.drain("SHUTDOWN_DRAIN")
	// Under a second, a login's bcrypt or a moment's queue for a connection
	// would be a 503, and an upload would hardly start.
	c.RequestTimeout = env.duration("REQUEST_TIMEOUT", 30*time.Second)
	env.atLeastSecond("REQUEST_TIMEOUT", c.RequestTimeout)
	c.ImportUploadTimeout = env.duration("IMPORT_UPLOAD_TIMEOUT", 2*time.Minute)
	env.atLeastSecond("IMPORT_UPLOAD_TIMEOUT", c.ImportUploadTimeout)

	if err := c.LogLevel.UnmarshalText([]byte(env.str("LOG_LEVEL", "info"))); err != nil {
		env.fail("LOG_LEVEL must be debug, info, warn or error: %w", err)
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		env.fail("LOG_FORMAT must be json or text, got %q", c.LogFormat)
	}
	// The first admin's login: a typo here would become it silently.
	if c.AdminEmail != "" && !auth.IsAddress(c.AdminEmail) {
		env.fail("ADMIN_EMAIL %q is not "+auth.AnAddress, c.AdminEmail)
	}
	if c.AdminPassword != "" {
		if err := auth.CheckPasswordRules(c.AdminPassword); err != nil {
			env.fail("ADMIN_PASSWORD: %w", err)
		}
	}
	return c, errors.Join(env.errs...)
}
