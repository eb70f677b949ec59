package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jmksales/jmk/server/dbtest"
)

// Two demo seeds at once: the second waits for the first's lock, and gets
// it once the first lets go.
func TestSeedLockExcludes(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	s := New(pool)
	ctx := context.Background()
	unlock, err := s.SeedLock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := s.SeedLock(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a second seed's lock while the first holds it: %v, want it to wait", err)
	}
	unlock()
	again, err := s.SeedLock(ctx)
	if err != nil {
		t.Fatalf("the lock after the first seed let go: %v", err)
	}
	again()
}
