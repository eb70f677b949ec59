package handlers

import (
	"testing"
	"time"

	"github.com/jmksales/jmk/server/failrun"
)

// While /readyz keeps failing, one line a minute says so, with the checks
// it left out; the recovery is said once.
func TestReadyLog(t *testing.T) {
	t.Parallel()
	var r readyLog
	t0 := time.Now()
	type want struct {
		log      bool
		unlogged int
	}
	for i, tc := range []struct {
		at   time.Duration
		want want
	}{
		{0, want{true, 0}},
		{5 * time.Second, want{false, 0}},
		{10 * time.Second, want{false, 0}},
		{failrun.Every, want{true, 2}},
		{failrun.Every + 5*time.Second, want{false, 0}},
	} {
		if log, unlogged := r.failed(t0.Add(tc.at)); (want{log, unlogged}) != tc.want {
			t.Errorf("check %d: log %v unlogged %d, want %+v", i, log, unlogged, tc.want)
		}
	}
	if !r.passed() || r.passed() {
		t.Error("a recovery is reported once")
	}
	if log, _ := r.failed(t0.Add(failrun.Every + 6*time.Second)); !log {
		t.Error("a new failure after a recovery is logged at once")
	}
}
