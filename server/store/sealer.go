package store

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/failrun"
)

// sealBatch bounds the events linked per transaction.
const sealBatch = 5000

// ErrWritersOpen is SealOnce's answer when a transaction writing to the
// audit trail stayed open for all of its wait: events committed after that
// transaction began cannot be sealed until it ends.
var ErrWritersOpen = errors.New("a transaction writing to the audit trail is still open")

// ErrSealerBusy is returned by SealOnce when another session holds the
// sealer's lock: with several instances, usually another one sealing.
var ErrSealerBusy = errors.New("another session holds the audit sealer's lock")

// ChainAheadError is SealOnce's answer when the chain's head has an id the
// id sequence has not issued: an event inserted with an id of its own
// choosing, or a sequence set back. The events the sequence issues after it
// are below the head, so they can never be sealed; verify names the first
// of them. Once the sequence passes the head, the sealer sees nothing amiss
// (the events it skipped are below its head): only verify shows them.
type ChainAheadError struct {
	Head, Issued, Stranded int64
}

func (e ChainAheadError) Error() string {
	return fmt.Sprintf("the audit chain's head, event %d, has an id the id sequence has not issued (it is at %d): "+
		"an event was inserted with an id of its own choosing, or the sequence was set back; events committed "+
		"after it cannot be sealed (%d so far), and verify reports them (jmk audit verify; README, The audit trail)",
		e.Head, e.Issued, e.Stranded)
}

// SealOnce links every event that can no longer be preceded by an
// uncommitted one into the hash chain, and returns how many it sealed.
//
// Writers never wait for the chain: events commit unsealed with their
// change. Ids come from a sequence, so a transaction still running may hold
// an id smaller than one already committed. SealOnce therefore notes the
// highest committed id and the transactions writing to audit_events at that
// moment, waits (at most maxWait) until all of those have ended, and only
// then seals up to the noted id. Only writers of the trail are waited for:
// waiting for every transaction of the snapshot (which spans every database
// of the cluster) let any long transaction anywhere stall the chain. An
// advisory lock held for the transaction makes one sealer work at a time
// across every instance.
//
// When such a transaction stays open for all of maxWait, it returns
// ErrWritersOpen and seals nothing; events committed meanwhile wait for a
// later call. When another session holds the sealer's lock, it returns
// ErrSealerBusy, and when the head has an id the sequence never issued, a
// ChainAheadError.
//
// Each of its statements and transactions has sealStepLimit to answer: a
// query that hangs (a network gone silent, a lock held on audit_seals) ends
// with an error naming the step, rather than holding the sealer for good.
func (s *Store) SealOnce(ctx context.Context, maxWait time.Duration) (int, error) {
	var mark db.AuditSealerMarkRow
	err := s.sealStep(ctx, "read the chain's mark", func(ctx context.Context) (err error) {
		mark, err = s.q.AuditSealerMark(ctx)
		return translate(err)
	})
	if err != nil {
		return 0, err
	}
	s.unsealed.Store(mark.Unsealed + mark.Stranded)
	if mark.Ahead {
		return 0, ChainAheadError{Head: mark.SealedID, Issued: mark.IssuedID, Stranded: mark.Stranded}
	}
	if mark.SealedID >= mark.MaxID {
		return 0, nil // nothing committed is unsealed: no writer to wait for
	}
	deadline := time.Now().Add(maxWait)
	// Reading pg_locks takes every lock partition of the cluster: poll
	// often at first, when a writer is about to commit, then less.
	poll := 10 * time.Millisecond
	for {
		var waiting int64
		err := s.sealStep(ctx, "look for open writers", func(ctx context.Context) (err error) {
			waiting, err = s.q.AuditSealerWaiting(ctx, mark.Writers)
			return translate(err)
		})
		if err != nil {
			return 0, err
		}
		if waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			return 0, ErrWritersOpen
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(poll):
		}
		poll = min(2*poll, 200*time.Millisecond)
	}

	sealed := 0
	for {
		var (
			n    int
			more bool
		)
		err := s.sealStep(ctx, "seal a batch", func(ctx context.Context) (err error) {
			n, more, err = s.sealUpTo(ctx, mark.MaxID)
			return err
		})
		sealed += n
		s.unsealed.Add(-int64(n))
		if err != nil || !more {
			return sealed, err
		}
		// A round catching up on a million events takes a while: each
		// batch sealed shows the sealer at work (SealerLastSuccess).
		s.sealerLastSuccess.Store(time.Now().UnixNano())
	}
}

// sealStepLimit bounds each statement or transaction of the sealer: a
// batch of sealBatch events takes well under a second, so this is only
// reached by a query that hangs. It is fixed rather than a multiple of the
// seal interval: a slow machine or a busy database must not turn a batch
// that takes a second into a failure, and 30 s still ends a hung query well
// before the staleness alert on audit_sealer_last_success_timestamp_seconds
// (a minute, README) fires, so that the log says which step hung.
const sealStepLimit = 30 * time.Second

