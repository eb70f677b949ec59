package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/store"
)

// A statement cut off by its deadline or by PostgreSQL's statement_timeout
// timed out; one whose context was cancelled (a client gone away) did not,
// though pgconn says both did; a genuine error did not.
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
	bg := context.Background()
	for _, tc := range []struct {
		name string
		ctx  context.Context
		sql  string
		want bool
	}{
		{"cancelled", cancelled, `SELECT 1`, false},
		{"deadline passed", expired, `SELECT 1`, true},
		{"statement_timeout", bg, `SET statement_timeout = 20; SELECT pg_sleep(1)`, true},
		{"a genuine error", bg, `SELECT 1/0`, false},
	} {
		_, err := conn.Exec(tc.ctx, tc.sql)
		if err == nil || store.TimedOut(err) != tc.want {
			t.Errorf("%s: %v, TimedOut %v, want %v", tc.name, err, store.TimedOut(err), tc.want)
		}
		_, _ = conn.Exec(bg, `RESET statement_timeout`)
	}
}
