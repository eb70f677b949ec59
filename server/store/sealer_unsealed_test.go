package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/store"
)

// TestUnsealedCount: what /metrics shows as audit_unsealed_events counts
// committed events, not ids (a rolled-back write draws one too), and drops
// to 0 once they are sealed, by this instance or another.
func TestUnsealedCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	a, b := store.New(pool), store.New(pool) // two instances
	write := func(rollback bool) {
		t.Helper()
		rolledBack := errors.New("rolled back")
		err := a.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.Audit(ctx, audit.Event{Actor: audit.System, Action: "test.event", EntityType: "test", Summary: "event"}); err != nil {
				return err
			}
			if rollback {
				return rolledBack
			}
			return nil
		})
		if err != nil && !errors.Is(err, rolledBack) {
			t.Fatal(err)
		}
	}
	write(false)
	write(true)
	write(false)
	write(true)
	write(false)

	// A writer still open holds the sealing off: a counts 3 waiting.
	writer, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := writer.Exec(ctx, `LOCK TABLE audit_events IN ROW EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	if _, err := a.SealOnce(ctx, 50*time.Millisecond); !errors.Is(err, store.ErrWritersOpen) {
		t.Fatalf("SealOnce with a writer open: %v", err)
	}
	if n := a.Unsealed(); n != 3 {
		t.Errorf("unsealed %d, want 3 (the rolled-back ids are no events)", n)
	}
	if err := writer.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	// b seals them; a sees that at its next look.
	if n, err := b.SealOnce(ctx, time.Second); err != nil || n != 3 || b.Unsealed() != 0 {
		t.Fatalf("b sealed %d (%v), counts %d unsealed", n, err, b.Unsealed())
	}
	if _, err := a.SealOnce(ctx, time.Second); err != nil || a.Unsealed() != 0 {
		t.Fatalf("a: %v, counts %d unsealed after b sealed them all", err, a.Unsealed())
	}
}

// TestChainAhead: an event inserted with an id the sequence has not issued
// yet is sealed like any other, and then every real event comes below the
// chain's head and can never be sealed. The sealer says so, as a failure,
// and counts those events as unsealed, so that /metrics' alert fires.
func TestChainAhead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	s := store.New(pool)
	write := func() {
		t.Helper()
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.Audit(ctx, audit.Event{Actor: audit.System, Action: "test.event", EntityType: "test", Summary: "event"})
		}); err != nil {
			t.Fatal(err)
		}
	}
	write()
	if _, err := pool.Exec(ctx, `INSERT INTO audit_events (id, actor_name, action, entity_type, summary)
		OVERRIDING SYSTEM VALUE SELECT max(id) + 1000, 'forger', 'lead.delete', 'lead', 'forged' FROM audit_events`); err != nil {
		t.Fatal(err)
	}
	if n, err := s.SealOnce(ctx, time.Second); err != nil || n != 2 {
		t.Fatalf("first round sealed %d (%v), want the real event and the forged one", n, err)
	}
	write()
	write()
	_, err := s.SealOnce(ctx, time.Second)
	var ahead store.ChainAheadError
	if !errors.As(err, &ahead) || ahead.Stranded != 2 || ahead.Head != ahead.Issued+998 {
		t.Fatalf("SealOnce after the forged head: %v (%+v), want a ChainAheadError with 2 stranded", err, ahead)
	}
	if n := s.Unsealed(); n != 2 {
		t.Errorf("unsealed %d, want the 2 stranded events", n)
	}
}

// TestAuditIDTaken: a write whose event draws an id an event inserted ahead
// of the sequence already has fails as the server's error (a 500 logged as
// such), not as a 409 conflict the client would try to resolve.
func TestAuditIDTaken(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	s := store.New(pool)
	if _, err := pool.Exec(ctx, `INSERT INTO audit_events (id, actor_name, action, entity_type, summary)
		OVERRIDING SYSTEM VALUE VALUES (1, 'forger', 'lead.delete', 'lead', 'forged')`); err != nil {
		t.Fatal(err)
	}
	err := s.InTx(ctx, func(tx *store.Tx) error {
		return tx.Audit(ctx, audit.Event{Actor: audit.System, Action: "test.event", EntityType: "test", Summary: "event"})
	})
	var ae *apperr.Error
	if err == nil || errors.As(err, &ae) || !strings.Contains(err.Error(), "audit_events_pkey") {
		t.Fatalf("%v (%+v), want the database's error, not an API error", err, ae)
	}
}
