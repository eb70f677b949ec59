package server_test

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/logbuf"
	"github.com/jmksales/jmk/server/servertest"
	"github.com/jmksales/jmk/server/store"
)

// waitSealed waits until every event is sealed, then returns how many exist.
func waitSealed(t *testing.T, env *servertest.Env) int64 {
	t.Helper()
	var n int64
	deadline := time.Now().Add(2 * time.Second)
	for {
		n = scalar(t, env, `SELECT count(*) FROM audit_events`)
		if n == scalar(t, env, `SELECT count(*) FROM audit_seals`) {
			return n
		}
		if time.Now().After(deadline) {
			t.Fatalf("not every event sealed within 2 s: %d events, %d seals, first unsealed %d, last sealed %d", n,
				scalar(t, env, `SELECT count(*) FROM audit_seals`),
				scalar(t, env, `SELECT coalesce(min(e.id), 0) FROM audit_events e LEFT JOIN audit_seals s ON s.event_id = e.id WHERE s.event_id IS NULL`),
				scalar(t, env, `SELECT coalesce(max(event_id), 0) FROM audit_seals`))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func verifyChain(t *testing.T, env *servertest.Env) client.AuditVerification {
	t.Helper()
	return verifyAnchored(t, env, client.VerifyAuditChainParams{})
}

func verifyAnchored(t *testing.T, env *servertest.Env, p client.VerifyAuditChainParams) client.AuditVerification {
	t.Helper()
	r, err := env.Admin.VerifyAuditChainWithResponse(bg, &p)
	if err != nil || r.JSON200 == nil {
		t.Fatalf("verify: %v %d %s", err, r.StatusCode(), r.Body)
	}
	return *r.JSON200
}

func TestAuditList(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	u, sales := env.NewUser(auth.RoleSales)
	const rid = "test-request-42"
	if r := login(t, env, u.Email, "wrong password", withHeader("X-Request-ID", rid), withHeader("User-Agent", "audit-test/1.0")); r.StatusCode() != 401 {
		t.Fatal(r.StatusCode())
	}
	name := "Renamed Sales"
	g, _ := env.Admin.GetUserWithResponse(bg, u.Id)
	if r, _ := env.Admin.UpdateUserWithResponse(bg, u.Id, &client.UpdateUserParams{IfMatch: *g.Headers200.ETag}, client.UserPatch{Name: &name}); r.StatusCode() != 200 {
		t.Fatal(r.StatusCode())
	}
	adminToken := env.Login(env.AdminUser.Email).AccessToken // before the snapshot of the trail below
	all := events(t, env, client.ListAuditEventsParams{})

	t.Run("AdminSeesAll", func(t *testing.T) {
		t.Parallel()
		want := map[client.AuditAction]bool{"user.create": false, "auth.login": false, "auth.login_failed": false, "user.update": false}
		for _, e := range all {
			if _, ok := want[e.Action]; ok {
				want[e.Action] = true
			}
		}
		for a, ok := range want {
			if !ok {
				t.Errorf("no %s event", a)
			}
		}
		if int64(len(all)) != scalar(t, env, `SELECT count(*) FROM audit_events`) {
			t.Fatalf("listed %d events", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i].Id >= all[i-1].Id {
				t.Fatal("not newest first")
			}
		}
	})
	t.Run("RequestMetadata", func(t *testing.T) {
		t.Parallel()
		for _, e := range all {
			if e.Summary == "" || e.OccurredAt.IsZero() || e.Actor.Name == "" {
				t.Errorf("event %d incomplete: %s", e.Id, mustJSON(e))
			}
			if e.Actor.Name == "system" {
				continue // fixtures written straight to the store, outside any request
			}
			if e.RequestId == nil || *e.RequestId == "" || e.Ip == nil || *e.Ip != "127.0.0.1" || e.UserAgent == nil || *e.UserAgent == "" {
				t.Errorf("event %d (%s) lacks request metadata: %s", e.Id, e.Action, mustJSON(e))
			}
		}
		var found bool
		for _, e := range all {
			if e.Action == "auth.login_failed" && e.RequestId != nil && *e.RequestId == rid {
				found = *e.UserAgent == "audit-test/1.0" && e.EntityId != nil && *e.EntityId == u.Id.String()
			}
		}
		if !found {
			t.Fatal("the failed login's event does not carry its request id and user agent")
		}
	})
	t.Run("SalesSeeOnlyTheTeamFeed", func(t *testing.T) {
		t.Parallel()
		r, err := sales.ListAuditEventsWithResponse(bg, &client.ListAuditEventsParams{Count: lref(true)})
		if err != nil || r.JSON200 == nil {
			t.Fatalf("%v %d", err, r.StatusCode())
		}
		for _, e := range r.JSON200.Items {
			if e.EntityType != "lead" && e.EntityType != "activity" && e.EntityType != "import" {
				t.Errorf("sales sees a %s event (%s)", e.EntityType, e.Action)
			}
		}
		if *r.JSON200.Total != int64(len(r.JSON200.Items)) {
			t.Fatal("total counts hidden events")
		}
		et := client.AuditEntityType("user")
		r, _ = sales.ListAuditEventsWithResponse(bg, &client.ListAuditEventsParams{EntityType: &et})
		if r.JSON200 == nil || len(r.JSON200.Items) != 0 {
			t.Fatal("sales can ask for user events")
		}
	})
	t.Run("Anonymous", func(t *testing.T) {
		t.Parallel()
		r, _ := env.Anon.ListAuditEventsWithResponse(bg, nil)
		wantProblem(t, r.HTTPResponse, r.Body, 401)
	})

	type filter struct {
		name  string
		p     client.ListAuditEventsParams
		match func(client.AuditEvent) bool
	}
	user, session := client.AuditEntityType("user"), client.AuditEntityType("session")
	mid := all[len(all)/2].OccurredAt
	for _, tc := range []filter{
		{"Action", client.ListAuditEventsParams{Action: lref(client.AuditActionAuthLoginFailed)}, func(e client.AuditEvent) bool { return e.Action == "auth.login_failed" }},
		{"EntityTypeUser", client.ListAuditEventsParams{EntityType: &user}, func(e client.AuditEvent) bool { return e.EntityType == "user" }},
		{"EntityTypeSession", client.ListAuditEventsParams{EntityType: &session}, func(e client.AuditEvent) bool { return e.EntityType == "session" }},
		{"EntityID", client.ListAuditEventsParams{EntityId: lref(u.Id.String())}, func(e client.AuditEvent) bool { return e.EntityId != nil && *e.EntityId == u.Id.String() }},
		{"EntityIDUpperCase", client.ListAuditEventsParams{EntityId: lref(strings.ToUpper(u.Id.String()))}, func(e client.AuditEvent) bool { return e.EntityId != nil && *e.EntityId == u.Id.String() }},
		{"ActorAdmin", client.ListAuditEventsParams{ActorId: &env.AdminUser.Id}, func(e client.AuditEvent) bool {
			return e.Actor.Id != nil && *e.Actor.Id == env.AdminUser.Id
		}},
		{"Since", client.ListAuditEventsParams{Since: &mid}, func(e client.AuditEvent) bool { return !e.OccurredAt.Before(mid) }},
		{"Until", client.ListAuditEventsParams{Until: &mid}, func(e client.AuditEvent) bool { return e.OccurredAt.Before(mid) }},
		// Bounds finer than the database's microsecond are rounded up, not
		// truncated: the event at mid is before mid+0.5µs.
		{"SinceSubMicro", client.ListAuditEventsParams{Since: lref(mid.Add(500 * time.Nanosecond))}, func(e client.AuditEvent) bool { return e.OccurredAt.After(mid) }},
		{"UntilSubMicro", client.ListAuditEventsParams{Until: lref(mid.Add(500 * time.Nanosecond))}, func(e client.AuditEvent) bool { return !e.OccurredAt.After(mid) }},
		{"Future", client.ListAuditEventsParams{Since: lref(time.Now().Add(time.Hour))}, func(client.AuditEvent) bool { return false }},
		{"ActionAndActor", client.ListAuditEventsParams{Action: lref(client.AuditActionUserUpdate), ActorId: &env.AdminUser.Id}, func(e client.AuditEvent) bool {
			return e.Action == "user.update" && *e.Actor.Id == env.AdminUser.Id
		}},
	} {
		t.Run("Filter"+tc.name, func(t *testing.T) {
			t.Parallel()
			var want []int64
			for _, e := range all {
				if tc.match(e) {
					want = append(want, e.Id)
				}
			}
			// Two events a page, so that the filters must survive the cursor.
			p := tc.p
			p.Limit, p.Count = lref(client.Limit(2)), lref(true)
			var got []int64
			for pages := 0; ; pages++ {
				r, err := env.Admin.ListAuditEventsWithResponse(bg, &p)
				if err != nil || r.JSON200 == nil || pages > 50 {
					t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
				}
				if *r.JSON200.Total != int64(len(want)) {
					t.Fatalf("total %d, want %d", *r.JSON200.Total, len(want))
				}
				for _, e := range r.JSON200.Items {
					got = append(got, e.Id)
				}
				if r.JSON200.NextCursor == nil {
					break
				}
				p.Cursor = r.JSON200.NextCursor
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("got %v, want %v", got, want)
			}
			if tc.name != "Future" && len(want) == 0 {
				t.Fatal("the filter matches nothing: a weak test")
			}
		})
	}
	t.Run("CursorWithOtherFilters", func(t *testing.T) {
		t.Parallel()
		r, _ := env.Admin.ListAuditEventsWithResponse(bg, &client.ListAuditEventsParams{Limit: lref(client.Limit(1))})
		if r.JSON200 == nil {
			t.Fatalf("list: %d %s", r.StatusCode(), r.Body)
		}
		r2, _ := env.Admin.ListAuditEventsWithResponse(bg, &client.ListAuditEventsParams{Action: lref(client.AuditActionAuthLogin), Cursor: r.JSON200.NextCursor})
		wantField(t, wantProblem(t, r2.HTTPResponse, r2.Body, 400), "cursor")
	})
	t.Run("CursorOfAdminIsNotForSales", func(t *testing.T) {
		t.Parallel()
		r, _ := env.Admin.ListAuditEventsWithResponse(bg, &client.ListAuditEventsParams{Limit: lref(client.Limit(1))})
		if r.JSON200 == nil {
			t.Fatalf("list: %d %s", r.StatusCode(), r.Body)
		}
		r2, _ := sales.ListAuditEventsWithResponse(bg, &client.ListAuditEventsParams{Limit: lref(client.Limit(1)), Cursor: r.JSON200.NextCursor})
		wantProblem(t, r2.HTTPResponse, r2.Body, 400)
	})
	t.Run("BadEntityType", func(t *testing.T) {
		t.Parallel()
		res, body := raw(t, "GET", env.URL+"/api/v1/audit-events?entity_type=password", nil,
			map[string]string{"Authorization": "Bearer " + adminToken})
		wantField(t, wantProblem(t, res, body, 400), "entity_type")
	})
	// An empty or unknown filter is a mistake, not a filter that matches
	// nothing.
	for name, action := range map[string]string{"EmptyAction": "", "UnknownAction": "lead.updated"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res, body := raw(t, "GET", env.URL+"/api/v1/audit-events?action="+action, nil,
				map[string]string{"Authorization": "Bearer " + adminToken})
			p := wantProblem(t, res, body, 400)
			wantField(t, p, "action")
			if action != "" && !strings.Contains(string(body), "lead.update,") {
				t.Errorf("the message does not list the actions: %s", body)
			}
		})
	}
	// Not RFC 3339 date-times (a date alone; offsets of 24 hours or 60
	// minutes, which Go's parser takes): the message shows the form.
	for _, since := range []string{"2026-11-01", "2026-11-20T00:00:00%2B24:00", "2026-11-20T00:00:00-24:00",
		"2026-11-20T00:00:00%2B00:60", "2026-11-20T00:00:00-05:60"} {
		t.Run("NotDateTime "+since, func(t *testing.T) {
			t.Parallel()
			res, body := raw(t, "GET", env.URL+"/api/v1/audit-events?since="+since, nil,
				map[string]string{"Authorization": "Bearer " + adminToken})
			p := wantProblem(t, res, body, 400)
			wantField(t, p, "since")
			if !strings.Contains(string(body), "such as 2026-11-01T09:00:00Z") || strings.Contains(string(body), "regular expression") {
				t.Fatalf("message: %s", body)
			}
		})
	}
	t.Run("UntilBeforeSince", func(t *testing.T) {
		t.Parallel()
		res, body := raw(t, "GET", env.URL+"/api/v1/audit-events?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", nil,
			map[string]string{"Authorization": "Bearer " + adminToken})
		wantField(t, wantProblem(t, res, body, 400), "until")
	})
}

func TestAuditSealAndVerify(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	_, sales := env.NewUser(auth.RoleSales)
	login(t, env, env.AdminUser.Email, "wrong password")
	n := waitSealed(t, env)
	t.Run("ListedAsSealed", func(t *testing.T) {
		for _, e := range events(t, env, client.ListAuditEventsParams{}) {
			if !e.Sealed {
				t.Errorf("event %d not sealed", e.Id)
			}
		}
	})
	t.Run("VerifyOK", func(t *testing.T) {
		v := verifyChain(t, env)
		if !v.Ok || v.Checked < n || v.FirstBrokenId != nil || v.Reason != nil {
			t.Fatalf("%+v (events %d)", v, n)
		}
	})
	// A guard switched off fails verify with no broken event and no head.
	t.Run("VerifyUnguarded", func(t *testing.T) {
		leadExec(t, env, `ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`)
		v := verifyChain(t, env)
		leadExec(t, env, `ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_append_only`)
		if v.Ok || v.FirstBrokenId != nil || v.Reason == nil || !strings.Contains(*v.Reason, "not append-only") || v.HeadId != nil {
			t.Fatalf("%+v", v)
		}
		if v := verifyChain(t, env); !v.Ok {
			t.Fatalf("back in force: %+v", v)
		}
	})
	t.Run("VerifyForbiddenToSales", func(t *testing.T) {
		r, _ := sales.VerifyAuditChainWithResponse(bg, nil)
		wantProblem(t, r.HTTPResponse, r.Body, 403)
	})
	t.Run("VerifyAnonymous", func(t *testing.T) {
		r, _ := env.Anon.VerifyAuditChainWithResponse(bg, nil)
		wantProblem(t, r.HTTPResponse, r.Body, 401)
	})
}

// TestAuditSealerWaiting: while a transaction writing to the trail stays
// open, the events committed after it began wait unsealed, and /metrics
// says how long the sealer has waited; once it ends they are sealed.
func TestAuditSealerWaiting(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	waitSealed(t, env)
	writer := holdRowLock(t, env, `LOCK TABLE audit_events IN ROW EXCLUSIVE MODE`)
	login(t, env, env.AdminUser.Email, "wrong password") // an event, committed
	waiting := func() float64 { return sealerWaiting(t, env) }
	eventually(t, 20*time.Second, "the sealer reported waiting", func() bool { return waiting() >= 2 })
	if v := verifyChain(t, env); v.Unsealed == 0 {
		t.Fatalf("nothing unsealed behind the open writer: %+v", v)
	}
	if n := metricValue(t, env, "audit_unsealed_events"); n < 1 {
		t.Errorf("audit_unsealed_events %v behind the open writer", n)
	}
	if err := writer.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	waitSealed(t, env)
	eventually(t, 10*time.Second, "the sealer no longer waiting", func() bool { return waiting() == 0 })
	eventually(t, 10*time.Second, "no unsealed event counted", func() bool { return metricValue(t, env, "audit_unsealed_events") == 0 })
}

// TestAuditSealerLockHeld: a session holding the sealer's lock while the
// chain does not move on (an instance frozen mid-seal) shows in /metrics as
// a waiting sealer, as an open writer does; once it lets go, the events
// are sealed.
func TestAuditSealerLockHeld(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	waitSealed(t, env)
	holder := holdRowLock(t, env, `SELECT pg_advisory_xact_lock(hashtextextended('jmk:audit-sealer', 0))`)
	login(t, env, env.AdminUser.Email, "wrong password") // an event, committed
	eventually(t, 20*time.Second, "the sealer reported waiting", func() bool { return sealerWaiting(t, env) >= 1 })
	if v := verifyChain(t, env); v.Unsealed == 0 {
		t.Fatalf("nothing unsealed while the lock is held: %+v", v)
	}
	if err := holder.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	waitSealed(t, env)
	eventually(t, 10*time.Second, "the sealer no longer waiting", func() bool { return sealerWaiting(t, env) == 0 })
}

// sealerWaiting reads audit_sealer_waiting_seconds from /metrics.
func sealerWaiting(t *testing.T, env *servertest.Env) float64 {
	t.Helper()
	return metricValue(t, env, "audit_sealer_waiting_seconds")
}

// metricValue reads a metric from /metrics: name is the series as the
// exposition writes it, labels included (auth_logins_total{result="failed"}).
func metricValue(t *testing.T, env *servertest.Env, name string) float64 {
	t.Helper()
	_, body := raw(t, http.MethodGet, env.URL+"/metrics", nil, nil)
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("no %s in\n%s", name, body)
	return 0
}

func TestAuditAppendOnly(t *testing.T) {
	t.Parallel()
	// The sealer stays out of the way (one run at start): a TRUNCATE ...
	// CASCADE locks audit_events, then audit_seals, and a sealing tick
	// between the two, which reads them the other way round, deadlocked it.
	env := servertest.New(t, func(c *server.Config) { c.SealInterval = time.Hour })
	// One run seals up to the events it finds when it starts; one the
	// server is still committing then (under a loaded test run) waits for
	// the next, so runs are made here until every event is sealed.
	for deadline := time.Now().Add(5 * time.Second); ; {
		if _, err := env.Store.SealOnce(bg, 5*time.Second); err != nil && !errors.Is(err, store.ErrSealerBusy) {
			t.Fatal(err)
		}
		if scalar(t, env, `SELECT count(*) FROM audit_events`) == scalar(t, env, `SELECT count(*) FROM audit_seals`) ||
			time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	waitSealed(t, env)
	for _, stmt := range []string{
		`UPDATE audit_events SET summary = 'x'`,
		`DELETE FROM audit_events`,
		`TRUNCATE audit_events CASCADE`,
		`UPDATE audit_seals SET hash = prev_hash`,
		`DELETE FROM audit_seals`,
		`TRUNCATE audit_seals`,
	} {
		t.Run(strings.Fields(stmt)[0]+"_"+strings.Fields(strings.TrimPrefix(strings.TrimPrefix(stmt, "DELETE FROM"), "TRUNCATE"))[0], func(t *testing.T) {
			t.Parallel()
			err := sql(t, env, stmt)
			var pg *pgconn.PgError
			if !errors.As(err, &pg) || pg.Code != "42501" || !strings.Contains(pg.Message, "append-only") {
				t.Fatalf("%s: want the append-only refusal, got %v", stmt, err)
			}
		})
	}
}

// TestAuditTriggersAlways: the append-only triggers fire in replication
// sessions too (tgenabled 'A'), so a superuser's SET session_replication_role
// = replica does not get past them without DDL.
func TestAuditTriggersAlways(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	if n := scalar(t, env, `SELECT count(*) FROM pg_trigger
		WHERE tgrelid IN ('audit_events'::regclass, 'audit_seals'::regclass) AND NOT tgisinternal AND tgenabled = 'A'`); n != 4 {
		t.Fatalf("%d of the 4 append-only triggers fire always", n)
	}
}

// tamper runs statements with the append-only triggers disabled, as a
// superuser could.
func tamper(t *testing.T, env *servertest.Env, stmts ...string) {
	t.Helper()
	all := []string{`BEGIN`,
		`ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only`,
		`ALTER TABLE audit_seals DISABLE TRIGGER audit_seals_append_only`}
	all = append(all, stmts...)
	all = append(all,
		`ALTER TABLE audit_events ENABLE ALWAYS TRIGGER audit_events_append_only`,
		`ALTER TABLE audit_seals ENABLE ALWAYS TRIGGER audit_seals_append_only`, `COMMIT`)
	if err := sql(t, env, all...); err != nil {
		t.Fatal(err)
	}
}

func TestAuditTamper(t *testing.T) {
	t.Parallel()
	// A few events to choose from.
	setup := func(t *testing.T) (*servertest.Env, []int64) {
		env := servertest.New(t)
		for range 3 {
			env.NewUser(auth.RoleSales)
		}
		waitSealed(t, env)
		if v := verifyChain(t, env); !v.Ok {
			t.Fatalf("intact chain refused: %+v", v)
		}
		var ids []int64
		for _, e := range events(t, env, client.ListAuditEventsParams{}) {
			ids = append([]int64{e.Id}, ids...)
		}
		return env, ids
	}
	for _, tc := range []struct {
		name   string
		stmts  func(ids []int64) []string
		broken func(ids []int64) int64
	}{
		{"EditedSummary", func(ids []int64) []string {
			return []string{fmt.Sprintf(`UPDATE audit_events SET summary = 'x' WHERE id = %d`, ids[3])}
		}, func(ids []int64) int64 { return ids[3] }},
		{"EditedChanges", func(ids []int64) []string {
			return []string{fmt.Sprintf(`UPDATE audit_events SET changes = '{"role": {"from": "sales", "to": "admin"}}' WHERE id = %d`, ids[1])}
		}, func(ids []int64) int64 { return ids[1] }},
		{"EditedLastEvent", func(ids []int64) []string {
			return []string{fmt.Sprintf(`UPDATE audit_events SET actor_name = 'someone' WHERE id = %d`, ids[len(ids)-1])}
		}, func(ids []int64) int64 { return ids[len(ids)-1] }},
		{"DeletedWithItsSeal", func(ids []int64) []string {
			return []string{fmt.Sprintf(`DELETE FROM audit_seals WHERE event_id = %d`, ids[2]),
				fmt.Sprintf(`DELETE FROM audit_events WHERE id = %d`, ids[2])}
		}, func(ids []int64) int64 { return ids[3] }},
		// Behind the foreign key's back too: the seal left names the event.
		{"DeletedSealKept", func(ids []int64) []string {
			return []string{`ALTER TABLE audit_seals DROP CONSTRAINT audit_seals_event_id_fkey`, fmt.Sprintf(`DELETE FROM audit_events WHERE id = %d`, ids[2])}
		}, func(ids []int64) int64 { return ids[2] }},
		{"SealRemoved", func(ids []int64) []string {
			return []string{fmt.Sprintf(`DELETE FROM audit_seals WHERE event_id = %d`, ids[2])}
		}, func(ids []int64) int64 { return ids[2] }},
		{"Swapped", func(ids []int64) []string {
			return []string{fmt.Sprintf(`UPDATE audit_events SET summary = CASE id WHEN %[1]d THEN (SELECT summary FROM audit_events WHERE id = %[2]d) ELSE (SELECT summary FROM audit_events WHERE id = %[1]d) END WHERE id IN (%[1]d, %[2]d)`, ids[1], ids[2])}
		}, func(ids []int64) int64 { return ids[1] }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			env, ids := setup(t)
			if len(ids) < 5 {
				t.Fatalf("only %d events", len(ids))
			}
			tamper(t, env, tc.stmts(ids)...)
			v := verifyChain(t, env)
			want := tc.broken(ids)
			if v.Ok || v.FirstBrokenId == nil || *v.FirstBrokenId != want || v.Reason == nil || *v.Reason == "" {
				t.Fatalf("verify %s, want first_broken_id %d", mustJSON(v), want)
			}
			// The verdict stays while new events are sealed after it.
			env.NewUser(auth.RoleSales)
			eventually(t, 10*time.Second, "the new event sealed", func() bool {
				return scalar(t, env, `SELECT count(*) FROM audit_seals WHERE event_id = (SELECT max(id) FROM audit_events)`) == 1
			})
			if v := verifyChain(t, env); v.Ok || *v.FirstBrokenId != want {
				t.Fatalf("later verify %s", mustJSON(v))
			}
		})
	}
}

// TestAuditAnchor rewrites the trail the way only an anchor can show:
// the seals from one event on are deleted, the event is changed, and the
// running sealer links everything again.
func TestAuditAnchor(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	env := servertest.NewWithLog(t, &logs)
	for range 3 {
		env.NewUser(auth.RoleSales)
	}
	waitSealed(t, env)
	head := verifyChain(t, env)
	lastID := scalar(t, env, `SELECT max(id) FROM audit_events`)
	if !head.Ok || head.HeadId == nil || *head.HeadId != lastID || head.HeadHash == nil || len(*head.HeadHash) != 64 {
		t.Fatalf("head of an intact chain: %s, last event %d", mustJSON(head), lastID)
	}
	anchor := client.VerifyAuditChainParams{AnchorId: head.HeadId, AnchorHash: head.HeadHash}
	if v := verifyAnchored(t, env, anchor); !v.Ok {
		t.Fatalf("intact chain against its own head: %s", mustJSON(v))
	}

	// The sealer logs its head, for logs kept elsewhere to hold anchors.
	var logged string
	eventually(t, 5*time.Second, "a logged head", func() bool {
		for l := range strings.Lines(logs.String()) {
			if strings.Contains(l, "audit chain head") {
				_, logged, _ = strings.Cut(strings.TrimSpace(l), "anchor=")
			}
		}
		return logged != ""
	})
	a, err := audit.ParseAnchor(logged)
	if err != nil {
		t.Fatalf("logged anchor %q: %v", logged, err)
	}
	hash := hex.EncodeToString(a.Hash)
	if v := verifyAnchored(t, env, client.VerifyAuditChainParams{AnchorId: &a.ID, AnchorHash: &hash}); !v.Ok {
		t.Fatalf("verify against the logged head %s: %s", logged, mustJSON(v))
	}

	t.Run("BadAnchor", func(t *testing.T) {
		hash := *head.HeadHash
		for _, tc := range []struct {
			name, query, field string
		}{
			{"IDWithoutHash", fmt.Sprintf("anchor_id=%d", lastID), "anchor_hash"},
			{"HashWithoutID", "anchor_hash=" + hash, "anchor_id"},
			{"ShortHash", fmt.Sprintf("anchor_id=%d&anchor_hash=%s", lastID, hash[:10]), "anchor_hash"},
			{"UpperCaseHash", fmt.Sprintf("anchor_id=%d&anchor_hash=%s", lastID, strings.ToUpper(hash)), "anchor_hash"},
			{"ZeroID", "anchor_id=0&anchor_hash=" + hash, "anchor_id"},
			{"TextID", "anchor_id=last&anchor_hash=" + hash, "anchor_id"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				token := env.Login(env.AdminUser.Email).AccessToken
				res, body := raw(t, "GET", env.URL+"/api/v1/audit-events/verify?"+tc.query, nil,
					map[string]string{"Authorization": "Bearer " + token})
				wantField(t, wantProblem(t, res, body, 400), tc.field)
			})
		}
	})
	t.Run("UnknownEvent", func(t *testing.T) {
		id := lastID + 1000
		v := verifyAnchored(t, env, client.VerifyAuditChainParams{AnchorId: &id, AnchorHash: head.HeadHash})
		if v.Ok || v.FirstBrokenId == nil || *v.FirstBrokenId != id {
			t.Fatalf("anchor past the end: %s", mustJSON(v))
		}
	})

	t.Run("Rewritten", func(t *testing.T) {
		// The sealer idle first: one still linking the logins above could
		// seal the newest event on top of seals the tampering deletes.
		waitSealed(t, env)
		// An event before the anchor (the subtests above logged in since).
		edited := scalar(t, env, `SELECT max(id) FROM audit_events WHERE id < $1`, lastID)
		tamper(t, env, fmt.Sprintf(`DELETE FROM audit_seals WHERE event_id >= %d`, edited),
			fmt.Sprintf(`UPDATE audit_events SET summary = 'Nothing happened here' WHERE id = %d`, edited))
		waitSealed(t, env)
		if v := verifyChain(t, env); !v.Ok {
			t.Fatalf("the chain alone was expected not to see this: %s", mustJSON(v))
		}
		v := verifyAnchored(t, env, anchor)
		if v.Ok || v.FirstBrokenId == nil || *v.FirstBrokenId != lastID || v.Reason == nil || !strings.Contains(*v.Reason, "anchor") {
			t.Fatalf("verify against the earlier head: %s", mustJSON(v))
		}
		// A broken verdict offers no head for a monitor to keep instead.
		if v.HeadId != nil || v.HeadHash != nil {
			t.Errorf("a broken chain returned the head %v %v", *v.HeadId, *v.HeadHash)
		}
	})
}

