package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/scoring"
	"github.com/jmksales/jmk/server/store"
)

// withModels imports leads 1 to rows (importFile's) into st and saves a
// model version trained on them for each of opts, the first active: the
// store a scoring test starts from. It returns the versions, in order.
func withModels(t *testing.T, st *store.Store, rows int, opts ...scoring.Options) []int32 {
	t.Helper()
	if _, err := st.LeadImport(context.Background(), audit.Actor{Name: "test"}, importFile(1, rows, false), store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return saveModels(t, st, opts...)
}

// saveModels trains a model version on st's leads for each of opts (a
// seed of its own makes one that scores differently) and saves it, the
// first active. It returns the versions, in order.
func saveModels(t *testing.T, st *store.Store, opts ...scoring.Options) []int32 {
	t.Helper()
	ctx := context.Background()
	versions := make([]int32, len(opts))
	for i, o := range opts {
		trained, err := st.ModelTrain(ctx, o)
		if err != nil {
			t.Fatal(err)
		}
		m, err := st.ModelSave(ctx, audit.Actor{Name: "test"}, trained.Model, i == 0)
		if err != nil {
			t.Fatal(err)
		}
		versions[i] = m.Version
	}
	return versions
}

// waitLocked waits until n sessions of the test's database wait for a lock,
// in the statement sqlc names query unless it is empty; a side that ends
// first (done) fails the test.
func waitLocked(t *testing.T, pool *pgxpool.Pool, done <-chan error, n int, query string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var got int
		if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'
			AND ($1 = '' OR query LIKE '-- name: ' || $1 || ' %')`, query).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got >= n {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("ended (%v) before %d sessions waited for a lock %s", err, n, query)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions wait for a lock %s, want %d", got, query, n)
		}
	}
}
