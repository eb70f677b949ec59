package failrun_test

import (
	"testing"
	"time"

	"github.com/jmksales/jmk/server/failrun"
)

// TestRun: the first failure of a run is logged, then one per Every while
// the run goes on; a success ends the run once, and the next failure is
// the first of a new one.
func TestRun(t *testing.T) {
	t.Parallel()
	s := time.Second
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	type got struct {
		log     bool
		n       int
		failing time.Duration
	}
	var r failrun.Run
	for i, tc := range []struct {
		pass bool
		at   time.Duration
		want got // for a pass, log is ended
	}{
		{true, 0, got{false, 0, 0}}, // a success with no run before: nothing ends
		{false, 1 * s, got{true, 1, 0}},
		{false, 6 * s, got{false, 2, 5 * s}},
		{false, 1*s + failrun.Every - 1, got{false, 3, failrun.Every - 1}},
		{false, 1*s + failrun.Every, got{true, 4, failrun.Every}},          // a minute after the last logged
		{false, 30*s + failrun.Every, got{false, 5, 29*s + failrun.Every}}, // counted from the last logged, not the first
		{false, 1*s + 2*failrun.Every, got{true, 6, 2 * failrun.Every}},
		{true, 3 * failrun.Every, got{true, 6, 3*failrun.Every - 1*s}},
		{true, 3*failrun.Every + s, got{false, 0, 0}},   // the run ended once
		{false, 3*failrun.Every + 2*s, got{true, 1, 0}}, // a new run, logged at once
	} {
		var g got
		if tc.pass {
			g.log, g.n, g.failing = r.Pass(t0.Add(tc.at))
		} else {
			g.log, g.n, g.failing = r.Fail(t0.Add(tc.at))
		}
		if g != tc.want {
			t.Errorf("step %d (pass %v at %v): %+v, want %+v", i, tc.pass, tc.at, g, tc.want)
		}
		if want := map[bool]int{true: 0, false: g.n}[tc.pass]; r.Failures() != want {
			t.Errorf("step %d: Failures %d, want %d", i, r.Failures(), want)
		}
	}
}
