package server_test

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/oapi-codegen/nullable"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/leadcsv"
	"github.com/jmksales/jmk/server/servertest"
)

// roundTripCSV has every kind of value the export must carry back: text
// that needs quoting, formula-like text, line breaks, every status, empty
// cells and floats, and rows without an external id.
const roundTripCSV = `external_id,name,phone,email,status,notes,age,job,marital,education,default,housing,loan,contact,month,day_of_week,duration,campaign,pdays,previous,poutcome,emp.var.rate,cons.price.idx,cons.conf.idx,euribor3m,nr.employed
rt-1,"Sousa, Ana",+351 912 345 678,ana@example.pt,new,"Likes ""term"" deposits
call after 6pm",41,admin.,married,university.degree,no,yes,no,cellular,may,mon,120,2,999,0,nonexistent,1.1,93.994,-36.4,4.857,5191
rt-2,=HYPERLINK(1),'+351 222 000 111,,contacted,@risky note,,,,,,,,,,,,,,,,,,,,
rt-3,Bruno Reis,,,follow_up,,33,blue-collar,single,basic.9y,unknown,no,yes,telephone,jun,fri,0,1,6,1,success,-1.8,92.893,-46.2,1.313,5099.1
rt-4,Carla Dias,,,success,,60,retired,divorced,basic.4y,no,no,no,cellular,oct,thu,300,1,3,2,failure,-3.4,92.431,-26.9,0.742,5017.5
rt-5,Diogo Melo,,,failed,  leading spaces kept,25,student,single,high.school,no,yes,no,cellular,nov,wed,10,5,999,0,nonexistent,-0.1,93.2,-42,4.191,5195.8
,No External Id,,,new,,50,housemaid,married,basic.6y,no,no,no,telephone,may,tue,50,1,999,0,nonexistent,1.1,93.994,-36.4,4.857,5191
`

// exportCSV downloads the export with the client's token.
func exportCSV(t *testing.T, env *servertest.Env, token, query string) (*http.Response, []byte) {
	t.Helper()
	return raw(t, http.MethodGet, env.URL+"/api/v1/leads/export"+query, nil, map[string]string{"Authorization": "Bearer " + token})
}

func csvLines(b []byte) (header string, rows []string) {
	// A quoted cell may hold a line break: split on records, not lines.
	var recs []string
	var cur strings.Builder
	quoted := false
	for _, c := range string(b) {
		if c == '"' {
			quoted = !quoted
		}
		if c == '\n' && !quoted {
			recs = append(recs, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteRune(c)
	}
	if len(recs) == 0 {
		return "", nil
	}
	rows = recs[1:]
	slices.Sort(rows)
	return recs[0], rows
}

// importedCells reads an export and keeps, per lead, the cells an import
// reads back, sorted: the columns after category (assignee, contacts,
// creation time) are the database's own, and differ in another one.
func importedCells(t *testing.T, body []byte) []string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF"))))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err == nil && len(recs) > 0 && len(recs[0]) == 1 { // an Excel export
		r = csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\uFEFF"))))
		r.Comma = ';'
		recs, err = r.ReadAll()
	}
	if err != nil || len(recs) == 0 {
		t.Fatalf("export unreadable: %v\n%s", err, body)
	}
	n := slices.Index(recs[0], "assigned_to_name")
	if n < 0 {
		t.Fatalf("no assigned_to_name column: %q", recs[0])
	}
	rows := make([]string, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		rows = append(rows, strings.Join(rec[:n], "\x1f"))
	}
	slices.Sort(rows)
	return rows
}

