package store

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmksales/jmk/server/failrun"
)

// LoginFailurePurge deletes failed-login records older than keep: past
// the throttle window they no longer count, and keeping them would only grow
// the table (the audit trail keeps its own record of every failure).
func (s *Store) LoginFailurePurge(ctx context.Context, keep time.Duration) (int64, error) {
	n, err := s.q.LoginFailurePurge(ctx, keep.Seconds())
	return n, translate(err)
}

// SessionRetention is how long a session is kept once it has ended
// (revoked, or expired): its rotated tokens are still recognised as reuse
// meanwhile. After that a stale refresh token is merely unknown (401), and
// the audit trail keeps the session's logins, refreshes and logout.
const SessionRetention = 30 * 24 * time.Hour

// SessionPurge deletes the sessions that ended before before, with their
// refresh tokens, so the tables grow with the sessions in use rather than
// with every login ever made. It returns how many sessions went.
func (s *Store) SessionPurge(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for {
		n, err := s.q.SessionPurge(ctx, before)
		total += n
		if err != nil || n == 0 {
			return total, translate(err)
		}
	}
}

// LeadCountsCompact folds the dashboard's delta rows into one per bucket.
func (s *Store) LeadCountsCompact(ctx context.Context) error {
	_, err := s.q.LeadCountsCompact(ctx)
	return translate(err)
}

// janitorAlertAfter is how long the janitor's rounds fail before it logs
// them at ERROR: with its one-minute interval, from the second round on.
const janitorAlertAfter = time.Minute

// janitorStep is one of the janitor's tasks; its name labels
// janitor_failures_total.
type janitorStep struct {
	name, what string
	run        func(ctx context.Context, s *Store, keep time.Duration) error
}

// janitorSteps are the janitor's tasks, in the order it runs them.
var janitorSteps = []janitorStep{
	{"purge_login_failures", "purge login failures", func(ctx context.Context, s *Store, keep time.Duration) error {
		_, err := s.LoginFailurePurge(ctx, keep)
		return err
	}},
	{"purge_sessions", "purge sessions", func(ctx context.Context, s *Store, _ time.Duration) error {
		_, err := s.SessionPurge(ctx, time.Now().Add(-SessionRetention))
		return err
	}},
	{"compact_lead_counts", "compact lead counts", func(ctx context.Context, s *Store, _ time.Duration) error {
		return s.LeadCountsCompact(ctx)
	}},
	// Another instance's activation shows in this one's
	// ActiveModelVersion within a round.
	{"read_active_model", "read the active model", func(ctx context.Context, s *Store, _ time.Duration) error {
		_, err := s.ScoringStatus(ctx)
		return err
	}},
}

// JanitorSteps names the janitor's tasks, as JanitorFailures takes them.
func JanitorSteps() []string {
	names := make([]string, len(janitorSteps))
	for i, st := range janitorSteps {
		names[i] = st.name
	}
	return names
}

// JanitorFailures counts the rounds whose step failed on this instance
// since it started.
func (s *Store) JanitorFailures(step string) int64 {
	for i, st := range janitorSteps {
		if st.name == step {
			return s.janitorFailures[i].Load()
		}
	}
	return 0
}

// JanitorLastSuccess is when this instance's janitor last ended a round
// with every step done; zero before the first.
func (s *Store) JanitorLastSuccess() time.Time { return unixNano(s.janitorLastSuccess.Load()) }

// RunJanitor purges expired login failures and ended sessions, compacts
// the lead counts, reads the active model's version (ActiveModelVersion)
// and runs a statistics refresh still owed (see analyzeAfterBulk) every
// interval until ctx ends. Every instance may run
// it: all are safe to run concurrently.
func (s *Store) RunJanitor(ctx context.Context, interval, keep time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	// As the audit sealer: a round that fails is a WARN, as a request's
	// lost connection is; rounds still failing janitorAlertAfter after the
	// first began are worth an alert (ERROR), and a database restarting is
	// not. Each failing round is logged (there is one a minute), whatever
	// fails.Fail says.
	var fails failrun.Run
	for {
		round := time.Now()
		var errs []error
		for i, st := range janitorSteps {
			if err := st.run(ctx, s, keep); err != nil && ctx.Err() == nil {
				s.janitorFailures[i].Add(1)
				errs = append(errs, fmt.Errorf("%s: %w", st.what, err))
			}
		}
		s.analyzeAfterBulk(0) // only if one is owed
		switch {
		case ctx.Err() != nil:
		case len(errs) > 0:
			level := slog.LevelWarn
			// Measured to this round's end: from round start to round start
			// is a minute less the ticker's jitter, half the time.
			if _, _, failing := fails.Fail(round); failing+time.Since(round) >= janitorAlertAfter {
				level = slog.LevelError
			}
			for _, err := range errs {
				log.Log(ctx, level, "janitor", "err", err)
			}
		default:
			s.janitorLastSuccess.Store(time.Now().UnixNano())
			if ended, n, failing := fails.Pass(time.Now()); ended {
				log.InfoContext(ctx, "janitor recovered", "failures", n, "failing", failing.Round(time.Millisecond).String())
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
