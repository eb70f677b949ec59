package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/scoring"
	"github.com/jmksales/jmk/server/store"
)

// TestActivationStamp: an activation that waited its turn (behind another
// activation or a threshold change) stamps activated_at and its leads'
// scored_at with when it took effect, not with when it began to wait. A lead
// created meanwhile, scored by the model before it, is never left with a
// score dated before the lead.
func TestActivationStamp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	st := store.New(pool)
	actor := audit.Actor{Name: "test"}
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

	// Another activation's turn, held while this one waits.
	turn, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer turn.Rollback(ctx)
	if _, err := turn.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('jmk:model-activation', 0))`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := st.ModelActivate(ctx, actor, next.Version)
		done <- err
	}()
	time.Sleep(200 * time.Millisecond) // the activation's transaction has begun, and waits
	if _, err := st.LeadImport(ctx, actor, importFile(5001, 5001, false), store.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := turn.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	var early, version int
	var createdAt, scoredAt, activatedAt time.Time
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM leads WHERE scored_at < created_at),
		l.model_version, l.created_at, l.scored_at, m.activated_at
		FROM leads l, models m WHERE l.external_id = 'x5001' AND m.active`).Scan(&early, &version, &createdAt, &scoredAt, &activatedAt); err != nil {
		t.Fatal(err)
	}
	if early != 0 || version != int(next.Version) || scoredAt.Before(createdAt) || !scoredAt.Equal(activatedAt) {
		t.Fatalf("%d leads scored before they were created; the late lead: v%d, created %v, scored %v; activated %v",
			early, version, createdAt, scoredAt, activatedAt)
	}
}
