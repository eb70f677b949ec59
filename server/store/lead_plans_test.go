package store_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/dbconf"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/store"
)

// lastQuery records the SQL and arguments of the last query a pool ran, so
// that the test can EXPLAIN exactly what the store sends.
type lastQuery struct {
	mu   sync.Mutex
	sql  string
	args []any
}

func (l *lastQuery) TraceQueryStart(ctx context.Context, _ *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	l.mu.Lock()
	l.sql, l.args = d.SQL, d.Args
	l.mu.Unlock()
	return ctx
}

func (l *lastQuery) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func (l *lastQuery) get() (string, []any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sql, l.args
}

// generateLeads fills leads with n synthetic rows in one set-based INSERT:
// ten sales users, about 70% assigned, 90% scored, 1% soft-deleted, random
// statuses, jobs, names and timestamps, unique phones and e-mails.
const generateLeads = `
WITH u AS (
    INSERT INTO users (id, name, email, password_hash, role)
    SELECT gen_random_uuid(), 'Seller ' || g, 'seller' || g || '@example.com', 'x', 'sales'
    FROM generate_series(1, 10) g
    RETURNING id
), us AS (SELECT array_agg(id) AS ids FROM u)
INSERT INTO leads (id, name, phone, email, status, assigned_to, probability, category, job,
                   created_at, updated_at, deleted_at, contact_count)
SELECT gen_random_uuid(),
       (ARRAY['Ana','Rui','Maria','João','Inês','Pedro','Sofia','Tiago'])[1 + floor(random() * 8)::int] || ' ' ||
           (ARRAY['Silva','Costa','Santos','Ferreira','Pereira','Oliveira'])[1 + floor(random() * 6)::int] || ' ' || g,
       '+351 9' || lpad(g::text, 8, '0'),
       'lead' || g || '@example.com',
       (ARRAY['new','new','new','contacted','follow_up','success','failed','failed'])[1 + floor(random() * 8)::int],
       CASE WHEN random() < 0.7 THEN us.ids[1 + floor(random() * 10)::int] END,
       p, CASE WHEN p IS NULL THEN NULL WHEN p >= 0.7 THEN 'hot' WHEN p >= 0.4 THEN 'warm' ELSE 'cold' END,
       (ARRAY['admin','blue_collar','entrepreneur','housemaid','management','retired','self_employed',
              'services','student','technician','unemployed','unknown'])[1 + floor(random() * 12)::int],
       c, c + random() * interval '30 days',
       CASE WHEN random() < 0.01 THEN c END,
       floor(random() * 5)::int
FROM generate_series(1, $1::int) g
CROSS JOIN us
CROSS JOIN LATERAL (SELECT CASE WHEN random() < 0.1 THEN NULL ELSE random() ^ 2 END AS p,
                           now() - random() * interval '900 days' + g * interval '0 seconds' AS c) r`

// fillLeads generates n leads the fast way: the secondary indexes of leads
// (whatever the migrations made them) are dropped, the rows inserted, and
// the same index definitions built again in bulk.
func fillLeads(ctx context.Context, pool *pgxpool.Pool, n int) error {
	rows, err := pool.Query(ctx, `SELECT indexname, indexdef FROM pg_indexes
		WHERE schemaname = current_schema() AND tablename = 'leads' AND indexname <> 'leads_pkey'`)
	if err != nil {
		return err
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			return err
		}
		names, defs = append(names, name), append(defs, def)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, name := range names {
		if _, err := pool.Exec(ctx, "DROP INDEX "+pgx.Identifier{name}.Sanitize()); err != nil {
			return err
		}
	}
	if _, err := pool.Exec(ctx, generateLeads, n); err != nil {
		return err
	}
	if _, err := pool.Exec(ctx, "SET maintenance_work_mem = '256MB'"); err != nil {
		return err
	}
	for _, def := range defs {
		if _, err := pool.Exec(ctx, def); err != nil {
			return err
		}
	}
	_, err = pool.Exec(ctx, "VACUUM ANALYZE leads, lead_rank")
	return err
}

