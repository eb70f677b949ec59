// Package failrun decides which outcomes of a task retried in the
// background (the audit sealer, the janitor, the statistics refresh after a
// bulk change, the readiness check) are worth a log line: the first failure
// of a run of them, then one every Every while they go on, and the success
// that ends the run. A task retried every few seconds, or a readiness check
// a load balancer polls, would otherwise bury the cause under copies of
// itself. The levels are the caller's.
package failrun

import "time"

// Every is how often, at most, a run's failures are logged after its first.
const Every = time.Minute

// Run is one task's failures in a row; the zero value has none. It holds no
// lock: its user serialises the calls.
type Run struct {
	n      int       // failures in a row
	since  time.Time // the first of them
	logged time.Time // when one of them was last logged
}

// Fail records a failure at now. log reports whether to log it: the first
// of a run, or the first Every or more after the last one logged. n counts
// the run's failures, this one included, and failing is the time since its
// first.
func (r *Run) Fail(now time.Time) (log bool, n int, failing time.Duration) {
	r.n++
	if r.n == 1 {
		r.since = now
	}
	if log = r.n == 1 || now.Sub(r.logged) >= Every; log {
		r.logged = now
	}
	return log, r.n, now.Sub(r.since)
}

// Pass records a success at now. ended reports whether it ends a run of
// failures (worth a line), with how many there were and how long they went
// on.
func (r *Run) Pass(now time.Time) (ended bool, n int, failing time.Duration) {
	if r.n == 0 {
		return false, 0, 0
	}
	n, r.n = r.n, 0
	return true, n, now.Sub(r.since)
}

// Failures is the number of failures in a row so far: 0 after a success.
func (r *Run) Failures() int { return r.n }
