// Package dbconf prepares pgx connections the way the store's queries
// expect them, for the server and for tests alike.
package dbconf

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	pgxuuid "github.com/vgarvardt/pgx-google-uuid/v5"
)

// Configure makes every connection of the pool encode and decode
// github.com/google/uuid values in PostgreSQL's binary format. Without it
// pgx falls back to the type's driver.Valuer: a string per id, parsed again,
// which makes sending the ids of a million re-scored leads take seconds.
//
// It also sets three parameters for the connections' sessions, unless the
// DSN sets them:
//   - plan_cache_mode: the list queries have optional filters ("$1 IS NULL
//     OR col = $1"), and a cached generic plan cannot use the index a given
//     filter needs.
//   - max_parallel_workers_per_gather: a parallel plan starts worker
//     processes, milliseconds, for a query that takes a fraction of one.
//     The planner can choose one for a search page (22 ms instead of 1),
//     and under concurrent requests the workers only compete for the same
//     cores.
//   - idle_in_transaction_session_timeout: an instance frozen inside a
//     transaction (a stopped process, a paused VM) would hold its locks,
//     and keep every instance's audit sealer waiting, until TCP noticed,
//     hours later; PostgreSQL ends such a session after a minute instead.
//     No transaction of ours waits on us that long between statements, but
//     an import waiting on its upload, which lifts the limit meanwhile.
func Configure(pc *pgxpool.Config) {
	for k, v := range map[string]string{"plan_cache_mode": "force_custom_plan", "max_parallel_workers_per_gather": "0",
		"idle_in_transaction_session_timeout": "1min"} {
		if _, set := pc.ConnConfig.RuntimeParams[k]; !set {
			pc.ConnConfig.RuntimeParams[k] = v
		}
	}
	next := pc.AfterConnect
	pc.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		pgxuuid.Register(c.TypeMap())
		if next != nil {
			return next(ctx, c)
		}
		return nil
	}
}

// DefaultConnectTimeout bounds each connection attempt, in seconds, when
// neither the DSN nor PGCONNECT_TIMEOUT sets a limit. pgx has none by
// default: a host that accepts TCP but never answers would hang start-up,
// and every request that needs a new connection, for good.
const DefaultConnectTimeout = 10

// WithConnectTimeout returns dsn (a URL or keyword/value string) with
// connect_timeout set to DefaultConnectTimeout, unless dsn or pgEnv (the
// value of PGCONNECT_TIMEOUT) already sets one.
func WithConnectTimeout(dsn, pgEnv string) string {
	if pgEnv != "" {
		return dsn
	}
	if _, err := pgconn.ParseConfig(dsn); err != nil {
		return dsn // pgx reports the malformed DSN as the user wrote it
	}
	timeout := strconv.Itoa(DefaultConnectTimeout)
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil || u.Query().Get("connect_timeout") != "" {
			return dsn
		}
		// Appended, not re-encoded: encoding the query again would turn
		// the %20 of options=-c%20... into a + that pgx does not read
		// back as a space.
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += "connect_timeout=" + timeout
		return u.String()
	}
	if strings.Contains(dsn, "connect_timeout") {
		return dsn
	}
	return strings.TrimSpace(dsn + " connect_timeout=" + timeout)
}
