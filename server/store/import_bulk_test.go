package store_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/data"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/scoring"
	"github.com/jmksales/jmk/server/store"
)

// importFile is a lead CSV with the external ids x<from>..x<to> and no name
// column, so the leads it updates keep theirs; ageOnly leaves out every
// scoring input but age.
func importFile(from, to int, ageOnly bool) io.Reader {
	var b strings.Builder
	if ageOnly {
		b.WriteString("external_id,age\n")
	} else {
		b.WriteString("external_id,age,job,y\n")
	}
	for i := from; i <= to; i++ {
		age := 20 + i%60
		if ageOnly {
			age++ // a year on: every lead's scoring input changes
		}
		fmt.Fprintf(&b, "x%d,%d", i, age)
		if !ageOnly {
			fmt.Fprintf(&b, ",%s,%s", []string{"admin.", "student", "retired"}[i%3], []string{"no", "yes"}[i%7%2])
		}
		b.WriteString("\n")
	}
	return strings.NewReader(b.String())
}

// TestImportBulk checks the imports that rebuild lead_rank instead of
// feeding it row by row (at least 10,000 rows, and at least as many as the
// live leads): lead_rank and lead_counts end equal to the leads, also with
// writers queued on the import and when the import re-scores the leads it
// updated; a dry run leaves them as they were; and a smaller import keeps
// the triggers.
func TestImportBulk(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	st := store.New(pool)
	mustExec(t, pool, `INSERT INTO leads (id, external_id, name, status, job, probability, category)
		SELECT gen_random_uuid(), 'x' || i, 'L' || i, (ARRAY['new','contacted','follow_up'])[1 + i % 3],
		       (ARRAY['admin','student',NULL])[1 + i % 3], (i % 100) / 100.0, (ARRAY['hot','warm','cold'])[1 + i % 3]
		FROM generate_series(1, 3000) i`)
	importRows := func(file io.Reader, dryRun bool) store.ImportResult {
		res, err := st.LeadImport(ctx, audit.Actor{Name: "test"}, file, store.ImportOptions{DryRun: dryRun})
		if err != nil {
			t.Error(err) // not Fatal: one call is on another goroutine
		}
		return res
	}
	check := func(when string, res store.ImportResult, inserted, updated int64, rebuilt bool, before uint32) {
		t.Helper()
		if res.Inserted != inserted || res.Updated != updated || len(res.Rejected) != 0 {
			t.Errorf("%s: %d inserted, %d updated, %d rejected; want %d and %d", when, res.Inserted, res.Updated,
				len(res.Rejected), inserted, updated)
		}
		if got := rankTable(t, pool) != before; got != rebuilt {
			t.Errorf("%s: lead_rank rebuilt %v, want %v", when, got, rebuilt)
		}
		rankMatches(t, pool, when)
		countsMatch(t, pool, when)
	}

	before := rankTable(t, pool)
	check("a dry run", importRows(importFile(1, 12000, false), true), 9000, 3000, false, before)

	var (
		wg  sync.WaitGroup
		res store.ImportResult
	)
	// The writers keep their leads open: the file closes leads (y), and a
	// lead a writer had closed otherwise could not move to the file's
	// outcome (the workflow), so the counts would depend on timing.
	writeConcurrently(t, &wg, pool, 4, 20, "new", "follow_up", "contacted")
	wg.Go(func() { res = importRows(importFile(1, 12000, false), false) })
	wg.Wait()
	check("a bulk import among writers", res, 9000, 3000, true, before)

	// With a model active, a file with only some scoring inputs clears the
	// scores of the leads it updates, and the import scores them again.
	active := saveModels(t, st, scoring.Options{})[0]
	before = rankTable(t, pool)
	check("a bulk import of some scoring inputs", importRows(importFile(1, 12000, true), false), 0, 12000, true, before)
	var stale int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM leads WHERE model_version IS DISTINCT FROM $1`,
		active).Scan(&stale); err != nil {
		t.Fatal(err)
	}
	if stale != 0 {
		t.Errorf("%d leads not scored by model v%d after the import", stale, active)
	}

	before = rankTable(t, pool)
	check("an import smaller than the table", importRows(importFile(20001, 30000, false), false), 10000, 0, false, before)
}

// TestImportScoringRace: an activation or new thresholds that commit while
// an import is staging its rows (scored and categorised as they were
// before) end up on every lead: the new ones the file adds, and the ones it
// names without changing them, which keep their version and get no event;
// for an import that feeds lead_rank row by row, and for a bulk one.
func TestImportScoringRace(t *testing.T) {
	t.Parallel()
	thresholds := func(ctx context.Context, st *store.Store, _ int32) error {
		// Cut-offs that move most leads.
		_, err := st.ThresholdsUpdate(ctx, audit.Actor{Name: "admin"}, scoring.Thresholds{Hot: 0.45, Warm: 0.3},
			store.Precondition{Any: true})
		return err
	}
	activation := func(ctx context.Context, st *store.Store, candidate int32) error {
		_, err := st.ModelActivate(ctx, audit.Actor{Name: "admin"}, candidate)
		return err
	}
	for _, tc := range []struct {
		name string
		race func(ctx context.Context, st *store.Store, candidate int32) error
		bulk bool // the second file adds 9,000 rows to the first's 3,000, else 1,500
	}{
		{"thresholds", thresholds, false},
		{"activation", activation, false},
		{"thresholds/bulk", thresholds, true},
		{"activation/bulk", activation, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool, _ := dbtest.Pool(t)
			st := store.New(pool)
			actor := audit.Actor{Name: "test"}
			// Files with every scoring input, whose staged scores stand.
			added := 1500
			if tc.bulk {
				added = 9000
			}
			head, rows := uciLines(t, 3000+added)
			if _, err := st.LeadImport(ctx, actor, strings.NewReader(head+strings.Join(rows[:3000], "")),
				store.ImportOptions{}); err != nil {
				t.Fatal(err)
			}
			candidate := saveModels(t, st, scoring.Options{}, scoring.Options{Seed: 2})[1]
			// The race commits while the import reads its file: the leads'
			// versions as it leaves them are what the import must keep.
			versions := map[string]int32{}
			var rank uint32 // a bulk import swaps a new lead_rank in
			var once sync.Once
			amend := func(*store.ImportLead) {
				once.Do(func() {
					if err := tc.race(ctx, st, candidate); err != nil {
						t.Error(err)
					}
					rank = rankTable(t, pool)
					vs, _ := pool.Query(ctx, `SELECT external_id, version FROM leads`)
					for vs.Next() {
						var id string
						var v int32
						if err := vs.Scan(&id, &v); err != nil {
							t.Error(err)
						}
						versions[id] = v
					}
					if vs.Err() != nil || len(versions) != 3000 {
						t.Errorf("%d versions read: %v", len(versions), vs.Err())
					}
				})
			}
			// The first 3,000 rows as before, then the new leads.
			file := strings.NewReader(head + strings.Join(rows, ""))
			res, err := st.LeadImport(ctx, actor, file, store.ImportOptions{Amend: amend})
			if err != nil {
				t.Fatal(err)
			}
			if rebuilt := rankTable(t, pool) != rank; rebuilt != tc.bulk {
				t.Errorf("lead_rank rebuilt %v, want %v (a bulk import)", rebuilt, tc.bulk)
			}
			if res.Inserted != int64(added) || res.Updated != 0 || res.Unchanged != 3000 {
				t.Errorf("%d inserted, %d updated, %d unchanged; want %d, 0, 3000", res.Inserted, res.Updated, res.Unchanged, added)
			}
			var moved, events, wrong int
			if err := pool.QueryRow(ctx, `SELECT
				(SELECT count(*) FROM leads l JOIN jsonb_each_text($1::jsonb) v ON v.key = l.external_id
				 WHERE l.version <> v.value::int),
				(SELECT count(*) FROM audit_events WHERE action = 'lead.update'),
				count(*) FILTER (WHERE l.model_version IS DISTINCT FROM m.version
					OR l.category IS DISTINCT FROM CASE WHEN l.probability >= t.hot THEN 'hot'
					                                    WHEN l.probability >= t.warm THEN 'warm' ELSE 'cold' END)
				FROM leads l, models m, scoring_thresholds t WHERE m.active AND t.id`, versions).Scan(
				&moved, &events, &wrong); err != nil {
				t.Fatal(err)
			}
			if moved != 0 || events != 0 {
				t.Errorf("%d leads the file did not change got a new version, %d lead.update events", moved, events)
			}
			if wrong != 0 {
				t.Errorf("%d leads not scored and categorised as the active model and thresholds say", wrong)
			}
			rankMatches(t, pool, "after the race")
			countsMatch(t, pool, "after the race")
		})
	}
}

// rankTable is lead_rank's oid: a rebuild swaps a new table in.
func rankTable(t *testing.T, pool *pgxpool.Pool) (oid uint32) {
	t.Helper()
	if err := pool.QueryRow(context.Background(), `SELECT 'lead_rank'::regclass::oid`).Scan(&oid); err != nil {
		t.Fatal(err)
	}
	return oid
}

// uciLines returns the UCI file's header and n of its rows, spread evenly
// over the file (it is in time order), each with an external_id (u0, u1,
// ...) in front and its line end.
func uciLines(t *testing.T, n int) (string, []string) {
	t.Helper()
	rc, err := data.UCIBankMarketing()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	sc.Scan()
	head := "external_id;" + sc.Text() + "\n"
	var rows []string
	step := data.UCIBankMarketingRows / n
	for i := 0; sc.Scan() && len(rows) < n; i++ {
		if i%step == 0 {
			rows = append(rows, fmt.Sprintf("u%d;%s\n", len(rows), sc.Text()))
		}
	}
	if err := sc.Err(); err != nil || len(rows) != n {
		t.Fatalf("%d rows read: %v", len(rows), err)
	}
	return head, rows
}

// TestImportBodyTimeout: an upload that stops arriving until the server's
// read deadline passes is a 408 that says so, not a client that hung up
// (499), and nothing is imported.
func TestImportBodyTimeout(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	st := store.New(pool)
	body := io.MultiReader(importFile(1, 300, false), timeoutReader{})
	_, err := st.LeadImport(context.Background(), audit.Actor{Name: "test"}, body, store.ImportOptions{})
	var ae *apperr.Error
	if !errors.As(err, &ae) || ae.Status != http.StatusRequestTimeout || !strings.Contains(ae.Detail, "did not arrive in time") {
		t.Fatalf("%v", err)
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM leads`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d leads imported (%v)", n, err)
	}
}

