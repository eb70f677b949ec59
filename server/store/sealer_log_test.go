package store_test

import (
	"context"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/logbuf"
	"github.com/jmksales/jmk/server/store"
)

// TestSealerLogsOnceWhileFailing: a sealer that fails on every tick logs
// the failure once, as a warning naming the step that failed (then once a
// minute, as an error), backs off meanwhile, and says when it recovers and
// how long it failed.
func TestSealerLogsOnceWhileFailing(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	mustExec(t, pool, `ALTER TABLE audit_seals RENAME TO audit_seals_away`)
	var logs logbuf.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	st := store.New(pool)
	go func() {
		defer close(done)
		st.RunSealer(ctx, 5*time.Millisecond, slog.New(slog.NewTextHandler(&logs, nil)))
	}()
	time.Sleep(300 * time.Millisecond) // dozens of failing ticks (the recovery line counts them)
	mustExec(t, pool, `ALTER TABLE audit_seals_away RENAME TO audit_seals`)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), "recovered") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	out := logs.String()
	if n := strings.Count(out, `level=WARN msg="audit sealer"`); n != 1 || strings.Contains(out, "level=ERROR") {
		t.Errorf("%d warnings, want 1 and no error:\n%s", n, out)
	}
	if !strings.Contains(out, `err="read the chain's mark: `) {
		t.Errorf("the warning does not name the step that failed:\n%s", out)
	}
	m := regexp.MustCompile(`audit sealer recovered.* failures=(\d+) failing=\d`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no recovery line:\n%s", out)
	}
	n, _ := strconv.Atoi(m[1])
	if n < 2 {
		t.Errorf("recovered after %d failures: the sealer did not keep failing meanwhile, so one line proves nothing:\n%s", n, out)
	}
	// Every 5 ms, 300 ms of failures would be 60 rounds; doubling the
	// pause from 5 ms makes it about 6.
	if n > 12 {
		t.Errorf("%d failed rounds in about 300 ms: the sealer did not back off", n)
	}
	// /metrics counts every failed round (audit_sealer_failures_total).
	if got := st.SealerFailures(); got != int64(n) {
		t.Errorf("SealerFailures %d, the log counted %d", got, n)
	}
}
