package server_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/servertest"
	"github.com/jmksales/jmk/server/store"
)

func TestLeadCreate(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	seller, sales := env.NewUser("sales")
	other, _ := env.NewUser("sales")

	t.Run("OK/SalesAssignedToSelf", func(t *testing.T) {
		r, err := sales.CreateLeadWithResponse(ctx, client.LeadCreate{
			Name: "  Rui Costa ", Phone: lref("+351 912 345 678"), Email: lref(client.Email("rui@example.com")),
			Age: lref(int32(41)), Job: lref(client.JobTechnician), Notes: lref("met at the fair"),
		})
		if err != nil || r.JSON201 == nil {
			t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
		}
		l := *r.JSON201
		if l.Name != "Rui Costa" || l.Status != client.LeadStatusNew || l.Version != 1 || l.ContactCount != 0 {
			t.Errorf("lead: %+v", l)
		}
		if l.AssignedTo == nil || *l.AssignedTo != seller.Id {
			t.Errorf("assigned_to %v, want the creating seller", l.AssignedTo)
		}
		if got := r.HTTPResponse.Header.Get("ETag"); got != `"1"` {
			t.Errorf("ETag %q", got)
		}
		// The Location names the new lead, and a GET there finds it.
		loc := r.HTTPResponse.Header.Get("Location")
		if got, _ := raw(t, http.MethodGet, env.URL+loc, nil, map[string]string{
			"Authorization": "Bearer " + env.Login(seller.Email).AccessToken}); loc != "/api/v1/leads/"+l.Id.String() || got.StatusCode != 200 {
			t.Errorf("Location %q: GET %d", loc, got.StatusCode)
		}
		// No model: the score is null, not zero, on the wire.
		for _, f := range []string{`"probability":null`, `"category":null`, `"model_version":null`, `"scored_at":null`} {
			if !strings.Contains(string(r.Body), f) {
				t.Errorf("body lacks %s: %s", f, r.Body)
			}
		}
		ev := leadEvent(t, env, l.Id, "lead.create")
		if ev.EntityType != "lead" || ev.Actor.Id == nil || *ev.Actor.Id != seller.Id {
			t.Errorf("event: %+v", ev)
		}
		if ev.Summary != seller.Name+" created lead Rui Costa and claimed it" {
			t.Errorf("summary %q", ev.Summary)
		}
		if ev.Changes["name"].To != "Rui Costa" || ev.Changes["job"].To != "technician" || ev.Changes["age"].To != float64(41) {
			t.Errorf("changes %v", ev.Changes)
		}
	})
	t.Run("OK/SalesNullIsUnassigned", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Ana", AssignedTo: nullable.NewNullNullable[string]()})
		if l.AssignedTo != nil {
			t.Errorf("assigned_to %v, want null", l.AssignedTo)
		}
	})
	t.Run("OK/SalesMe", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Ana", AssignedTo: nullable.NewNullableWithValue("me")})
		if l.AssignedTo == nil || *l.AssignedTo != seller.Id {
			t.Errorf("assigned_to %v", l.AssignedTo)
		}
	})
	t.Run("OK/AdminUnassigned", func(t *testing.T) {
		l := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Ana"})
		if l.AssignedTo != nil {
			t.Errorf("assigned_to %v, want null", l.AssignedTo)
		}
	})
	t.Run("OK/AdminAssigns", func(t *testing.T) {
		l := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Ana", AssignedTo: nullable.NewNullableWithValue(other.Id.String())})
		if l.AssignedTo == nil || *l.AssignedTo != other.Id {
			t.Errorf("assigned_to %v", l.AssignedTo)
		}
	})
	t.Run("ErrForbidden/SalesAssignsOther", func(t *testing.T) {
		r, _ := sales.CreateLeadWithResponse(ctx, client.LeadCreate{Name: "Refused Ana", AssignedTo: nullable.NewNullableWithValue(other.Id.String())})
		leadProblem(t, "assign other", r.StatusCode(), r.Body, 403, "")
		noRefusedLead(t, env)
	})
	t.Run("ErrUnprocessable/UnknownAssignee", func(t *testing.T) {
		r, _ := env.Admin.CreateLeadWithResponse(ctx, client.LeadCreate{Name: "Refused Ana", AssignedTo: nullable.NewNullableWithValue(uuid.NewString())})
		leadProblem(t, "unknown assignee", r.StatusCode(), r.Body, 422, "assigned_to")
		noRefusedLead(t, env)
	})
	t.Run("ErrUnprocessable/InactiveAssignee", func(t *testing.T) {
		gone, _ := env.NewUser("sales")
		if _, err := env.Store.UserDeactivate(ctx, audit.System, gone.Id, store.Precondition{Any: true}, false); err != nil {
			t.Fatal(err)
		}
		r, _ := env.Admin.CreateLeadWithResponse(ctx, client.LeadCreate{Name: "Refused Ana", AssignedTo: nullable.NewNullableWithValue(gone.Id.String())})
		leadProblem(t, "inactive assignee", r.StatusCode(), r.Body, 422, "assigned_to")
		noRefusedLead(t, env)
	})
	// A seller setting external_id could take a row of a file before an
	// admin imports it (the import would update their lead).
	t.Run("ErrForbidden/ExternalIDBySales", func(t *testing.T) {
		before := scalar(t, env, `SELECT count(*) FROM leads`)
		r, _ := sales.CreateLeadWithResponse(ctx, client.LeadCreate{Name: "Placeholder", ExternalId: lref("crm-5001")})
		p := leadProblem(t, "external_id by sales", r.StatusCode(), r.Body, 403, "")
		if !strings.Contains(p.Detail, "only an admin may set external_id") || scalar(t, env, `SELECT count(*) FROM leads`) != before {
			t.Errorf("detail %v", p.Detail)
		}
	})
	t.Run("ErrConflict/ExternalID", func(t *testing.T) {
		leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Ana", ExternalId: lref("crm-1")})
		r, _ := env.Admin.CreateLeadWithResponse(ctx, client.LeadCreate{Name: "Ana 2", ExternalId: lref("crm-1")})
		p := leadProblem(t, "duplicate external_id", r.StatusCode(), r.Body, 409, "external_id")
		if !strings.Contains(p.Detail, "external_id") {
			t.Errorf("detail %v", p.Detail)
		}
	})
	t.Run("ErrConflict/ExternalIDIsAnotherLeadsID", func(t *testing.T) {
		// An export names a lead without an external_id by its id; a second
		// lead carrying that id would be mixed up with it on re-import.
		other := leadMustCreate(t, sales, client.LeadCreate{Name: "Ana"})
		gone := leadMustCreate(t, sales, client.LeadCreate{Name: "Gone"})
		if d, _ := env.Admin.DeleteLeadWithResponse(ctx, gone.Id, nil); d.StatusCode() != 204 {
			t.Fatal(d.StatusCode())
		}
		for _, id := range []string{other.Id.String(), strings.ToUpper(other.Id.String()), gone.Id.String()} {
			before := scalar(t, env, `SELECT count(*) FROM leads`)
			r, _ := env.Admin.CreateLeadWithResponse(ctx, client.LeadCreate{Name: "Impostor", ExternalId: lref(id)})
			p := leadProblem(t, "another lead's id", r.StatusCode(), r.Body, 409, "")
			if !strings.Contains(p.Detail, "another lead's id") {
				t.Errorf("detail %v", p.Detail)
			}
			if scalar(t, env, `SELECT count(*) FROM leads`) != before {
				t.Error("a lead was created")
			}
		}
		// A UUID that names no lead is an external id like any other.
		fresh := uuid.New().String()
		if l := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Ana", ExternalId: lref(fresh)}); l.ExternalId == nil || *l.ExternalId != fresh {
			t.Errorf("external_id %v", l.ExternalId)
		}
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		r, _ := env.Anon.CreateLeadWithResponse(ctx, client.LeadCreate{Name: "Ana"})
		leadProblem(t, "no token", r.StatusCode(), r.Body, 401, "")
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		token := env.Login(seller.Email).AccessToken
		adminToken := env.Login(env.AdminUser.Email).AccessToken
		writesNothing(t, env, func() {
			for _, tc := range []struct{ body, field string }{
				{`{}`, "name"},
				{`{"name": ""}`, "name"},
				{`{"name": "   "}`, "name"},
				{`{"name": "Ana", "job": "astronaut"}`, "job"},
				{`{"name": "Ana", "age": 3}`, "age"},
				{`{"name": "Ana", "phone": "call me"}`, "phone"},
				{`{"name": "Ana", "phone": " 12"}`, "phone"},     // stored trimmed: too short
				{`{"name": "Ana", "email": "not-an-email"}`, ""}, // see leadMalformed
				{`{"name": "Ana", "assigned_to": "someone"}`, "assigned_to"},
				{`{"name": "Ana", "status": "success"}`, "status"},
				{`{"name": "Ana", "probability": 0.9}`, "probability"},
			} {
				status, body := leadRaw(t, env, token, "POST", "/api/v1/leads", tc.body)
				leadProblem(t, tc.body, status, body, 400, tc.field)
			}
			// An admin's external id with an invisible character (the import
			// refuses it too).
			for _, id := range []string{"crm\u200b-1", "\u202ecrm-1", "crm\u2028-1", "\ufeffcrm-1"} {
				status, body := leadRaw(t, env, adminToken, "POST", "/api/v1/leads", `{"name": "Ana", "external_id": "`+id+`"}`)
				p := leadProblem(t, id, status, body, 400, "external_id")
				if p.Errors == nil || !strings.Contains((*p.Errors)[0].Message, "invisible characters") {
					t.Errorf("%s: %s", id, body)
				}
			}
		})
	})
	// The Go client leaves addresses to the server, whose 400 names the
	// field; it does not fail inside json.Marshal.
	t.Run("ErrBadRequest/EmailThroughTheGoClient", func(t *testing.T) {
		r, err := sales.CreateLeadWithResponse(ctx, client.LeadCreate{Name: "Ana", Email: lref("not-an-email")})
		if err != nil {
			t.Fatal(err)
		}
		p := wantProblem(t, r.HTTPResponse, r.Body, 400)
		if p.Errors == nil || len(*p.Errors) == 0 || (*p.Errors)[0].Field != "email" {
			t.Errorf("errors %s, want one on email", r.Body)
		}
	})
}

