package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/dbconf"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/scoring"
	"github.com/jmksales/jmk/server/store"
)

// TestModelLoadHoldsNoConnection: an instance that has not compiled the
// active model yet (just started, or another instance activated a new one)
// loads it for whichever request asks first. A request outside a
// transaction needs a pool connection for that; a write in a transaction
// already holds one. The write must not wait in the process for the load
// while holding the very connection the load waits for: with the pool
// full of such writes, every one of them and the load would stall until their
// deadlines (REQUEST_TIMEOUT, 30 s by default), a wait PostgreSQL cannot
// see and no deadlock detector ends. Here the pool has one connection, the
// score request queues for it first and the lead's creation second.
func TestModelLoadHoldsNoConnection(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	actor := audit.Actor{Name: "test"}
	pool, dsn := dbtest.Pool(t)
	st := store.New(pool)
	defer st.Close()
	withModels(t, st, 2000, scoring.Options{})

	// Another instance, with nothing compiled yet and one connection.
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	dbconf.Configure(pc)
	pc.MaxConns, pc.MinConns = 1, 0
	small, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	other := store.New(small)
	defer other.Close()

	held, err := small.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const limit = 5 * time.Second // a request's deadline, shortened
	scored := make(chan error, 1)
	go func() {
		cctx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		_, err := other.ModelActiveScorer(cctx)
		scored <- err
	}()
	time.Sleep(200 * time.Millisecond) // first in the pool's queue
	created := make(chan error, 1)
	go func() {
		cctx, cancel := context.WithTimeout(ctx, limit)
		defer cancel()
		_, err := other.LeadCreate(cctx, actor, db.LeadInsertParams{Name: "Ana Silva"})
		created <- err
	}()
	time.Sleep(200 * time.Millisecond) // second
	start := time.Now()
	held.Release()
	if err := <-scored; err != nil {
		t.Errorf("the score request after %s: %v", time.Since(start).Round(time.Millisecond), err)
	}
	if err := <-created; err != nil {
		t.Errorf("the lead's creation: %v", err)
	}
	if d := time.Since(start); d > limit/2 {
		t.Errorf("the two took %s, want well under %s", d.Round(time.Millisecond), limit)
	}
}
