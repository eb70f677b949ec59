package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server/servertest"
)

func TestActivityCreate(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	seller, sales := env.NewUser("sales")
	_, rival := env.NewUser("sales")

	t.Run("OK/CallMovesNewToContacted", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Rui Costa"})
		at := time.Now().Add(-time.Hour).UTC().Truncate(time.Microsecond)
		r, err := sales.CreateLeadActivityWithResponse(ctx, l.Id, client.ActivityCreate{
			Kind: client.ActivityKindCall, Outcome: lref("no answer"), DurationSec: lref(int32(35)), Notes: lref("try later"),
			OccurredAt: &at,
		})
		if err != nil || r.JSON201 == nil {
			t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
		}
		a := *r.JSON201
		if a.LeadId != l.Id || a.UserId == nil || *a.UserId != seller.Id || a.Kind != client.ActivityKindCall ||
			!a.OccurredAt.Equal(at) || *a.Outcome != "no answer" || *a.DurationSec != 35 {
			t.Errorf("activity %+v", a)
		}
		got := leadMustGet(t, sales, l.Id)
		if got.Status != client.LeadStatusContacted || got.Version != 2 || got.ContactCount != 1 ||
			got.LastContactedAt == nil || !got.LastContactedAt.Equal(at) {
			t.Errorf("lead after the call: status %s version %d count %d last %v", got.Status, got.Version, got.ContactCount, got.LastContactedAt)
		}
		// The 201 tells an edit form opened before the call its next If-Match.
		if want := (client.LeadAfterContact{Version: got.Version, Status: got.Status, ContactCount: 1, LastContactedAt: got.LastContactedAt}); a.Lead.Version != want.Version ||
			a.Lead.Status != want.Status || a.Lead.ContactCount != want.ContactCount || !a.Lead.LastContactedAt.Equal(*want.LastContactedAt) {
			t.Errorf("lead in the 201 %+v, want %+v", a.Lead, want)
		}
		// The database agrees, and holds exactly one activity.
		var n int64
		var status string
		leadScan(t, env, `SELECT (SELECT count(*) FROM activities WHERE lead_id = $1), status FROM leads WHERE id = $1`,
			[]any{l.Id}, &n, &status)
		if n != 1 || status != "contacted" {
			t.Errorf("stored: %d activities, status %s", n, status)
		}
		// Two events: the activity's and the lead's status change.
		ev := leadEvent(t, env, a.Id, "activity.create")
		if ev.EntityType != "activity" || ev.Summary != seller.Name+" logged a call with lead Rui Costa (no answer)" {
			t.Errorf("activity event %+v", ev)
		}
		if c := ev.Changes["lead.contact_count"]; c.From != float64(0) || c.To != float64(1) {
			t.Errorf("contact_count change %+v", c)
		}
		if ev.Changes["kind"].To != "call" || ev.Changes["lead_id"].To != l.Id.String() {
			t.Errorf("changes %v", ev.Changes)
		}
		lev := leadEvent(t, env, l.Id, "lead.update")
		if lev.Summary != seller.Name+" moved lead Rui Costa from new to contacted by logging a call" ||
			lev.Changes["status"].From != "new" || lev.Changes["status"].To != "contacted" {
			t.Errorf("lead event %+v", lev)
		}
		// The lead's own history shows its last contact move, as the activity's event does.
		for _, c := range []client.FieldChange{lev.Changes["last_contacted_at"], ev.Changes["lead.last_contacted_at"]} {
			if to, _ := c.To.(string); c.From != nil || to != at.UTC().Format(time.RFC3339Nano) {
				t.Errorf("last_contacted_at change %+v, want from none to %s", c, at.UTC().Format(time.RFC3339Nano))
			}
		}
		if lev.RequestId == nil || ev.RequestId == nil || *lev.RequestId != *ev.RequestId {
			t.Errorf("the two events do not share the request: %v %v", lev.RequestId, ev.RequestId)
		}

		// An older contact: the count grows, last_contacted_at stays, no new version.
		older := at.Add(-24 * time.Hour)
		r, _ = sales.CreateLeadActivityWithResponse(ctx, l.Id, client.ActivityCreate{Kind: client.ActivityKindWhatsapp, OccurredAt: &older})
		if r.JSON201 == nil {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		got = leadMustGet(t, sales, l.Id)
		if got.ContactCount != 2 || !got.LastContactedAt.Equal(at) || got.Version != 2 || got.Status != client.LeadStatusContacted {
			t.Errorf("after an older contact: count %d last %v version %d status %s", got.ContactCount, got.LastContactedAt, got.Version, got.Status)
		}
		// A newer one moves last_contacted_at forward.
		r, _ = sales.CreateLeadActivityWithResponse(ctx, l.Id, client.ActivityCreate{Kind: client.ActivityKindEmail})
		if r.JSON201 == nil {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		got = leadMustGet(t, sales, l.Id)
		if got.ContactCount != 3 || !got.LastContactedAt.Equal(r.JSON201.OccurredAt) || time.Since(r.JSON201.OccurredAt) > time.Minute {
			t.Errorf("after a contact now: count %d last %v", got.ContactCount, got.LastContactedAt)
		}
	})
	t.Run("OK/NoteHasNoSideEffects", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Ana"})
		r, _ := sales.CreateLeadActivityWithResponse(ctx, l.Id, client.ActivityCreate{Kind: client.ActivityKindNote, Notes: lref("prefers e-mail")})
		if r.JSON201 == nil {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		got := leadMustGet(t, sales, l.Id)
		if got.Status != client.LeadStatusNew || got.ContactCount != 0 || got.LastContactedAt != nil || got.Version != 1 {
			t.Errorf("note changed the lead: %+v", got)
		}
		if ev := leadEvent(t, env, r.JSON201.Id, "activity.create"); ev.Summary != seller.Name+" added a note to lead Ana" {
			t.Errorf("summary %q", ev.Summary)
		}
		if evs := leadEvents(t, env, l.Id); len(evs) != 1 {
			t.Errorf("lead events %d, want only lead.create", len(evs))
		}
	})
	t.Run("OK/MultiLineOutcomeSummaryOnOneLine", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Eva Lopes"})
		r, err := sales.CreateLeadActivityWithResponse(ctx, l.Id, client.ActivityCreate{
			Kind: client.ActivityKindCall, Outcome: lref("busy\r\ncall back\tafter 5"),
		})
		if err != nil || r.JSON201 == nil {
			t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
		}
		if *r.JSON201.Outcome != "busy\r\ncall back\tafter 5" {
			t.Errorf("outcome stored as %q", *r.JSON201.Outcome)
		}
		ev := leadEvent(t, env, r.JSON201.Id, "activity.create")
		if want := seller.Name + " logged a call with lead Eva Lopes (busy call back after 5)"; ev.Summary != want {
			t.Errorf("summary %q, want %q", ev.Summary, want)
		}
	})

	t.Run("OK/FollowUpStaysFollowUp", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Ana"})
		u, _ := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{Status: lref(client.LeadStatusFollowUp)})
		if u.JSON200 == nil {
			t.Fatalf("%d %s", u.StatusCode(), u.Body)
		}
		r, _ := sales.CreateLeadActivityWithResponse(ctx, l.Id, client.ActivityCreate{Kind: client.ActivityKindMeeting})
		if r.JSON201 == nil {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		got := leadMustGet(t, sales, l.Id)
		if got.Status != client.LeadStatusFollowUp || got.Version != 2 || got.ContactCount != 1 {
			t.Errorf("lead %s v%d count %d", got.Status, got.Version, got.ContactCount)
		}
	})
	t.Run("OK/AdminOnUnassigned", func(t *testing.T) {
		l := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Ana"})
		r, _ := env.Admin.CreateLeadActivityWithResponse(ctx, l.Id, client.ActivityCreate{Kind: client.ActivityKindCall})
		if r.JSON201 == nil || *r.JSON201.UserId != env.AdminUser.Id {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
	})
	t.Run("OK/SlightlyFastClock", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Ana"})
		soon := time.Now().Add(2 * time.Minute)
		r, _ := sales.CreateLeadActivityWithResponse(ctx, l.Id, client.ActivityCreate{Kind: client.ActivityKindCall, OccurredAt: &soon})
		loggedAt(t, env, r, soon)
	})
	for name, at := range map[string]time.Time{
		"Future":       time.Now().Add(time.Hour),
		"Year1":        time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		"MistypedYear": time.Date(26, 12, 5, 10, 0, 0, 0, time.UTC),
		"Before2000":   time.Date(1999, 12, 31, 23, 59, 59, 0, time.UTC),
	} {
		t.Run("ErrUnprocessable/"+name, func(t *testing.T) {
			l := leadMustCreate(t, sales, client.LeadCreate{Name: "Ana"})
			r, _ := sales.CreateLeadActivityWithResponse(ctx, l.Id, client.ActivityCreate{Kind: client.ActivityKindCall, OccurredAt: &at})
			leadProblem(t, name, r.StatusCode(), r.Body, 422, "occurred_at")
			if got := leadMustGet(t, sales, l.Id); got.ContactCount != 0 || got.Status != client.LeadStatusNew {
				t.Errorf("refused activity changed the lead: %+v", got)
			}
		})
	}
	t.Run("OK/Year2000", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Ana"})
		at := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
		r, _ := sales.CreateLeadActivityWithResponse(ctx, l.Id, client.ActivityCreate{Kind: client.ActivityKindCall, OccurredAt: &at})
		loggedAt(t, env, r, at)
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		theirs := leadMustCreate(t, rival, client.LeadCreate{Name: "Theirs"})
		unassigned := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Nobody's"})
		writesNothing(t, env, func() {
			r, _ := sales.CreateLeadActivityWithResponse(ctx, theirs.Id, client.ActivityCreate{Kind: client.ActivityKindCall})
			leadProblem(t, "other seller's lead", r.StatusCode(), r.Body, 403, "")
			r, _ = sales.CreateLeadActivityWithResponse(ctx, unassigned.Id, client.ActivityCreate{Kind: client.ActivityKindCall})
			leadProblem(t, "unassigned lead", r.StatusCode(), r.Body, 403, "")
		})
		// Claiming it first makes it theirs to log on.
		u, _ := sales.UpdateLeadWithResponse(ctx, unassigned.Id, leadIfMatch(1), client.LeadPatch{AssignedTo: nullable.NewNullableWithValue("me")})
		if u.JSON200 == nil {
			t.Fatalf("claim: %d %s", u.StatusCode(), u.Body)
		}
		r, _ := sales.CreateLeadActivityWithResponse(ctx, unassigned.Id, client.ActivityCreate{Kind: client.ActivityKindCall})
		if r.JSON201 == nil {
			t.Errorf("after claiming: %d %s", r.StatusCode(), r.Body)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		r, _ := sales.CreateLeadActivityWithResponse(ctx, uuid.New(), client.ActivityCreate{Kind: client.ActivityKindCall})
		leadProblem(t, "unknown lead", r.StatusCode(), r.Body, 404, "")
		gone := leadMustCreate(t, sales, client.LeadCreate{Name: "Gone"})
		if d, _ := env.Admin.DeleteLeadWithResponse(ctx, gone.Id, nil); d.StatusCode() != 204 {
			t.Fatal(d.StatusCode())
		}
		writesNothing(t, env, func() {
			r, _ = sales.CreateLeadActivityWithResponse(ctx, gone.Id, client.ActivityCreate{Kind: client.ActivityKindCall})
			leadProblem(t, "deleted lead", r.StatusCode(), r.Body, 404, "")
		})
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		r, _ := env.Anon.CreateLeadActivityWithResponse(ctx, uuid.New(), client.ActivityCreate{Kind: client.ActivityKindCall})
		leadProblem(t, "no token", r.StatusCode(), r.Body, 401, "")
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Ana"})
		token := env.Login(seller.Email).AccessToken
		path := "/api/v1/leads/" + l.Id.String() + "/activities"
		writesNothing(t, env, func() {
			for _, tc := range []struct{ body, field string }{
				{`{}`, "kind"},
				{`{"kind": "fax"}`, "kind"},
				{`{"kind": "call", "duration_sec": -1}`, "duration_sec"},
				{`{"kind": "call", "mood": "great"}`, "mood"},
				{`{"kind": "call", "occurred_at": "yesterday"}`, "occurred_at"},
				// The outcome is quoted in the team's feed: no invisible direction
				// control to make the rest read as other text, no control
				// character other than tab and line breaks.
				{`{"kind": "call", "outcome": "no answer \u202eevil"}`, "outcome"},
				{`{"kind": "call", "outcome": "no answer\u0007"}`, "outcome"},
				// Notes follow a lead's notes' rules.
				{`{"kind": "note", "notes": "a\u0001b"}`, "notes"},
			} {
				status, body := leadRaw(t, env, token, "POST", path, tc.body)
				leadProblem(t, tc.body, status, body, 400, tc.field)
			}
			// A date and a time with a space between is not taken for an
			// offset's + that a URL turned into a space: no advice on URLs.
			status, body := leadRaw(t, env, token, "POST", path, `{"kind": "call", "occurred_at": "2026-12-07 10:00"}`)
			leadProblem(t, "space for T", status, body, 400, "occurred_at")
			if !strings.Contains(string(body), "such as 2026-11-01T09:00:00Z") || strings.Contains(string(body), "%2B") {
				t.Errorf("space for T: %s", body)
			}
			status, body = leadRaw(t, env, token, "POST", "/api/v1/leads/nope/activities", `{"kind": "call"}`)
			leadProblem(t, "malformed id", status, body, 400, leadMalformed)
		})
	})
	// Blank notes are stored as none, CR LF as LF, as a lead's notes are.
	t.Run("OK/NotesAsALeadsNotes", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Eva"})
		for notes, want := range map[string]*string{"   ": nil, "one\r\ntwo": lref("one\ntwo")} {
			r, err := sales.CreateLeadActivityWithResponse(ctx, l.Id, client.ActivityCreate{Kind: client.ActivityKindNote, Notes: lref(notes)})
			if err != nil || r.JSON201 == nil {
				t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
			}
			if got := r.JSON201.Notes; (got == nil) != (want == nil) || got != nil && *got != *want {
				t.Errorf("notes %q stored as %v", notes, got)
			}
		}
	})
}

