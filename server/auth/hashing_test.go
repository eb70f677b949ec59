package auth

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestHashingBoundsConcurrency(t *testing.T) {
	var running, most atomic.Int32
	var wg sync.WaitGroup
	for range 4 * HashingSlots() {
		wg.Go(func() {
			release, err := Hashing(context.Background(), nil)
			if err != nil {
				t.Error(err)
				return
			}
			defer release()
			n := running.Add(1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
		})
	}
	wg.Wait()
	if m := most.Load(); m != int32(HashingSlots()) {
		t.Errorf("%d at once, want %d", m, HashingSlots())
	}
}

func TestHashingGivesUpWithItsContext(t *testing.T) {
	defer takeEveryTurn(t)()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := Hashing(ctx, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("with every slot taken: %v", err)
	}
}

func TestHashingChecksBeforeAndInTurn(t *testing.T) {
	refused := errors.New("over the limit")
	calls := 0
	if _, err := Hashing(context.Background(), func() error { calls++; return refused }); !errors.Is(err, refused) || calls != 1 {
		t.Fatalf("refused before the wait: %v after %d checks", err, calls)
	}
	calls = 0
	_, err := Hashing(context.Background(), func() error {
		calls++
		if calls == 2 {
			return refused
		}
		return nil
	})
	if !errors.Is(err, refused) || calls != 2 {
		t.Fatalf("refused in turn: %v after %d checks", err, calls)
	}
	// The turn refused in was given back: every slot can be taken again.
	takeEveryTurn(t)()
}

func TestHashingReleaseTwice(t *testing.T) {
	release, err := Hashing(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	release()
	release() // must not free a turn someone else holds
	defer takeEveryTurn(t)()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := Hashing(ctx, nil); err == nil {
		t.Error("a second release freed a turn that was not its own")
	}
}

func TestAccountGate(t *testing.T) {
	var g AccountGate
	ctx := context.Background()
	release, err := g.Hashing(ctx, "ana@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	// The account's next request waits for the first, outside the queue
	// for turns...
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if _, err := g.Hashing(short, "ana@example.com", nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second request for the account: %v", err)
	}
	// ...and goes once it is done.
	next := make(chan error, 1)
	go func() {
		r, err := g.Hashing(ctx, "ana@example.com", nil)
		if err == nil {
			r()
		}
		next <- err
	}()
	release()
	release() // a second release frees nothing more
	if err := <-next; err != nil {
		t.Fatal(err)
	}

	// At most MaxPerAccount in the gate for one account: one at a turn, the
	// rest waiting behind it.
	first, err := g.Hashing(ctx, "ana@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	waiting, cancelWaiting := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range MaxPerAccount - 1 {
		wg.Go(func() { _, _ = g.Hashing(waiting, "ana@example.com", nil) })
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		g.mu.Lock()
		n := g.accounts["ana@example.com"].n
		g.mu.Unlock()
		if n == MaxPerAccount || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := g.Hashing(ctx, "ana@example.com", nil); !errors.Is(err, ErrAccountBusy) {
		t.Errorf("one more than MaxPerAccount: %v", err)
	}
	cancelWaiting()
	wg.Wait()
	first()
	// A refusal by the check lets the account go, and the gate forgets it.
	refused := errors.New("over the limit")
	if _, err := g.Hashing(ctx, "ana@example.com", func() error { return refused }); !errors.Is(err, refused) {
		t.Fatal(err)
	}
	if len(g.accounts) != 0 {
		t.Errorf("accounts left in the gate: %v", g.accounts)
	}
}

// A check that panics gives back the turn and the account's place.
func TestHashingCheckPanics(t *testing.T) {
	var g AccountGate
	calls := 0
	boom := func() error {
		if calls++; calls == 2 { // in turn, after the check before the account's line
			panic("boom")
		}
		return nil
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		_, _ = g.Hashing(context.Background(), "ana@example.com", boom)
	}()
	takeEveryTurn(t)()
	if len(g.accounts) != 0 {
		t.Errorf("the account kept its place: %v", g.accounts)
	}
}

// takeEveryTurn takes every turn at hashing, failing the test if one is not
// free within a second (a turn kept by mistake), and returns the function
// that gives them all back.
func takeEveryTurn(t *testing.T) (giveBack func()) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var held []func()
	giveBack = func() {
		for _, r := range held {
			r()
		}
	}
	for range HashingSlots() {
		r, err := Hashing(ctx, nil)
		if err != nil {
			giveBack()
			t.Fatalf("a turn was kept: %v", err)
		}
		held = append(held, r)
	}
	return giveBack
}