// TestLeadListPlans EXPLAINs every shape of the lead list (each sort, first
// and later pages, each filter, filters combined with other sorts, the
// counts) on a large table and fails on any sequential scan of leads, or
// index walk that reads and drops a twentieth of the table (but for the
// count of a filter that matches nearly every row). It
// needs JMK_EXPLAIN_ROWS (go tool task explain sets 1000000); without it,
// it runs on 100,000 rows, enough for the planner to choose as it would at
// scale.
func TestLeadListPlans(t *testing.T) {
	n := 100_000
	if v := os.Getenv("JMK_EXPLAIN_ROWS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			t.Fatalf("JMK_EXPLAIN_ROWS: %v", err)
		}
	}
	t.Parallel()
	ctx := context.Background()
	dsn := dbtest.URL(t)
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		t.Fatal(err)
	}
	trace := &lastQuery{}
	pc.ConnConfig.Tracer = trace
	dbconf.Configure(pc) // the server's planner settings
	pc.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()

	start := time.Now()
	if err := fillLeads(ctx, pool, n); err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %d leads in %v", n, time.Since(start).Round(time.Millisecond))

	st := store.New(pool)
	var seller uuid.UUID
	if err := pool.QueryRow(ctx, "SELECT id FROM users ORDER BY id LIMIT 1").Scan(&seller); err != nil {
		t.Fatal(err)
	}
	// A page boundary deep in each order, for the "next page" shapes.
	mid := map[store.LeadSort]*store.LeadKey{}
	for _, o := range []store.LeadSort{store.SortProbabilityDesc, store.SortProbabilityAsc, store.SortUpdatedDesc,
		store.SortCreatedDesc, store.SortNameAsc} {
		rows, err := st.LeadList(ctx, store.LeadFilter{}, o, nil, 200)
		if err != nil {
			t.Fatal(err)
		}
		k := o.KeyOf(rows[len(rows)-1])
		mid[o] = &k
	}

	f64 := func(v float64) *float64 { return &v }
	str := func(v string) *string { return &v }
	shapes := []struct {
		name  string
		f     store.LeadFilter
		o     store.LeadSort
		after bool
		// broad filters match most rows: counting them reads most of the
		// table whatever the plan, so their count may scan it.
		broad bool
	}{
		{name: "probability_desc", o: store.SortProbabilityDesc},
		{name: "probability_asc", o: store.SortProbabilityAsc},
		{name: "updated_at_desc", o: store.SortUpdatedDesc},
		{name: "created_at_desc", o: store.SortCreatedDesc},
		{name: "name_asc", o: store.SortNameAsc},
		{name: "probability_desc/next_page", o: store.SortProbabilityDesc, after: true},
		{name: "probability_asc/next_page", o: store.SortProbabilityAsc, after: true},
		{name: "updated_at_desc/next_page", o: store.SortUpdatedDesc, after: true},
		{name: "created_at_desc/next_page", o: store.SortCreatedDesc, after: true},
		{name: "name_asc/next_page", o: store.SortNameAsc, after: true},
		{name: "status", f: store.LeadFilter{Statuses: []string{"follow_up"}}},
		{name: "status×2", f: store.LeadFilter{Statuses: []string{"contacted", "follow_up"}}},
		{name: "category", f: store.LeadFilter{Categories: []string{"hot"}}},
		{name: "category×2", f: store.LeadFilter{Categories: []string{"hot", "warm"}}},
		{name: "job", f: store.LeadFilter{Jobs: []string{"student"}}},
		{name: "job×3", f: store.LeadFilter{Jobs: []string{"student", "retired", "admin"}}},
		{name: "min_probability", f: store.LeadFilter{MinProbability: f64(0.9)}},
		{name: "max_probability", f: store.LeadFilter{MaxProbability: f64(0.05)}},
		{name: "probability_range", f: store.LeadFilter{MinProbability: f64(0.4), MaxProbability: f64(0.45)}},
		{name: "assigned_to", f: store.LeadFilter{AssignedTo: &seller}},
		{name: "unassigned", f: store.LeadFilter{Unassigned: true}},
		{name: "q/name", f: store.LeadFilter{Q: str("Costa 4242")}},
		{name: "q/phone", f: store.LeadFilter{Q: str("00031337")}},
		{name: "q/email", f: store.LeadFilter{Q: str("LEAD77777@")}},
		// One lead in 6, and one in 48: their counts join thousands of
		// leads, which the planner may do by hash over a scan of lead_rank's
		// narrow rows (31 ms at 100k) rather than by as many index probes.
		// Their pages must still walk the score order.
		{name: "q/surname", f: store.LeadFilter{Q: str("silva")}, broad: true},
		{name: "q/full_name", f: store.LeadFilter{Q: str("ana silva")}, broad: true},
		{name: "q/common", f: store.LeadFilter{Q: str("example")}, broad: true},
		{name: "q/none", f: store.LeadFilter{Q: str("zzzzzz")}},
		{name: "all_filters", f: store.LeadFilter{Statuses: []string{"new"}, Categories: []string{"warm"},
			Jobs: []string{"services"}, MinProbability: f64(0.5), AssignedTo: &seller, Q: str("silva")}},
		{name: "status/name_asc", f: store.LeadFilter{Statuses: []string{"follow_up"}}, o: store.SortNameAsc},
		{name: "status/updated_at_desc/next_page", f: store.LeadFilter{Statuses: []string{"new"}}, o: store.SortUpdatedDesc, after: true},
		{name: "assigned_to/updated_at_desc", f: store.LeadFilter{AssignedTo: &seller}, o: store.SortUpdatedDesc},
		{name: "unassigned/created_at_desc", f: store.LeadFilter{Unassigned: true}, o: store.SortCreatedDesc},
		{name: "category/probability_asc", f: store.LeadFilter{Categories: []string{"cold"}}, o: store.SortProbabilityAsc},
		{name: "job/name_asc", f: store.LeadFilter{Jobs: []string{"housemaid"}}, o: store.SortNameAsc},
		{name: "q/created_at_desc", f: store.LeadFilter{Q: str("ferreira 1")}, o: store.SortCreatedDesc},
		{name: "q/name_asc", f: store.LeadFilter{Q: str("91234")}, o: store.SortNameAsc},
		{name: "category/probability_desc", f: store.LeadFilter{Categories: []string{"cold"}}, broad: true}, // most leads are cold
		{name: "category×2/probability_asc", f: store.LeadFilter{Categories: []string{"warm", "cold"}}, o: store.SortProbabilityAsc},
		{name: "status/probability_asc", f: store.LeadFilter{Statuses: []string{"success"}}, o: store.SortProbabilityAsc},
		{name: "min_probability/updated_at_desc", f: store.LeadFilter{MinProbability: f64(0.95)}, o: store.SortUpdatedDesc},
	}
	seqScan := regexp.MustCompile(`Seq Scan on (leads|lead_rank)\b`)
	removed := regexp.MustCompile(`Rows Removed by Filter: ([0-9]+)`)
	explain := func(t *testing.T, seqOK bool) (string, time.Duration) {
		t.Helper()
		sql, args := trace.get()
		var lines []string
		rows, err := pool.Query(ctx, "EXPLAIN (ANALYZE, COSTS OFF) "+sql, args...)
		if err != nil {
			t.Fatalf("explain: %v", err)
		}
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, line)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		plan := strings.Join(lines, "\n")
		var ms float64
		if m := regexp.MustCompile(`Execution Time: ([0-9.]+) ms`).FindStringSubmatch(plan); m != nil {
			ms, _ = strconv.ParseFloat(m[1], 64)
		}
		if seqScan.MatchString(plan) && !seqOK {
			t.Errorf("sequential scan of leads:\n%s", plan)
		}
		// An index walked past a twentieth of the table is a scan too.
		for _, m := range removed.FindAllStringSubmatch(plan, -1) {
			if r, _ := strconv.Atoi(m[1]); r > n/20 && !seqOK {
				t.Errorf("%d rows read and dropped:\n%s", r, plan)
			}
		}
		return plan, time.Duration(ms * float64(time.Millisecond))
	}
	var report strings.Builder
	for _, s := range shapes {
		o := s.o
		if o == "" {
			o = store.SortProbabilityDesc
		}
		var after *store.LeadKey
		if s.after {
			after = mid[o]
		}
		if _, err := st.LeadList(ctx, s.f, o, after, 51); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		plan, took := explain(t, false)
		fmt.Fprintf(&report, "%-36s %8.2f ms  %s\n", s.name, float64(took.Microseconds())/1000, indexesOf(plan))
		if !s.after && s.o == "" {
			if _, err := st.LeadCount(ctx, s.f); err != nil {
				t.Fatalf("%s count: %v", s.name, err)
			}
			plan, took := explain(t, s.broad)
			fmt.Fprintf(&report, "%-36s %8.2f ms  %s\n", "count/"+s.name, float64(took.Microseconds())/1000, indexesOf(plan))
		}
	}
	// Deactivating a seller with release_leads finds their open leads by
	// index too (its UPDATE has the same conditions).
	if err := db.New(pool).LeadsReleaseLock(ctx, &seller); err != nil {
		t.Fatalf("release lock: %v", err)
	}
	plan, took := explain(t, false)
	fmt.Fprintf(&report, "%-36s %8.2f ms  %s\n", "release_leads", float64(took.Microseconds())/1000, indexesOf(plan))
	t.Logf("plans on %d leads (shape, execution time, indexes):\n%s", n, report.String())
}

// indexesOf lists the scan nodes of a plan, e.g. "Index Scan using leads_score_idx".
func indexesOf(plan string) string {
	re := regexp.MustCompile(`(Index Only Scan Backward|Index Only Scan|Index Scan Backward|Index Scan|Bitmap Index Scan|Seq Scan)( using| on) (\w+)`)
	var out []string
	seen := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(plan, -1) {
		s := m[1] + " " + m[3]
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}
