package handlers

import (
	"sync"
	"time"
)

// readyLogEvery is how often /readyz logs while its checks keep failing:
// a load balancer polls every few seconds, and one WARN a poll would bury
// the cause under copies of itself.
const readyLogEvery = time.Minute

// readyLog decides which of /readyz's outcomes are logged: the first
// failure, then one a minute (with how many went unlogged), and the
// recovery.
type readyLog struct {
	mu      sync.Mutex
	failing bool
	logged  time.Time // when a failure was last logged
	quiet   int       // failures since then, not logged
}

// failed records a failed check at now and reports whether to log it, with
// the failures left unlogged since the last one logged.
func (r *readyLog) failed(now time.Time) (log bool, unlogged int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing && now.Sub(r.logged) < readyLogEvery {
		r.quiet++
		return false, 0
	}
	r.failing, r.logged, unlogged, r.quiet = true, now, r.quiet, 0
	return true, unlogged
}

// passed records a passing check and reports whether it ends a run of
// failures (worth logging).
func (r *readyLog) passed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	was := r.failing
	r.failing, r.quiet = false, 0
	return was
}
