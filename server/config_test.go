package server_test

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/dbconf"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestLoadConfigDefaults(t *testing.T) {
	t.Parallel()
	c, err := server.LoadConfig(envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"Env", c.Env == "development"},
		{"DatabaseURL", c.DatabaseURL == dbconf.WithConnectTimeout(server.DefaultDatabaseURL, "")},
		{"ConnectTimeout", strings.Contains(c.DatabaseURL, "connect_timeout=10")},
		{"HTTPAddr", c.HTTPAddr == ":8080"},
		{"RandomSecret", c.JWTSecretRandom && len(c.JWTSecret) >= 32},
		{"CORS", len(c.CORSOrigins) == 1 && c.CORSOrigins[0] == "http://localhost:5173"},
		{"RegistrationClosed", !c.RegistrationOpen},
		{"Throttle", c.LoginThrottle == server.Throttle{PerEmail: 5, PerIP: 50, Window: 15 * time.Minute}},
		{"RegisterThrottle", c.RegisterThrottle == server.RegisterThrottle{PerIP: 10, Window: time.Hour}},
		{"BodyLimit", c.MaxBodyBytes == 1<<20},
		{"RequestTimeout", c.RequestTimeout == 30*time.Second},
		{"ExportMaxConcurrent", c.ExportMaxConcurrent == 4},
		{"ExportStall", c.ExportStall == 30*time.Second},
		{"NoShutdownDrain", c.ShutdownDrain == 0},
		{"LogLevel", c.LogLevel == slog.LevelInfo},
		{"LogFormat", c.LogFormat == "json"},
		{"NoAdminPassword", c.AdminPassword == "" && c.AdminEmail == ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok {
				t.Fatalf("unexpected default: %+v", c)
			}
		})
	}
	t.Run("RandomSecretDiffers", func(t *testing.T) {
		c2, _ := server.LoadConfig(envOf(nil))
		if string(c2.JWTSecret) == string(c.JWTSecret) {
			t.Fatal("two random secrets are equal")
		}
	})
}

