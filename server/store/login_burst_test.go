package store_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/store"
)

// TestLoginBurstCostsOnlyAllowedHashing: parallel guesses from one address
// all pass the throttle's first check together; only as many as the limit
// allows may cost a bcrypt comparison (each 250 ms of CPU), the rest are
// turned away when their turn at hashing comes.
func TestLoginBurstCostsOnlyAllowedHashing(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	s := store.New(pool)
	var compared atomic.Int32
	store.SetPasswordCheckHook(s, func() { compared.Add(1) })
	th := store.Throttle{PerEmail: 5, PerIP: 3, Window: time.Minute}

	const burst = 6
	statuses := make([]int, burst)
	var wg sync.WaitGroup
	for i := range burst {
		wg.Go(func() {
			_, err := s.Login(context.Background(), fmt.Sprintf("guess%d@example.com", i), "not the password", "203.0.113.9", "test", th)
			var ae *apperr.Error
			if errors.As(err, &ae) {
				statuses[i] = ae.Status
			}
		})
	}
	wg.Wait()
	count := map[int]int{}
	for _, st := range statuses {
		count[st]++
	}
	if count[http.StatusUnauthorized] != th.PerIP || count[http.StatusTooManyRequests] != burst-th.PerIP {
		t.Errorf("statuses %v, want %d × 401 and the rest 429", count, th.PerIP)
	}
	if n := int(compared.Load()); n > th.PerIP+auth.HashingSlots()-1 {
		t.Errorf("%d bcrypt comparisons for a burst the limit lets %d through", n, th.PerIP)
	}
}

// TestLoginBurstOneAccountAtATime: the throttles count only failures, so
// one user repeating their own right password in parallel must not hold up
// everybody else's login for as long as their burst lasts: the account's
// logins take turns at hashing one at a time, and another user's login,
// coming after the burst, waits for about one of them, not all.
func TestLoginBurstOneAccountAtATime(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	s := store.New(pool)
	ctx := context.Background()
	hash, err := auth.HashPassword("the right password")
	if err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"ana@example.com", "bruno@example.com"} {
		if _, err := s.UserCreate(ctx, audit.System, store.NewUser{Name: "User", Email: email, PasswordHash: hash, Role: auth.RoleSales}); err != nil {
			t.Fatal(err)
		}
	}
	started := make(chan struct{}, 100)
	store.SetPasswordCheckHook(s, func() { started <- struct{}{} })
	th := store.Throttle{PerEmail: 5, PerIP: 50, Window: time.Minute}

	const burst = 6
	var done atomic.Int32
	var wg sync.WaitGroup
	for range burst {
		wg.Go(func() {
			if _, err := s.Login(ctx, "ana@example.com", "the right password", "203.0.113.9", "test", th); err != nil {
				t.Errorf("ana's login: %v", err)
			}
			done.Add(1)
		})
	}
	<-started // the burst is at bcrypt
	if _, err := s.Login(ctx, "bruno@example.com", "the right password", "198.51.100.7", "test", th); err != nil {
		t.Fatal(err)
	}
	if n := done.Load(); n > 2 {
		t.Errorf("bruno's login waited for %d of ana's %d", n, burst)
	}
	wg.Wait()
}
