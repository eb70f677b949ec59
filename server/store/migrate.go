package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"path"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib" // also the database/sql driver "pgx" for goose
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/jmksales/jmk/schema"
)

// ErrSchemaBehind is returned by CheckSchema when migrations are pending.
var ErrSchemaBehind = errors.New("database schema is behind this binary; run `jmk migrate`")

// ErrSchemaAhead is returned by CheckSchema and Migrate when the database
// has migrations this binary does not know: a newer version migrated it,
// and this one's queries may read what those dropped (an old instance left
// running after an upgrade, or a rollback of the binary alone).
var ErrSchemaAhead = errors.New("database schema is newer than this binary; run the version that migrated it")

// EnsureDatabase creates the database named in dsn when it does not exist,
// connecting to the server's "postgres" database to do so, and says so on
// log.
func EnsureDatabase(ctx context.Context, dsn string, log *slog.Logger) error {
	return checkDatabase(ctx, dsn, log, true)
}

// RequireDatabase is EnsureDatabase for commands that work on data already
// there (jmk audit verify, export, model list and activate): a missing
// database (a mistyped DATABASE_URL) is an error, not created empty.
func RequireDatabase(ctx context.Context, dsn string) error {
	return checkDatabase(ctx, dsn, nil, false)
}

func checkDatabase(ctx context.Context, dsn string, log *slog.Logger, create bool) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("parse DATABASE_URL: %w", err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		return conn.Close(ctx)
	}
	var pg *pgconn.PgError
	switch {
	case ctx.Err() != nil: // interrupted, or out of time: no advice about the server
		return fmt.Errorf("connect to PostgreSQL at %s:%d: %w", cfg.Host, cfg.Port, err)
	case !errors.As(err, &pg) || pg.Code != "3D000": // invalid_catalog_name
		return fmt.Errorf("connect to PostgreSQL at %s:%d: %w (%s)", cfg.Host, cfg.Port, err, connectHint(err))
	}
	if !create {
		return fmt.Errorf("database %q does not exist on %s:%d: check DATABASE_URL", cfg.Database, cfg.Host, cfg.Port)
	}
	admin := cfg.Copy()
	admin.Database = "postgres"
	aconn, err := pgx.ConnectConfig(ctx, admin)
	if err != nil {
		return fmt.Errorf("connect to create database %q: %w", cfg.Database, err)
	}
	defer aconn.Close(ctx)
	_, err = aconn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{cfg.Database}.Sanitize())
	switch {
	case isDuplicateDatabase(err):
		return nil // another instance starting at the same time made it
	case err != nil:
		return fmt.Errorf("create database %q: %w", cfg.Database, err)
	}
	log.InfoContext(ctx, "created database", "database", cfg.Database)
	return nil
}

// connectHint says what to do about a failed connection: a server that
// refused the credentials (a role, a password, pg_hba.conf) needs others;
// one short of connections or still starting, time; one that refused a
// setting in the URL, that setting fixed; one that took the connection and
// then said nothing within connect_timeout is not PostgreSQL, or something
// on the way holds it up; one that did not answer needs to be started or
// named.
func connectHint(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case pg.Code == "28P01" || pg.Code == "28000":
			return "the server refused the login: check the user and password in DATABASE_URL, and its pg_hba.conf"
		case strings.HasPrefix(pg.Code, "53") || pg.Code == "57P03":
			return "the server is out of connections or still starting: try again, or raise its max_connections"
		case strings.HasPrefix(pg.Code, "22") || pg.Code == "42704":
			return "the server refused a setting: check the parameters in DATABASE_URL"
		}
		return "the server refused the connection: check DATABASE_URL"
	}
	var ne net.Error
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return "the host in DATABASE_URL does not resolve: check its spelling"
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		return "no answer within connect_timeout: check the host and port in DATABASE_URL, and any firewall or pooler on the way"
	}
	return "start PostgreSQL 15 or newer there (e.g. apt install postgresql), or set DATABASE_URL to a server that runs"
}

// isDuplicateDatabase reports whether CREATE DATABASE failed because the
// database exists: 42P04, or, when two sessions create it at the same
// moment, a unique violation on pg_database's name index.
func isDuplicateDatabase(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == "42P04" || pg.Code == "23505" && pg.ConstraintName == "pg_database_datname_index")
}

func provider(dsn string) (*goose.Provider, *sql.DB, error) {
	sqldb, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, nil, err
	}
	// The session lock lets several replicas start at once: one migrates,
	// the others wait and then find nothing to do.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(5, uint64(migrateLockTimeout/(5*time.Second))))
	if err != nil {
		sqldb.Close()
		return nil, nil, err
	}
	p, err := goose.NewProvider(goose.DialectPostgres, sqldb, schema.Migrations, goose.WithSessionLocker(locker))
	if err != nil {
		sqldb.Close()
		return nil, nil, err
	}
	return p, sqldb, nil
}

