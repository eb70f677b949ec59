package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/dbtest"
	"github.com/jmksales/jmk/server/store"
)

// TestVerifyWhileSealing: the sealer sealing the unsealed tail between two
// of verify's pages must not look like a removed seal. Verify reads three
// pages of two events over events 1-3 sealed and 4-6 not; the tail is
// sealed after the second page, which ends on unsealed event 4.
func TestVerifyWhileSealing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	s := store.New(pool)
	write := func(n int) {
		for i := range n {
			err := s.InTx(ctx, func(tx *store.Tx) error {
				return tx.Audit(ctx, audit.Event{Actor: audit.System, Action: "test.event", EntityType: "test",
					Summary: "event " + strconv.Itoa(i)})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	seal := func() {
		if _, err := s.SealOnce(ctx, 5*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	write(3)
	seal()
	write(3)
	pages := 0
	store.SetVerifyPaging(s, 2, func() {
		if pages++; pages == 2 {
			seal()
		}
	})
	v, err := s.AuditVerify(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK || v.Checked+v.Unsealed != 6 {
		t.Fatalf("verify while sealing: %+v", v)
	}
	v, err = s.AuditVerify(ctx, nil)
	if err != nil || !v.OK || v.Checked != 6 || v.Unsealed != 0 {
		t.Fatalf("verify after sealing: %+v %v", v, err)
	}
}

// TestAuditEventIDsPositive: an event below id 1, where verify and the
// sealer start reading, is refused (schema/00025_audit_event_ids_positive.sql).
func TestAuditEventIDsPositive(t *testing.T) {
	t.Parallel()
	pool, _ := dbtest.Pool(t)
	_, err := pool.Exec(context.Background(), `INSERT INTO audit_events (id, actor_name, action, entity_type, summary)
		OVERRIDING SYSTEM VALUE VALUES (0, 'forger', 'lead.delete', 'lead', 'forged')`)
	if err == nil || !strings.Contains(err.Error(), "audit_events_id_positive") {
		t.Fatalf("an event with id 0: %v, want the check constraint's refusal", err)
	}
}

// TestVerifyGuards: verify reports the audit trail not append-only while
// any of its four triggers is disabled or the function they run replaced,
// as a table owner can do, and ok once they are back in force.
func TestVerifyGuards(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := dbtest.Pool(t)
	s := store.New(pool)
	exec := func(sql string) {
		t.Helper()
		if _, err := pool.Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	verify := func(wantOK bool, want string) {
		t.Helper()
		v, err := s.AuditVerify(ctx, nil)
		if err != nil || v.OK != wantOK || !strings.Contains(v.Reason, want) || v.BrokenID != 0 {
			t.Fatalf("verify: %+v %v; want ok %v, reason with %q", v, err, wantOK, want)
		}
	}
	verify(true, "")
	for _, tc := range []struct{ off, on, want string }{
		{`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`,
			`ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_append_only`, "triggers disabled or changed: 1 of 4"},
		// Enabled, but not in a replica session (the state before 00023).
		{`ALTER TABLE audit_seals ENABLE TRIGGER audit_seals_no_truncate`,
			`ALTER TABLE audit_seals ENABLE ALWAYS TRIGGER audit_seals_no_truncate`, "triggers disabled or changed: 1 of 4"},
		{`CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN OLD; END; $$`,
			`CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$`, "audit_append_only) was replaced"},
		// Enabled, always, but made to fire for nothing, or for one column.
		{`DROP TRIGGER audit_events_append_only ON audit_events;
			CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
				FOR EACH ROW WHEN (false) EXECUTE FUNCTION audit_append_only();
			ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_append_only`,
			`DROP TRIGGER audit_events_append_only ON audit_events;
			CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
				FOR EACH ROW EXECUTE FUNCTION audit_append_only();
			ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_append_only`, "triggers disabled or changed: 1 of 4"},
		{`DROP TRIGGER audit_seals_append_only ON audit_seals;
			CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OF sealed_at OR DELETE ON audit_seals
				FOR EACH ROW EXECUTE FUNCTION audit_append_only();
			ALTER TABLE audit_seals ENABLE ALWAYS TRIGGER audit_seals_append_only`,
			`DROP TRIGGER audit_seals_append_only ON audit_seals;
			CREATE TRIGGER audit_seals_append_only BEFORE UPDATE OR DELETE ON audit_seals
				FOR EACH ROW EXECUTE FUNCTION audit_append_only();
			ALTER TABLE audit_seals ENABLE ALWAYS TRIGGER audit_seals_append_only`, "triggers disabled or changed: 1 of 4"},
	} {
		exec(tc.off)
		verify(false, tc.want)
		exec(tc.on)
		verify(true, "")
	}
	// The bluntest: the function dropped, and every trigger with it.
	exec(`DROP FUNCTION audit_append_only() CASCADE`)
	verify(false, "triggers disabled or changed: 4 of 4, and the function the triggers run (audit_append_only) is gone")
}
