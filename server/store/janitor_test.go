package store_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/logbuf"
	"github.com/jmksales/jmk/server/store"
)

// TestJanitorOutage: a janitor whose database is away logs WARN, as the
// sealer does, not an ERROR that pages someone for a database restarting.
func TestJanitorOutage(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	var logs logbuf.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	st := store.New(pool)
	st.RunJanitor(ctx, 50*time.Millisecond, time.Hour, slog.New(slog.NewTextHandler(&logs, nil)))
	out := logs.String()
	if !strings.Contains(out, "level=WARN msg=janitor") || !strings.Contains(out, "compact lead counts") || strings.Contains(out, "level=ERROR") {
		t.Fatalf("logs:\n%s", out)
	}
	// /metrics: every step's failures (janitor_failures_total{step}), and
	// no success (janitor_last_success_timestamp_seconds).
	for _, step := range store.JanitorSteps() {
		if st.JanitorFailures(step) < 1 {
			t.Errorf("%s: %d failures counted", step, st.JanitorFailures(step))
		}
	}
	if !st.JanitorLastSuccess().IsZero() {
		t.Errorf("a success at %v with the database away", st.JanitorLastSuccess())
	}
}

// TestJanitorSuccess: a round with every step done is stamped
// (janitor_last_success_timestamp_seconds) and counts no failure.
func TestJanitorSuccess(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	st := store.New(pool)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		st.RunJanitor(ctx, time.Hour, time.Hour, slog.New(slog.DiscardHandler))
	}()
	deadline := time.Now().Add(10 * time.Second)
	for st.JanitorLastSuccess().IsZero() && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if since := time.Since(st.JanitorLastSuccess()); since < 0 || since > time.Minute {
		t.Errorf("last success %v", st.JanitorLastSuccess())
	}
	for _, step := range store.JanitorSteps() {
		if n := st.JanitorFailures(step); n != 0 {
			t.Errorf("%s: %d failures", step, n)
		}
	}
}