// migrateLockTimeout is how long Migrate waits for another session's
// migration lock: goose's default, polled every 5 s.
const migrateLockTimeout = 5 * time.Minute

// Migrate applies every pending migration and returns how many it applied.
// While another instance migrates it waits, up to migrateLockTimeout, and
// says so in log once the wait passes a few seconds: it would look hung.
func Migrate(ctx context.Context, dsn string, log *slog.Logger) (int, error) {
	p, sqldb, err := provider(dsn)
	if err != nil {
		return 0, fmt.Errorf("migrations: %w", err)
	}
	defer sqldb.Close()
	waiting := time.AfterFunc(5*time.Second, func() {
		log.Warn("migrations: still running after 5s: a migration is long, or another instance holds the migration lock",
			"lock_wait_gives_up_after", migrateLockTimeout.String())
	})
	res, err := p.Up(ctx)
	waiting.Stop()
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	return len(res), schemaMatches(ctx, p)
}

// SchemaVersion is the version of this binary's last migration: the
// database's once Migrate or CheckSchema has passed.
func SchemaVersion() (int64, error) {
	names, err := fs.Glob(schema.Migrations, "*.sql")
	if err != nil {
		return 0, err
	}
	var last int64
	for _, n := range names {
		v, err := goose.NumericComponent(n)
		if err != nil {
			return 0, fmt.Errorf("migration %s: %w", n, err)
		}
		last = max(last, v)
	}
	return last, nil
}

// Migration is one of this binary's migrations and whether the database
// has it.
type Migration struct {
	Version   int64
	File      string
	AppliedAt *time.Time // nil: pending
}

// MigrationStatus lists this binary's migrations with their state in the
// database, and the newest migration the database has (beyond the last of
// the list when a newer binary migrated it).
func MigrationStatus(ctx context.Context, dsn string) (migrations []Migration, dbVersion int64, err error) {
	p, sqldb, err := provider(dsn)
	if err != nil {
		return nil, 0, fmt.Errorf("migrations: %w", err)
	}
	defer sqldb.Close()
	st, err := p.Status(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("migration status: %w", err)
	}
	for _, m := range st {
		mi := Migration{Version: m.Source.Version, File: path.Base(m.Source.Path)}
		if m.State == goose.StateApplied {
			at := m.AppliedAt
			mi.AppliedAt = &at
		}
		migrations = append(migrations, mi)
	}
	if dbVersion, err = p.GetDBVersion(ctx); err != nil {
		return nil, 0, fmt.Errorf("migration status: %w", err)
	}
	return migrations, dbVersion, nil
}

// PoolBusyError says that every pooled connection stayed in use: the
// database is saturated rather than down, which calls for another remedy.
type PoolBusyError struct{ Conns int32 }

func (e PoolBusyError) Error() string {
	return fmt.Sprintf("all %d database connections are in use", e.Conns)
}

// Ready is the readiness check: CheckSchema through the pool (a database
// restored from an old backup under a running server is as unready as one
// that does not answer). It returns ErrSchemaBehind or ErrSchemaAhead, a PoolBusyError when no
// connection came free before ctx ended, or why the database failed.
func (s *Store) Ready(ctx context.Context) error {
	sqldb := stdlib.OpenDBFromPool(s.pool) // closing it leaves the pool open
	defer sqldb.Close()
	p, err := goose.NewProvider(goose.DialectPostgres, sqldb, schema.Migrations)
	if err != nil {
		return err
	}
	err = schemaMatches(ctx, p)
	if st := s.pool.Stat(); err != nil && ctx.Err() != nil && st.AcquiredConns() >= st.MaxConns() {
		return PoolBusyError{Conns: st.MaxConns()}
	}
	return err
}

// schemaMatches returns ErrSchemaBehind when a migration of this binary is
// not applied, ErrSchemaAhead when the database has a later one.
func schemaMatches(ctx context.Context, p *goose.Provider) error {
	pending, err := p.HasPending(ctx)
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	if pending {
		return ErrSchemaBehind
	}
	current, target, err := p.GetVersions(ctx)
	if err != nil {
		return fmt.Errorf("check schema: %w", err)
	}
	if current > target {
		return fmt.Errorf("%w (migration %d; this binary knows up to %d)", ErrSchemaAhead, current, target)
	}
	return nil
}

// CheckSchema returns ErrSchemaBehind when the database lacks migrations this
// binary has, so a server never runs on a schema older than its queries, and
// ErrSchemaAhead when it has migrations this binary lacks.
func CheckSchema(ctx context.Context, dsn string) error {
	p, sqldb, err := provider(dsn)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	defer sqldb.Close()
	return schemaMatches(ctx, p)
}
