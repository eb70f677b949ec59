package store

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/pressly/goose/v3/lock"

	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/logbuf"
)

// TestMigrationsDownAndUp runs every migration's Down, newest first, on a
// database holding a scored lead, then every Up again: a release can be
// rolled back, and the Down sections are not dead text.
func TestMigrationsDownAndUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, dsn := dbtest.Pool(t)
	if _, err := pool.Exec(ctx, `INSERT INTO leads (id, name, probability, category) VALUES (gen_random_uuid(), 'L', 0.5, 'warm')`); err != nil {
		t.Fatal(err)
	}
	pool.Close()

	p, sqldb, err := provider(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer sqldb.Close()
	down, err := p.DownTo(ctx, 0)
	if err != nil {
		t.Fatalf("down: %v", err)
	}
	up, err := p.Up(ctx)
	if err != nil {
		t.Fatalf("up again: %v", err)
	}
	if len(down) == 0 || len(up) != len(down) {
		t.Fatalf("%d migrations down, %d up", len(down), len(up))
	}
	var n int
	if err := sqldb.QueryRowContext(ctx, `SELECT count(*) FROM lead_rank`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("lead_rank after up: %d rows, %v", n, err)
	}
}

// TestEnsureDatabaseConcurrently: instances starting together on a missing
// database all go on; PostgreSQL reports the losers of the race as a
// unique violation, not as "already exists".
func TestEnsureDatabaseConcurrently(t *testing.T) {
	t.Parallel()
	dsn := dbtest.FreshURL(t)
	errs := make(chan error, 6)
	for range cap(errs) {
		go func() { errs <- EnsureDatabase(context.Background(), dsn, slog.New(slog.DiscardHandler)) }()
	}
	for range cap(errs) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestConnectInterrupted: a connection given up by its caller (Ctrl-C)
// says so, without advice on starting a server that may well be running.
func TestConnectInterrupted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := RequireDatabase(ctx, dbtest.URL(t))
	if err == nil || !errors.Is(err, context.Canceled) || strings.Contains(err.Error(), "start PostgreSQL") {
		t.Fatalf("%v", err)
	}
}

// TestMigrationTimeSplitSeed: 00024 takes the unused seed out of the
// time-split models stored before, in both copies of their options, and
// leaves a stratified model's seed alone; its Down puts it back.
func TestMigrationTimeSplitSeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, dsn := dbtest.Pool(t)
	pool.Close()
	p, sqldb, err := provider(dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer sqldb.Close()
	if _, err := p.DownTo(ctx, 23); err != nil {
		t.Fatal(err)
	}
	if _, err := sqldb.ExecContext(ctx, `INSERT INTO models (algorithm, options, metrics, thresholds, model) VALUES
		('lr', '{"split": "time", "seed": 1}', '{}', '{}', '{"options": {"split": "time", "seed": 1}}'),
		('lr', '{"split": "stratified", "seed": 7}', '{}', '{}', '{"options": {"split": "stratified", "seed": 7}}')`); err != nil {
		t.Fatal(err)
	}
	seeds := func() string {
		t.Helper()
		var s string
		if err := sqldb.QueryRowContext(ctx, `SELECT string_agg(coalesce(options->>'seed', '-') || '/' ||
			coalesce(model->'options'->>'seed', '-'), ',' ORDER BY version) FROM models`).Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	if _, err := p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	if got := seeds(); got != "-/-,7/7" {
		t.Errorf("after Up: seeds %s, want -/-,7/7", got)
	}
	if _, err := p.DownTo(ctx, 23); err != nil {
		t.Fatal(err)
	}
	if got := seeds(); got != "1/1,7/7" {
		t.Errorf("after Down: seeds %s, want 1/1,7/7", got)
	}
}

// TestMigrateSaysItWaits: an instance waiting for another's migration lock
// says so in its log instead of looking hung, and gives up when its context
// ends.
func TestMigrateSaysItWaits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := dbtest.FreshURL(t) // with every migration pending: goose locks only then
	if err := EnsureDatabase(ctx, dsn, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, lock.DefaultLockID); err != nil {
		t.Fatal(err)
	}
	var logs logbuf.Buffer
	wctx, cancel := context.WithTimeout(ctx, 7*time.Second)
	defer cancel()
	_, err = Migrate(wctx, dsn, slog.New(slog.NewTextHandler(&logs, nil)))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Migrate under another's lock: %v", err)
	}
	if !strings.Contains(logs.String(), "another instance holds the migration lock") {
		t.Fatalf("nothing said while waiting: %q", logs.String())
	}
}

// TestConnectHint: a failed connection's message says what to check.
func TestConnectHint(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"NoSuchHost", &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "pg.example.invalid", IsNotFound: true}}, "does not resolve"},
		{"Refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, "start PostgreSQL 15"},
		{"Silent", context.DeadlineExceeded, "no answer within connect_timeout"},
		{"Password", &pgconn.PgError{Code: "28P01"}, "check the user and password"},
		{"TooManyConnections", &pgconn.PgError{Code: "53300"}, "out of connections or still starting"},
		{"Starting", &pgconn.PgError{Code: "57P03"}, "out of connections or still starting"},
		{"BadSetting", &pgconn.PgError{Code: "22023"}, "check the parameters in DATABASE_URL"},
		{"Other", &pgconn.PgError{Code: "3D000"}, "check DATABASE_URL"},
	} {
		if got := connectHint(tc.err); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q in it", tc.name, got, tc.want)
		}
	}
}