func TestLeadGet(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	seller, sales := env.NewUser("sales")
	l := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Rui"})

	t.Run("OK", func(t *testing.T) {
		r, err := sales.GetLeadWithResponse(ctx, l.Id) // sales see every lead
		if err != nil || r.JSON200 == nil || r.JSON200.Id != l.Id || r.JSON200.Probability != nil {
			t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
		}
		if r.HTTPResponse.Header.Get("ETag") != `"1"` {
			t.Errorf("ETag %q", r.HTTPResponse.Header.Get("ETag"))
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		r, _ := sales.GetLeadWithResponse(ctx, uuid.New())
		leadProblem(t, "unknown", r.StatusCode(), r.Body, 404, "")
	})
	t.Run("ErrBadRequest/MalformedID", func(t *testing.T) {
		status, body := leadRaw(t, env, env.Login(seller.Email).AccessToken, "GET", "/api/v1/leads/not-a-uuid", "")
		leadProblem(t, "malformed id", status, body, 400, leadMalformed)
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		r, _ := env.Anon.GetLeadWithResponse(ctx, l.Id)
		leadProblem(t, "no token", r.StatusCode(), r.Body, 401, "")
	})
}

func TestLeadUpdate(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	seller, sales := env.NewUser("sales")
	rival, rivalClient := env.NewUser("sales")

	t.Run("OK/OwnLead", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Rui Costa", Phone: lref("+351 1"), Notes: lref("old")})
		r, err := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{
			Phone: nullable.NewNullableWithValue("+351 222"), Notes: nullable.NewNullableWithValue("call after 6pm"),
		})
		if err != nil || r.JSON200 == nil {
			t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
		}
		got := *r.JSON200
		if got.Version != 2 || *got.Phone != "+351 222" || *got.Notes != "call after 6pm" || !got.UpdatedAt.After(l.UpdatedAt) {
			t.Errorf("lead %+v", got)
		}
		if r.HTTPResponse.Header.Get("ETag") != `"2"` {
			t.Errorf("ETag %q", r.HTTPResponse.Header.Get("ETag"))
		}
		ev := leadEvent(t, env, l.Id, "lead.update")
		if ev.Summary != seller.Name+" changed notes, phone of lead Rui Costa" {
			t.Errorf("summary %q", ev.Summary)
		}
		if c := ev.Changes["phone"]; c.From != "+351 1" || c.To != "+351 222" {
			t.Errorf("phone change %+v", c)
		}
		if len(ev.Changes) != 2 {
			t.Errorf("changes %v", ev.Changes)
		}
	})
	t.Run("OK/NullClears", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Rui", Phone: lref("+351 1"), Email: lref(client.Email("r@x.io")),
			Job: lref(client.JobAdmin), Age: lref(int32(30))})
		// Hand-written JSON: null clears, absent keeps.
		status, body := leadRaw(t, env, env.Login(seller.Email).AccessToken, "PATCH", "/api/v1/leads/"+l.Id.String(),
			`{"phone": null, "job": null}`, "If-Match", `"1"`)
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		got := leadMustGet(t, sales, l.Id)
		if got.Phone != nil || got.Job != nil || got.Email == nil || got.Age == nil || *got.Age != 30 {
			t.Errorf("lead %+v", got)
		}
		var phone, job *string
		leadScan(t, env, `SELECT phone, job FROM leads WHERE id = $1`, []any{l.Id}, &phone, &job)
		if phone != nil || job != nil {
			t.Errorf("stored phone %v job %v", phone, job)
		}
		ev := leadEvent(t, env, l.Id, "lead.update")
		if c := ev.Changes["job"]; c.From != "admin" || c.To != nil {
			t.Errorf("job change %+v", c)
		}
	})
	t.Run("OK/ScoringInputRescored", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Rui"})
		r, _ := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{
			Job: nullable.NewNullableWithValue(client.JobRetired), EmpVarRate: nullable.NewNullableWithValue(-1.8),
		})
		if r.JSON200 == nil || *r.JSON200.Job != client.JobRetired || *r.JSON200.EmpVarRate != -1.8 {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		if r.JSON200.Probability != nil || r.JSON200.Category != nil {
			t.Errorf("scored without a model: %v %v", r.JSON200.Probability, r.JSON200.Category)
		}
	})
	t.Run("OK/NoChange", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Rui"})
		r, _ := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{
			Name: lref("Rui"), Status: lref(client.LeadStatusNew),
		})
		if r.JSON200 == nil || r.JSON200.Version != 1 {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		if evs := leadEvents(t, env, l.Id); len(evs) != 1 {
			t.Errorf("%d events, want only lead.create", len(evs))
		}
	})
	t.Run("OK/ClaimWithOtherFields", func(t *testing.T) {
		l := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Maria"})
		r, _ := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{
			AssignedTo: nullable.NewNullableWithValue("me"), Status: lref(client.LeadStatusContacted),
			Notes: nullable.NewNullableWithValue("claimed"),
		})
		if r.JSON200 == nil || r.JSON200.AssignedTo == nil || *r.JSON200.AssignedTo != seller.Id ||
			r.JSON200.Status != client.LeadStatusContacted {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		ev := leadEvent(t, env, l.Id, "lead.update")
		want := seller.Name + " claimed lead Maria, moved it from new to contacted and changed notes"
		if ev.Summary != want {
			t.Errorf("summary %q, want %q", ev.Summary, want)
		}
		if c := ev.Changes["assigned_to"]; c.From != nil || c.To != seller.Id.String() {
			t.Errorf("assigned_to change %+v", c)
		}
	})
	t.Run("OK/UnassignOwn", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Rui"})
		r, _ := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{AssignedTo: nullable.NewNullNullable[string]()})
		if r.JSON200 == nil || r.JSON200.AssignedTo != nil {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		if ev := leadEvent(t, env, l.Id, "lead.update"); ev.Summary != seller.Name+" unassigned lead Rui" {
			t.Errorf("summary %q", ev.Summary)
		}
	})
	t.Run("OK/AdminReassigns", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Rui"})
		r, _ := env.Admin.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{
			AssignedTo: nullable.NewNullableWithValue(rival.Id.String()),
		})
		if r.JSON200 == nil || *r.JSON200.AssignedTo != rival.Id {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		if ev := leadEvent(t, env, l.Id, "lead.update"); ev.Summary != env.AdminUser.Name+" assigned lead Rui to "+rival.Name {
			t.Errorf("summary %q", ev.Summary)
		}
		// The rival now owns it; the original seller no longer may change it.
		r2, _ := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(2), client.LeadPatch{Notes: nullable.NewNullableWithValue("x")})
		leadProblem(t, "former owner", r2.StatusCode(), r2.Body, 403, "")
		r3, _ := rivalClient.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(2), client.LeadPatch{Notes: nullable.NewNullableWithValue("x")})
		if r3.JSON200 == nil {
			t.Errorf("new owner: %d %s", r3.StatusCode(), r3.Body)
		}
	})
	t.Run("ErrForbidden", func(t *testing.T) {
		rivals := leadMustCreate(t, rivalClient, client.LeadCreate{Name: "Theirs"})
		unassigned := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Nobody's"})
		own := leadMustCreate(t, sales, client.LeadCreate{Name: "Mine"})
		for _, tc := range []struct {
			name  string
			id    uuid.UUID
			patch client.LeadPatch
		}{
			{"OtherSellersLead", rivals.Id, client.LeadPatch{Notes: nullable.NewNullableWithValue("x")}},
			{"ClaimOtherSellersLead", rivals.Id, client.LeadPatch{AssignedTo: nullable.NewNullableWithValue("me")}},
			{"UnassignOtherSellersLead", rivals.Id, client.LeadPatch{AssignedTo: nullable.NewNullNullable[string]()}},
			{"UnassignedWithoutClaim", unassigned.Id, client.LeadPatch{Notes: nullable.NewNullableWithValue("x")}},
			{"AssignUnassignedToOther", unassigned.Id, client.LeadPatch{AssignedTo: nullable.NewNullableWithValue(rival.Id.String())}},
			{"AssignOwnToOther", own.Id, client.LeadPatch{AssignedTo: nullable.NewNullableWithValue(rival.Id.String())}},
		} {
			r, _ := sales.UpdateLeadWithResponse(ctx, tc.id, leadIfMatch(1), tc.patch)
			leadProblem(t, tc.name, r.StatusCode(), r.Body, 403, "")
		}
		// 403 comes before 412: whose lead it is decides, whatever the tag.
		r, _ := sales.UpdateLeadWithResponse(ctx, rivals.Id, leadIfMatch(9), client.LeadPatch{Notes: nullable.NewNullableWithValue("x")})
		leadProblem(t, "other seller's lead, stale tag", r.StatusCode(), r.Body, 403, "")
		if got := leadMustGet(t, sales, own.Id); got.Version != 1 || *got.AssignedTo != seller.Id {
			t.Errorf("refused patch changed the lead: %+v", got)
		}
	})
	t.Run("ErrPreconditionRequired", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Rui"})
		r, _ := sales.UpdateLeadWithResponse(ctx, l.Id, nil, client.LeadPatch{Notes: nullable.NewNullableWithValue("x")})
		leadProblem(t, "no If-Match", r.StatusCode(), r.Body, 428, "")
		// Left out of a patch the spec refuses anyway: one 400 lists both.
		status, body := leadRaw(t, env, env.Login(seller.Email).AccessToken, "PATCH", "/api/v1/leads/"+l.Id.String(), `{"age": 5}`)
		if p := leadProblem(t, "no If-Match, bad age", status, body, 400, ""); p.Errors == nil ||
			!slices.ContainsFunc(*p.Errors, func(e client.FieldError) bool { return e.Field == "If-Match" && e.Message == "is required" }) ||
			!slices.ContainsFunc(*p.Errors, func(e client.FieldError) bool { return e.Field == "age" }) {
			t.Errorf("errors %s, want If-Match is required and age", body)
		}
		// "*" would skip the very check If-Match is required for.
		r, _ = sales.UpdateLeadWithResponse(ctx, l.Id, &client.UpdateLeadParams{IfMatch: "*"},
			client.LeadPatch{Notes: nullable.NewNullableWithValue("x")})
		if p := leadProblem(t, "If-Match *", r.StatusCode(), r.Body, 428, ""); !strings.Contains(p.Detail, "* is not accepted") {
			t.Fatalf("detail %v", p.Detail)
		}
	})
	// A bare version (as typed from the lead's version field) is not an
	// entity tag: a 400 that says how to write one, not a 412 that would
	// claim the lead changed.
	t.Run("ErrValidation/IfMatchNotATag", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Rui"})
		for m, bad := range map[string]string{`1`: `1`, `"1`: `"1`, `"1", 2`: `2`, `"1"x`: `"1"x`, `W/1`: `W/1`} {
			r, _ := sales.UpdateLeadWithResponse(ctx, l.Id, &client.UpdateLeadParams{IfMatch: m},
				client.LeadPatch{Notes: nullable.NewNullableWithValue("x")})
			p := leadProblem(t, "If-Match "+m, r.StatusCode(), r.Body, 400, "If-Match")
			if msg := (*p.Errors)[0].Message; !strings.HasSuffix(msg, ", not "+bad) {
				t.Errorf("If-Match %s: %q", m, msg)
			} else if m == `1` && !strings.Contains(msg, `such as "1"`) {
				t.Errorf("a bare version's example is another version: %q", msg)
			}
			r2, _ := env.Admin.DeleteLeadWithResponse(ctx, l.Id, &client.DeleteLeadParams{IfMatch: lref(m)})
			leadProblem(t, "delete with If-Match "+m, r2.StatusCode(), r2.Body, 400, "If-Match")
		}
		if got := leadMustGet(t, sales, l.Id); got.Version != 1 || got.Notes != nil {
			t.Fatalf("refused requests changed the lead: %+v", got)
		}
	})
	t.Run("ErrPreconditionFailed", func(t *testing.T) {
		// 412 comes before 422: a move the workflow refuses from the status
		// the client last read may be allowed from the current one.
		won := leadMustCreate(t, sales, client.LeadCreate{Name: "Won"})
		if r, _ := sales.UpdateLeadWithResponse(ctx, won.Id, leadIfMatch(1), client.LeadPatch{Status: lref(client.LeadStatusSuccess)}); r.StatusCode() != 200 {
			t.Fatalf("setup: %d %s", r.StatusCode(), r.Body)
		}
		stale, _ := sales.UpdateLeadWithResponse(ctx, won.Id, leadIfMatch(1), client.LeadPatch{Status: lref(client.LeadStatusContacted)})
		leadProblem(t, "stale tag, refused move", stale.StatusCode(), stale.Body, 412, "")
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Rui"})
		// A version that is not the current one: the lead changed. A tag
		// that names no version, weak ones included (If-Match compares
		// strongly, RFC 9110), can never match, and the 412 says so.
		for m, detail := range map[string]string{`"2"`: "the record changed since you read it", `"0"`: "names no version",
			`"abc"`: "names no version", `"1,2"`: "names no version", `W/"1"`: "weak tags"} {
			r, _ := sales.UpdateLeadWithResponse(ctx, l.Id, &client.UpdateLeadParams{IfMatch: m},
				client.LeadPatch{Notes: nullable.NewNullableWithValue("x")})
			if p := leadProblem(t, "If-Match "+m, r.StatusCode(), r.Body, 412, ""); !strings.Contains(p.Detail, detail) {
				t.Errorf("If-Match %s: detail %v, want %q in it", m, p.Detail, detail)
			}
			// The 412 names the current version, as a GET would.
			if got := r.HTTPResponse.Header.Get("ETag"); got != `"1"` {
				t.Errorf("If-Match %s: 412 with ETag %q, want the current \"1\"", m, got)
			}
		}
		r, _ := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{Notes: nullable.NewNullableWithValue("x")})
		if r.StatusCode() != 200 {
			t.Fatalf("current tag: %d %s", r.StatusCode(), r.Body)
		}
		r, _ = sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{Notes: nullable.NewNullableWithValue("y")})
		leadProblem(t, "stale", r.StatusCode(), r.Body, 412, "")
		if got := r.HTTPResponse.Header.Get("ETag"); got != `"2"` {
			t.Errorf("stale 412 with ETag %q, want the current \"2\"", got)
		}
		// A list matches when any of its tags is current; several If-Match
		// lines are one list (RFC 9110 5.3).
		r, _ = sales.UpdateLeadWithResponse(ctx, l.Id, &client.UpdateLeadParams{IfMatch: `"1", W/"2", "2"`},
			client.LeadPatch{Notes: nullable.NewNullableWithValue("z")})
		if r.StatusCode() != 200 || r.JSON200.Version != 3 {
			t.Fatalf("list with the current tag: %d %s", r.StatusCode(), r.Body)
		}
		// RFC 7396's own media type is taken as the JSON it is.
		res, body := raw(t, http.MethodPatch, env.URL+"/api/v1/leads/"+l.Id.String(), strings.NewReader(`{"notes": null}`),
			map[string]string{"Authorization": "Bearer " + env.Login(seller.Email).AccessToken,
				"Content-Type": "application/merge-patch+json", "If-Match": `"3"`})
		if res.StatusCode != 200 || !strings.Contains(string(body), `"notes":null`) {
			t.Fatalf("merge-patch+json: %d %s", res.StatusCode, body)
		}
		// Another media type is a 415 that names the patch formats taken (RFC 5789).
		res, body = raw(t, http.MethodPatch, env.URL+"/api/v1/leads/"+l.Id.String(), strings.NewReader(`{"notes": "p"}`),
			map[string]string{"Authorization": "Bearer " + env.Login(seller.Email).AccessToken,
				"Content-Type": "text/plain", "If-Match": `"4"`})
		if res.StatusCode != 415 || !strings.Contains(res.Header.Get("Accept-Patch"), "application/merge-patch+json") ||
			!strings.Contains(string(body), "merge-patch") {
			t.Fatalf("text/plain patch: %d %q %s", res.StatusCode, res.Header.Get("Accept-Patch"), body)
		}
		r, _ = sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{Notes: nullable.NewNullableWithValue("w")},
			func(_ context.Context, req *http.Request) error { req.Header.Add("If-Match", `"4"`); return nil })
		if r.StatusCode() != 200 {
			t.Fatalf("two If-Match lines, the second current: %d %s", r.StatusCode(), r.Body)
		}
		// Empty list elements are allowed (RFC 9110 5.6.1.2).
		r, _ = sales.UpdateLeadWithResponse(ctx, l.Id, &client.UpdateLeadParams{IfMatch: `, "9",, "5",`},
			client.LeadPatch{Notes: nullable.NewNullableWithValue("v")})
		if r.StatusCode() != 200 {
			t.Fatalf("list with empty elements: %d %s", r.StatusCode(), r.Body)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		// 404 comes before 412, whatever the tag.
		for _, m := range []string{`"1"`, `W/"1"`, `"x"`} {
			r, _ := sales.UpdateLeadWithResponse(ctx, uuid.New(), &client.UpdateLeadParams{IfMatch: m},
				client.LeadPatch{Notes: nullable.NewNullableWithValue("x")})
			leadProblem(t, "unknown "+m, r.StatusCode(), r.Body, 404, "")
		}
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		r, _ := env.Anon.UpdateLeadWithResponse(ctx, uuid.New(), leadIfMatch(1), client.LeadPatch{Notes: nullable.NewNullableWithValue("x")})
		leadProblem(t, "no token", r.StatusCode(), r.Body, 401, "")
	})
	t.Run("ErrBadRequest", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Rui"})
		token := env.Login(seller.Email).AccessToken
		writesNothing(t, env, func() {
			for _, tc := range []struct{ body, field string }{
				{`{}`, "body"},
				{`{"age": 5}`, "age"},
				{`{"name": null}`, "name"},
				{`{"name": "  "}`, "name"},
				{`{"status": "won"}`, "status"},
				{`{"status": null}`, "status"},
				{`{"job": "astronaut"}`, "job"},
				{`{"phone": "12 "}`, "phone"},
				{`{"probability": 1}`, "probability"},
				{`{"version": 7}`, "version"},
			} {
				status, body := leadRaw(t, env, token, "PATCH", "/api/v1/leads/"+l.Id.String(), tc.body, "If-Match", `"1"`)
				if tc.field == "body" {
					leadProblem(t, tc.body, status, body, 400, "")
					continue
				}
				leadProblem(t, tc.body, status, body, 400, tc.field)
			}
			status, body := leadRaw(t, env, token, "PATCH", "/api/v1/leads/nope", `{"notes":"x"}`, "If-Match", `"1"`)
			leadProblem(t, "malformed id", status, body, 400, leadMalformed)
		})
	})
}