func TestActivityList(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	seller, sales := env.NewUser("sales")
	_, colleague := env.NewUser("sales")
	l := leadMustCreate(t, sales, client.LeadCreate{Name: "Rui"})
	other := leadMustCreate(t, sales, client.LeadCreate{Name: "Other"})
	base := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Second)
	var want []uuid.UUID // newest first
	for i := range 7 {
		at := base.Add(time.Duration(i%5) * time.Hour) // ties on occurred_at on purpose
		r, _ := sales.CreateLeadActivityWithResponse(ctx, l.Id, client.ActivityCreate{Kind: client.ActivityKindCall, OccurredAt: &at})
		if r.JSON201 == nil {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		want = append(want, r.JSON201.Id)
	}
	if r, _ := sales.CreateLeadActivityWithResponse(ctx, other.Id, client.ActivityCreate{Kind: client.ActivityKindNote}); r.JSON201 == nil {
		t.Fatal(r.StatusCode())
	}
	// Expected order: occurred_at desc, id desc (ids are time-ordered UUIDv7).
	want = leadActivityOrder(t, env, l.Id)

	t.Run("OK/Paged", func(t *testing.T) {
		for _, limit := range []int32{50, 3, 1} {
			var got []uuid.UUID
			p := client.ListLeadActivitiesParams{Limit: &limit, Count: lref(true)}
			for {
				r, err := colleague.ListLeadActivitiesWithResponse(ctx, l.Id, &p) // the team sees every log
				if err != nil || r.JSON200 == nil {
					t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
				}
				if *r.JSON200.Total != 7 {
					t.Errorf("total %d", *r.JSON200.Total)
				}
				for _, a := range r.JSON200.Items {
					got = append(got, a.Id)
					if a.LeadId != l.Id || *a.UserId != seller.Id {
						t.Errorf("activity %+v", a)
					}
				}
				if r.JSON200.NextCursor == nil {
					break
				}
				p.Cursor = r.JSON200.NextCursor
			}
			if len(got) != len(want) {
				t.Fatalf("limit %d: %d activities, want %d", limit, len(got), len(want))
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("limit %d: order %v, want %v", limit, got, want)
				}
			}
		}
	})
	t.Run("OK/Empty", func(t *testing.T) {
		fresh := leadMustCreate(t, sales, client.LeadCreate{Name: "Fresh"})
		r, _ := sales.ListLeadActivitiesWithResponse(ctx, fresh.Id, &client.ListLeadActivitiesParams{})
		if r.JSON200 == nil || len(r.JSON200.Items) != 0 || r.JSON200.NextCursor != nil {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
	})
	t.Run("ErrBadRequest/ForeignCursor", func(t *testing.T) {
		r, _ := sales.ListLeadActivitiesWithResponse(ctx, l.Id, &client.ListLeadActivitiesParams{Limit: lref(client.Limit(1))})
		if r.JSON200 == nil {
			t.Fatalf("list: %d %s", r.StatusCode(), r.Body)
		}
		r2, _ := sales.ListLeadActivitiesWithResponse(ctx, other.Id, &client.ListLeadActivitiesParams{Cursor: r.JSON200.NextCursor})
		leadProblem(t, "other lead's cursor", r2.StatusCode(), r2.Body, 400, "cursor")
	})
	t.Run("ErrBadRequest/Limit", func(t *testing.T) {
		for _, limit := range []client.Limit{0, -1, 201} {
			r, _ := sales.ListLeadActivitiesWithResponse(ctx, l.Id, &client.ListLeadActivitiesParams{Limit: &limit})
			leadProblem(t, fmt.Sprintf("limit %d", limit), r.StatusCode(), r.Body, 400, "limit")
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		r, _ := sales.ListLeadActivitiesWithResponse(ctx, uuid.New(), &client.ListLeadActivitiesParams{})
		leadProblem(t, "unknown lead", r.StatusCode(), r.Body, 404, "")
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		r, _ := env.Anon.ListLeadActivitiesWithResponse(ctx, l.Id, &client.ListLeadActivitiesParams{})
		leadProblem(t, "no token", r.StatusCode(), r.Body, 401, "")
	})
}

// leadActivityOrder is a lead's activities in the list's order, from the database.
func leadActivityOrder(t *testing.T, env *servertest.Env, lead uuid.UUID) []uuid.UUID {
	t.Helper()
	var ids []uuid.UUID
	leadScan(t, env, `SELECT array_agg(id ORDER BY occurred_at DESC, id DESC) FROM activities WHERE lead_id = $1`, []any{lead}, &ids)
	return ids
}

// loggedAt checks that a lead's first contact was logged at the time given
// (to PostgreSQL's microsecond), in the answer and in the database, and
// counted on the lead.
func loggedAt(t *testing.T, env *servertest.Env, r *client.CreateLeadActivityResponse, at time.Time) {
	t.Helper()
	if r.JSON201 == nil {
		t.Fatalf("%d %s", r.StatusCode(), r.Body)
	}
	a, want := r.JSON201, at.Truncate(time.Microsecond)
	if !a.OccurredAt.Equal(want) || a.Lead.ContactCount != 1 || a.Lead.LastContactedAt == nil || !a.Lead.LastContactedAt.Equal(want) {
		t.Errorf("logged at %v, lead %+v; want %v", a.OccurredAt, a.Lead, want)
	}
	if n := scalar(t, env, `SELECT count(*) FROM activities x JOIN leads l ON l.id = x.lead_id
		WHERE x.id = $1 AND x.occurred_at = $2 AND l.last_contacted_at = $2 AND l.contact_count = 1`, a.Id, want); n != 1 {
		t.Errorf("activity %s not stored at %v", a.Id, want)
	}
}
