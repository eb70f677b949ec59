package store_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/server/dbtest"
)

// rankMatches compares lead_rank with what it is derived from: one row per
// live lead carrying its sort key, filter columns and search text.
func rankMatches(t *testing.T, pool *pgxpool.Pool, when string) {
	t.Helper()
	var diff, live int64
	err := pool.QueryRow(context.Background(), `
		WITH truth AS (
			SELECT id, coalesce(probability, -1) AS score_key, status, category, job, assigned_to, search_text
			FROM leads WHERE deleted_at IS NULL)
		SELECT count(*) FILTER (WHERE t.id IS NULL OR r.lead_id IS NULL
		                          OR (t.score_key, t.status, t.category, t.job, t.assigned_to, t.search_text)
		                             IS DISTINCT FROM (r.score_key, r.status, r.category, r.job, r.assigned_to, r.search_text)),
		       count(t.id)
		FROM truth t FULL JOIN lead_rank r ON r.lead_id = t.id`).Scan(&diff, &live)
	if err != nil {
		t.Fatal(err)
	}
	if diff != 0 {
		t.Fatalf("%s: %d of %d live leads differ in lead_rank", when, diff, live)
	}
}

// TestLeadRank checks that lead_rank follows every kind of change to leads:
// statement by statement through its triggers, and through a deferred
// whole-table change ended by a bulk rebuild, also with writers queued on it.
func TestLeadRank(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	var seller string
	if err := pool.QueryRow(ctx, `INSERT INTO users (id, email, name, role, password_hash)
		VALUES (gen_random_uuid(), 'rank@example.com', 'Rank', 'sales', 'x') RETURNING id`).Scan(&seller); err != nil {
		t.Fatal(err)
	}
	mustExec(t, pool, `INSERT INTO leads (id, external_id, name, status, job, probability, category)
		SELECT gen_random_uuid(), 'x' || i, 'L' || i, (ARRAY['new','contacted','follow_up','success','failed'])[1 + i % 5],
		       (ARRAY['admin','student',NULL])[1 + i % 3],
		       CASE WHEN i % 4 = 0 THEN NULL ELSE (i % 100) / 100.0 END,
		       CASE WHEN i % 4 = 0 THEN NULL ELSE (ARRAY['hot','warm','cold'])[1 + i % 3] END
		FROM generate_series(1, 2000) i`)
	rankMatches(t, pool, "after insert")

	steps := []struct{ name, sql string }{
		{"note only", `UPDATE leads SET notes = 'x' WHERE name LIKE 'L1%'`},
		{"status", `UPDATE leads SET status = 'contacted' WHERE status = 'new' AND job = 'admin'`},
		{"score", `UPDATE leads SET probability = 0.9, category = 'hot' WHERE category IS NULL AND status = 'failed'`},
		{"unscore", `UPDATE leads SET probability = NULL, category = NULL WHERE name LIKE 'L5%'`},
		{"job", `UPDATE leads SET job = 'retired' WHERE name LIKE 'L6%'`},
		{"contact details", `UPDATE leads SET phone = '+351 91' || right(name, 4), email = NULL WHERE name LIKE 'L9%'`},
		{"name", `UPDATE leads SET name = 'M' || name WHERE name LIKE 'L1%'`},
		{"assign", fmt.Sprintf(`UPDATE leads SET assigned_to = '%s' WHERE name LIKE 'L7%%'`, seller)},
		{"soft delete", `UPDATE leads SET deleted_at = now() WHERE name LIKE 'L2%'`},
		{"undelete", `UPDATE leads SET deleted_at = NULL WHERE name LIKE 'L22%'`},
		{"hard delete", `DELETE FROM leads WHERE name LIKE 'L3%'`},
		{"upsert", `INSERT INTO leads (id, external_id, name, status, probability, category)
			SELECT gen_random_uuid(), 'x' || i, 'U' || i, 'follow_up', 0.5, 'warm' FROM generate_series(1900, 2100) i
			ON CONFLICT (external_id) DO UPDATE SET status = excluded.status, probability = excluded.probability,
			    category = excluded.category`},
	}
	for _, s := range steps {
		mustExec(t, pool, s.sql)
		rankMatches(t, pool, "after "+s.name)
	}

	rollBackUpdate(t, pool)
	rankMatches(t, pool, "after a rolled-back update")

	// A whole-table change as the store makes one, while writers queue on
	// the lock; and one that rolls back, which must leave lead_rank as it was.
	bulk := func(commit bool) {
		t.Helper()
		tx, err := pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback(ctx) }()
		for _, sql := range []string{
			`LOCK TABLE leads IN SHARE ROW EXCLUSIVE MODE`,
			`SELECT set_config('jmk.lead_rank_deferred', 'on', true)`,
			`UPDATE leads SET probability = random(), category = 'cold' WHERE deleted_at IS NULL`,
			`SELECT lead_rank_rebuild()`,
		} {
			if _, err := tx.Exec(ctx, sql); err != nil {
				t.Fatalf("%s: %v", sql, err)
			}
		}
		if commit {
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	bulk(false)
	rankMatches(t, pool, "after a rolled-back rebuild")

	var wg sync.WaitGroup
	writeConcurrently(t, &wg, pool, 4, 10, "new", "follow_up", "success")
	wg.Go(func() { bulk(true) })
	wg.Wait()
	rankMatches(t, pool, "after a rebuild among concurrent writers")

	// The deferral lasts only for its transaction.
	mustExec(t, pool, `UPDATE leads SET status = 'failed' WHERE name LIKE 'L8%'`)
	rankMatches(t, pool, "after a write following the rebuild")
}

// TestLeadRankAfterSmallUpdates: on one connection, one-lead updates and
// then a many-lead one, as a pooled connection sees them. The trigger's
// join is planned per statement (it was planned once, for one row, and an
// update of n leads then took n² time); lead_rank must follow either way.
func TestLeadRankAfterSmallUpdates(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	mustExec(t, pool, `INSERT INTO leads (id, name, job) SELECT gen_random_uuid(), 'L' || i, 'admin' FROM generate_series(1, 3000) i`)
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	for i := range 7 {
		if _, err := conn.Exec(ctx, `UPDATE leads SET job = 'retired' WHERE name = $1`, fmt.Sprint("L", i+1)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := conn.Exec(ctx, `UPDATE leads SET job = CASE WHEN job = 'admin' THEN 'student' ELSE 'admin' END`); err != nil {
		t.Fatal(err)
	}
	rankMatches(t, pool, "after one-lead updates and then a whole-table one")
}
