package auth

import (
	"context"
	"runtime"
	"sync"
)

// HashingSlots is how many bcrypt hashes or comparisons the server runs at
// once: half its CPUs, at least one. Each costs about 250 ms of CPU, and a
// burst of parallel logins (no token needed) took every core for seconds
// while other requests waited; the other half stays free for them.
var HashingSlots = max(1, runtime.GOMAXPROCS(0)/2)

var hashing = make(chan struct{}, HashingSlots)

// Hashing waits for a turn at bcrypt work and returns the function that
// ends it (calling it again does nothing); it fails with ctx's error if ctx ends first. check, when not
// nil, is the limit guarding the work (a login's throttle, say): it runs
// before the wait, so that a request already over the limit does not
// queue, and again once the turn is taken, so that parallel attempts that
// all passed it together are judged one after another and those queued
// behind a burst cost nothing once the limit is reached. Its error is
// returned, with no turn held.
func Hashing(ctx context.Context, check func() error) (release func(), err error) {
	if check != nil {
		if err := check(); err != nil {
			return nil, err
		}
	}
	select {
	case hashing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	release = func() { once.Do(func() { <-hashing }) }
	if check != nil {
		if err := check(); err != nil {
			release()
			return nil, err
		}
	}
	return release, nil
}
