package store

import (
	"context"
	"testing"

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
