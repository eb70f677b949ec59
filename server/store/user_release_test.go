package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/store"
)

// TestReleaseWaitLeavesSealerFree: a deactivation that releases a seller's
// leads waits for one another transaction holds; meanwhile it writes nothing
// to the audit trail yet, so events others commit still get sealed; and it
// completes, with its events, once that lead is free.
func TestReleaseWaitLeavesSealerFree(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	st := store.New(pool)
	admin := audit.Actor{Name: "admin"}
	seller, err := st.UserCreate(ctx, admin, store.NewUser{Name: "Rui", Email: "rui@example.com", PasswordHash: "x", Role: "sales"})
	if err != nil {
		t.Fatal(err)
	}
	var lead string
	if err := pool.QueryRow(ctx, `INSERT INTO leads (id, name, status, assigned_to)
		VALUES (gen_random_uuid(), 'Ana', 'new', $1) RETURNING id::text`, seller.ID).Scan(&lead); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SealOnce(ctx, time.Second); err != nil {
		t.Fatal(err)
	}

	holder, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Rollback(ctx) //nolint:errcheck // committed below
	if _, err := holder.Exec(ctx, `SELECT 1 FROM leads WHERE id = $1 FOR UPDATE`, lead); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := st.UserDeactivate(ctx, admin, seller.ID, store.Precondition{Any: true}, true)
		done <- err
	}()
	for waiting := false; !waiting; {
		if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock')`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := st.UserCreate(ctx, admin, store.NewUser{Name: "Eva", Email: "eva@example.com", PasswordHash: "x", Role: "sales"}); err != nil {
		t.Fatal(err)
	}
	if n, err := st.SealOnce(ctx, time.Second); err != nil || n != 1 {
		t.Errorf("sealed %d events (%v) while the release waited, want the one committed meanwhile", n, err)
	}
	if err := holder.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var events int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_events
		WHERE action = 'user.deactivate' OR (action = 'lead.update' AND entity_id = $1)`, lead).Scan(&events); err != nil || events != 2 {
		t.Errorf("%d events for the deactivation and the release (%v), want 2", events, err)
	}
}
