package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/scoring"
	"github.com/jmksales/jmk/server/store"
)

// TestActivationStamp: an activation that waited its turn stamps
// activated_at and its leads' scored_at with when it took effect, not with
// when it began to wait, and a lead write that waited behind it stamps its
// score later still. So a lead's score is never dated before the lead, nor
// before the activation of the model that computed it.
func TestActivationStamp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	actor := audit.Actor{Name: "test"}
	// setUp returns a store with a model active and a second version ready.
	setUp := func(t *testing.T) (*pgxpool.Pool, *store.Store, int32) {
		pool, _ := dbtest.Pool(t)
		st := store.New(pool)
		if _, err := st.LeadImport(ctx, actor, importFile(1, 3000, false), store.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		trained, err := st.ModelTrain(ctx, scoring.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.ModelSave(ctx, actor, trained.Model, true); err != nil {
			t.Fatal(err)
		}
		next, err := st.ModelSave(ctx, actor, trained.Model, false)
		if err != nil {
			t.Fatal(err)
		}
		return pool, st, next.Version
	}
	// waiting waits until n sessions wait for a lock in the test's database.
	waiting := func(t *testing.T, pool *pgxpool.Pool, n int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var got int
			if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_locks
				WHERE NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d sessions wait for a lock, want %d", got, n)
			}
		}
	}
	activate := func(st *store.Store, version int32) <-chan error {
		done := make(chan error, 1)
		go func() {
			_, err := st.ModelActivate(ctx, actor, version)
			done <- err
		}()
		return done
	}
	// check looks at the lead named by where, and at every lead.
	check := func(t *testing.T, pool *pgxpool.Pool, where string, version int32) {
		t.Helper()
		var early, got int
		var createdAt, scoredAt, activatedAt time.Time
		if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM leads WHERE scored_at < created_at),
			l.model_version, l.created_at, l.scored_at, m.activated_at
			FROM leads l, models m WHERE `+where+` AND m.active`).Scan(&early, &got, &createdAt, &scoredAt, &activatedAt); err != nil {
			t.Fatal(err)
		}
		if early != 0 || got != int(version) || scoredAt.Before(createdAt) || scoredAt.Before(activatedAt) {
			t.Fatalf("%d leads scored before they were created; the lead: v%d, created %v, scored %v; v%d activated %v",
				early, got, createdAt, scoredAt, version, activatedAt)
		}
	}

	// A lead imported while the activation waits for another's turn.
	t.Run("ActivationWaited", func(t *testing.T) {
		t.Parallel()
		pool, st, next := setUp(t)
		turn, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer turn.Rollback(ctx)
		if _, err := turn.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('jmk:model-activation', 0))`); err != nil {
			t.Fatal(err)
		}
		done := activate(st, next)
		waiting(t, pool, 1)
		if _, err := st.LeadImport(ctx, actor, importFile(5001, 5001, false), store.ImportOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := turn.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		check(t, pool, `l.external_id = 'x5001'`, next)
	})
	// A lead created behind the activation, both waiting for the leads.
	t.Run("WriteWaited", func(t *testing.T) {
		t.Parallel()
		pool, st, next := setUp(t)
		hold, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer hold.Rollback(ctx)
		if _, err := hold.Exec(ctx, `LOCK TABLE leads IN SHARE ROW EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		done := activate(st, next)
		waiting(t, pool, 1)
		created := make(chan error, 1)
		go func() {
			_, err := st.LeadCreate(ctx, actor, db.LeadInsertParams{Name: "Late Lead", Age: new(int32(40))})
			created <- err
		}()
		waiting(t, pool, 2)
		if err := hold.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err := <-created; err != nil {
			t.Fatal(err)
		}
		check(t, pool, `l.name = 'Late Lead'`, next)
	})
}
