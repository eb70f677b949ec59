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

	const burst = 12
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
	if n := int(compared.Load()); n > th.PerIP+auth.HashingSlots-1 {
		t.Errorf("%d bcrypt comparisons for a burst the limit lets %d through", n, th.PerIP)
	}
}

// TestLoginBurstOneAccountAtATime: the throttles count only failures, so one
// user repeating their own right password in parallel must not take every
// turn at hashing: while one of their logins waits for or holds a turn, the
// others get 429 at once, at no bcrypt cost, and another user is not
// refused.
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
	var compared atomic.Int32
	store.SetPasswordCheckHook(s, func() { compared.Add(1) })
	th := store.Throttle{PerEmail: 5, PerIP: 50, Window: time.Minute}

	const burst = 12
	errs := make([]error, burst)
	var wg sync.WaitGroup
	for i := range burst {
		wg.Go(func() {
			_, errs[i] = s.Login(ctx, "ana@example.com", "the right password", "203.0.113.9", "test", th)
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		var ae *apperr.Error
		switch {
		case err == nil:
			ok++
		case errors.As(err, &ae) && ae.Status == http.StatusTooManyRequests && ae.RetryAfter == 1:
		default:
			t.Errorf("a parallel login for the same account: %v", err)
		}
	}
	if ok == 0 || ok == burst {
		t.Errorf("%d of %d parallel logins went through, want one at a time", ok, burst)
	}
	if n := int(compared.Load()); n != ok {
		t.Errorf("%d bcrypt comparisons for %d logins", n, ok)
	}
	// Nothing is left held: the account and another one log in.
	for _, email := range []string{"ana@example.com", "bruno@example.com"} {
		if _, err := s.Login(ctx, email, "the right password", "203.0.113.9", "test", th); err != nil {
			t.Errorf("%s afterwards: %v", email, err)
		}
	}
}
