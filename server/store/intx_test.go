package store

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/server/dbtest"
)

// A panic inside a transaction (recovered by the server, which goes on
// serving) must not leave its connection idle in the transaction, holding
// its locks and lost to the pool.
func TestInTxRollsBackOnPanic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// A pool of its own, left open if the test fails: closing it would wait
	// for the lost connection for ever.
	pool, err := pgxpool.New(ctx, dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	s := New(pool)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic did not come through")
			}
		}()
		_ = s.InTx(ctx, func(tx *Tx) error {
			if _, err := tx.tx.Exec(ctx, `LOCK TABLE leads IN ACCESS EXCLUSIVE MODE`); err != nil {
				t.Error(err)
			}
			panic("boom")
		})
	}()
	if n := pool.Stat().AcquiredConns(); n != 0 {
		// Ended here, or dropping the test database would wait for it.
		_, _ = pool.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE datname = current_database() AND state = 'idle in transaction'`)
		t.Fatalf("%d connections still acquired", n)
	}
	defer pool.Close()
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var n int
	if err := pool.QueryRow(qctx, `SELECT count(*) FROM leads`).Scan(&n); err != nil {
		t.Errorf("leads still locked: %v", err)
	}
}
