package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/store"
)

// A statement cut off by its deadline timed out; one whose context was
// cancelled (a client gone away) did not, though pgconn says both did.
func TestTimedOut(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	conn, err := pool.Acquire(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want bool
	}{
		{"cancelled", cancelled, false},
		{"deadline passed", expired, true},
	} {
		_, err := conn.Exec(tc.ctx, `SELECT 1`)
		if err == nil || store.TimedOut(err) != tc.want {
			t.Errorf("%s: %v, TimedOut %v, want %v", tc.name, err, store.TimedOut(err), tc.want)
		}
	}
}