func TestAuditSealerConcurrent(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, throttle(10000, 10000))
	ctx, cancel := context.WithCancel(bg)
	// Two more sealers besides the server's own.
	var sealers sync.WaitGroup
	defer sealers.Wait()
	defer cancel()
	for range 2 {
		sealers.Add(1)
		go func() {
			defer sealers.Done()
			for ctx.Err() == nil {
				if _, err := env.Store.SealOnce(ctx, time.Second); err != nil && ctx.Err() == nil &&
					!errors.Is(err, store.ErrWritersOpen) && !errors.Is(err, store.ErrSealerBusy) {
					t.Errorf("seal: %v", err)
				}
			}
		}()
	}
	// Known users with the fixture's cheap hash: an unknown e-mail costs a
	// full bcrypt comparison, a hundred of them minutes under -race.
	emails := make([]string, 20)
	for w := range emails {
		emails[w] = newUser(t, env, "Writer", fmt.Sprintf("writer%d@example.com", w), auth.RoleSales).Email
	}
	var writers sync.WaitGroup
	for w := range 20 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for i := range 10 {
				if i%2 == 0 {
					// An account per writer: one account's password checks
					// wait for each other, and over 16 at once get 429.
					if r := login(t, env, emails[w], "wrong password"); r.StatusCode() != 401 {
						t.Errorf("failed login: %d", r.StatusCode())
					}
					continue
				}
				if _, err := env.Store.UserCreate(bg, audit.System, store.NewUser{Name: "W", Email: fmt.Sprintf("w%d-%d@example.com", w, i),
					PasswordHash: "x", Role: auth.RoleSales}); err != nil {
					t.Errorf("create: %v", err)
				}
			}
		}()
	}
	writers.Wait()
	n := waitSealed(t, env)
	if n < 200 {
		t.Fatalf("only %d events", n)
	}
	v := verifyChain(t, env)
	if !v.Ok || v.Checked != n || v.Unsealed != 0 {
		t.Fatalf("verify %s, %d events", mustJSON(v), n)
	}
	// Sealed in id order without gaps: every seal's prev_hash is the hash
	// of the event sealed just before it.
	if k := scalar(t, env, `SELECT count(*) FROM (SELECT prev_hash, lag(hash) OVER (ORDER BY event_id) AS before
		FROM audit_seals) s WHERE before IS NOT NULL AND prev_hash <> before`); k != 0 {
		t.Fatalf("%d seals do not follow their predecessor", k)
	}
}

