package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The derived tables (lead_counts, lead_rank) are tested against the same
// kinds of writes; these are the ones both tests make.

// mustExec runs one statement, failing the test on an error.
func mustExec(t *testing.T, pool *pgxpool.Pool, sql string) {
	t.Helper()
	if _, err := pool.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// rollBackUpdate changes every lead in a transaction that rolls back.
func rollBackUpdate(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `UPDATE leads SET status = 'success'`); err != nil {
		t.Fatal(err)
	}
}

// writeConcurrently starts workers on wg, each making rounds small updates
// of status (cycling through statuses) and probability to leads named
// L4..., L5... (one prefix each).
func writeConcurrently(t *testing.T, wg *sync.WaitGroup, pool *pgxpool.Pool, workers, rounds int, statuses ...string) {
	for w := range workers {
		wg.Go(func() {
			for i := range rounds {
				_, err := pool.Exec(context.Background(), fmt.Sprintf(`UPDATE leads SET status = $1, probability = random()
					WHERE id IN (SELECT id FROM leads WHERE name LIKE 'L%d%%' AND deleted_at IS NULL LIMIT 5)`, 4+w),
					statuses[i%len(statuses)])
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
}
