package server_test

import (
	"context"
	"testing"

	"github.com/oapi-codegen/nullable"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/servertest"
)

// The previous campaign's three inputs must agree wherever a lead's inputs
// come in (leadrules.PreviousCampaignProblems): a contradiction is a 422
// naming every field involved, and nothing is written.
func TestPreviousCampaignContradictions(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ctx := context.Background()
	_, sales := env.NewUser("sales")
	none := lref(api.PreviousOutcomeNone)

	t.Run("ErrUnprocessable/Create", func(t *testing.T) {
		r, _ := sales.CreateLeadWithResponse(ctx, api.LeadCreate{Name: "Refused Ana", PreviousOutcome: none,
			DaysSincePreviousContact: lref(int32(2))})
		p := leadProblem(t, "create", r.StatusCode(), r.Body, 422, "days_since_previous_contact")
		wantField(t, p, "previous_outcome")
		noRefusedLead(t, env)
	})
	// Checked before the model is looked for: this test's database has none.
	t.Run("ErrUnprocessable/Predict", func(t *testing.T) {
		r, _ := sales.PredictScoreWithResponse(ctx, api.ScoringInputs{PreviousOutcome: lref(api.PreviousOutcomeSuccess),
			PreviousContacts: lref(int32(0))})
		p := leadProblem(t, "predict", r.StatusCode(), r.Body, 422, "previous_contacts")
		wantField(t, p, "previous_outcome")
	})
	t.Run("Update", func(t *testing.T) {
		l := leadMustCreate(t, sales, api.LeadCreate{Name: "Rui", PreviousOutcome: none, PreviousContacts: lref(int32(0))})
		// The days alone contradict what the lead has stored.
		r, _ := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), api.LeadPatch{
			DaysSincePreviousContact: nullable.NewNullableWithValue(int32(2))})
		p := leadProblem(t, "patch days", r.StatusCode(), r.Body, 422, "days_since_previous_contact")
		wantField(t, p, "previous_outcome")
		wantField(t, p, "previous_contacts")
		if got := leadMustGet(t, sales, l.Id); got.Version != 1 || got.DaysSincePreviousContact != nil {
			t.Errorf("a refused patch wrote: version %d, days %v", got.Version, got.DaysSincePreviousContact)
		}
		if n := scalar(t, env, `SELECT count(*) FROM audit_events WHERE action = 'lead.update' AND entity_id = $1`,
			l.Id.String()); n != 0 {
			t.Errorf("%d lead.update events for a refused patch", n)
		}
		// The three changed together agree.
		r, err := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), api.LeadPatch{
			PreviousOutcome:          nullable.NewNullableWithValue(api.PreviousOutcomeFailure),
			PreviousContacts:         nullable.NewNullableWithValue(int32(1)),
			DaysSincePreviousContact: nullable.NewNullableWithValue(int32(2)),
		})
		if err != nil || r.JSON200 == nil || r.JSON200.Version != 2 {
			t.Fatalf("patch all three: %v %d %s", err, r.StatusCode(), r.Body)
		}
	})
	// A lead stored before the rule keeps its inputs until one of the three
	// changes; the rest of it can still be edited.
	t.Run("OK/StoredContradictionEditable", func(t *testing.T) {
		l := leadMustCreate(t, sales, api.LeadCreate{Name: "Eva"})
		leadExec(t, env, `UPDATE leads SET previous_outcome = 'none', days_since_previous_contact = 5 WHERE id = $1`, l.Id)
		r, err := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), api.LeadPatch{
			Notes: nullable.NewNullableWithValue("call after 6pm")})
		if err != nil || r.JSON200 == nil {
			t.Fatalf("patch notes: %v %d %s", err, r.StatusCode(), r.Body)
		}
	})
	t.Run("Import", func(t *testing.T) {
		res := importOK(t, env, "", "external_id,name,previous_outcome,previous_contacts,days_since_previous_contact\n"+
			"pc-1,Ana,none,0,3\npc-2,Rui,failure,2,\n")
		if res.Inserted != 1 || res.RejectedRows != 1 {
			t.Fatalf("result %+v", res)
		}
		fields := map[string]bool{}
		for _, r := range res.Rejected {
			if r.Line != 2 {
				t.Errorf("rejection on line %d: %+v", r.Line, r)
			}
			fields[r.Field] = true
		}
		if !fields["previous_outcome"] || !fields["days_since_previous_contact"] {
			t.Errorf("rejections %+v", res.Rejected)
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE external_id = 'pc-1'`); n != 0 {
			t.Errorf("the contradicting row was imported")
		}
	})
}
