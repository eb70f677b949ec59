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
		return pool, st, withModels(t, st, 3000, scoring.Options{}, scoring.Options{Seed: 2})[1]
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
		waitLocked(t, pool, done, 1, "")
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
		waitLocked(t, pool, done, 1, "")
		created := make(chan error, 1)
		go func() {
			_, err := st.LeadCreate(ctx, actor, db.LeadInsertParams{Name: "Late Lead", Age: new(int32(40))})
			created <- err
		}()
		waitLocked(t, pool, created, 2, "")
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
