package dbconf_test

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/server/dbconf"
	"github.com/jmksales/jmk/server/dbtest"
)

// The registered codec must round-trip every shape of uuid the store uses:
// a value, a nil and a set pointer, and arrays.
func TestUUIDRoundTrip(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t) // configured with dbconf.Configure
	ctx := context.Background()
	id := uuid.Must(uuid.NewV7())
	ids := []uuid.UUID{id, uuid.New()}
	var (
		gotID     uuid.UUID
		gotNil    *uuid.UUID
		gotPtr    *uuid.UUID
		gotIDs    []uuid.UUID
		asText    string
		nilIsNull bool
	)
	err := pool.QueryRow(ctx, `SELECT $1::uuid, $2::uuid, $3::uuid, $4::uuid[], $1::uuid::text, $2::uuid IS NULL`,
		id, (*uuid.UUID)(nil), &id, ids).Scan(&gotID, &gotNil, &gotPtr, &gotIDs, &asText, &nilIsNull)
	if err != nil {
		t.Fatal(err)
	}
	if gotID != id || gotNil != nil || gotPtr == nil || *gotPtr != id || !slices.Equal(gotIDs, ids) ||
		asText != id.String() || !nilIsNull {
		t.Errorf("round trip: %v %v %v %v %q %v", gotID, gotNil, gotPtr, gotIDs, asText, nilIsNull)
	}
}

// The pool's sessions plan every execution afresh and never in parallel,
// and end a transaction left idle for a minute.
func TestPlannerSettings(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	var mode, workers, idle string
	err := pool.QueryRow(context.Background(), `SELECT current_setting('plan_cache_mode'),
		current_setting('max_parallel_workers_per_gather'), current_setting('idle_in_transaction_session_timeout')`).Scan(&mode, &workers, &idle)
	if err != nil {
		t.Fatal(err)
	}
	if mode != "force_custom_plan" || workers != "0" || idle != "1min" {
		t.Errorf("plan_cache_mode %q, max_parallel_workers_per_gather %q, idle_in_transaction_session_timeout %q", mode, workers, idle)
	}
}

// A setting the DSN makes wins over the default.
func TestPlannerSettingsFromDSN(t *testing.T) {
	t.Parallel()
	pc, err := pgxpool.ParseConfig("postgres://h/db?max_parallel_workers_per_gather=2")
	if err != nil {
		t.Fatal(err)
	}
	dbconf.Configure(pc)
	if got := pc.ConnConfig.RuntimeParams; got["max_parallel_workers_per_gather"] != "2" || got["plan_cache_mode"] != "force_custom_plan" {
		t.Errorf("runtime params %v", got)
	}
}

func TestWithConnectTimeout(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, dsn, env, want string }{
		{"URL", "postgres://u@h:5432/db?sslmode=disable", "", "postgres://u@h:5432/db?sslmode=disable&connect_timeout=10"},
		// The rest of the query stays as written: re-encoded, %20 became +.
		{"URLWithOptions", "postgres://h/db?options=-c%20work_mem%3D64MB", "", "postgres://h/db?options=-c%20work_mem%3D64MB&connect_timeout=10"},
		// pgx's error then quotes what the user wrote, not an added timeout.
		{"NotADSN", "not a url", "", "not a url"},
		{"URLWithoutQuery", "postgresql://h/db", "", "postgresql://h/db?connect_timeout=10"},
		{"URLKeepsItsOwn", "postgres://h/db?connect_timeout=3", "", "postgres://h/db?connect_timeout=3"},
		{"KeywordValue", "host=h dbname=db", "", "host=h dbname=db connect_timeout=10"},
		{"KeywordValueKeepsItsOwn", "host=h connect_timeout=2", "", "host=h connect_timeout=2"},
		{"EnvironmentWins", "postgres://h/db", "5", "postgres://h/db"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := dbconf.WithConnectTimeout(tc.dsn, tc.env); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