// TestLeadWorkflow walks the status workflow through the API: every
// transition of the workflow (README, Leads) is allowed, the others are 422 with the allowed
// next states, and closed_at follows success/failed.
func TestLeadWorkflow(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	seller, sales := env.NewUser("sales")

	// leadIn creates a lead of the seller's in a given status via allowed steps.
	leadIn := func(t *testing.T, path ...client.LeadStatus) client.Lead {
		t.Helper()
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Flow " + string(path[len(path)-1])})
		for _, s := range path[1:] {
			r, _ := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(l.Version), client.LeadPatch{Status: lref(s)})
			if r.JSON200 == nil {
				t.Fatalf("setup %v: %d %s", path, r.StatusCode(), r.Body)
			}
			l = *r.JSON200
		}
		return l
	}
	paths := map[client.LeadStatus][]client.LeadStatus{
		client.LeadStatusNew:       {client.LeadStatusNew},
		client.LeadStatusContacted: {client.LeadStatusNew, client.LeadStatusContacted},
		client.LeadStatusFollowUp:  {client.LeadStatusNew, client.LeadStatusFollowUp},
		client.LeadStatusSuccess:   {client.LeadStatusNew, client.LeadStatusSuccess},
		client.LeadStatusFailed:    {client.LeadStatusNew, client.LeadStatusFailed},
	}
	allowed := map[client.LeadStatus][]client.LeadStatus{
		client.LeadStatusNew:       {client.LeadStatusContacted, client.LeadStatusFollowUp, client.LeadStatusSuccess, client.LeadStatusFailed},
		client.LeadStatusContacted: {client.LeadStatusFollowUp, client.LeadStatusSuccess, client.LeadStatusFailed},
		client.LeadStatusFollowUp:  {client.LeadStatusContacted, client.LeadStatusSuccess, client.LeadStatusFailed},
		client.LeadStatusSuccess:   {},
		client.LeadStatusFailed:    {},
	}
	all := []client.LeadStatus{client.LeadStatusNew, client.LeadStatusContacted, client.LeadStatusFollowUp, client.LeadStatusSuccess, client.LeadStatusFailed}
	for _, from := range all {
		for _, to := range all {
			if from == to {
				continue
			}
			ok := false
			for _, a := range allowed[from] {
				ok = ok || a == to
			}
			t.Run("Sales/"+string(from)+"->"+string(to), func(t *testing.T) {
				l := leadIn(t, paths[from]...)
				move := func() *client.UpdateLeadResponse {
					r, _ := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(l.Version), client.LeadPatch{Status: lref(to)})
					return r
				}
				if ok {
					if r := move(); r.JSON200 == nil || r.JSON200.Status != to || r.JSON200.Version != l.Version+1 {
						t.Fatalf("%d %s", r.StatusCode(), r.Body)
					}
					return
				}
				var r *client.UpdateLeadResponse
				writesNothing(t, env, func() { r = move() })
				p := leadProblem(t, "transition", r.StatusCode(), r.Body, 422, "status")
				if from == client.LeadStatusSuccess || from == client.LeadStatusFailed {
					if p.AllowedNextStates != nil && len(*p.AllowedNextStates) != 0 {
						t.Errorf("allowed %v, want none", *p.AllowedNextStates)
					}
					return
				}
				if p.AllowedNextStates == nil || len(*p.AllowedNextStates) != len(allowed[from]) {
					t.Fatalf("allowed_next_states %v, want %v", p.AllowedNextStates, allowed[from])
				}
				for i, s := range *p.AllowedNextStates {
					if s != allowed[from][i] {
						t.Errorf("allowed_next_states %v, want %v", *p.AllowedNextStates, allowed[from])
					}
				}
			})
		}
	}
	t.Run("ClosedAt", func(t *testing.T) {
		l := leadIn(t, client.LeadStatusNew, client.LeadStatusContacted, client.LeadStatusSuccess)
		var closedAt *time.Time
		leadScan(t, env, `SELECT closed_at FROM leads WHERE id = $1`, []any{l.Id}, &closedAt)
		if closedAt == nil {
			t.Fatal("closed_at not set on success")
		}
		if l.ClosedAt == nil || !l.ClosedAt.Equal(*closedAt) {
			t.Errorf("the lead's closed_at %v, want %v", l.ClosedAt, closedAt)
		}
		ev := leadEvent(t, env, l.Id, "lead.update")
		if ev.Summary != seller.Name+" moved lead Flow success from contacted to success" {
			t.Errorf("summary %q", ev.Summary)
		}
		// Only an admin may reopen, and only to follow_up.
		r, _ := env.Admin.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(l.Version), client.LeadPatch{Status: lref(client.LeadStatusContacted)})
		p := leadProblem(t, "admin reopen to contacted", r.StatusCode(), r.Body, 422, "status")
		if p.AllowedNextStates == nil || len(*p.AllowedNextStates) != 1 || (*p.AllowedNextStates)[0] != client.LeadStatusFollowUp {
			t.Errorf("allowed_next_states %v", p.AllowedNextStates)
		}
		r, _ = env.Admin.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(l.Version), client.LeadPatch{Status: lref(client.LeadStatusFollowUp)})
		if r.JSON200 == nil || r.JSON200.Status != client.LeadStatusFollowUp {
			t.Fatalf("admin reopen: %d %s", r.StatusCode(), r.Body)
		}
		leadScan(t, env, `SELECT closed_at FROM leads WHERE id = $1`, []any{l.Id}, &closedAt)
		if closedAt != nil || r.JSON200.ClosedAt != nil {
			t.Errorf("closed_at %v (the lead's %v) after reopening, want null", closedAt, r.JSON200.ClosedAt)
		}
		// The seller can close it again.
		r, _ = sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(r.JSON200.Version), client.LeadPatch{Status: lref(client.LeadStatusFailed)})
		if r.JSON200 == nil {
			t.Fatalf("close again: %d %s", r.StatusCode(), r.Body)
		}
		leadScan(t, env, `SELECT closed_at FROM leads WHERE id = $1`, []any{l.Id}, &closedAt)
		if closedAt == nil || r.JSON200.ClosedAt == nil || !r.JSON200.ClosedAt.Equal(*closedAt) {
			t.Errorf("closed_at %v (the lead's %v) on failed", closedAt, r.JSON200.ClosedAt)
		}
	})
	t.Run("AdminReopenFailed", func(t *testing.T) {
		l := leadIn(t, client.LeadStatusNew, client.LeadStatusFailed)
		r, _ := env.Admin.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(l.Version), client.LeadPatch{Status: lref(client.LeadStatusFollowUp)})
		if r.JSON200 == nil || r.JSON200.Status != client.LeadStatusFollowUp {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
	})
	t.Run("SalesCannotReopen", func(t *testing.T) {
		l := leadIn(t, client.LeadStatusNew, client.LeadStatusSuccess)
		r, _ := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(l.Version), client.LeadPatch{Status: lref(client.LeadStatusFollowUp)})
		leadProblem(t, "sales reopen", r.StatusCode(), r.Body, 422, "status")
		// Other fields of a closed lead stay editable by its owner.
		r, _ = sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(l.Version), client.LeadPatch{Notes: nullable.NewNullableWithValue("signed")})
		if r.JSON200 == nil {
			t.Errorf("notes on a closed lead: %d %s", r.StatusCode(), r.Body)
		}
	})
	t.Run("ClosedLeadKeepsItsSeller", func(t *testing.T) {
		// A closed lead is a win or loss for its assignee on the
		// leaderboard: a sales user cannot move it off or onto themselves.
		won := leadIn(t, client.LeadStatusNew, client.LeadStatusSuccess)
		unassign := client.LeadPatch{AssignedTo: nullable.NewNullNullable[string]()}
		r, _ := sales.UpdateLeadWithResponse(ctx, won.Id, leadIfMatch(won.Version), unassign)
		leadProblem(t, "unassign a won lead", r.StatusCode(), r.Body, 403, "")
		open := leadIn(t, client.LeadStatusNew, client.LeadStatusContacted)
		r, _ = sales.UpdateLeadWithResponse(ctx, open.Id, leadIfMatch(open.Version), client.LeadPatch{
			Status: lref(client.LeadStatusFailed), AssignedTo: nullable.NewNullNullable[string](),
		})
		leadProblem(t, "close and unassign", r.StatusCode(), r.Body, 403, "")
		orphan := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Closed, nobody's"})
		r, _ = env.Admin.UpdateLeadWithResponse(ctx, orphan.Id, leadIfMatch(1), client.LeadPatch{Status: lref(client.LeadStatusSuccess)})
		if r.JSON200 == nil {
			t.Fatalf("admin closes: %d %s", r.StatusCode(), r.Body)
		}
		r, _ = sales.UpdateLeadWithResponse(ctx, orphan.Id, leadIfMatch(2), client.LeadPatch{AssignedTo: nullable.NewNullableWithValue("me")})
		leadProblem(t, "claim a closed lead", r.StatusCode(), r.Body, 403, "")
		if got := leadMustGet(t, sales, won.Id); got.AssignedTo == nil || got.Version != won.Version {
			t.Errorf("refused patch changed the lead: %+v", got)
		}
		// An admin may still move the credit (audited).
		r, _ = env.Admin.UpdateLeadWithResponse(ctx, won.Id, leadIfMatch(won.Version), unassign)
		if r.JSON200 == nil || r.JSON200.AssignedTo != nil {
			t.Errorf("admin unassigns a won lead: %d %s", r.StatusCode(), r.Body)
		}
	})
}