// timeoutReader fails as a connection whose read deadline passed.
type timeoutReader struct{}

func (timeoutReader) Read([]byte) (int, error) { return 0, os.ErrDeadlineExceeded }

// TestImportIdleLimit: an import whose file stops arriving (its instance
// frozen, say) loses its transaction after IdleLimit, and with it the
// import's turn: the next import goes ahead instead of waiting for it.
func TestImportIdleLimit(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	st := store.New(pool)
	actor := audit.Actor{Name: "test"}
	pr, pw := io.Pipe()
	t.Cleanup(func() { pw.Close() }) // on a failure too, before the pool closes
	turn := make(chan struct{})
	stalled := make(chan error, 1)
	go func() {
		_, err := st.LeadImport(context.Background(), actor, pr,
			store.ImportOptions{IdleLimit: time.Second, OnTurn: func() { close(turn) }})
		stalled <- err
	}()
	go func() {
		// More than the reader looks ahead before the import begins, fewer
		// than a batch: the import then waits for the rest in its
		// transaction, idle.
		var b strings.Builder
		b.WriteString("external_id,age\n")
		for i := range 6000 {
			fmt.Fprintf(&b, "stalled%d,30\n", i)
		}
		_, _ = pw.Write([]byte(b.String())) // and no more
	}()
	select {
	case <-turn:
	case err := <-stalled:
		t.Fatalf("the stalled import ended before its turn: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the stalled import never got its turn")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := st.LeadImport(ctx, actor, importFile(1, 10, false), store.ImportOptions{})
	if err != nil || res.Inserted != 10 {
		t.Fatalf("the next import: %+v %v", res, err)
	}
	pw.Close()
	if err := <-stalled; err == nil {
		t.Error("the stalled import succeeded")
	}
	var n int
	if err := pool.QueryRow(context.Background(), `SELECT count(*) FROM leads WHERE external_id LIKE 'stalled%'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d of the stalled import's leads kept (%v)", n, err)
	}
}

// An idle limit beyond PostgreSQL's largest (about 24 days) is that largest.
func TestImportIdleLimitHuge(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	res, err := store.New(pool).LeadImport(context.Background(), audit.Actor{Name: "test"}, importFile(1, 3, false),
		store.ImportOptions{IdleLimit: 1000 * time.Hour})
	if err != nil || res.Inserted != 3 {
		t.Fatalf("%+v %v", res, err)
	}
}
