package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/store"
)

// TestSessionPurge: sessions that ended (revoked or expired) before the
// cut-off go with their refresh tokens; live ones and those that ended
// since stay, tokens included.
func TestSessionPurge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	mustExec(t, pool, `INSERT INTO users (id, name, email, password_hash, role)
		VALUES ('00000000-0000-7000-8000-000000000001', 'U', 'u@example.com', 'x', 'sales')`)
	// Days ago: when each session expires and when it was revoked (null: never).
	mustExec(t, pool, `INSERT INTO sessions (id, user_id, expires_at, revoked_at)
		SELECT ('00000000-0000-7000-8000-00000000010' || n)::uuid, '00000000-0000-7000-8000-000000000001',
		       now() - expires * interval '1 day', now() - revoked * interval '1 day'
		FROM (VALUES (1, -20, NULL),   -- live
		             (2, -20, 5),      -- revoked 5 days ago
		             (3, -20, 40),     -- revoked 40 days ago, would have run on
		             (4, 35, NULL),    -- expired 35 days ago
		             (5, 10, NULL),    -- expired 10 days ago
		             (6, 45, 50)) AS s(n, expires, revoked)`)
	mustExec(t, pool, `INSERT INTO refresh_tokens (token_hash, session_id, expires_at, rotated_at)
		SELECT sha256((s.id::text || k)::bytea), s.id, s.expires_at, CASE WHEN k = 1 THEN now() END
		FROM sessions s, generate_series(1, 2) k`)

	n, err := store.New(pool).SessionPurge(ctx, time.Now().Add(-store.SessionRetention))
	if err != nil || n != 3 {
		t.Fatalf("purged %d sessions (%v), want 3", n, err)
	}
	var left []string
	rows, err := pool.Query(ctx, `SELECT right(s.id::text, 1) || ':' || count(r.*) FROM sessions s
		LEFT JOIN refresh_tokens r ON r.session_id = s.id GROUP BY s.id ORDER BY s.id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		left = append(left, s)
	}
	if want := []string{"1:2", "2:2", "5:2"}; !slices.Equal(left, want) {
		t.Errorf("sessions left (id:tokens) %v, want %v", left, want)
	}
	var orphans int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM refresh_tokens WHERE session_id NOT IN (SELECT id FROM sessions)`).Scan(&orphans); err != nil || orphans != 0 {
		t.Errorf("%d refresh tokens left without their session (%v)", orphans, err)
	}
}
