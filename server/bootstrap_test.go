package server_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/store"
)

// TestBootstrapAdminProduction: in production the first admin's password
// must be given; one generated and printed would end up in the logs.
func TestBootstrapAdminProduction(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	st := store.New(pool)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var out bytes.Buffer
	err := server.BootstrapAdmin(ctx, st, server.Config{Env: "production"}, log, &out)
	if err == nil || !strings.Contains(err.Error(), "ADMIN_PASSWORD") || out.Len() != 0 {
		t.Fatalf("%v; printed %q", err, out.String())
	}
	if n, err := st.UserCount(ctx); err != nil || n != 0 {
		t.Fatalf("%d users (%v)", n, err)
	}
	cfg := server.Config{Env: "production", AdminEmail: "boss@example.com", AdminPassword: "a long enough password"}
	if err := server.BootstrapAdmin(ctx, st, cfg, log, &out); err != nil || out.Len() != 0 {
		t.Fatalf("with ADMIN_PASSWORD: %v; printed %q", err, out.String())
	}
	if n, err := st.UserCount(ctx); err != nil || n != 1 {
		t.Fatalf("%d users (%v)", n, err)
	}
}