// TestLeadConcurrentUpdate runs two edits with the same If-Match at once:
// exactly one wins, the other gets 412, and the row holds the winner's
// change at version 2.
func TestLeadConcurrentUpdate(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	_, sales := env.NewUser("sales")
	for round := range 5 {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Contested", Notes: lref("original")})
		notes := []string{"edit A", "edit B"}
		codes := make([]int, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r, err := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{
					Notes: nullable.NewNullableWithValue(notes[i]), CampaignContacts: nullable.NewNullableWithValue(int32(i + 1)),
				})
				if err != nil {
					t.Error(err)
					return
				}
				codes[i] = r.StatusCode()
			}()
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, c := range codes {
			switch c {
			case 200:
				if winner >= 0 {
					t.Fatalf("round %d: both edits won: %v", round, codes)
				}
				winner = i
			case 412:
			default:
				t.Fatalf("round %d: status %v", round, codes)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no edit won: %v", round, codes)
		}
		got := leadMustGet(t, sales, l.Id)
		if got.Version != 2 || *got.Notes != notes[winner] || *got.CampaignContacts != int32(winner+1) {
			t.Errorf("round %d: lead %d %q %d, want the winner's edit", round, got.Version, *got.Notes, *got.CampaignContacts)
		}
		evs := leadEvents(t, env, l.Id)
		if len(evs) != 2 || evs[0].Changes["notes"].To != notes[winner] {
			t.Errorf("round %d: events %+v", round, evs)
		}
	}
}