func TestExport(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	importOK(t, env, "", roundTripCSV)
	admin := env.Login(env.AdminUser.Email).AccessToken

	t.Run("OK", func(t *testing.T) {
		res, body := exportCSV(t, env, admin, "")
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("export: %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="leads-`) {
			t.Errorf("Content-Disposition %q", cd)
		}
		header, rows := csvLines(body)
		if header != strings.Join(leadcsv.Header(), ",") || len(rows) != 6 {
			t.Fatalf("header %q, %d rows:\n%s", header, len(rows), body)
		}
	})

	t.Run("Filters", func(t *testing.T) {
		_, body := exportCSV(t, env, admin, "?status=success&status=failed&sort=name_asc")
		_, rows := csvLines(body)
		if len(rows) != 2 || !strings.HasPrefix(rows[0], "rt-4,Carla Dias") || !strings.HasPrefix(rows[1], "rt-5,Diogo Melo") {
			t.Errorf("closed leads: %q", rows)
		}
		_, body = exportCSV(t, env, admin, "?q=bruno")
		if _, rows := csvLines(body); len(rows) != 1 || !strings.HasPrefix(rows[0], "rt-3,") {
			t.Errorf("q=bruno: %q", rows)
		}
		_, body = exportCSV(t, env, admin, "?assigned_to=me")
		if _, rows := csvLines(body); len(rows) != 0 {
			t.Errorf("assigned_to=me: %q", rows)
		}
	})

	// name_asc is alphabetical, ignoring case and accents, in the export as
	// in the list (not byte order, which puts "ana" and "Álvaro" after "Z").
	t.Run("NameOrderAsInTheList", func(t *testing.T) {
		t.Parallel()
		env := servertest.New(t)
		for _, n := range []string{"zé Ordem", "Bruno Ordem", "ana Ordem", "Álvaro Ordem"} {
			leadMustCreate(t, env.Admin, client.LeadCreate{Name: n})
		}
		want := []string{"Álvaro Ordem", "ana Ordem", "Bruno Ordem", "zé Ordem"}
		_, body := exportCSV(t, env, env.Login(env.AdminUser.Email).AccessToken, "?q=ordem&sort=name_asc")
		lines := strings.Split(strings.TrimSpace(string(body)), "\n") // no cell here is quoted
		name := slices.Index(strings.Split(lines[0], ","), "name")
		var got []string
		for _, l := range lines[1:] {
			got = append(got, strings.Split(l, ",")[name])
		}
		if !slices.Equal(got, want) {
			t.Errorf("export by name: %q, want %q", got, want)
		}
		sort := client.LeadSortNameAsc
		l, err := env.Admin.ListLeadsWithResponse(bg, &client.ListLeadsParams{Q: lref("ordem"), Sort: &sort})
		if err != nil || l.JSON200 == nil {
			t.Fatalf("list: %v", err)
		}
		got = got[:0]
		for _, it := range l.JSON200.Items {
			got = append(got, it.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("list by name: %q, want %q", got, want)
		}
	})

	t.Run("SalesMayExport", func(t *testing.T) {
		u, _ := env.NewUser(auth.RoleSales)
		res, body := exportCSV(t, env, env.Login(u.Email).AccessToken, "?job=retired")
		if _, rows := csvLines(body); res.StatusCode != 200 || len(rows) != 1 {
			t.Fatalf("sales export: %d %q", res.StatusCode, body)
		}
	})

	t.Run("Audited", func(t *testing.T) {
		u, uc := env.NewUser(auth.RoleSales)
		exports := func() int64 {
			return scalar(t, env, `SELECT count(*) FROM audit_events WHERE action = 'export.leads' AND actor_id = $1`, u.Id)
		}
		token := env.Login(u.Email).AccessToken
		if res, _ := exportCSV(t, env, token, "?job=retired&q=Bruno%20&min_probability=0.1"); res.StatusCode != 200 {
			t.Fatal(res.StatusCode)
		}
		if n := scalar(t, env, `SELECT count(*) FROM audit_events WHERE action = 'export.leads' AND actor_id = $1
			AND entity_type = 'export' AND changes->'filters'->'to' = '{"job": ["retired"], "q": "Bruno", "min_probability": 0.1}'
			AND changes->'sort'->>'to' = 'probability_desc'`, u.Id); n != 1 {
			t.Fatalf("%d export events with those filters, want 1", n)
		}
		// A HEAD exports nothing, nor does a refused request.
		if res, _ := raw(t, http.MethodHead, env.URL+"/api/v1/leads/export", nil, map[string]string{"Authorization": "Bearer " + token}); res.StatusCode != 200 {
			t.Fatal(res.StatusCode)
		}
		res, body := exportCSV(t, env, token, "?sort=shoe_size")
		wantProblem(t, res, body, 400)
		if n := exports(); n != 1 {
			t.Errorf("%d export events, want 1", n)
		}
		// Admins see exports in the trail; sales do not.
		et := client.AuditEntityType("export")
		for who, c := range map[string]*client.ClientWithResponses{"admin": env.Admin, "sales": uc} {
			r, err := c.ListAuditEventsWithResponse(bg, &client.ListAuditEventsParams{EntityType: &et})
			if err != nil || r.JSON200 == nil {
				t.Fatalf("%s: %v %d %s", who, err, r.StatusCode(), r.Body)
			}
			if got, want := len(r.JSON200.Items) > 0, who == "admin"; got != want {
				t.Errorf("%s sees %d export events", who, len(r.JSON200.Items))
			}
		}
	})

	t.Run("ErrBadFilter", func(t *testing.T) {
		res, body := exportCSV(t, env, admin, "?min_probability=0.8&max_probability=0.2")
		wantProblem(t, res, body, 400)
		res, body = exportCSV(t, env, admin, "?sort=shoe_size")
		wantProblem(t, res, body, 400)
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		r, err := env.Anon.ExportLeadsWithResponse(bg, &client.ExportLeadsParams{})
		if err != nil || r.StatusCode() != 401 {
			t.Fatalf("anonymous export: %v %d", err, r.StatusCode())
		}
	})

	t.Run("RoundTrip", func(t *testing.T) {
		_, first := exportCSV(t, env, admin, "")
		// Into a fresh database: the same leads, every exported field.
		fresh := servertest.New(t)
		out := importOK(t, fresh, "", string(first))
		if out.Inserted != 6 || len(out.Rejected) != 0 {
			t.Fatalf("re-import into a fresh database: %+v", out)
		}
		_, second := exportCSV(t, fresh, fresh.Login(fresh.AdminUser.Email).AccessToken, "")
		h1, _ := csvLines(first)
		h2, _ := csvLines(second)
		if h1 != h2 || !slices.Equal(importedCells(t, first), importedCells(t, second)) {
			t.Fatalf("round trip differs:\n%s\n---\n%s", first, second)
		}
		// Into the same database: every lead matched, none duplicated; the
		// one without an external_id, written with its id, takes that id as
		// its external_id (an update, once), and the others already hold
		// the file's values. A second re-import changes nothing.
		before := leadTotal(t, env)
		out = importOK(t, env, "", string(first))
		if out.Inserted != 0 || out.Updated != 1 || out.Unchanged != 5 || len(out.Rejected) != 0 {
			t.Fatalf("re-import into the same database: %+v", out)
		}
		out = importOK(t, env, "", string(first))
		if out.Inserted != 0 || out.Updated != 0 || out.Unchanged != 6 || len(out.Rejected) != 0 {
			t.Fatalf("second re-import into the same database: %+v", out)
		}
		if leadTotal(t, env) != before {
			t.Error("the re-import duplicated leads")
		}
		// The values are as they were; only the adopted lead's version moved.
		_, third := exportCSV(t, env, admin, "")
		if !slices.Equal(importedCells(t, first), importedCells(t, third)) {
			t.Errorf("re-import changed leads:\n%s\n---\n%s", first, third)
		}
	})

	// The Excel format opens as columns in a spreadsheet whose decimal mark
	// is a comma, and re-imports to the same leads as the plain CSV.
	t.Run("Excel", func(t *testing.T) {
		res, body := exportCSV(t, env, admin, "?format=excel&q=ana")
		if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("excel export: %d %s: %s", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
		header, rows := csvLines(body)
		if header != "\uFEFF"+strings.Join(leadcsv.Header(), ";") || len(rows) != 1 ||
			!strings.Contains(rows[0], ";1,1;93,994;-36,4;4,857;5191;") || !strings.HasPrefix(rows[0], `rt-1;"Sousa, Ana";`) {
			t.Fatalf("excel export:\n%s", body)
		}

		_, excel := exportCSV(t, env, admin, "?format=excel")
		fresh := servertest.New(t)
		if out := importOK(t, fresh, "", string(excel)); out.Inserted != 6 || len(out.Rejected) != 0 {
			t.Fatalf("re-import of the excel export: %+v", out)
		}
		_, want := exportCSV(t, env, admin, "")
		_, got := exportCSV(t, fresh, fresh.Login(fresh.AdminUser.Email).AccessToken, "")
		if !slices.Equal(importedCells(t, want), importedCells(t, got)) {
			t.Fatalf("the excel round trip differs:\n%s\n---\n%s", want, got)
		}

		res, body = exportCSV(t, env, admin, "?format=xlsx")
		wantProblem(t, res, body, 400)
	})

	// After the score, what the list shows: the assignee's name, the
	// contacts logged, the last one's time, the creation and closing times,
	// in UTC; a re-import reads past them too.
	t.Run("ReadOnlyColumns", func(t *testing.T) {
		leadExec(t, env, `UPDATE leads SET assigned_to = $1, contact_count = 2, last_contacted_at = '2026-12-05 16:30:15.5+00'
			WHERE external_id = 'rt-3'`, env.AdminUser.Id)
		_, body := exportCSV(t, env, admin, "?q=bruno")
		recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
		if err != nil || len(recs) != 2 {
			t.Fatalf("%v:\n%s", err, body)
		}
		cell := func(name string) string { return recs[1][slices.Index(recs[0], name)] }
		if cell("assigned_to_name") != env.AdminUser.Name || cell("contact_count") != "2" ||
			cell("last_contacted_at") != "2026-12-05T16:30:15Z" || !strings.HasSuffix(cell("created_at"), "Z") ||
			cell("closed_at") != "" {
			t.Fatalf("read-only cells: %q", recs)
		}
		if out := importOK(t, env, "", string(body)); out.Unchanged != 1 || len(out.Rejected) != 0 {
			t.Fatalf("re-import: %+v", out)
		}

		// A won lead carries when it was won, as the leaderboard counts it.
		leadExec(t, env, `UPDATE leads SET closed_at = '2026-12-06 10:15:00.75+00' WHERE external_id = 'rt-4'`)
		_, body = exportCSV(t, env, admin, "?status=success")
		if recs, err = csv.NewReader(bytes.NewReader(body)).ReadAll(); err != nil || len(recs) != 2 {
			t.Fatalf("%v:\n%s", err, body)
		}
		if got := cell("closed_at"); got != "2026-12-06T10:15:00Z" {
			t.Fatalf("closed_at %q: %q", got, recs)
		}
		if out := importOK(t, env, "", string(body)); out.Unchanged != 1 || len(out.Rejected) != 0 {
			t.Fatalf("re-import of a closed lead: %+v", out)
		}
	})

	// The score columns carry it for whoever reads the file; a
	// re-import reads past them, whatever the cells say (the server scores
	// leads itself).
	t.Run("Score", func(t *testing.T) {
		leadExec(t, env, `UPDATE leads SET probability = 0.8125, category = 'hot' WHERE external_id = 'rt-4'`)
		_, body := exportCSV(t, env, admin, "?q=carla")
		if _, rows := csvLines(body); len(rows) != 1 || !strings.Contains(rows[0], ",0.8125,hot,") {
			t.Fatalf("scored lead: %q", rows)
		}
		edited := strings.Replace(string(body), ",0.8125,hot", ",not a number,lukewarm", 1)
		if out := importOK(t, env, "", edited); out.Inserted+out.Updated+out.Unchanged != 1 || len(out.Rejected) != 0 {
			t.Fatalf("re-import: %+v", out)
		}
	})

	// An export carries each lead's version: re-imported after someone
	// changed the lead, a row that would change it again is refused (as a
	// PATCH with that version gets 412), and one that changes nothing is
	// unchanged, so importing a file twice stays harmless.
	// A row from a file exported before a contact moved the lead on is
	// stale: it says so, rather than that the workflow forbids going back
	// to the status the file still has.
	t.Run("StaleStatus", func(t *testing.T) {
		l := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Quintino Moved On"})
		_, old := exportCSV(t, env, admin, "?q=quintino")
		if r, err := env.Admin.CreateLeadActivityWithResponse(bg, l.Id, client.ActivityCreate{Kind: client.ActivityKindCall}); err != nil || r.StatusCode() != 201 {
			t.Fatalf("contact: %v %d", err, r.StatusCode())
		}
		if got := leadMustGet(t, env.Admin, l.Id); got.Status != client.LeadStatusContacted {
			t.Fatalf("status after a call %q", got.Status)
		}
		edited := strings.Replace(string(old), "Quintino Moved On", "Quintino Renamed", 1)
		out := importOK(t, env, "", edited)
		if out.Updated != 0 || len(out.Rejected) != 1 || out.Rejected[0].Field != "version" ||
			!strings.Contains(out.Rejected[0].Message, "has changed since this file was exported") {
			t.Fatalf("stale row moving the status back: %+v", out)
		}
		// Without the version column, the workflow's own rule answers.
		recs, err := csv.NewReader(bytes.NewReader([]byte(edited))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		vi := slices.Index(recs[0], "version")
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		for _, r := range recs {
			_ = w.Write(slices.Delete(slices.Clone(r), vi, vi+1))
		}
		w.Flush()
		out = importOK(t, env, "", b.String())
		if out.Updated != 0 || len(out.Rejected) != 1 || out.Rejected[0].Field != "status" {
			t.Fatalf("row moving the status back, no version: %+v", out)
		}
	})
	t.Run("StaleVersion", func(t *testing.T) {
		q := "sousa"
		list, err := env.Admin.ListLeadsWithResponse(bg, &client.ListLeadsParams{Q: &q})
		if err != nil || list.JSON200 == nil || len(list.JSON200.Items) != 1 {
			t.Fatalf("rt-1: %v", err)
		}
		lead := list.JSON200.Items[0]
		_, old := exportCSV(t, env, admin, "?q=sousa")
		recs, err := csv.NewReader(bytes.NewReader(old)).ReadAll()
		if err != nil || len(recs) != 2 || recs[1][slices.Index(recs[0], "version")] != strconv.Itoa(int(lead.Version)) {
			t.Fatalf("the export's version, want %d: %v %q", lead.Version, err, recs)
		}
		patch := func(v int32, notes string) int32 {
			r, err := env.Admin.UpdateLeadWithResponse(bg, lead.Id, leadIfMatch(v), client.LeadPatch{Notes: nullable.NewNullableWithValue(notes)})
			if err != nil || r.JSON200 == nil {
				t.Fatalf("patch: %v %d %s", err, r.StatusCode(), r.Body)
			}
			return r.JSON200.Version
		}
		v := patch(lead.Version, "a seller's note since the export")
		edited := strings.Replace(string(old), "call after 6pm", "call after 7pm", 1)
		for _, dry := range []string{"?dry_run=true", ""} {
			out := importOK(t, env, dry, edited)
			if out.Updated != 0 || out.Unchanged != 0 || len(out.Rejected) != 1 || out.Rejected[0].Field != "version" ||
				!strings.Contains(out.Rejected[0].Message, "has changed since this file was exported") {
				t.Fatalf("stale re-import %q: %+v", dry, out)
			}
		}
		// The same lead twice, the last row stale: the first is not
		// imported in its place, and says so.
		header, rest, _ := strings.Cut(edited, "\n")
		_, oldRow, _ := strings.Cut(string(old), "\n")
		out := importOK(t, env, "?dry_run=true", header+"\n"+oldRow+rest)
		if out.Updated != 0 || out.RejectedRows != 2 || !slices.ContainsFunc(out.Rejected, func(r client.ImportRejection) bool {
			return r.Line == 2 && strings.Contains(r.Message, ", which is rejected; only the last row with it counts, so neither is imported")
		}) {
			t.Fatalf("a stale last row of two: %+v", out)
		}
		got, err := env.Admin.GetLeadWithResponse(bg, lead.Id)
		if err != nil || got.JSON200 == nil || got.JSON200.Version != v || got.JSON200.Notes == nil ||
			*got.JSON200.Notes != "a seller's note since the export" {
			t.Fatalf("the refused row changed the lead: %v %+v", err, got.JSON200)
		}
		// The same values again: nothing to refuse.
		patch(v, *lead.Notes)
		if out := importOK(t, env, "", string(old)); out.Unchanged != 1 || len(out.Rejected) != 0 {
			t.Fatalf("stale but unchanged row: %+v", out)
		}
		// A lead without an external_id, which the export names by its id:
		// refused, it does not take the id as its external_id either.
		bare := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Zacarias Stale"})
		_, bareOld := exportCSV(t, env, admin, "?q=zacarias")
		r, err := env.Admin.UpdateLeadWithResponse(bg, bare.Id, leadIfMatch(bare.Version), client.LeadPatch{Notes: nullable.NewNullableWithValue("since")})
		if err != nil || r.JSON200 == nil {
			t.Fatalf("patch: %v %d %s", err, r.StatusCode(), r.Body)
		}
		if out := importOK(t, env, "", strings.Replace(string(bareOld), "Zacarias Stale", "Zacarias Old", 1)); len(out.Rejected) != 1 || out.Updated != 0 {
			t.Fatalf("stale row naming a lead by its id: %+v", out)
		}
		if got, err := env.Admin.GetLeadWithResponse(bg, bare.Id); err != nil || got.JSON200 == nil ||
			got.JSON200.ExternalId != nil || got.JSON200.Version != bare.Version+1 || got.JSON200.Name != "Zacarias Stale" {
			t.Fatalf("the refused row changed the lead: %v %+v", err, got.JSON200)
		}
		if n := scalar(t, env, `SELECT count(*) FROM audit_events WHERE entity_id = $1`, bare.Id.String()); n != 2 {
			t.Errorf("%d events on the lead, want its creation and the PATCH", n)
		}
		// Changed since, but the row brings its current values: unchanged,
		// and still without an external_id.
		_, bareNow := exportCSV(t, env, admin, "?q=zacarias")
		claim, err := env.Admin.UpdateLeadWithResponse(bg, bare.Id, leadIfMatch(bare.Version+1),
			client.LeadPatch{AssignedTo: nullable.NewNullableWithValue("me")})
		if err != nil || claim.JSON200 == nil {
			t.Fatalf("claim: %v %d %s", err, claim.StatusCode(), claim.Body)
		}
		if out := importOK(t, env, "", string(bareNow)); out.Unchanged != 1 || len(out.Rejected) != 0 {
			t.Fatalf("stale but unchanged row naming a lead by its id: %+v", out)
		}
		if got, err := env.Admin.GetLeadWithResponse(bg, bare.Id); err != nil || got.JSON200 == nil ||
			got.JSON200.ExternalId != nil || got.JSON200.Version != claim.JSON200.Version {
			t.Fatalf("the unchanged row changed the lead: %v %+v", err, got.JSON200)
		}

		// Without the version column the file overwrites, as it always did.
		noVersion := strings.Replace(strings.Replace(edited, ",version\n", "\n", 1), ","+strconv.Itoa(int(lead.Version))+"\n", "\n", 1)
		if out := importOK(t, env, "", noVersion); out.Updated != 1 || len(out.Rejected) != 0 {
			t.Fatalf("without a version: %+v\n%s", out, noVersion)
		}
	})
}