func TestBootstrapAdmin(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	// There are users: nothing to do.
	var out strings.Builder
	if err := server.BootstrapAdmin(bg, env.Store, env.App.Cfg, env.App.Log, &out); err != nil || out.Len() != 0 {
		t.Fatalf("%v %q", err, out.String())
	}
}

// TestAuditSalesFeedHidesDeletedLeads: once a lead is deleted, sales no
// longer read its events (whose changes hold its phone, e-mail and notes)
// nor those of its contacts; admins still read every one.
func TestAuditSalesFeedHidesDeletedLeads(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	_, sales := env.NewUser(auth.RoleSales)
	gone := leadMustCreate(t, sales, client.LeadCreate{Name: "Gone Lead", Phone: lref("+351 912 000 111")})
	kept := leadMustCreate(t, sales, client.LeadCreate{Name: "Kept Lead"})
	for _, l := range []client.Lead{gone, kept} {
		if r, _ := sales.CreateLeadActivityWithResponse(bg, l.Id, client.ActivityCreate{Kind: client.ActivityKindCall}); r.JSON201 == nil {
			t.Fatalf("contact: %d %s", r.StatusCode(), r.Body)
		}
	}
	if r, _ := env.Admin.DeleteLeadWithResponse(bg, gone.Id, nil); r.StatusCode() != 204 {
		t.Fatal(r.StatusCode())
	}
	r, err := sales.ListAuditEventsWithResponse(bg, &client.ListAuditEventsParams{Count: lref(true)})
	if err != nil || r.JSON200 == nil {
		t.Fatalf("%v %d", err, r.StatusCode())
	}
	for _, e := range r.JSON200.Items {
		if strings.Contains(e.Summary, "Gone Lead") || strings.Contains(string(mustJSON(e.Changes)), "912 000 111") {
			t.Errorf("sales read an event of the deleted lead: %s", mustJSON(e))
		}
	}
	keptSeen := 0
	for _, e := range r.JSON200.Items {
		if strings.Contains(e.Summary, "Kept Lead") {
			keptSeen++
		}
	}
	if keptSeen < 2 || *r.JSON200.Total != int64(len(r.JSON200.Items)) {
		t.Fatalf("the kept lead's events: %d seen, total %d of %d listed", keptSeen, *r.JSON200.Total, len(r.JSON200.Items))
	}
	if all := events(t, env, client.ListAuditEventsParams{EntityId: lref(gone.Id.String())}); len(all) < 2 {
		t.Fatalf("admins lost the deleted lead's events: %d", len(all))
	}
}