func TestLeadDelete(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	_, sales := env.NewUser("sales")
	l := leadMustCreate(t, sales, client.LeadCreate{Name: "Gone Soon"})

	t.Run("ErrForbidden/Sales", func(t *testing.T) {
		r, _ := sales.DeleteLeadWithResponse(ctx, l.Id, nil)
		leadProblem(t, "sales delete", r.StatusCode(), r.Body, 403, "")
	})
	t.Run("ErrUnauthorized", func(t *testing.T) {
		r, _ := env.Anon.DeleteLeadWithResponse(ctx, l.Id, nil)
		leadProblem(t, "no token", r.StatusCode(), r.Body, 401, "")
	})
	t.Run("ErrPreconditionFailed", func(t *testing.T) {
		for _, m := range []string{`"2"`, `W/"1"`} {
			r, _ := env.Admin.DeleteLeadWithResponse(ctx, l.Id, &client.DeleteLeadParams{IfMatch: lref(m)})
			leadProblem(t, "delete with If-Match "+m, r.StatusCode(), r.Body, 412, "")
		}
		if got := leadMustGet(t, sales, l.Id); got.Version != 1 {
			t.Fatalf("refused delete changed the lead: %+v", got)
		}
	})
	// An empty If-Match (a client's lost tag) is no absent one: it must not
	// delete whatever the version.
	t.Run("ErrEmptyIfMatch", func(t *testing.T) {
		for _, m := range []string{"", " "} {
			r, _ := env.Admin.DeleteLeadWithResponse(ctx, l.Id, &client.DeleteLeadParams{IfMatch: lref(m)})
			leadProblem(t, "delete with If-Match "+m, r.StatusCode(), r.Body, 400, "If-Match")
		}
		th, _ := env.Admin.PutThresholdsWithResponse(ctx, &client.PutThresholdsParams{IfMatch: lref("")}, client.Thresholds{Hot: 0.8, Warm: 0.3})
		leadProblem(t, "thresholds with an empty If-Match", th.StatusCode(), th.Body, 400, "If-Match")
		if got := leadMustGet(t, sales, l.Id); got.Version != 1 {
			t.Fatalf("refused delete changed the lead: %+v", got)
		}
	})
	t.Run("OK", func(t *testing.T) {
		r, err := env.Admin.DeleteLeadWithResponse(ctx, l.Id, &client.DeleteLeadParams{IfMatch: lref(`"1"`)})
		if err != nil || r.StatusCode() != 204 {
			t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
		}
		g, _ := sales.GetLeadWithResponse(ctx, l.Id)
		leadProblem(t, "get deleted", g.StatusCode(), g.Body, 404, "")
		u, _ := env.Admin.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{Notes: nullable.NewNullableWithValue("x")})
		leadProblem(t, "patch deleted", u.StatusCode(), u.Body, 404, "")
		again, _ := env.Admin.DeleteLeadWithResponse(ctx, l.Id, nil)
		leadProblem(t, "delete deleted", again.StatusCode(), again.Body, 404, "")
		acts, _ := sales.ListLeadActivitiesWithResponse(ctx, l.Id, &client.ListLeadActivitiesParams{})
		leadProblem(t, "deleted lead's activities", acts.StatusCode(), acts.Body, 404, "")
		// 404 before the 409 of no active model: the lead is what is missing.
		score, _ := sales.GetLeadScoreWithResponse(ctx, l.Id)
		leadProblem(t, "deleted lead's score", score.StatusCode(), score.Body, 404, "")
		list, _ := sales.ListLeadsWithResponse(ctx, &client.ListLeadsParams{Count: lref(true)})
		if list.JSON200 == nil || len(list.JSON200.Items) != 0 || *list.JSON200.Total != 0 {
			t.Errorf("list shows a deleted lead: %s", list.Body)
		}
		var deletedAt *time.Time
		leadScan(t, env, `SELECT deleted_at FROM leads WHERE id = $1`, []any{l.Id}, &deletedAt)
		if deletedAt == nil {
			t.Error("row not soft-deleted")
		}
		ev := leadEvent(t, env, l.Id, "lead.delete")
		if ev.Summary != env.AdminUser.Name+" deleted lead Gone Soon" || ev.Changes["deleted_at"].To == nil {
			t.Errorf("event %+v", ev)
		}
	})
	// "*" deletes whatever the version, as the spec says.
	t.Run("OK/AnyVersion", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Edited Then Gone"})
		if u, _ := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{Notes: nullable.NewNullableWithValue("v2")}); u.StatusCode() != 200 {
			t.Fatalf("patch: %d %s", u.StatusCode(), u.Body)
		}
		r, _ := env.Admin.DeleteLeadWithResponse(ctx, l.Id, &client.DeleteLeadParams{IfMatch: lref("*")})
		if r.StatusCode() != 204 {
			t.Fatalf("delete with If-Match *: %d %s", r.StatusCode(), r.Body)
		}
		g, _ := sales.GetLeadWithResponse(ctx, l.Id)
		leadProblem(t, "get deleted", g.StatusCode(), g.Body, 404, "")
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		gone := leadMustCreate(t, sales, client.LeadCreate{Name: "Deleted Twice"})
		if r, _ := env.Admin.DeleteLeadWithResponse(ctx, gone.Id, nil); r.StatusCode() != 204 {
			t.Fatalf("delete: %d %s", r.StatusCode(), r.Body)
		}
		r, _ := env.Admin.DeleteLeadWithResponse(ctx, gone.Id, nil)
		leadProblem(t, "delete again", r.StatusCode(), r.Body, 404, "")
		r, _ = env.Admin.DeleteLeadWithResponse(ctx, uuid.New(), nil)
		leadProblem(t, "delete unknown", r.StatusCode(), r.Body, 404, "")
	})
}

