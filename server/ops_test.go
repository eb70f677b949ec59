package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/logbuf"
	"github.com/jmksales/jmk/server/servertest"
	"github.com/jmksales/jmk/server/store"
)

func TestOps(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()

	t.Run("Healthz", func(t *testing.T) {
		r, err := env.Anon.GetHealthzWithResponse(ctx)
		if err != nil || r.StatusCode() != 200 || r.JSON200.Status != "ok" {
			t.Fatalf("healthz: %v %d", err, r.StatusCode())
		}
		if r.HTTPResponse.Header.Get("X-Request-ID") == "" {
			t.Error("no X-Request-ID")
		}
	})
	t.Run("Readyz", func(t *testing.T) {
		r, err := env.Anon.GetReadyzWithResponse(ctx)
		if err != nil || r.StatusCode() != 200 {
			t.Fatalf("readyz: %v %d", err, r.StatusCode())
		}
	})
	t.Run("ReadyzSchemaBehind", func(t *testing.T) {
		behind := servertest.New(t)
		// As if the database were restored from a backup older than the
		// server's newest migration.
		if err := sql(t, behind, `DELETE FROM goose_db_version
			WHERE version_id = (SELECT max(version_id) FROM goose_db_version)`); err != nil {
			t.Fatal(err)
		}
		res, body := raw(t, http.MethodGet, behind.URL+"/readyz", nil, nil)
		if p := wantProblem(t, res, body, http.StatusServiceUnavailable); !strings.Contains(p.Detail, "jmk migrate") ||
			res.Header.Get("Retry-After") != "5" {
			t.Fatalf("detail %v, Retry-After %q", p.Detail, res.Header.Get("Retry-After"))
		}
	})
	t.Run("ReadyzSchemaAhead", func(t *testing.T) {
		ahead := servertest.New(t)
		// As if a newer version had migrated the database under this one.
		if err := sql(t, ahead, `INSERT INTO goose_db_version (version_id, is_applied)
			SELECT max(version_id) + 1, true FROM goose_db_version`); err != nil {
			t.Fatal(err)
		}
		res, body := raw(t, http.MethodGet, ahead.URL+"/readyz", nil, nil)
		if p := wantProblem(t, res, body, http.StatusServiceUnavailable); !strings.Contains(p.Detail, "database schema is newer than this binary") {
			t.Fatalf("detail %v", p.Detail)
		}
		if _, err := store.Migrate(ctx, ahead.DSN, slog.New(slog.DiscardHandler)); !errors.Is(err, store.ErrSchemaAhead) {
			t.Fatalf("migrate: %v", err)
		}
	})
	t.Run("MetricsToken", func(t *testing.T) {
		const token = "metrics-token-for-the-test"
		guarded := servertest.New(t, func(c *server.Config) { c.MetricsToken = token })
		for _, h := range []map[string]string{nil, {"Authorization": "Bearer wrong-token-of-some-length"}, {"Authorization": token}} {
			res, body := raw(t, http.MethodGet, guarded.URL+"/metrics", nil, h)
			wantProblem(t, res, body, http.StatusUnauthorized)
			if res.Header.Get("WWW-Authenticate") == "" || strings.Contains(string(body), "http_requests_total") {
				t.Errorf("with %v: %s", h, body)
			}
		}
		res, body := raw(t, http.MethodGet, guarded.URL+"/metrics", nil, map[string]string{"Authorization": "Bearer " + token})
		if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "http_requests_total") {
			t.Errorf("with the token: %d", res.StatusCode)
		}
	})
	t.Run("ReadyzPoolFull", func(t *testing.T) {
		full := servertest.New(t, func(c *server.Config) { c.DBMaxConns = 2 })
		for range 2 {
			conn, err := full.Store.Pool().Acquire(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Release()
		}
		res, body := raw(t, http.MethodGet, full.URL+"/readyz", nil, nil)
		if p := wantProblem(t, res, body, http.StatusServiceUnavailable); p.Detail != "all 2 database connections are in use" ||
			res.Header.Get("Retry-After") != "5" {
			t.Fatalf("detail %v, Retry-After %q", p.Detail, res.Header.Get("Retry-After"))
		}
	})
	t.Run("Docs", func(t *testing.T) {
		for path, want := range map[string]string{
			"/docs":                      "swagger-ui",
			"/docs/swagger-ui-bundle.js": "SwaggerUIBundle",
			"/openapi.yaml":              "openapi: 3.0.3",
			"/docs/favicon-32x32.png":    "PNG",
			"/docs/":                     "swagger-ui", // redirected to /docs
			"/docs/index.html":           "swagger-ui",
		} {
			res, err := http.Get(env.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 200 || !strings.Contains(string(body), want) {
				t.Errorf("%s: %d, missing %q", path, res.StatusCode, want)
			}
		}
	})
}

// TestOpsStartingLine: a start logs one line saying what runs: settings,
// the database without its password, the schema, the scoring in force.
func TestOpsStartingLine(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	env := servertest.NewWithLog(t, &logs)
	cfg, err := pgxpool.ParseConfig(env.DSN)
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, "msg=starting") {
			if line != "" {
				t.Fatalf("two starting lines:\n%s", logs.String())
			}
			line = l
		}
	}
	schema, err := store.SchemaVersion()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"env=development", "log_level=error ", "log_format=json", "db_max_conns=8", "registration_open=false",
		fmt.Sprintf("database=%s@%s:%d/%s ", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Port, cfg.ConnConfig.Database),
		fmt.Sprintf("schema_version=%d ", schema), "migrations_applied=0", // the template was migrated
		"active_model=none", "hot_threshold=0.7 ", "warm_threshold=0.4", "go_version=go1.",
	} {
		if !strings.Contains(line, want) {
			t.Errorf("the starting line lacks %s: %s", want, line)
		}
	}
	if cfg.ConnConfig.Password == "" || strings.Contains(line, cfg.ConnConfig.Password) {
		t.Errorf("the test database has no password to hide, or the line shows it: %s", line)
	}
}
