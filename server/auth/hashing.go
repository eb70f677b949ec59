package auth

import (
	"context"
	"runtime"
)

// HashingSlots is how many bcrypt hashes or comparisons the server runs at
// once: half its CPUs, at least one. Each costs about 250 ms of CPU, and a
// burst of parallel logins (no token needed) took every core for seconds
// while other requests waited; the other half stays free for them.
var HashingSlots = max(1, runtime.GOMAXPROCS(0)/2)

var hashing = make(chan struct{}, HashingSlots)

// Hashing waits for a turn at bcrypt work and returns the function that
// ends it; it fails with ctx's error if ctx ends first. Callers that guard
// the work with a throttle check it again once it is their turn, so that
// attempts queued behind a burst cost nothing once the limit is reached.
func Hashing(ctx context.Context) (release func(), err error) {
	select {
	case hashing <- struct{}{}:
		return func() { <-hashing }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
