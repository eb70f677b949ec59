package store_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

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
	store.New(pool).RunJanitor(ctx, 50*time.Millisecond, time.Hour, slog.New(slog.NewTextHandler(&logs, nil)))
	out := logs.String()
	if !strings.Contains(out, "level=WARN msg=janitor") || !strings.Contains(out, "compact lead counts") || strings.Contains(out, "level=ERROR") {
		t.Fatalf("logs:\n%s", out)
	}
}
