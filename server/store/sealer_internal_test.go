package store

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/logbuf"
)

// TestSealerStepLimit: a sealer whose query hangs (here on a lock another
// session holds on audit_seals) gives up on it within its limit, logs the
// step that hung, and goes on with its rounds, whose start
// (SealerLastRound) moves while its last success does not; once the query
// answers again, it succeeds.
func TestSealerStepLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	s := New(pool)
	defer s.Close()
	s.sealLimit = 200 * time.Millisecond

	holder, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = holder.Rollback(context.Background()) }()
	if _, err := holder.Exec(ctx, `LOCK TABLE audit_seals IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}

	logs := runSealer(t, s, 10*time.Millisecond)

	eventually(t, "no failure logged for the hung query", func() bool {
		return strings.Contains(logs.String(), "read the chain's mark: no answer within 200ms")
	})
	first := s.SealerLastRound()
	eventually(t, "no round began after the hung one", func() bool { return s.SealerLastRound().After(first) })
	eventually(t, "the next round did not fail too", func() bool { return s.SealerFailures() >= 2 })
	if !s.SealerLastSuccess().IsZero() {
		t.Errorf("a success at %v while every round hangs", s.SealerLastSuccess())
	}

	if err := holder.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	eventually(t, "no success once the lock went", func() bool { return !s.SealerLastSuccess().IsZero() })
	eventually(t, "no recovery logged", func() bool { return strings.Contains(logs.String(), "audit sealer recovered") })
}

// TestSealerPause: a failing sealer's pause doubles from the interval with
// each failure in a row, up to sealerBackoffMax (or the interval, if longer).
func TestSealerPause(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	for _, tc := range []struct {
		interval time.Duration
		failures int
		want     time.Duration
	}{
		{200 * ms, 0, 200 * ms},
		{200 * ms, 1, 400 * ms},
		{200 * ms, 4, 3200 * ms},
		{200 * ms, 5, sealerBackoffMax},
		{200 * ms, 1000, sealerBackoffMax},
		{10 * time.Second, 3, 10 * time.Second},
	} {
		if got := sealerPause(tc.interval, tc.failures); got != tc.want {
			t.Errorf("sealerPause(%v, %d) = %v, want %v", tc.interval, tc.failures, got, tc.want)
		}
	}
}

// TestSealerRecoversWhileHeldBack: a failing sealer whose next round is
// held back rather than failed (an open writer of the trail, or another
// session holding the sealer's lock) has recovered: it says so at once,
// goes back to its interval, and a later failure is the first of a new run
// (a WARN with failures=1), not the old run going on at ERROR.
func TestSealerRecoversWhileHeldBack(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		hold    string        // what the holding transaction runs
		maxGap  time.Duration // between the starts of two held-back rounds
		minFail int64         // failures first: the pause is then at least 2.5 s
	}{
		// A held-back round waits 2 s for the writers; without the fix the
		// gap is that plus a backoff of at least 2.5 s.
		{"WritersOpen", `LOCK TABLE audit_events IN ROW EXCLUSIVE MODE`, 4 * time.Second, 8},
		{"Busy", `SELECT pg_advisory_xact_lock(hashtextextended('jmk:audit-sealer', 0))`, time.Second, 8},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			pool, _ := dbtest.Pool(t)
			s := New(pool)
			defer s.Close()
			// An unsealed event, so that a round waits for writers and
			// takes the sealer's lock.
			if err := s.InTx(ctx, func(tx *Tx) error {
				return tx.Audit(ctx, audit.Event{Actor: audit.System, Action: "test.event", EntityType: "test", Summary: "event"})
			}); err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, `ALTER TABLE audit_seals RENAME TO audit_seals_away`); err != nil {
				t.Fatal(err)
			}

			logs := runSealer(t, s, 10*time.Millisecond)
			eventually(t, "the sealer did not keep failing", func() bool { return s.SealerFailures() >= tc.minFail })

			holder, err := pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = holder.Rollback(context.Background()) }()
			if _, err := holder.Exec(ctx, tc.hold); err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, `ALTER TABLE audit_seals_away RENAME TO audit_seals`); err != nil {
				t.Fatal(err)
			}
			eventually(t, "no recovery logged while held back", func() bool {
				return strings.Contains(logs.String(), "audit sealer recovered")
			})
			failures := s.SealerFailures()
			r := s.SealerLastRound()
			eventually(t, "no round after the recovery", func() bool { return s.SealerLastRound().After(r) })
			if gap := s.SealerLastRound().Sub(r); gap > tc.maxGap {
				t.Errorf("%v between held-back rounds, want at most %v: the failures' backoff goes on", gap, tc.maxGap)
			}
			if n := s.SealerFailures(); n != failures {
				t.Errorf("%d failures counted while held back", n-failures)
			}

			if err := holder.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := pool.Exec(ctx, `ALTER TABLE audit_seals RENAME TO audit_seals_away`); err != nil {
				t.Fatal(err)
			}
			eventually(t, "no new failure counted", func() bool { return s.SealerFailures() > failures })
			eventually(t, "the new failure was not logged", func() bool {
				return strings.Count(logs.String(), `level=WARN msg="audit sealer" `) >= 2
			})
			out := logs.String()
			if strings.Contains(out, "level=ERROR") || strings.Count(out, " failures=1 ") != 2 {
				t.Errorf("the new failure is not the first of a new run:\n%s", out)
			}
		})
	}
}

// runSealer runs s's sealer every interval until the test ends, and
// returns its log.
func runSealer(t *testing.T, s *Store, interval time.Duration) *logbuf.Buffer {
	t.Helper()
	logs := new(logbuf.Buffer)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.RunSealer(ctx, interval, slog.New(slog.NewTextHandler(logs, nil)))
	}()
	t.Cleanup(func() { cancel(); <-done })
	return logs
}
