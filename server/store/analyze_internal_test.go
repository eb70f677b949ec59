package store

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/logbuf"
	"github.com/jmksales/jmk/server/scoring"
)

// TestBulkChangeStopsAnalyze: a bulk change does not wait for the statistics
// refresh of the one before (which holds a lock the change's table lock
// waits for; here a stand-in holds ANALYZE's lock); it stops it in
// PostgreSQL, and the refresh runs again after the change, or when the
// janitor asks for the refresh owed.
func TestBulkChangeStopsAnalyze(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dbtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := New(pool)
	defer s.Close()

	// The refresh holds ANALYZE's lock for a minute the first time, then
	// returns at once.
	var (
		calls   atomic.Int32
		holding = make(chan struct{}, 1)
		ended   = make(chan error, 1)
	)
	s.analyze.refresh = func(ctx context.Context) error {
		if calls.Add(1) > 1 {
			return nil
		}
		tx, err := pool.Begin(ctx)
		if err == nil {
			if _, err = tx.Exec(ctx, "LOCK TABLE leads IN SHARE UPDATE EXCLUSIVE MODE"); err == nil {
				holding <- struct{}{}
				_, err = tx.Exec(ctx, "SELECT pg_sleep(60)")
			}
			_ = tx.Rollback(context.Background())
		}
		ended <- err
		return err
	}
	s.analyzeAfterBulk(bulkAnalyzeRows)
	select {
	case <-holding:
	case <-time.After(30 * time.Second):
		t.Fatal("the refresh did not start")
	}
	// PostgreSQL drops a cancel request that comes while a connection sits
	// between statements: the stand-in must be running its sleep.
	sleeping := func() int {
		var n int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND query LIKE 'SELECT pg_sleep%' AND state = 'active'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	eventually(t, "the stand-in did not start its sleep", func() bool { return sleeping() == 1 })

	// New thresholds lock leads for a bulk change; without the pause they
	// would wait out the minute and meet this deadline.
	tctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if _, err := s.ThresholdsUpdate(tctx, audit.System, scoring.Thresholds{Hot: 0.8, Warm: 0.3}, Precondition{Any: true}); err != nil {
		t.Fatalf("thresholds waited for the refresh: %v", err)
	}
	if err := <-ended; err == nil {
		t.Error("the stopped refresh ran to its end")
	}
	if sleeping() != 0 {
		t.Error("the stopped refresh still runs in PostgreSQL")
	}
	// The thresholds changed no lead (there are none), yet the refresh
	// they stopped is run again.
	eventually(t, "the refresh owed did not run", func() bool { return calls.Load() >= 2 })

	// Stopped with no bulk change to follow (as when one fails), the
	// refresh is owed until the next round of the janitor runs it.
	eventually(t, "the refresh did not end", func() bool { return idle(s) })
	s.analyze.refresh = func(ctx context.Context) error {
		calls.Add(1)
		<-ctx.Done()
		return ctx.Err()
	}
	n := calls.Load()
	s.analyzeAfterBulk(bulkAnalyzeRows)
	eventually(t, "the refresh did not start", func() bool { return calls.Load() > n })
	s.pauseAnalyze()
	s.analyzeAfterBulk(0)
	eventually(t, "the refresh owed did not run", func() bool { return calls.Load() >= n+2 })
	s.analyze.mu.Lock()
	pending := s.analyze.pending
	s.analyze.mu.Unlock()
	if pending {
		t.Error("the refresh is still owed after it started")
	}
	// A bulk change that commits while a refresh runs is owed another.
	s.analyzeAfterBulk(bulkAnalyzeRows)
	s.analyze.mu.Lock()
	pending = s.analyze.pending
	s.analyze.mu.Unlock()
	if !pending {
		t.Error("a change made during a refresh is not owed one")
	}
}

// eventually fails t unless cond holds within ten seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal(what)
		}
	}
}

// idle reports whether no statistics refresh of s runs.
func idle(s *Store) bool {
	s.analyze.mu.Lock()
	defer s.analyze.mu.Unlock()
	return s.analyze.stop == nil
}

// TestAnalyzeFailureLogged: a statistics refresh that fails is logged at
// WARN, once while the failures go on (then once a minute), and its
// recovery at INFO; one stopped for a bulk change is no failure.
func TestAnalyzeFailureLogged(t *testing.T) {
	t.Parallel()
	s := New(nil)
	var logs logbuf.Buffer
	s.SetLogger(slog.New(slog.NewTextHandler(&logs, nil)))
	fail := errors.New("no statistics today")
	var (
		calls  atomic.Int32
		result atomic.Value // error
		block  atomic.Bool
	)
	result.Store(fail)
	s.analyze.refresh = func(ctx context.Context) error {
		calls.Add(1)
		if block.Load() {
			<-ctx.Done()
			return ctx.Err()
		}
		err, _ := result.Load().(error)
		if err == errNone {
			return nil
		}
		return err
	}
	run := func() {
		t.Helper()
		n := calls.Load()
		s.analyzeAfterBulk(bulkAnalyzeRows)
		eventually(t, "the refresh did not run", func() bool { return calls.Load() > n })
		eventually(t, "the refresh did not end", func() bool { return idle(s) })
	}
	run()
	run()
	run()
	// Stopped, as a bulk change stops it: not logged.
	block.Store(true)
	n := calls.Load()
	s.analyzeAfterBulk(bulkAnalyzeRows)
	eventually(t, "the refresh did not start", func() bool { return calls.Load() > n })
	s.pauseAnalyze()
	block.Store(false)
	result.Store(errNone)
	run()
	s.Close()

	out := logs.String()
	if n := strings.Count(out, "level=WARN"); n != 1 || !strings.Contains(out, "no statistics today") || !strings.Contains(out, "failures=1") {
		t.Errorf("%d warnings, want 1 naming the error:\n%s", n, out)
	}
	if !strings.Contains(out, `level=INFO msg="statistics refresh of leads works again" failures=3`) {
		t.Errorf("no recovery after 3 failures (the stopped one is none):\n%s", out)
	}
}

// errNone stands for a refresh that succeeds (atomic.Value holds no nil).
var errNone = errors.New("none")
