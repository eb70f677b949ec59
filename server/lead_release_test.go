package server_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/oapi-codegen/nullable"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/servertest"
)

// TestImportByIDRacesARelease: an import naming one lead by its id (as an
// export writes a lead without external_id) and another by its
// external_id, while an admin deactivates their seller releasing the
// leads. Both lock the leads in id order, so both go through; the import
// used to lock the lead named by its id first, and one of the two failed
// on a deadlock.
func TestImportByIDRacesARelease(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	seller, _ := env.NewUser(auth.RoleSales)
	to := nullable.NewNullableWithValue(seller.Id.String())
	first := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Lead One", AssignedTo: to})
	second := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Lead Two", AssignedTo: to})
	// The lower id is named by an external_id, the higher by its id.
	low, high := first, second
	if bytes.Compare(low.Id[:], high.Id[:]) > 0 {
		low, high = high, low
	}
	leadExec(t, env, `UPDATE leads SET external_id = 'ext-low' WHERE id = $1`, low.Id)

	hold := holdRowLock(t, env, `SELECT 1 FROM leads WHERE id = $1 FOR UPDATE`, low.Id)
	release := answerLater(http.MethodDelete, env.URL+"/api/v1/users/"+seller.Id.String()+"?release_leads=true", "",
		"Authorization", "Bearer "+env.Login(env.AdminUser.Email).AccessToken)
	eventually(t, 30*time.Second, "the release waiting for the lower lead", func() bool {
		return scalar(t, env, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND query LIKE '%LeadsRelease%'`) == 1
	})
	imported := importLater(t, env, "external_id,notes\n"+high.Id.String()+",by id\next-low,by external id\n")
	waitForLockWaits(t, env, 2) // the import too
	if err := hold.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	if code := (<-release).status(); code != http.StatusNoContent {
		t.Errorf("deactivation releasing the leads: %d", code)
	}
	if got := importResult(t, <-imported); got.Updated != 2 {
		t.Errorf("import result %+v", got)
	}
	for _, l := range []client.Lead{low, high} {
		got := leadMustGet(t, env.Admin, l.Id)
		if got.AssignedTo != nil || got.Notes == nil {
			t.Errorf("lead %s: assigned_to %v, notes %v", l.Name, got.AssignedTo, got.Notes)
		}
	}
}

// TestReopenReleasesInactiveSeller: a deactivation's release leaves a closed
// lead with its seller (their win stays theirs); reopened, by a PATCH or an
// import, the lead goes back to the pool, where a seller can claim it,
// unless the admin names an assignee in the same change.
func TestReopenReleasesInactiveSeller(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	gone, goneClient := env.NewUser(auth.RoleSales)
	other, otherClient := env.NewUser(auth.RoleSales)
	won := func(name string) client.Lead {
		l := leadMustCreate(t, goneClient, client.LeadCreate{Name: name})
		r, _ := goneClient.UpdateLeadWithResponse(bg, l.Id, leadIfMatch(1), client.LeadPatch{Status: lref(client.LeadStatusSuccess)})
		if r.JSON200 == nil {
			t.Fatalf("close %s: %d %s", name, r.StatusCode(), r.Body)
		}
		return *r.JSON200
	}
	pooled, named, imported := won("Back To The Pool"), won("Handed Over"), won("Reopened By A File")
	leadExec(t, env, `UPDATE leads SET external_id = 'reopened-1' WHERE id = $1`, imported.Id)
	r, _ := env.Admin.DeactivateUserWithResponse(bg, gone.Id, &client.DeactivateUserParams{ReleaseLeads: lref(true), IfMatch: lref("*")})
	if r.StatusCode() != http.StatusNoContent {
		t.Fatalf("deactivate: %d %s", r.StatusCode(), r.Body)
	}
	if got := leadMustGet(t, env.Admin, pooled.Id); got.AssignedTo == nil || *got.AssignedTo != gone.Id {
		t.Fatalf("the release moved a closed lead: %v", got.AssignedTo)
	}

	re, _ := env.Admin.UpdateLeadWithResponse(bg, pooled.Id, leadIfMatch(pooled.Version),
		client.LeadPatch{Status: lref(client.LeadStatusFollowUp)})
	if re.JSON200 == nil || re.JSON200.AssignedTo != nil {
		t.Fatalf("reopen: %d %s", re.StatusCode(), re.Body)
	}
	if c := leadEvent(t, env, pooled.Id, "lead.update").Changes["assigned_to"]; c.From != gone.Id.String() || c.To != nil {
		t.Errorf("event's assigned_to change %+v", c)
	}
	claim, _ := otherClient.UpdateLeadWithResponse(bg, pooled.Id, leadIfMatch(re.JSON200.Version),
		client.LeadPatch{AssignedTo: nullable.NewNullableWithValue("me")})
	if claim.JSON200 == nil {
		t.Errorf("claim of the reopened lead: %d %s", claim.StatusCode(), claim.Body)
	}

	// An import's status column reopens it the same way.
	if res := importOK(t, env, "", "external_id,status\nreopened-1,follow_up\n"); res.Updated != 1 {
		t.Errorf("import: %+v", res)
	}
	if got := leadMustGet(t, env.Admin, imported.Id); got.Status != client.LeadStatusFollowUp || got.AssignedTo != nil {
		t.Errorf("reopened by import: status %s, assigned_to %v", got.Status, got.AssignedTo)
	}
	if c := leadEvent(t, env, imported.Id, "lead.update").Changes["assigned_to"]; c.From != gone.Id.String() || c.To != nil {
		t.Errorf("import event's assigned_to change %+v", c)
	}

	// Naming the inactive seller the lead already has is refused, as
	// naming them on any other lead is: nobody could work it.
	re, _ = env.Admin.UpdateLeadWithResponse(bg, named.Id, leadIfMatch(named.Version),
		client.LeadPatch{Status: lref(client.LeadStatusFollowUp), AssignedTo: nullable.NewNullableWithValue(gone.Id.String())})
	if p := wantProblem(t, re.HTTPResponse, re.Body, http.StatusUnprocessableEntity); !strings.Contains(p.Detail, "no active user") {
		t.Errorf("reopen keeping the inactive seller: %s", re.Body)
	}
	if got := leadMustGet(t, env.Admin, named.Id); got.Status != client.LeadStatusSuccess || got.Version != named.Version {
		t.Errorf("the refused reopen changed the lead: %s v%d", got.Status, got.Version)
	}
	re, _ = env.Admin.UpdateLeadWithResponse(bg, named.Id, leadIfMatch(named.Version),
		client.LeadPatch{Status: lref(client.LeadStatusFollowUp), AssignedTo: nullable.NewNullableWithValue(other.Id.String())})
	if re.JSON200 == nil || re.JSON200.AssignedTo == nil || *re.JSON200.AssignedTo != other.Id {
		t.Fatalf("reopen to another seller: %d %s", re.StatusCode(), re.Body)
	}
}

// TestImportReopenRacesARelease: an import reopens a seller's closed lead,
// keeping the seller, who is active, while an admin deactivates that seller
// releasing their leads. The import holds the seller's row for sharing, so
// the deactivation waits for it and then releases the reopened lead with
// the others; it used to release only the leads open when it looked, and
// left the reopened lead with a seller no longer there, where nobody could
// claim it.
func TestImportReopenRacesARelease(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	seller, sellerClient := env.NewUser(auth.RoleSales)
	open := leadMustCreate(t, sellerClient, client.LeadCreate{Name: "Still Open"})
	closed := leadMustCreate(t, sellerClient, client.LeadCreate{Name: "Closed Then Reopened"})
	leadExec(t, env, `UPDATE leads SET external_id = 'reopen-race' WHERE id = $1`, closed.Id)
	if r, _ := sellerClient.UpdateLeadWithResponse(bg, closed.Id, leadIfMatch(1), client.LeadPatch{Status: lref(client.LeadStatusFailed)}); r.JSON200 == nil {
		t.Fatalf("close: %d %s", r.StatusCode(), r.Body)
	}
	// Logins write events: the tokens come before the audit trail is held.
	bearer := "Bearer " + env.Login(env.AdminUser.Email).AccessToken
	hold := holdRowLock(t, env, `LOCK TABLE audit_events IN SHARE MODE`)
	// The import reopens the lead, keeping its seller, and waits to write
	// its events.
	imported := answerLater(http.MethodPost, env.URL+"/api/v1/leads/import", "external_id,status\nreopen-race,follow_up\n",
		"Authorization", bearer, "Content-Type", "text/csv")
	waitForLockWaits(t, env, 1)
	release := answerLater(http.MethodDelete, env.URL+"/api/v1/users/"+seller.Id.String()+"?release_leads=true", "",
		"Authorization", bearer)
	waitForLockWaits(t, env, 2) // the release too
	if err := hold.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	if code := (<-release).status(); code != http.StatusNoContent {
		t.Errorf("deactivation releasing the leads: %d", code)
	}
	if got := importResult(t, <-imported); got.Updated != 1 {
		t.Errorf("import result %+v", got)
	}
	for _, l := range []client.Lead{open, closed} {
		if got := leadMustGet(t, env.Admin, l.Id); got.AssignedTo != nil || got.Status == client.LeadStatusFailed {
			t.Errorf("lead %s: status %s, assigned_to %v", l.Name, got.Status, got.AssignedTo)
		}
	}
}
