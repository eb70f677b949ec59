package store

import (
	"context"
	"sync"
	"time"

	"github.com/jmksales/jmk/server/failrun"
)

// bulkAnalyzeRows is the size of change after which the planner's
// statistics are refreshed at once rather than left to autovacuum.
const bulkAnalyzeRows = 5000

// analyzer is the state of the statistics refresh that follows a bulk
// change to leads.
type analyzer struct {
	mu      sync.Mutex
	stop    context.CancelFunc // the running refresh's; nil when none runs
	runs    int                // refreshes started, to tell a run's end from a later one's
	pending bool               // one was stopped (see pauseAnalyze) and is owed
	// refresh is the refresh itself; a test may replace it.
	refresh func(ctx context.Context) error
	fails   failrun.Run // the refreshes failed in a row
}

// analyzeAfterBulk refreshes the leads statistics after a committed bulk
// change of n rows, or one owed, in the background: ANALYZE reads a
// 30,000-row sample (half a second at 41k leads, two or three at a million),
// which the caller need not wait for. One runs at a time (but for the
// moment a stopped one takes to end); a change that commits meanwhile is
// owed another. It is an optimisation only: a failure leaves the old
// statistics, which autovacuum refreshes later, so it is logged at WARN
// (once a minute while they keep failing; see SetLogger), never an error
// of the change. Close cancels it.
func (s *Store) analyzeAfterBulk(n int64) {
	a := &s.analyze
	a.mu.Lock()
	defer a.mu.Unlock()
	if n < bulkAnalyzeRows && !a.pending {
		return
	}
	if a.stop != nil {
		a.pending = true // the running sample may have missed this change
		return
	}
	refresh := a.refresh
	if refresh == nil {
		refresh = s.q.LeadsAnalyze
	}
	ctx, stop := context.WithCancel(s.backgroundCtx)
	a.runs++
	run := a.runs
	if !s.goBackground(func(context.Context) {
		defer stop()
		err := refresh(ctx)
		a.mu.Lock()
		if ctx.Err() == nil { // not stopped (pauseAnalyze, Close)
			s.analyzeOutcome(err)
		}
		if a.runs == run {
			a.stop = nil
		}
		a.mu.Unlock()
	}) {
		stop()
		return
	}
	a.stop, a.pending = stop, false
}

// analyzeOutcome logs a refresh that failed: the first of a run of
// failures, then one a minute; and, at INFO, the success that ends them.
// The caller holds s.analyze.mu.
func (s *Store) analyzeOutcome(err error) {
	if err == nil {
		if ended, n, _ := s.analyze.fails.Pass(time.Now()); ended {
			s.log.Info("statistics refresh of leads works again", "failures", n)
		}
	} else if say, n, _ := s.analyze.fails.Fail(time.Now()); say {
		s.log.Warn("statistics refresh of leads after a bulk change failed: the planner keeps the old statistics until autovacuum refreshes them",
			"err", err, "failures", n)
	}
}

// pauseAnalyze stops this store's running statistics refresh, if any, for a
// bulk change about to lock leads: that lock waits for an ANALYZE (two or
// three seconds at a million leads, after an import), which the change's own
// refresh makes redundant. The refresh is owed until then; should the change
// fail or be a dry run, the janitor of jmk serve runs it within a minute
// (a command that exits first leaves it to autovacuum). A refresh that
// another change starts between the pause and the lock still delays it, as
// before, and so does one paused in the instant its ANALYZE is sent, whose
// cancel PostgreSQL drops between statements. Cancelling the context makes pgx drop the connection and send
// PostgreSQL a cancel request, which ends the ANALYZE there within
// milliseconds.
func (s *Store) pauseAnalyze() {
	a := &s.analyze
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stop != nil {
		a.stop()
		a.stop, a.pending = nil, true
	}
}
