package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/store"
)

// countsMatch compares the running totals of lead_counts with a full scan
// of the live leads, bucket by bucket.
func countsMatch(t *testing.T, pool *pgxpool.Pool, when string) {
	t.Helper()
	var diff int64
	err := pool.QueryRow(context.Background(), `
		WITH truth AS (
			SELECT status, coalesce(category, '-') AS category, contact_count > 0 AS contacted,
			       coalesce(job, '-') AS job, coalesce(assigned_to::text, '-') AS seller, count(*) AS n,
			       coalesce(sum(probability), 0) AS p
			FROM leads WHERE deleted_at IS NULL GROUP BY 1, 2, 3, 4, 5),
		kept AS (
			SELECT status, coalesce(category, '-') AS category, contacted, coalesce(job, '-') AS job,
			       coalesce(assigned_to::text, '-') AS seller, sum(leads) AS n, sum(probability_sum) AS p
			FROM lead_counts GROUP BY 1, 2, 3, 4, 5 HAVING sum(leads) <> 0)
		SELECT count(*) FROM truth FULL JOIN kept USING (status, category, contacted, job, seller)
		WHERE truth.n IS DISTINCT FROM kept.n OR abs(coalesce(truth.p, 0) - coalesce(kept.p, 0)) > 1e-6`).Scan(&diff)
	if err != nil {
		t.Fatal(err)
	}
	if diff != 0 {
		t.Fatalf("%s: %d buckets of lead_counts differ from the leads", when, diff)
	}
}

func TestLeadCounts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	mustExec(t, pool, `INSERT INTO leads (id, name, status, job, probability, category, contact_count)
		SELECT gen_random_uuid(), 'L' || i, (ARRAY['new','contacted','follow_up','success','failed'])[1 + i % 5],
		       (ARRAY['admin','student',NULL])[1 + i % 3],
		       CASE WHEN i % 4 = 0 THEN NULL ELSE (i % 100) / 100.0 END,
		       CASE WHEN i % 4 = 0 THEN NULL ELSE (ARRAY['hot','warm','cold'])[1 + i % 3] END, i % 2
		FROM generate_series(1, 2000) i`)
	countsMatch(t, pool, "after insert")

	mustExec(t, pool, `UPDATE leads SET notes = 'x' WHERE name LIKE 'L1%'`) // moves no lead between buckets
	mustExec(t, pool, `UPDATE leads SET status = 'contacted', contact_count = contact_count + 1 WHERE status = 'new' AND job = 'admin'`)
	mustExec(t, pool, `UPDATE leads SET probability = 0.9, category = 'hot' WHERE category IS NULL AND status = 'failed'`)
	mustExec(t, pool, `INSERT INTO users (id, name, email, password_hash, role) VALUES
		('0198c8f0-0000-7000-8000-000000000001', 'Ana', 'ana@example.com', 'x', 'sales'),
		('0198c8f0-0000-7000-8000-000000000002', 'Rui', 'rui@example.com', 'x', 'sales')`)
	mustExec(t, pool, `UPDATE leads SET assigned_to = '0198c8f0-0000-7000-8000-000000000001' WHERE name LIKE '%7'`)
	mustExec(t, pool, `UPDATE leads SET assigned_to = '0198c8f0-0000-7000-8000-000000000002' WHERE name LIKE '%77' OR name LIKE '%8'`)
	mustExec(t, pool, `UPDATE leads SET deleted_at = now() WHERE name LIKE 'L2%'`)
	mustExec(t, pool, `DELETE FROM leads WHERE name LIKE 'L3%'`)
	countsMatch(t, pool, "after updates and deletes")

	rollBackUpdate(t, pool)
	countsMatch(t, pool, "after a rolled-back update")

	// Concurrent writers and a compaction running among them.
	st := store.New(pool)
	var wg sync.WaitGroup
	writeConcurrently(t, &wg, pool, 6, 20, "new", "follow_up", "success")
	wg.Go(func() {
		for i := 0; i < 5; i++ {
			if err := st.LeadCountsCompact(ctx); err != nil {
				t.Error(err)
			}
		}
	})
	wg.Wait()
	countsMatch(t, pool, "after concurrent writes and compactions")

	if err := st.LeadCountsCompact(ctx); err != nil {
		t.Fatal(err)
	}
	countsMatch(t, pool, "after compaction")

	// The compaction of an instance older than the seller's buckets
	// (migration 00026), left running, fails instead of merging them.
	if _, err := pool.Exec(ctx, `WITH gone AS (
			DELETE FROM lead_counts RETURNING status, category, contacted, job, leads, probability_sum)
		INSERT INTO lead_counts (status, category, contacted, job, leads, probability_sum)
		SELECT status, category, contacted, job, sum(leads), sum(probability_sum) FROM gone
		GROUP BY status, category, contacted, job HAVING sum(leads) <> 0`); err == nil {
		t.Error("an old instance's compaction succeeded")
	}
	countsMatch(t, pool, "after an old instance's compaction")
	var rows int64
	_ = pool.QueryRow(ctx, `SELECT count(*) FROM lead_counts`).Scan(&rows)
	if rows > 5*4*2*3*3 { // status, category, contacted, job, seller
		t.Errorf("%d rows after compaction, want at most one per bucket", rows)
	}
}