// TestLeadTeamFeed checks that sales see lead events in the audit trail.
func TestLeadTeamFeed(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	_, sales := env.NewUser("sales")
	_, colleague := env.NewUser("sales")
	l := leadMustCreate(t, sales, client.LeadCreate{Name: "Feed"})
	r, err := colleague.ListAuditEventsWithResponse(ctx, &client.ListAuditEventsParams{EntityId: lref(l.Id.String())})
	if err != nil || r.JSON200 == nil || len(r.JSON200.Items) != 1 || r.JSON200.Items[0].Action != "lead.create" {
		t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
	}
	// A colleague's address and client are for admins; one's own are shown.
	for who, c := range map[string]*client.ClientWithResponses{"colleague": colleague, "author": sales, "admin": env.Admin} {
		r, _ := c.ListAuditEventsWithResponse(ctx, &client.ListAuditEventsParams{EntityId: lref(l.Id.String())})
		if r.JSON200 == nil || len(r.JSON200.Items) == 0 {
			t.Fatalf("%s: %d %s", who, r.StatusCode(), r.Body)
		}
		ev := r.JSON200.Items[0]
		if shown := ev.Ip != nil && ev.UserAgent != nil; shown != (who != "colleague") {
			t.Errorf("%s sees ip %v, user agent %v", who, ev.Ip, ev.UserAgent)
		}
	}
}

