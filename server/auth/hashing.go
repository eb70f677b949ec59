package auth

import (
	"context"
	"errors"
	"runtime"
	"sync"
)

// hashing holds a token per bcrypt hash or comparison running: at most half
// the process's CPUs, at least one. Each costs about 250 ms of CPU, so a
// burst of parallel logins (no token needed) would take every core for
// seconds while other requests waited; the other half stays free for them.
var hashing = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))

// HashingSlots is how many bcrypt hashes or comparisons run at once.
func HashingSlots() int { return cap(hashing) }

// Hashing waits for a turn at bcrypt work and returns the function that ends
// it (calling it again does nothing); it fails with ctx's error if ctx ends
// first. check, when not nil, is the limit guarding the work (a login's
// throttle, say): it runs before the wait, so that a request already over
// the limit does not queue, and again once the turn is taken, so that
// parallel attempts that all passed it together are judged one after another
// and those queued behind a burst cost nothing once the limit is reached.
// Its error is returned, with no turn held.
func Hashing(ctx context.Context, check func() error) (release func(), err error) {
	if check != nil {
		if err := check(); err != nil {
			return nil, err
		}
	}
	return takeTurn(ctx, check)
}

// takeTurn is Hashing after its first check: the wait, then check in turn.
func takeTurn(ctx context.Context, check func() error) (release func(), err error) {
	select {
	case hashing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	give := func() { once.Do(func() { <-hashing }) }
	if check != nil {
		// Given back on a refusal, and on a panic: a turn kept for good
		// would stop every login of the process.
		kept := false
		defer func() {
			if !kept {
				give()
			}
		}()
		if err := check(); err != nil {
			return nil, err
		}
		kept = true
	}
	return give, nil
}

// ErrAccountBusy is AccountGate's refusal: the account already has
// MaxPerAccount requests waiting for or holding a turn.
var ErrAccountBusy = errors.New("too many requests for this account are checking its password")

// MaxPerAccount is how many requests for one account may be in an
// AccountGate at once, one of them at a turn: enough for a user's tabs or a
// script's parallel workers, and a bound on what a flood holds.
const MaxPerAccount = 16

// AccountGate lets one request per account at a time wait for or hold a
// turn at hashing; the account's other requests wait behind it, outside the
// queue for turns. The throttles count only failures: one user repeating
// their own right password in parallel would otherwise fill that queue and
// hold up every other login while the burst lasts; this way another user
// waits for at most one turn per account ahead of them. Its zero value is
// ready; a store keeps one, as accounts are its own.
type AccountGate struct {
	mu       sync.Mutex
	accounts map[string]*accountLine
}

// accountLine is one account's requests in the gate: n of them, the one
// holding turn at hashing or waiting for one.
type accountLine struct {
	turn chan struct{}
	n    int
}

// Hashing is the package's Hashing for work on behalf of one account (its
// normalised e-mail), after the account's earlier requests are done with
// theirs: check runs before the account's line and again in turn. It fails
// at once with ErrAccountBusy when MaxPerAccount are in the gate, and with
// ctx's error if ctx ends first. release ends the turn and lets the
// account's next request go.
func (g *AccountGate) Hashing(ctx context.Context, account string, check func() error) (release func(), err error) {
	// As Hashing does: a request already over its limit does not queue.
	if check != nil {
		if err := check(); err != nil {
			return nil, err
		}
	}
	g.mu.Lock()
	line := g.accounts[account]
	if line == nil {
		if g.accounts == nil {
			g.accounts = map[string]*accountLine{}
		}
		line = &accountLine{turn: make(chan struct{}, 1)}
		g.accounts[account] = line
	}
	if line.n >= MaxPerAccount {
		g.mu.Unlock()
		return nil, ErrAccountBusy
	}
	line.n++
	g.mu.Unlock()
	leave := func() {
		g.mu.Lock()
		if line.n--; line.n == 0 {
			delete(g.accounts, account)
		}
		g.mu.Unlock()
	}
	select {
	case line.turn <- struct{}{}:
	case <-ctx.Done():
		leave()
		return nil, ctx.Err()
	}
	// The account's place goes back on a refusal and on a panic too: kept,
	// it would shut the account out for good.
	kept := false
	defer func() {
		if !kept {
			<-line.turn
			leave()
		}
	}()
	turn, err := takeTurn(ctx, check)
	if err != nil {
		return nil, err
	}
	kept = true
	var once sync.Once
	return func() { once.Do(func() { turn(); <-line.turn; leave() }) }, nil
}
