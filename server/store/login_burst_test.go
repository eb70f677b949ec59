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