// TestLeadNotesLineEnds: notes are stored with LF line ends, so that an
// export and its re-import (a CSV reader takes CR LF in a cell as LF) give
// them back as they were.
func TestLeadNotesLineEnds(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	r, err := env.Admin.CreateLeadWithResponse(bg, client.LeadCreate{Name: "Crlf Notes", Notes: lref("line1\r\nline2\rline3\r\r\nline4")})
	if err != nil || r.JSON201 == nil {
		t.Fatalf("create: %v %d %s", err, r.StatusCode(), r.Body)
	}
	l := *r.JSON201
	if l.Notes == nil || *l.Notes != "line1\nline2\rline3\nline4" {
		t.Fatalf("notes %q", *l.Notes)
	}
	p, err := env.Admin.UpdateLeadWithResponse(bg, l.Id, leadIfMatch(l.Version), client.LeadPatch{Notes: nullable.NewNullableWithValue("a\r\r\nb")})
	if err != nil || p.JSON200 == nil || p.JSON200.Notes == nil || *p.JSON200.Notes != "a\nb" {
		t.Fatalf("patch: %v %d %s", err, p.StatusCode(), p.Body)
	}
	_, file := exportCSV(t, env, env.Login(env.AdminUser.Email).AccessToken, "")
	if out := importOK(t, env, "", string(file)); out.Updated != 1 || out.Unchanged != 0 {
		t.Fatalf("re-import: %+v", out) // the lead takes its id as external_id, its notes stay
	}
	for _, e := range leadEvents(t, env, l.Id) {
		if _, ok := e.Changes["notes"]; ok && strings.Contains(e.Summary, "in import") {
			t.Fatalf("the re-import changed the notes: %+v", e.Changes)
		}
	}
}

// TestLeadBlankNotes: blank notes are stored as none, as an import reads
// the empty cell an export writes for them, so the round trip changes
// nothing.
func TestLeadBlankNotes(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	r, err := env.Admin.CreateLeadWithResponse(bg, client.LeadCreate{Name: "Blank Notes", ExternalId: lref("blank-1"), Notes: lref("")})
	if err != nil || r.JSON201 == nil || r.JSON201.Notes != nil {
		t.Fatalf("create: %v %d %s", err, r.StatusCode(), r.Body)
	}
	l := *r.JSON201
	p, err := env.Admin.UpdateLeadWithResponse(bg, l.Id, leadIfMatch(l.Version), client.LeadPatch{Notes: nullable.NewNullableWithValue(" \n\t ")})
	if err != nil || p.JSON200 == nil || p.JSON200.Notes != nil {
		t.Fatalf("patch: %v %d %s", err, p.StatusCode(), p.Body)
	}
	_, file := exportCSV(t, env, env.Login(env.AdminUser.Email).AccessToken, "")
	if out := importOK(t, env, "", string(file)); out.Unchanged != 1 {
		t.Fatalf("re-import: %+v", out)
	}
}

// TestLeadTextOnOneLine: a name or external id with a control character
// (a line break, say) is refused as a CSV import refuses it, so that every
// lead the API takes re-imports from its export.
func TestLeadTextOnOneLine(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	for _, c := range []struct {
		field string
		lead  client.LeadCreate
		want  string
	}{
		{"name", client.LeadCreate{Name: "Two\nLines"}, "one line"},
		{"name", client.LeadCreate{Name: "Tab\tName"}, "one line"},
		{"name", client.LeadCreate{Name: "\u200b"}, "one line"},          // invisible
		{"name", client.LeadCreate{Name: "\u00a0"}, "must not be blank"}, // blank once trimmed
		{"name", client.LeadCreate{Name: "—"}, "one line"},
		{"external_id", client.LeadCreate{Name: "Ok", ExternalId: lref("ext\n1")}, "one line"},
	} {
		r, err := env.Admin.CreateLeadWithResponse(bg, c.lead)
		if err != nil {
			t.Fatal(err)
		}
		wantField(t, wantProblem(t, r.HTTPResponse, r.Body, 400), c.field)
		if strings.Contains(string(r.Body), "regular expression") || !strings.Contains(string(r.Body), c.want) {
			t.Errorf("%q: the message should say what is wrong in words: %s", c.lead.Name, r.Body)
		}
	}
	r, err := env.Admin.CreateLeadWithResponse(bg, client.LeadCreate{Name: "Ana Sá", ExternalId: lref("ABCDEF01-2345-6789-ABCD-EF0123456789")})
	if err != nil || r.JSON201 == nil || *r.JSON201.ExternalId != "abcdef01-2345-6789-abcd-ef0123456789" {
		t.Fatalf("create: %v %d %s", err, r.StatusCode(), r.Body)
	}
}

