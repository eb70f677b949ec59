// Package server assembles the HTTP API: configuration, middleware order,
// the OpenAPI request validator, the strict handlers, and the one error
// handler that turns every failure into RFC 9457 problem+json.
package server

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/netip"
	"net/url"
	"strconv"
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
	SealInterval     time.Duration
	ShutdownTimeout  time.Duration
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
	get := func(k, def string) string {
		if v := strings.TrimSpace(getenv(k)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Env:              get("APP_ENV", "development"),
		DatabaseURL:      get("DATABASE_URL", DefaultDatabaseURL),
		HTTPAddr:         get("HTTP_ADDR", ":8080"),
		AdminEmail:       get("ADMIN_EMAIL", ""),
		AdminPassword:    getenv("ADMIN_PASSWORD"),
		LogFormat:        get("LOG_FORMAT", "json"),
		MaxBodyBytes:     1 << 20,
		MaxImportBytes:   64 << 20,
		SealInterval:     200 * time.Millisecond,
		ShutdownTimeout:  15 * time.Second,
		ExportStall:      30 * time.Second,
		RegistrationOpen: false,
	}
	c.DatabaseURL = dbconf.WithConnectTimeout(c.DatabaseURL, getenv("PGCONNECT_TIMEOUT"))
	var errs []error
	// pgx reads anything without postgres:// as keyword/value pairs, and
	// says only that a mysql://... URL is not valid as those.
	if scheme, _, ok := strings.Cut(c.DatabaseURL, "://"); ok && scheme != "postgres" && scheme != "postgresql" &&
		!strings.ContainsAny(scheme, "= ") {
		errs = append(errs, fmt.Errorf("DATABASE_URL must be a postgres:// URL (or keyword=value pairs), got a %s:// one", scheme))
	}
	if c.Env != "development" && c.Env != "production" {
		errs = append(errs, fmt.Errorf("APP_ENV must be development or production, got %q", c.Env))
	}
	switch secret := getenv("JWT_SECRET"); {
	case secret != "" && strings.TrimSpace(secret) == "":
		errs = append(errs, errors.New("JWT_SECRET must be random bytes, not blanks (e.g. openssl rand -base64 48)"))
	case len(secret) >= auth.MinSecretBytes:
		c.JWTSecret = []byte(secret)
	case secret != "":
		errs = append(errs, fmt.Errorf("JWT_SECRET must be at least %d bytes", auth.MinSecretBytes))
	case c.Env == "production" && signsTokens:
		errs = append(errs, errors.New("JWT_SECRET is required when APP_ENV=production"))
	case !signsTokens:
		// No secret: nothing here signs or checks a token.
	default:
		c.JWTSecret = make([]byte, 32)
		_, _ = rand.Read(c.JWTSecret)
		c.JWTSecretRandom = true
	}
	for _, o := range strings.Split(get("CORS_ALLOWED_ORIGINS", "http://localhost:5173"), ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		// A browser sends its origin as scheme://host[:port], the host in
		// lower case; anything else (a trailing slash, a path) would never
		// match, silently. Echo's CORS would read a * inside an origin as a
		// wildcard (https://*.example.com: every subdomain, however deep),
		// which the documented setting does not offer.
		u, err := url.Parse(o)
		switch {
		case o == "*":
		case err != nil || u.Scheme == "" || u.Host == "" || u.Scheme+"://"+u.Host != o:
			errs = append(errs, fmt.Errorf("CORS_ALLOWED_ORIGINS: %q is not an origin such as https://app.example.com (scheme and host, optional port, no path or trailing slash), or *", o))
		case strings.Contains(u.Host, "*"):
			errs = append(errs, fmt.Errorf("CORS_ALLOWED_ORIGINS: %q has a wildcard; list each origin, or give * alone for any origin", o))
		default:
			o = u.Scheme + "://" + strings.ToLower(u.Host)
		}
		c.CORSOrigins = append(c.CORSOrigins, o)
	}
	for _, p := range strings.Split(get("TRUSTED_PROXIES", ""), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		prefix, err := netip.ParsePrefix(p)
		if err != nil {
			addr, aerr := netip.ParseAddr(p)
			if aerr != nil {
				errs = append(errs, fmt.Errorf("TRUSTED_PROXIES: %q is not an IP address or a CIDR range such as 10.1.2.0/28", p))
				continue
			}
			prefix = netip.PrefixFrom(addr, addr.BitLen())
		}
		if a := prefix.Addr(); a.Is4In6() && prefix.Bits() >= 96 {
			// ::ffff:10.0.0.0/104 is 10.0.0.0/8: as written it would match
			// no peer, which Go reports in IPv4 form.
			prefix = netip.PrefixFrom(a.Unmap(), prefix.Bits()-96)
		}
		c.TrustedProxies = append(c.TrustedProxies, prefix.Masked())
	}
	boolVar := func(k string, def bool) bool {
		v := get(k, strconv.FormatBool(def))
		b, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s must be true or false, got %q", k, v))
		}
		return b
	}
	intVar := func(k string, def, lo, hi int) int {
		v := get(k, strconv.Itoa(def))
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			errs = append(errs, fmt.Errorf("%s must be a whole number from %d to %d, got %q", k, lo, hi, v))
			return def
		}
		return n
	}
	// Up to 30 days: a throttle window is doubled for its janitor, and a
	// typo of a million hours would overflow into switching the throttle off.
	durVar := func(k string, def time.Duration) time.Duration {
		v := get(k, def.String())
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > maxDuration {
			errs = append(errs, fmt.Errorf("%s must be a positive duration up to 720h, such as 15m, got %q", k, v))
		}
		return d
	}
	c.RegistrationOpen = boolVar("REGISTRATION_OPEN", false)
	c.LoginThrottle = Throttle{
		PerEmail: intVar("LOGIN_MAX_FAILURES_PER_EMAIL", 5, 0, math.MaxInt32),
		PerIP:    intVar("LOGIN_MAX_FAILURES_PER_IP", 50, 0, math.MaxInt32),
		Window:   durVar("LOGIN_THROTTLE_WINDOW", 15*time.Minute),
	}
	c.RegisterThrottle = RegisterThrottle{
		PerIP:  intVar("REGISTER_MAX_PER_IP", 10, 0, math.MaxInt32),
		Window: durVar("REGISTER_THROTTLE_WINDOW", time.Hour),
	}
	// Bounded before the int32 conversion, which would otherwise wrap a
	// typo such as 99999999999 into a nonsense pool size.
	// 0 would silently mean pgx's own default (4 on two cores).
	c.DBMaxConns = int32(intVar("DB_MAX_CONNS", 20, 1, 10000))
	// Each running export holds a connection while its client downloads:
	// with as many exports as connections, a few slow downloads would
	// leave none for the rest of the API. Unset, it is 4 or, with a small
	// pool, half of it; set, it may not be more than half.
	half := max(1, int(c.DBMaxConns)/2)
	c.ExportMaxConcurrent = intVar("EXPORT_MAX_CONCURRENT", min(4, half), 1, 10000)
	if get("EXPORT_MAX_CONCURRENT", "") != "" && c.ExportMaxConcurrent > half {
		errs = append(errs, fmt.Errorf("EXPORT_MAX_CONCURRENT (%d) must be at most half of DB_MAX_CONNS (%d): each running export holds a database connection, and the rest of the API needs the others",
			c.ExportMaxConcurrent, c.DBMaxConns))
	}
	c.ShutdownTimeout = durVar("SHUTDOWN_TIMEOUT", 15*time.Second)
	c.MetricsToken = getenv("METRICS_TOKEN")
	if t := c.MetricsToken; t != "" && (len(t) < 16 || strings.TrimSpace(t) != t) {
		errs = append(errs, errors.New("METRICS_TOKEN must be at least 16 characters without leading or trailing spaces (e.g. openssl rand -hex 24)"))
	}
	// Unlike the other durations, zero is the default: no drain.
	drain := get("SHUTDOWN_DRAIN", "0s")
	var drainErr error
	c.ShutdownDrain, drainErr = time.ParseDuration(drain)
	if drainErr != nil || c.ShutdownDrain < 0 || c.ShutdownDrain > 10*time.Minute {
		errs = append(errs, fmt.Errorf("SHUTDOWN_DRAIN must be a duration from 0s to 10m, such as 5s, got %q", drain))
	}
	c.RequestTimeout = durVar("REQUEST_TIMEOUT", 30*time.Second)
	c.ImportUploadTimeout = durVar("IMPORT_UPLOAD_TIMEOUT", 2*time.Minute)
	if c.ImportUploadTimeout > 0 && c.ImportUploadTimeout < time.Second {
		errs = append(errs, fmt.Errorf("IMPORT_UPLOAD_TIMEOUT must be at least 1s, got %s", c.ImportUploadTimeout))
	}
	// Under a second, a login's bcrypt or a moment's queue for a connection
	// would be a 503.
	if c.RequestTimeout > 0 && c.RequestTimeout < time.Second {
		errs = append(errs, fmt.Errorf("REQUEST_TIMEOUT must be at least 1s, got %s", c.RequestTimeout))
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, fmt.Errorf("LOG_LEVEL must be debug, info, warn or error: %w", err))
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT must be json or text, got %q", c.LogFormat))
	}
	// The first admin's login: a typo here would become it silently.
	if c.AdminEmail != "" && !auth.IsAddress(c.AdminEmail) {
		errs = append(errs, fmt.Errorf("ADMIN_EMAIL %q is not an e-mail address such as name@example.com", c.AdminEmail))
	}
	if c.AdminPassword != "" {
		if err := auth.CheckPasswordRules(c.AdminPassword); err != nil {
			errs = append(errs, fmt.Errorf("ADMIN_PASSWORD: %w", err))
		}
	}
	return c, errors.Join(errs...)
}

// maxDuration bounds every duration setting (30 days).
const maxDuration = 720 * time.Hour
