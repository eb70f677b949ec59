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
	for range 4 * HashingSlots {
		wg.Go(func() {
			release, err := Hashing(context.Background())
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
	if m := most.Load(); m != int32(HashingSlots) {
		t.Errorf("%d at once, want %d", m, HashingSlots)
	}
}

func TestHashingGivesUpWithItsContext(t *testing.T) {
	var releases []func()
	for range HashingSlots {
		release, err := Hashing(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		releases = append(releases, release)
	}
	defer func() {
		for _, r := range releases {
			r()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := Hashing(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("with every slot taken: %v", err)
	}
}