// TestPlainValidationMessages: a value that fails one of the spec's
// patterns, formats or shapes is told what is expected in words.
func TestPlainValidationMessages(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	token := env.Login(env.AdminUser.Email).AccessToken
	l := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Rui"})
	for _, c := range []struct {
		name, method, path, body, field, want string
	}{
		{"Phone", "POST", "/api/v1/leads", `{"name": "A", "phone": "call me"}`, "phone", "phone: may hold only digits, spaces and + - ( ), and at least one digit"},
		// The rules of the CSV import, so that an export always re-imports.
		{"PhoneWithoutDigits", "POST", "/api/v1/leads", `{"name": "A", "phone": "+()- -"}`, "phone", "at least one digit"},
		{"NotesControlCharacter", "POST", "/api/v1/leads", `{"name": "A", "notes": "x\u0085y"}`, "notes", "control characters other than tab and line breaks"},
		{"PatchNotesControlCharacter", "PATCH", "/api/v1/leads/" + l.Id.String(), `{"notes": "a\u0001"}`, "notes", "control characters other than tab and line breaks"},
		{"AssignedTo", "POST", "/api/v1/leads", `{"name": "A", "assigned_to": "bob"}`, "assigned_to", "assigned_to: must be a user id (a UUID), me or null"},
		{"AssignedToFilter", "GET", "/api/v1/leads?assigned_to=bob", "", "assigned_to", "assigned_to: must be a user id (a UUID), me or none"},
		{"PatchAssignedTo", "PATCH", "/api/v1/leads/" + l.Id.String(), `{"assigned_to": "you"}`, "assigned_to", "assigned_to: must be a user id (a UUID), me or null"},
		{"PathID", "GET", "/api/v1/leads/42", "", "id", "must be a UUID, such as"},
		{"EmptyPatch", "PATCH", "/api/v1/leads/" + l.Id.String(), `{}`, "body", "must name at least one field to change"},
		{"Fraction", "POST", "/api/v1/leads", `{"name": "A", "campaign_contacts": 1.5}`, "campaign_contacts", "must be a whole number"},
		{"Null", "POST", "/api/v1/leads", `{"name": null}`, "name", "must not be null"},
		// An enumeration's null too, though kin-openapi checks the values allowed first.
		{"NullStatus", "PATCH", "/api/v1/leads/" + l.Id.String(), `{"status": null}`, "status", "must not be null"},
		// It would show as "exe.png" in a list, an export or the audit trail.
		{"DirectionControl", "POST", "/api/v1/leads", `{"name": "\u202egnp.exe"}`, "name", "invisible text-direction controls"},
		{"PatchDirectionControl", "PATCH", "/api/v1/leads/" + l.Id.String(), `{"name": "Rui \u2067x"}`, "name", "invisible text-direction controls"},
		{"LineSeparator", "POST", "/api/v1/leads", `{"name": "Ana\u2028Administrator deleted every lead"}`, "name", "a name is one line"},
		{"SpacesForBody", "POST", "/api/v1/leads", " \n ", "", "the request body is missing: send a JSON object"},
		// Where and what, not encoding/json's words (TestJSONSyntaxDetail has the rest).
		{"CutShort", "POST", "/api/v1/leads", `{"name": "A"`, "", "the request body is not valid JSON: the JSON ends before it is complete: an object is not closed with '}'"},
		{"MissingValue", "POST", "/api/v1/leads", `{"name":}`, "", "the request body is not valid JSON at line 1, column 9: a value is missing before '}'"},
		{"SingleQuotes", "PATCH", "/api/v1/leads/" + l.Id.String(), `{'name':'x'}`, "", "the request body is not valid JSON at line 1, column 2: names and strings take double quotes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := leadRaw(t, env, token, c.method, c.path, c.body, "If-Match", `"1"`)
			p := leadProblem(t, c.name, status, body, 400, c.field)
			if !strings.Contains(string(body), c.want) || strings.Contains(string(body), "regular expression") ||
				!strings.Contains(p.Detail, c.want) {
				t.Errorf("want %q in the message: %s", c.want, body)
			}
		})
	}
}

// TestBlankText: a text field sent empty or blank is told only that,
// whatever rules its value breaks (a length of at least 1, a letter or
// digit); a value that is not blank keeps the words of the rule it breaks.
func TestBlankText(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	token := env.Login(env.AdminUser.Email).AccessToken
	l := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Rui"})
	for _, c := range []struct {
		name, method, path, body, want string
	}{
		{"LeadEmpty", "POST", "/api/v1/leads", `{"name": ""}`, "name: must not be blank"},
		{"LeadSpaces", "POST", "/api/v1/leads", `{"name": "   "}`, "name: must not be blank"},
		{"LeadPatchEmpty", "PATCH", "/api/v1/leads/" + l.Id.String(), `{"name": ""}`, "name: must not be blank"},
		{"UserEmpty", "POST", "/api/v1/users", `{"name": "", "email": "blank@example.com", "password": "long enough pass", "role": "sales"}`, "name: must not be blank"},
		{"LoginEmailEmpty", "POST", "/api/v1/auth/login", `{"email": "", "password": "long enough pass"}`, "email: must not be blank"},
		{"ExternalIDEmpty", "POST", "/api/v1/leads", `{"name": "A", "external_id": ""}`, "external_id: must not be blank"},
		// Not blank: the rule it breaks.
		{"LeadDash", "POST", "/api/v1/leads", `{"name": "—"}`, "name: must hold a letter or digit, on one line (no control characters)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, body := leadRaw(t, env, token, c.method, c.path, c.body, "If-Match", `"1"`)
			p := leadProblem(t, c.name, status, body, 400, c.want[:strings.IndexByte(c.want, ':')])
			if p.Detail != c.want || len(*p.Errors) != 1 {
				t.Errorf("detail %q, want %q: %s", p.Detail, c.want, body)
			}
		})
	}
}

// TestLeadAssignRacesADeactivation: assigning a lead to a user whose
// deactivation is committing waits for it, and is then refused, rather
// than leaving the lead with an inactive user.
func TestLeadAssignRacesADeactivation(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	leaving, _ := env.NewUser("sales")
	l := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Rui"})
	tx := holdRowLock(t, env, `UPDATE users SET active = false, version = version + 1 WHERE id = $1`, leaving.Id)
	done := make(chan *client.UpdateLeadResponse, 1)
	go func() {
		r, _ := env.Admin.UpdateLeadWithResponse(bg, l.Id, leadIfMatch(l.Version),
			client.LeadPatch{AssignedTo: nullable.NewNullableWithValue(leaving.Id.String())})
		done <- r
	}()
	waitForLockWait(t, env)
	if err := tx.Commit(bg); err != nil {
		t.Fatal(err)
	}
	r := <-done
	leadProblem(t, "assign to a user deactivated meanwhile", r.StatusCode(), r.Body, 422, "assigned_to")
	if got := leadMustGet(t, env.Admin, l.Id); got.AssignedTo != nil {
		t.Errorf("assigned to %v", got.AssignedTo)
	}
}

// noRefusedLead checks that no lead named "Refused Ana", nor its event, was
// written.
func noRefusedLead(t *testing.T, env *servertest.Env) {
	t.Helper()
	if n := scalar(t, env, `SELECT count(*) FROM leads WHERE name = 'Refused Ana'`) +
		scalar(t, env, `SELECT count(*) FROM audit_events WHERE action = 'lead.create' AND summary LIKE '%Refused Ana%'`); n != 0 {
		t.Errorf("a refused create wrote %d rows", n)
	}
}