// sealStep runs f with sealStepLimit (or a test's sealLimit) to answer;
// its error names the step (ErrSealerBusy aside, which is no failure), and
// says when the step ran out of time.
func (s *Store) sealStep(ctx context.Context, what string, f func(ctx context.Context) error) error {
	limit := cmp.Or(s.sealLimit, sealStepLimit)
	sctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	err := f(sctx)
	switch {
	case err == nil || errors.Is(err, ErrSealerBusy):
		return err
	case ctx.Err() == nil && sctx.Err() != nil:
		return fmt.Errorf("%s: no answer within %s: %w", what, limit, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// sealUpTo seals one batch of events with id <= upTo; more is true when a
// full batch was sealed and there may be more.
func (s *Store) sealUpTo(ctx context.Context, upTo int64) (n int, more bool, err error) {
	err = s.InTx(ctx, func(tx *Tx) error {
		// The limit first: a sealer frozen just after taking the lock must
		// not keep it.
		if err := tx.Q.AuditSealerIdleLimit(ctx); err != nil {
			return fmt.Errorf("set the idle limit: %w", err)
		}
		got, err := tx.Q.AuditSealerLock(ctx)
		if err != nil {
			return fmt.Errorf("take the sealer's lock: %w", err)
		}
		if !got {
			return ErrSealerBusy
		}
		prev := audit.Genesis()
		var after int64
		last, err := tx.Q.AuditSealLast(ctx)
		switch {
		case err == nil:
			prev, after = last.Hash, last.EventID
		case !errors.Is(translate(err), apperr.ErrNotFound):
			return fmt.Errorf("read the chain's head: %w", err)
		}
		events, err := tx.Q.AuditEventsToSeal(ctx, db.AuditEventsToSealParams{AfterID: after, UpTo: upTo, Lim: sealBatch})
		if err != nil {
			return fmt.Errorf("read the events to seal: %w", err)
		}
		if len(events) == 0 {
			return nil
		}
		seals := make([]db.AuditSealInsertParams, len(events))
		for i, e := range events {
			h := audit.Link(prev, StoredEvent(e))
			seals[i] = db.AuditSealInsertParams{EventID: e.ID, PrevHash: prev, Hash: h}
			prev = h
		}
		if _, err := tx.Q.AuditSealInsert(ctx, seals); err != nil {
			return fmt.Errorf("insert seals: %w", err)
		}
		n, more = len(events), len(events) == sealBatch
		return nil
	})
	return n, more, err
}

// sealerBackoffMax bounds the pause between a failing sealer's rounds,
// which doubles from the seal interval with each failure in a row: a
// database that is down is not asked five times a second, and one that
// comes back is sealed on within this.
const sealerBackoffMax = 5 * time.Second

// sealerPause is the pause before the next round after failures rounds
// failed in a row.
func sealerPause(interval time.Duration, failures int) time.Duration {
	d := interval
	for range failures {
		if d >= sealerBackoffMax/2 {
			return max(sealerBackoffMax, interval)
		}
		d *= 2
	}
	return d
}

// headLogEvery is how often, at most, the sealer logs the chain's head:
// logs kept outside the database make each logged head an anchor that
// verify can be given later (see audit.Anchor).
const headLogEvery = time.Minute

// sealStallWarn is how long the sealer waits on an open transaction
// writing to the trail before it logs a warning (once a minute at most). An
// import or activation writes its events in its own transaction, which may
// take most of a minute at a million leads, so a shorter wait is normal.
const sealStallWarn = time.Minute

// SealerFailures counts the rounds this instance's sealer failed (its
// database connection lost, say) since it started.
func (s *Store) SealerFailures() int64 { return s.sealerFailures.Load() }

// Unsealed is how many committed events were unsealed when this instance's
// sealer last looked, less those it has sealed since (another instance
// sealing them shows at this one's next look).
func (s *Store) Unsealed() int64 { return s.unsealed.Load() }

// SealerLastSuccess is when this instance's sealer last ended a round
// without failing (it sealed, found nothing to seal, or found the events
// held back by an open writer or another session's lock, which
// SealerStalled measures), or sealed a batch of a round that has more to
// seal; zero before the first.
func (s *Store) SealerLastSuccess() time.Time { return unixNano(s.sealerLastSuccess.Load()) }

// SealerLastRound is when this instance's sealer last began a round, failed
// or not; zero before the first. With SealerLastSuccess it tells a sealer
// that keeps failing (rounds begin, none succeeds) from one that is stuck
// (no round begins).
func (s *Store) SealerLastRound() time.Time { return unixNano(s.sealerLastRound.Load()) }

func unixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}

// SealerStalled returns how long this instance's sealer has been waiting
// for a transaction writing to the audit trail to end, with committed
// events waiting to be sealed; 0 when it is not waiting.
func (s *Store) SealerStalled() time.Duration {
	since := s.sealStalledSince.Load()
	if since == 0 {
		return 0
	}
	return time.Since(time.Unix(0, since))
}

// RunSealer seals every interval until ctx ends. Errors are logged, never
// fatal: an event stays unsealed until a later round succeeds. After
// failures in a row it pauses longer, doubling up to sealerBackoffMax.
func (s *Store) RunSealer(ctx context.Context, interval time.Duration, log *slog.Logger) {
	const maxWait = 2 * time.Second
	t := time.NewTimer(interval)
	defer t.Stop()
	var (
		fails       failrun.Run // logged as failrun says: a failing sealer tries every tick
		sealed      int
		headLogged  time.Time
		stallLogged time.Time
		busyHead    int64 = -1 // the chain's head when the lock was first found held
		busySince   time.Time
	)
	for {
		round := time.Now()
		s.sealerLastRound.Store(round.UnixNano())
		n, err := s.SealOnce(ctx, maxWait)
		sealed += n
		if sealed > 0 && time.Since(headLogged) >= headLogEvery {
			if last, err := s.sealLast(ctx); err == nil {
				log.InfoContext(ctx, "audit chain head", "anchor", audit.Anchor{ID: last.EventID, Hash: last.Hash}.String())
				sealed, headLogged = 0, time.Now()
			}
		}
		waiting, why := false, ""
		switch {
		case errors.Is(err, ErrWritersOpen):
			s.sealStalledSince.CompareAndSwap(0, time.Now().Add(-maxWait).UnixNano())
			waiting, why = true, "a transaction writing to the audit trail is still open, and the events committed since it began stay unsealed until it ends"
		case errors.Is(err, ErrSealerBusy):
			// Another instance sealing moves the chain's head on; a session
			// holding the lock while the head stays put is stuck.
			var head int64
			if last, err := s.sealLast(ctx); err == nil {
				head = last.EventID
			}
			if head != busyHead {
				busyHead, busySince = head, time.Now()
			} else if time.Since(busySince) >= maxWait { // a busy sealer's batch takes well under that
				s.sealStalledSince.CompareAndSwap(0, busySince.UnixNano())
				waiting, why = true, "another session holds the sealer's lock and the chain has not moved on; if it is stuck, find its pid in pg_locks (locktype advisory, granted) and end it"
			}
		}
		// A round held back (an open writer, another session's lock) is no
		// failure: it ends a run of them as a success does.
		switch {
		case err == nil || errors.Is(err, ErrWritersOpen) || errors.Is(err, ErrSealerBusy):
			s.sealerLastSuccess.Store(time.Now().UnixNano())
			if ended, failures, failing := fails.Pass(time.Now()); ended {
				log.InfoContext(ctx, "audit sealer recovered", "failures", failures, "failing", failing.Round(time.Millisecond).String())
			}
		case ctx.Err() == nil:
			s.sealerFailures.Add(1)
			if say, failures, failing := fails.Fail(round); say {
				// A WARN first, as a request's lost connection is: a sealer
				// still failing a minute on (the next line) is worth an
				// alert (ERROR).
				level := slog.LevelWarn
				if failures > 1 {
					level = slog.LevelError
				}
				// Fail counts from the start of the first failed round to
				// this one's: this round's own length is failing too.
				failing += time.Since(round)
				log.Log(ctx, level, "audit sealer", "err", err, "failures", failures, "failing", failing.Round(time.Millisecond).String())
			}
		}
		if !errors.Is(err, ErrSealerBusy) {
			busyHead = -1
		}
		if waiting {
			if stalled := s.SealerStalled(); stalled >= sealStallWarn && time.Since(stallLogged) >= failrun.Every {
				log.WarnContext(ctx, "audit sealer waiting: "+why, "waiting", stalled.Round(time.Second).String())
				stallLogged = time.Now()
			}
		} else if s.sealStalledSince.Swap(0) != 0 && !stallLogged.IsZero() {
			log.InfoContext(ctx, "audit sealer no longer waiting")
			stallLogged = time.Time{}
		}
		t.Reset(sealerPause(interval, fails.Failures()))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// sealLast reads the chain's head, within sealStepLimit.
func (s *Store) sealLast(ctx context.Context) (last db.AuditSealLastRow, err error) {
	err = s.sealStep(ctx, "read the chain's head", func(ctx context.Context) error {
		last, err = s.q.AuditSealLast(ctx)
		return err
	})
	return last, err
}

// StoredEvent converts a database row to the hash chain's input.
func StoredEvent(e db.AuditEvent) audit.Stored {
	return audit.Stored{
		ID: e.ID, OccurredAt: e.OccurredAt, ActorID: e.ActorID, ActorName: e.ActorName, Action: e.Action,
		EntityType: e.EntityType, EntityID: e.EntityID, RequestID: e.RequestID, IP: e.Ip, UserAgent: e.UserAgent,
		Summary: e.Summary, Changes: e.Changes,
	}
}
