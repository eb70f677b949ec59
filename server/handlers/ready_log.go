package handlers

import (
	"sync"
	"time"

	"github.com/jmksales/jmk/server/failrun"
)

// readyLog decides which of /readyz's outcomes are logged: the first
// failure, then one a minute (with how many went unlogged), and the
// recovery. A load balancer polls every few seconds, and one WARN a poll
// would bury the cause under copies of itself.
type readyLog struct {
	mu     sync.Mutex
	fails  failrun.Run
	logged int // the run's failures when one was last logged
}

// failed records a failed check at now and reports whether to log it, with
// the failures left unlogged since the last one logged.
func (r *readyLog) failed(now time.Time) (log bool, unlogged int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	log, n, _ := r.fails.Fail(now)
	if log {
		unlogged, r.logged = n-r.logged-1, n
	}
	return log, unlogged
}

// passed records a passing check and reports whether it ends a run of
// failures (worth logging).
func (r *readyLog) passed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	ended, _, _ := r.fails.Pass(time.Now())
	r.logged = 0
	return ended
}
