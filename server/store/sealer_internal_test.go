package store

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

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

	var logs logbuf.Buffer
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.RunSealer(rctx, 10*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)))
	}()
	defer func() { cancel(); <-done }()

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