func TestLoadConfigValues(t *testing.T) {
	t.Parallel()
	secret := strings.Repeat("s", 32)
	c, err := server.LoadConfig(envOf(map[string]string{
		"APP_ENV": "production", "JWT_SECRET": secret, "HTTP_ADDR": "127.0.0.1:9000",
		"CORS_ALLOWED_ORIGINS": " https://a.example , https://B.Example:8443,", "REGISTRATION_OPEN": "true",
		"REQUEST_TIMEOUT": "5s", "EXPORT_MAX_CONCURRENT": "2",
		"LOGIN_MAX_FAILURES_PER_EMAIL": "3", "LOGIN_MAX_FAILURES_PER_IP": "7", "LOGIN_THROTTLE_WINDOW": "2m",
		"REGISTER_MAX_PER_IP": "0", "REGISTER_THROTTLE_WINDOW": "24h",
		"ADMIN_EMAIL": "boss@example.com", "ADMIN_PASSWORD": "a good long password", "LOG_LEVEL": "debug",
		"LOG_FORMAT": "text", "TRUSTED_PROXIES": " 10.0.0.0/8, 192.168.1.7 ,2001:db8::/32,::ffff:172.16.0.0/108,",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if string(c.JWTSecret) != secret || c.JWTSecretRandom || c.HTTPAddr != "127.0.0.1:9000" ||
		strings.Join(c.CORSOrigins, "|") != "https://a.example|https://b.example:8443" ||
		c.RequestTimeout != 5*time.Second || c.ExportMaxConcurrent != 2 || !c.RegistrationOpen ||
		c.LoginThrottle != (server.Throttle{PerEmail: 3, PerIP: 7, Window: 2 * time.Minute}) ||
		c.RegisterThrottle != (server.RegisterThrottle{Window: 24 * time.Hour}) ||
		c.AdminEmail != "boss@example.com" || c.AdminPassword != "a good long password" ||
		c.LogLevel != slog.LevelDebug || c.LogFormat != "text" ||
		fmt.Sprint(c.TrustedProxies) != "[10.0.0.0/8 192.168.1.7/32 2001:db8::/32 172.16.0.0/12]" {
		t.Fatalf("%+v", c)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // the variable the error must name
	}{
		{"ProductionWithoutSecret", map[string]string{"APP_ENV": "production"}, "JWT_SECRET"},
		{"ShortSecret", map[string]string{"JWT_SECRET": strings.Repeat("s", 31)}, "JWT_SECRET"},
		{"ShortSecretInProduction", map[string]string{"APP_ENV": "production", "JWT_SECRET": "short"}, "JWT_SECRET"},
		{"UnknownEnv", map[string]string{"APP_ENV": "prod"}, "APP_ENV"},
		{"NotPostgres", map[string]string{"DATABASE_URL": "mysql://root@localhost/jmk"}, "DATABASE_URL must be a postgres:// URL"},
		{"BadBool", map[string]string{"REGISTRATION_OPEN": "yes please"}, "REGISTRATION_OPEN"},
		{"BadInt", map[string]string{"LOGIN_MAX_FAILURES_PER_EMAIL": "five"}, "LOGIN_MAX_FAILURES_PER_EMAIL"},
		{"NegativeInt", map[string]string{"LOGIN_MAX_FAILURES_PER_IP": "-1"}, "LOGIN_MAX_FAILURES_PER_IP"},
		{"BadRegisterLimit", map[string]string{"REGISTER_MAX_PER_IP": "ten"}, "REGISTER_MAX_PER_IP"},
		{"BadRegisterWindow", map[string]string{"REGISTER_THROTTLE_WINDOW": "1d"}, "REGISTER_THROTTLE_WINDOW"},
		{"BadDuration", map[string]string{"LOGIN_THROTTLE_WINDOW": "15"}, "LOGIN_THROTTLE_WINDOW"},
		{"ZeroDuration", map[string]string{"LOGIN_THROTTLE_WINDOW": "0s"}, "LOGIN_THROTTLE_WINDOW"},
		{"NegativeDuration", map[string]string{"LOGIN_THROTTLE_WINDOW": "-1m"}, "LOGIN_THROTTLE_WINDOW"},
		{"HugeDuration", map[string]string{"LOGIN_THROTTLE_WINDOW": "1300000h"}, "LOGIN_THROTTLE_WINDOW"},
		{"BadProxy", map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, proxy.local"}, `TRUSTED_PROXIES: "proxy.local"`},
		{"ShortMetricsToken", map[string]string{"METRICS_TOKEN": "secret"}, "METRICS_TOKEN"},
		{"BadShutdownDrain", map[string]string{"SHUTDOWN_DRAIN": "5"}, "SHUTDOWN_DRAIN"},
		{"NegativeShutdownDrain", map[string]string{"SHUTDOWN_DRAIN": "-1s"}, "SHUTDOWN_DRAIN"},
		{"LongShutdownDrain", map[string]string{"SHUTDOWN_DRAIN": "11m"}, "SHUTDOWN_DRAIN"},
		{"BadLogLevel", map[string]string{"LOG_LEVEL": "loud"}, "LOG_LEVEL"},
		{"BadLogFormat", map[string]string{"LOG_FORMAT": "xml"}, "LOG_FORMAT"},
		{"AdminEmailNotAnAddress", map[string]string{"ADMIN_EMAIL": "Not An Email"}, "ADMIN_EMAIL"},
		{"AdminEmailWithName", map[string]string{"ADMIN_EMAIL": "Boss <boss@example.com>"}, "ADMIN_EMAIL"},
		{"AdminPasswordShort", map[string]string{"ADMIN_PASSWORD": "123456789"}, "ADMIN_PASSWORD"},
		{"AdminPasswordLong", map[string]string{"ADMIN_PASSWORD": strings.Repeat("p", 73)}, "ADMIN_PASSWORD"},
		{"BadDBMaxConns", map[string]string{"DB_MAX_CONNS": "99999999999"}, "DB_MAX_CONNS"},
		{"ZeroDBMaxConns", map[string]string{"DB_MAX_CONNS": "0"}, "DB_MAX_CONNS"},
		{"BlankSecret", map[string]string{"JWT_SECRET": strings.Repeat(" ", 33)}, "JWT_SECRET must be random bytes, not blanks"},
		{"OriginWithSlash", map[string]string{"CORS_ALLOWED_ORIGINS": "http://localhost:5173/"}, "CORS_ALLOWED_ORIGINS"},
		{"OriginWithPath", map[string]string{"CORS_ALLOWED_ORIGINS": "https://a.example, https://b.example/app"}, `"https://b.example/app"`},
		{"OriginWithoutScheme", map[string]string{"CORS_ALLOWED_ORIGINS": "localhost:5173"}, "CORS_ALLOWED_ORIGINS"},
		{"OriginWildcard", map[string]string{"CORS_ALLOWED_ORIGINS": "https://*.example.com"}, "wildcard"},
		{"PortWithoutColon", map[string]string{"HTTP_ADDR": "18101"}, "for port 18101 on every interface, :18101"},
		{"AddrWithoutPort", map[string]string{"HTTP_ADDR": "localhost"}, `HTTP_ADDR must be host:port or :port, such as :8080 or 127.0.0.1:8080, got "localhost"`},
		{"BadRequestTimeout", map[string]string{"REQUEST_TIMEOUT": "30"}, "REQUEST_TIMEOUT"},
		{"TinyRequestTimeout", map[string]string{"REQUEST_TIMEOUT": "1ms"}, "REQUEST_TIMEOUT must be at least 1s, got 1ms"},
		{"ZeroExports", map[string]string{"EXPORT_MAX_CONCURRENT": "0"}, "EXPORT_MAX_CONCURRENT"},
		{"ExportsStarveThePool", map[string]string{"DB_MAX_CONNS": "3", "EXPORT_MAX_CONCURRENT": "2"}, "EXPORT_MAX_CONCURRENT (2) must be at most half of DB_MAX_CONNS (3)"},
		{"TinyUploadTimeout", map[string]string{"IMPORT_UPLOAD_TIMEOUT": "1ms"}, "IMPORT_UPLOAD_TIMEOUT must be at least 1s, got 1ms"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := server.LoadConfig(envOf(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error naming %s, got %v", tc.want, err)
			}
		})
	}
	// One message per wrong variable, naming the value as written.
	t.Run("NotANumberOnce", func(t *testing.T) {
		t.Parallel()
		_, err := server.LoadConfig(envOf(map[string]string{"DB_MAX_CONNS": "abc"}))
		if err == nil || strings.Count(err.Error(), "DB_MAX_CONNS") != 1 || !strings.Contains(err.Error(), `"abc"`) {
			t.Fatalf("%v", err)
		}
	})
	t.Run("AllErrorsAtOnce", func(t *testing.T) {
		t.Parallel()
		_, err := server.LoadConfig(envOf(map[string]string{"APP_ENV": "production", "LOG_FORMAT": "xml"}))
		if err == nil || !strings.Contains(err.Error(), "JWT_SECRET") || !strings.Contains(err.Error(), "LOG_FORMAT") {
			t.Fatalf("want both problems named, got %v", err)
		}
	})
	t.Run("AdminPasswordBoundaries", func(t *testing.T) {
		t.Parallel()
		for _, pw := range []string{strings.Repeat("p", 10), strings.Repeat("p", 72), " spaces kept "} {
			c, err := server.LoadConfig(envOf(map[string]string{"ADMIN_PASSWORD": pw}))
			if err != nil || c.AdminPassword != pw {
				t.Errorf("%q: %v %q", pw, err, c.AdminPassword)
			}
		}
	})
}

// The operations commands sign no tokens: production does not require a
// secret of them, and none is made up, but one that is set is checked.
func TestLoadToolConfig(t *testing.T) {
	t.Parallel()
	c, err := server.LoadToolConfig(envOf(map[string]string{"APP_ENV": "production"}))
	if err != nil || c.JWTSecret != nil || c.JWTSecretRandom {
		t.Fatalf("%v %+v", err, c)
	}
	if _, err := server.LoadToolConfig(envOf(map[string]string{"JWT_SECRET": "short"})); err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
		t.Fatalf("%v", err)
	}
}

// A small pool lowers the exports' default rather than refusing to start:
// every documented DB_MAX_CONNS works without setting EXPORT_MAX_CONCURRENT.
func TestLoadConfigExportsFollowPool(t *testing.T) {
	t.Parallel()
	for conns, want := range map[string]int{"1": 1, "3": 1, "6": 3, "8": 4, "20": 4, "100": 4} {
		c, err := server.LoadConfig(envOf(map[string]string{"DB_MAX_CONNS": conns}))
		if err != nil || c.ExportMaxConcurrent != want {
			t.Errorf("DB_MAX_CONNS=%s: exports %d, %v; want %d", conns, c.ExportMaxConcurrent, err, want)
		}
	}
}
