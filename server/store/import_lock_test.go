package store

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/jmksales/jmk/server/dbtest"
)

// The import's bounded wait for its staging tables ends with their lock:
// the rest of the import waits for other writers (an activation, say) as
// long as the session's own lock_timeout lets it.
func TestLockStageRestoresLockTimeout(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	s := New(pool)
	ctx := context.Background()
	var before, during string
	if err := pool.QueryRow(ctx, `SHOW lock_timeout`).Scan(&before); err != nil {
		t.Fatal(err)
	}
	err := s.InTx(ctx, func(tx *Tx) error {
		if err := lockStage(ctx, tx); err != nil {
			return err
		}
		return tx.tx.QueryRow(ctx, `SHOW lock_timeout`).Scan(&during)
	})
	if err != nil || during != before {
		t.Fatalf("lock_timeout after lockStage %q, before %q (%v)", during, before, err)
	}
}

// The limits an import sets while it stages its file give way to the
// session's own once it is staged.
func TestImportLimitsBack(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	s := New(pool)
	ctx := context.Background()
	show := func(q interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}) (idle, stmt string) {
		if err := q.QueryRow(ctx, `SELECT current_setting('idle_in_transaction_session_timeout'), current_setting('statement_timeout')`).Scan(&idle, &stmt); err != nil {
			t.Fatal(err)
		}
		return idle, stmt
	}
	idle, stmt := show(pool)
	err := s.InTx(ctx, func(tx *Tx) error {
		if err := tx.Q.ImportIdleLimit(ctx, 1500); err != nil {
			return err
		}
		if err := tx.Q.ImportStatementLimit(ctx, 1500); err != nil {
			return err
		}
		if i, st := show(tx.tx); i != "1500ms" || st != "1500ms" {
			t.Errorf("while staging: idle %q, statement %q", i, st)
		}
		if err := tx.Q.ImportLimitsBack(ctx); err != nil {
			return err
		}
		if i, st := show(tx.tx); i != idle || st != stmt {
			t.Errorf("after: idle %q, statement %q; the session's are %q, %q", i, st, idle, stmt)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
