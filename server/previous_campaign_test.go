package server_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/oapi-codegen/nullable"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server/leadrules"
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
	none := lref(client.PreviousOutcomeNone)

	t.Run("ErrUnprocessable/Create", func(t *testing.T) {
		r, _ := sales.CreateLeadWithResponse(ctx, client.LeadCreate{Name: "Refused Ana", PreviousOutcome: none,
			DaysSincePreviousContact: lref(int32(2))})
		p := leadProblem(t, "create", r.StatusCode(), r.Body, 422, "days_since_previous_contact")
		wantField(t, p, "previous_outcome")
		noRefusedLead(t, env)
	})
	// Checked before the model is looked for: this test's database has none.
	t.Run("ErrUnprocessable/Predict", func(t *testing.T) {
		r, _ := sales.PredictScoreWithResponse(ctx, client.ScoringInputs{PreviousOutcome: lref(client.PreviousOutcomeSuccess),
			PreviousContacts: lref(int32(0))})
		p := leadProblem(t, "predict", r.StatusCode(), r.Body, 422, "previous_contacts")
		wantField(t, p, "previous_outcome")
	})
	t.Run("Update", func(t *testing.T) {
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Rui", PreviousOutcome: none, PreviousContacts: lref(int32(0))})
		// The days alone contradict what the lead has stored.
		r, _ := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{
			DaysSincePreviousContact: nullable.NewNullableWithValue(int32(2))})
		p := leadProblem(t, "patch days", r.StatusCode(), r.Body, 422, "days_since_previous_contact")
		wantField(t, p, "previous_outcome")
		wantField(t, p, "previous_contacts")
		if want := "days_since_previous_contact: counts days since a contact in a previous campaign (not a call logged here), " +
			"so it needs previous_outcome failure or success and previous_contacts 1 or more (the lead has none and 0): " +
			"change them in the same PATCH; for a client never contacted in one, send null"; p.Detail != want {
			t.Errorf("detail %q, want %q", p.Detail, want)
		}
		if got := leadMustGet(t, sales, l.Id); got.Version != 1 || got.DaysSincePreviousContact != nil {
			t.Errorf("a refused patch wrote: version %d, days %v", got.Version, got.DaysSincePreviousContact)
		}
		if n := scalar(t, env, `SELECT count(*) FROM audit_events WHERE action = 'lead.update' AND entity_id = $1`,
			l.Id.String()); n != 0 {
			t.Errorf("%d lead.update events for a refused patch", n)
		}
		// The outcome alone contradicts the lead's contacts and days, as
		// the detail says briefly, with the fix.
		c := leadMustCreate(t, sales, client.LeadCreate{Name: "Eva", PreviousOutcome: lref(client.PreviousOutcomeFailure),
			PreviousContacts: lref(int32(1)), DaysSincePreviousContact: lref(int32(6))})
		r, _ = sales.UpdateLeadWithResponse(ctx, c.Id, leadIfMatch(1), client.LeadPatch{
			PreviousOutcome: nullable.NewNullableWithValue(client.PreviousOutcomeNone)})
		p = leadProblem(t, "patch outcome", r.StatusCode(), r.Body, 422, "previous_outcome")
		if want := "previous_outcome: is none, which needs previous_contacts 0 and no days_since_previous_contact " +
			"(the lead has 1 and 6): change them in the same PATCH"; p.Detail != want {
			t.Errorf("detail %q, want %q", p.Detail, want)
		}
		if strings.Contains(string(r.Body), "CSV") || strings.Contains(string(r.Body), "pdays") {
			t.Errorf("the API's problem speaks of the import: %s", r.Body)
		}
		// The three changed together agree.
		r, err := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{
			PreviousOutcome:          nullable.NewNullableWithValue(client.PreviousOutcomeFailure),
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
		l := leadMustCreate(t, sales, client.LeadCreate{Name: "Eva"})
		leadExec(t, env, `UPDATE leads SET previous_outcome = 'none', days_since_previous_contact = 5 WHERE id = $1`, l.Id)
		r, err := sales.UpdateLeadWithResponse(ctx, l.Id, leadIfMatch(1), client.LeadPatch{
			Notes: nullable.NewNullableWithValue("call after 6pm")})
		if err != nil || r.JSON200 == nil {
			t.Fatalf("patch notes: %v %d %s", err, r.StatusCode(), r.Body)
		}
	})
	// Every combination of the three, as new leads: the rows refused are
	// those leadrules refuses, whether the CSV reader checks them (no
	// external_id) or the store's SQL does.
	for _, withID := range []bool{false, true} {
		t.Run(fmt.Sprintf("ImportEveryCombination/ExternalID=%v", withID), func(t *testing.T) {
			var file strings.Builder
			file.WriteString("external_id,name,previous_outcome,previous_contacts,days_since_previous_contact\n")
			want := map[int]bool{}
			line := 1
			for _, o := range []string{"", "none", "failure", "success"} {
				for _, c := range []string{"", "0", "2"} {
					for _, d := range []string{"", "3"} {
						line++
						id := ""
						if withID {
							id = fmt.Sprintf("combo-%d", line)
						}
						fmt.Fprintf(&file, "%s,Combo %d,%s,%s,%s\n", id, line, o, c, d)
						if leadrules.PreviousCampaignProblems(optText(o), optInt32(c), optInt32(d)) != nil {
							want[line] = true
						}
					}
				}
			}
			res := importOK(t, env, "", file.String())
			got := map[int]bool{}
			for _, r := range res.Rejected {
				got[r.Line] = true
			}
			if !maps.Equal(got, want) || res.Inserted != int64(line-1-len(want)) {
				t.Errorf("rejected lines %v, want %v (inserted %d)", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)), res.Inserted)
			}
		})
	}
	// A deleted lead's row is refused as such, once; an earlier row of an
	// external_id whose last row is refused is not said to be superseded by
	// a row that imports.
	t.Run("ImportRowsRefusedOtherwise", func(t *testing.T) {
		importOK(t, env, "", "external_id,name\npc-del,Deleted Lead\n")
		leadExec(t, env, `UPDATE leads SET deleted_at = now() WHERE external_id = 'pc-del'`)
		res := importOK(t, env, "", "external_id,name,previous_outcome,previous_contacts\npc-del,X,none,4\n")
		if len(res.Rejected) != 1 || res.Rejected[0].Field != "external_id" || !strings.Contains(res.Rejected[0].Message, "deleted") {
			t.Errorf("deleted lead's row: %+v", res.Rejected)
		}
		res = importOK(t, env, "", "external_id,name,previous_outcome,previous_contacts,days_since_previous_contact\n"+
			"pc-dup,Dup,failure,2,\npc-dup,Dup,none,0,3\n")
		if res.Inserted != 0 || len(res.Rejected) < 2 || res.Rejected[0].Line != 2 ||
			!strings.Contains(res.Rejected[0].Message, "comes again on line 3, which is rejected") {
			t.Errorf("superseded by a refused row: %+v", res)
		}
	})
	// A file with some of the three columns is checked against the lead's
	// stored values for the others, as a PATCH is; a lead stored with a
	// contradiction before the rule re-imports unchanged.
	t.Run("ImportMergesStoredValues", func(t *testing.T) {
		importOK(t, env, "", "external_id,name,previous_outcome,previous_contacts\npc-merge,Ana,none,0\npc-old,Rui,failure,2\n")
		res := importOK(t, env, "", "external_id,days_since_previous_contact\npc-merge,5\npc-old,5\n")
		if res.Updated != 1 || len(res.Rejected) == 0 || res.Rejected[0].Line != 2 ||
			res.Rejected[0].Field != "days_since_previous_contact" {
			t.Fatalf("result %+v", res)
		}
		leadExec(t, env, `UPDATE leads SET previous_outcome = 'none', previous_contacts = 0, days_since_previous_contact = 4
			WHERE external_id = 'pc-merge'`)
		res = importOK(t, env, "", "external_id,name,previous_outcome,previous_contacts,days_since_previous_contact\n"+
			"pc-merge,Ana,none,0,4\n")
		if res.Unchanged != 1 || len(res.Rejected) != 0 {
			t.Errorf("re-import of a stored contradiction: %+v", res)
		}
	})
}

func optText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optInt32(s string) *int32 {
	if s == "" {
		return nil
	}
	n, _ := strconv.Atoi(s)
	v := int32(n)
	return &v
}