// TestAuditFollow: a reader following the trail with after_id gets every
// event once, oldest first, and never one whose smaller neighbour could
// still commit: an event committed behind an open writer waits until it is
// sealed.
func TestAuditFollow(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	_, sales := env.NewUser(auth.RoleSales)
	for i := range 3 {
		leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Follow " + strconv.Itoa(i)})
	}
	waitSealed(t, env)
	follow := func(c *client.ClientWithResponses, after int64, lim int) []client.AuditEvent {
		t.Helper()
		l := client.Limit(lim)
		r, err := c.ListAuditEventsWithResponse(bg, &client.ListAuditEventsParams{AfterId: &after, Limit: &l})
		if err != nil || r.JSON200 == nil || r.JSON200.NextCursor != nil {
			t.Fatalf("after %d: %v %d %s", after, err, r.StatusCode(), r.Body)
		}
		return r.JSON200.Items
	}
	// Pages of 2, each going on from the last id read: every event, once.
	var got []int64
	for after := int64(0); ; {
		page := follow(env.Admin, after, 2)
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if !e.Sealed || e.Id <= after {
				t.Fatalf("event %d after %d (sealed %v)", e.Id, after, e.Sealed)
			}
			got, after = append(got, e.Id), e.Id
		}
	}
	var want []int64
	leadScan(t, env, `SELECT array_agg(id ORDER BY id) FROM audit_events`, nil, &want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("followed %v, want %v", got, want)
	}
	last := got[len(got)-1]

	// Behind an open writer the next event commits unsealed: the list
	// shows it, the follower does not yet.
	writer := holdRowLock(t, env, `LOCK TABLE audit_events IN ROW EXCLUSIVE MODE`)
	login(t, env, env.AdminUser.Email, "wrong password")
	if ev := events(t, env, client.ListAuditEventsParams{}); ev[0].Id <= last || ev[0].Sealed {
		t.Fatalf("newest event %d sealed %v", ev[0].Id, ev[0].Sealed)
	}
	if page := follow(env.Admin, last, 50); len(page) != 0 {
		t.Fatalf("an unsealed event followed: %d", page[0].Id)
	}
	if err := writer.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the event followed once sealed", func() bool {
		page := follow(env.Admin, last, 50)
		return len(page) == 1 && page[0].Action == client.AuditActionAuthLoginFailed
	})

	// Sales follow the team feed only.
	for _, e := range follow(sales, 0, 200) {
		if e.EntityType != "lead" && e.EntityType != "activity" && e.EntityType != "import" {
			t.Errorf("sales followed a %s event", e.EntityType)
		}
	}
	// A cursor or a count goes with the newest-first pages only.
	cursor, yes, zero := "x", true, int64(0)
	for field, p := range map[string]client.ListAuditEventsParams{
		"cursor":   {AfterId: &zero, Cursor: &cursor},
		"count":    {AfterId: &zero, Count: &yes},
		"after_id": {AfterId: lref(int64(-1))},
	} {
		r, err := env.Admin.ListAuditEventsWithResponse(bg, &p)
		if err != nil {
			t.Fatal(err)
		}
		wantField(t, wantProblem(t, r.HTTPResponse, r.Body, 400), field)
	}
}
