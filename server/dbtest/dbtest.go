// Package dbtest gives each test its own PostgreSQL database, cloned from a
// template that has every migration applied, so tests run in parallel on a
// real server. The server comes from TEST_DATABASE_URL (default: the local
// PostgreSQL on 127.0.0.1:5432 as user postgres).
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", which pgtestdb connects with
	"github.com/peterldowns/pgtestdb"
	"github.com/peterldowns/pgtestdb/migrators/goosemigrator"

	"github.com/jmksales/jmk/schema"
	"github.com/jmksales/jmk/server/dbconf"
)

// DefaultURL is the test server when TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

func config(t testing.TB) pgtestdb.Config {
	t.Helper()
	raw := os.Getenv("TEST_DATABASE_URL")
	if raw == "" {
		raw = DefaultURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	port := 5432
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			t.Fatalf("TEST_DATABASE_URL port: %v", err)
		}
	}
	pw, _ := u.User.Password()
	opts := u.RawQuery
	if opts == "" {
		opts = "sslmode=disable"
	}
	return pgtestdb.Config{
		DriverName: "pgx",
		Host:       u.Hostname(),
		Port:       strconv.Itoa(port),
		User:       u.User.Username(),
		Password:   pw,
		Database:   "postgres",
		Options:    opts,
	}
}

// URL returns the connection URL of a fresh, migrated database that is
// dropped when the test passes.
func URL(t testing.TB) string {
	t.Helper()
	m := goosemigrator.New(".", goosemigrator.WithFS(schema.Migrations))
	return pgtestdb.Custom(t, config(t), m).URL()
}

// Pool returns a pool on a fresh, migrated database.
func Pool(t testing.TB) (*pgxpool.Pool, string) {
	t.Helper()
	dsn := URL(t)
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("parse test database url: %v", err)
	}
	dbconf.Configure(pc)
	// Idle connections go back to PostgreSQL, as servertest's do: many
	// tests' pools live at once.
	pc.MaxConnIdleTime, pc.HealthCheckPeriod = time.Second, time.Second
	pool, err := pgxpool.NewWithConfig(context.Background(), pc)
	if err != nil {
		t.Fatalf("connect test database: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool, dsn
}

// FreshURL names a database that does not exist yet on the test server,
// for tests of creating one; it is dropped when the test ends.
func FreshURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		base = DefaultURL
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("TEST_DATABASE_URL: %v", err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms.
	name := "jmk_fresh_" + hex.EncodeToString(b)
	t.Cleanup(func() {
		conn, err := pgx.Connect(context.Background(), base)
		if err != nil {
			t.Errorf("drop %s: %v", name, err)
			return
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
