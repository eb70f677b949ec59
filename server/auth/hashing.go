package auth

import (
	"context"
	"errors"
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

// ErrAccountBusy is AccountGate's refusal: the account already has a
// request waiting for or holding a turn.
var ErrAccountBusy = errors.New("another request for this account is checking its password")

// AccountGate lets one request per account at a time wait for or hold a turn
// at hashing. The throttles count only failures, so without it one user
// repeating their own right password in parallel queued every other login
// behind theirs; one at a time, they take no more turns than anybody else.
// Its zero value is ready; a store keeps one, as accounts are its own.
type AccountGate struct {
	mu   sync.Mutex
	busy map[string]bool
}

// Hashing is the package's Hashing for work on behalf of one account (its
// normalised e-mail): while another request for the account waits for or
// holds a turn, it fails at once with ErrAccountBusy. release ends the turn
// and frees the account.
func (g *AccountGate) Hashing(ctx context.Context, account string, check func() error) (release func(), err error) {
	g.mu.Lock()
	if g.busy[account] {
		g.mu.Unlock()
		return nil, ErrAccountBusy
	}
	if g.busy == nil {
		g.busy = map[string]bool{}
	}
	g.busy[account] = true
	g.mu.Unlock()
	free := func() {
		g.mu.Lock()
		delete(g.busy, account)
		g.mu.Unlock()
	}
	turn, err := Hashing(ctx, check)
	if err != nil {
		free()
		return nil, err
	}
	var once sync.Once
	return func() { once.Do(func() { turn(); free() }) }, nil
}
