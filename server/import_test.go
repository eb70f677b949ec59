package server_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/data"
	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/logbuf"
	"github.com/jmksales/jmk/server/servertest"
	"github.com/jmksales/jmk/server/store"
)

// uciHeader is the UCI file's header line as published.
const uciHeader = `"age";"job";"marital";"education";"default";"housing";"loan";"contact";"month";"day_of_week";"duration";"campaign";"pdays";"previous";"poutcome";"emp.var.rate";"cons.price.idx";"cons.conf.idx";"euribor3m";"nr.employed";"y"`

// apiHeader is a plain comma CSV with our names, an external id and a name.
const apiHeader = "external_id,name,phone,age,job,y"

// importCSV posts body to the import as the admin and returns the response.
func importCSV(t *testing.T, env *servertest.Env, query string, body io.Reader, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	h := map[string]string{"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken, "Content-Type": "text/csv"}
	for k, v := range header {
		h[k] = v
	}
	return raw(t, http.MethodPost, env.URL+"/api/v1/leads/import"+query, body, h)
}

// importOK imports body and returns the result, failing on anything but 200.
func importOK(t *testing.T, env *servertest.Env, query, body string) client.ImportResult {
	t.Helper()
	res, b := importCSV(t, env, query, strings.NewReader(body), nil)
	if res.StatusCode != 200 {
		t.Fatalf("import: %d %s", res.StatusCode, b)
	}
	var out client.ImportResult
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func leadTotal(t *testing.T, env *servertest.Env) int64 {
	t.Helper()
	return scalar(t, env, "SELECT count(*) FROM leads")
}

func importEvents(t *testing.T, env *servertest.Env) int64 {
	t.Helper()
	return scalar(t, env, "SELECT count(*) FROM audit_events WHERE action = 'import.leads'")
}

func TestImport(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)

	t.Run("UCISample", func(t *testing.T) {
		body, err := os.ReadFile("leadcsv/testdata/uci_sample.csv")
		if err != nil {
			t.Fatal(err)
		}
		before := leadTotal(t, env)
		out := importOK(t, env, "", string(body))
		if out.Inserted != 5 || out.Updated != 0 || len(out.Rejected) != 0 || out.DryRun {
			t.Fatalf("result %+v", out)
		}
		if n := leadTotal(t, env) - before; n != 5 {
			t.Fatalf("%d leads added", n)
		}
		// y = yes on one row, no on four: closed history, closed now.
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE name LIKE 'Imported lead (line %' AND status = 'success' AND closed_at IS NOT NULL`); n != 1 {
			t.Errorf("%d success leads", n)
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE name LIKE 'Imported lead (line %' AND status = 'failed' AND closed_at IS NOT NULL
			AND job IS NOT NULL AND probability IS NULL`); n != 4 {
			t.Errorf("%d failed leads", n)
		}
	})

	t.Run("OutcomeIgnore", func(t *testing.T) {
		body := apiHeader + "\nign-1,Rui Pinto,+351 912 000 001,40,admin.,yes\nign-2,Rita Reis,,33,services,no\n"
		out := importOK(t, env, "?outcome=ignore", body)
		if out.Inserted != 2 {
			t.Fatalf("result %+v", out)
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE external_id IN ('ign-1', 'ign-2') AND status = 'new' AND closed_at IS NULL`); n != 2 {
			t.Errorf("%d open leads", n)
		}
	})

	// With y left aside a status column is honoured, whatever y says.
	t.Run("OutcomeIgnoreStatusAgainstY", func(t *testing.T) {
		out := importOK(t, env, "?outcome=ignore", "external_id,name,status,y\nigs-1,Ivo Sa,new,no\nigs-2,Eva Sa,contacted,yes\n")
		if out.Inserted != 2 || len(out.Rejected) != 0 {
			t.Fatalf("result %+v", out)
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE (external_id, status) IN (('igs-1', 'new'), ('igs-2', 'contacted'))`); n != 2 {
			t.Errorf("%d leads with the file's statuses", n)
		}
	})

	t.Run("Idempotent", func(t *testing.T) {
		body := apiHeader + "\nidem-1,Ana Lopes,+351 912 000 002,30,admin.,no\nidem-2,,,45,retired,yes\n,No Id,,50,student,no\n"
		first := importOK(t, env, "", body)
		if first.Inserted != 3 || first.Updated != 0 {
			t.Fatalf("first %+v", first)
		}
		before := leadTotal(t, env)
		const lastUpdate = `SELECT (extract(epoch FROM max(updated_at)) * 1e6)::bigint FROM leads WHERE external_id IN ('idem-1', 'idem-2')`
		updatedAt := scalar(t, env, lastUpdate)
		second := importOK(t, env, "", body)
		// Rows with an external_id match their leads, which already hold
		// those values: nothing changes, not even the version. A row
		// without one is always new.
		if second.Inserted != 1 || second.Updated != 0 || second.Unchanged != 2 {
			t.Fatalf("second %+v", second)
		}
		if n := leadTotal(t, env) - before; n != 1 {
			t.Errorf("%d leads added by the re-import", n)
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE external_id IN ('idem-1', 'idem-2') AND version = 1`); n != 2 {
			t.Error("the re-import gave unchanged leads a new version")
		}
		if n := scalar(t, env, lastUpdate); n != updatedAt {
			t.Error("the re-import moved updated_at of unchanged leads")
		}
		// One changed row: that lead alone gets a new version.
		third := importOK(t, env, "", strings.Replace(body, "idem-2,,,45", "idem-2,,,46", 1))
		if third.Updated != 1 || third.Unchanged != 1 {
			t.Fatalf("third %+v", third)
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE external_id = 'idem-2' AND name = 'Lead idem-2' AND age = 46 AND version = 2`); n != 1 {
			t.Error("idem-2 not updated once, keeping its made-up name")
		}
	})

	t.Run("UpdateKeepsAbsentColumns", func(t *testing.T) {
		importOK(t, env, "", "external_id,name,phone,email,age,job\nkeep-1,Marta Dias,+351 913 000 003,marta@example.pt,30,admin.\n")
		// The second file has no name, phone or email column and only age.
		out := importOK(t, env, "", "external_id,age\nkeep-1,31\n")
		if out.Updated != 1 {
			t.Fatalf("result %+v", out)
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE external_id = 'keep-1' AND name = 'Marta Dias'
			AND phone = '+351 913 000 003' AND email = 'marta@example.pt' AND age = 31 AND job = 'admin' AND status = 'new'`); n != 1 {
			t.Error("absent columns were not kept")
		}
		// An empty cell of a present column clears it; an empty name keeps the name.
		importOK(t, env, "", "external_id,name,phone\nkeep-1,,\n")
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE external_id = 'keep-1' AND name = 'Marta Dias' AND phone IS NULL`); n != 1 {
			t.Error("empty cells: want the name kept and the phone cleared")
		}
	})

	t.Run("DryRun", func(t *testing.T) {
		before, events := leadTotal(t, env), importEvents(t, env)
		body := apiHeader + "\ndry-1,Dry Run,,30,admin.,no\nidem-1,Ana Lopes,,30,admin.,no\nbad,Bad Row,,300,admin.,no\n"
		out := importOK(t, env, "?dry_run=true", body)
		if !out.DryRun || out.Inserted != 1 || out.Updated != 1 || len(out.Rejected) != 1 || out.Rejected[0].Line != 4 {
			t.Fatalf("result %+v", out)
		}
		if leadTotal(t, env) != before || importEvents(t, env) != events {
			t.Error("a dry run wrote something")
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE external_id = 'idem-1' AND version = 1`); n != 1 {
			t.Error("a dry run changed a lead")
		}
	})

	t.Run("Rejections", func(t *testing.T) {
		before := leadTotal(t, env)
		body := apiHeader + "\n" +
			"rej-1,Good One,,30,admin.,no\n" + // 2
			"rej-2,Bad Age,,300,admin.,no\n" + // 3
			"rej-3,Bad Job And Phone,abc,30,astronaut,no\n" + // 4
			"rej-4,Short Row\n" + // 5
			"rej-5,Good Two,,41,technician,yes\n" + // 6
			"rej-1,Good One Again,,31,admin.,no\n" // 7: repeats line 2's external_id
		out := importOK(t, env, "", body)
		if out.Inserted != 2 || out.Updated != 0 {
			t.Fatalf("result %+v", out)
		}
		want := map[string]bool{"3 age": true, "4 job": true, "4 phone": true, "5 ": true, "2 external_id": true}
		for _, r := range out.Rejected {
			k := fmt.Sprintf("%d %s", r.Line, r.Field)
			if !want[k] || r.Message == "" {
				t.Errorf("unexpected rejection %+v", r)
			}
			delete(want, k)
		}
		if len(want) > 0 {
			t.Errorf("missing rejections %v in %+v", want, out.Rejected)
		}
		if n := leadTotal(t, env) - before; n != 2 {
			t.Errorf("%d leads added", n)
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE external_id = 'rej-1' AND name = 'Good One Again'`); n != 1 {
			t.Error("the last row of a repeated external_id should win")
		}
	})

	t.Run("DeletedLeadRefused", func(t *testing.T) {
		importOK(t, env, "", "external_id,name\ndel-1,To Delete\n")
		if err := sql(t, env, `UPDATE leads SET deleted_at = now() WHERE external_id = 'del-1'`); err != nil {
			t.Fatal(err)
		}
		out := importOK(t, env, "", "external_id,name\ndel-1,Back Again\n")
		if out.Inserted != 0 || out.Updated != 0 || len(out.Rejected) != 1 || out.Rejected[0].Field != "external_id" {
			t.Fatalf("result %+v", out)
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE external_id = 'del-1' AND deleted_at IS NOT NULL AND name = 'To Delete'`); n != 1 {
			t.Error("the deleted lead changed")
		}
	})

	t.Run("NothingToCreateALeadWith", func(t *testing.T) {
		// A file that only closes leads: a mistyped external_id would add a
		// nameless closed lead; it is refused, and so is a row of empty
		// cells. The same bare row for an existing lead updates it.
		importOK(t, env, "", "external_id,name\nclose-1,Open One\n")
		before := leadTotal(t, env)
		out := importOK(t, env, "", "external_id,status,age\nclose-1,failed,\nclose-9,failed,\n,success,\n")
		if out.Inserted != 0 || out.Updated != 1 || len(out.Rejected) != 2 {
			t.Fatalf("result %+v", out)
		}
		if r := out.Rejected[0]; r.Line != 3 || r.Field != "external_id" || !strings.Contains(r.Message, `no lead has external_id "close-9"`) {
			t.Errorf("rejection %+v", r)
		}
		if r := out.Rejected[1]; r.Line != 4 || r.Field != "" || !strings.Contains(r.Message, "nothing to make a lead of") {
			t.Errorf("rejection %+v", r)
		}
		if n := leadTotal(t, env); n != before {
			t.Errorf("%d leads added", n-before)
		}
		// A row with any scoring input is a lead, as a UCI row is.
		if out := importOK(t, env, "", "external_id,status,age\nclose-8,failed,40\n"); out.Inserted != 1 {
			t.Errorf("result %+v", out)
		}
		// A bare row naming a lead by its id (as an export writes a lead
		// without external_id) updates it, or is refused for its own reason.
		var open, gone, own client.Lead
		for _, l := range []struct {
			lead *client.Lead
			body client.LeadCreate
		}{{&open, client.LeadCreate{Name: "Open By Id"}}, {&gone, client.LeadCreate{Name: "Gone By Id"}},
			{&own, client.LeadCreate{Name: "Own External Id", ExternalId: lref("own-1")}}} {
			*l.lead = leadMustCreate(t, env.Admin, l.body)
		}
		if r, _ := env.Admin.DeleteLeadWithResponse(bg, gone.Id, nil); r.StatusCode() != 204 {
			t.Fatalf("delete: %d", r.StatusCode())
		}
		out = importOK(t, env, "", fmt.Sprintf("external_id,status\n%s,contacted\n%s,contacted\n%s,contacted\n",
			open.Id, gone.Id, own.Id))
		if out.Updated != 1 || out.Inserted != 0 || len(out.Rejected) != 2 {
			t.Fatalf("result %+v", out)
		}
		if r := out.Rejected[0]; r.Line != 3 || !strings.Contains(r.Message, "belongs to a deleted lead") {
			t.Errorf("rejection %+v", r)
		}
		if r := out.Rejected[1]; r.Line != 4 || !strings.Contains(r.Message, `name it by that`) {
			t.Errorf("rejection %+v", r)
		}
	})

	t.Run("WorkflowHolds", func(t *testing.T) {
		// The status workflow binds an import as it binds an admin's PATCH:
		// an old file must not reopen closed leads as new.
		importOK(t, env, "", "external_id,name,status\nwf-1,Won,success\nwf-2,Lost,failed\nwf-3,Open,contacted\n")
		out := importOK(t, env, "", "external_id,name,status\nwf-1,Won,new\nwf-2,Lost,follow_up\nwf-3,Open,new\n")
		if out.Updated != 1 || len(out.Rejected) != 2 {
			t.Fatalf("result %+v", out)
		}
		for i, line := range []int{2, 4} {
			if r := out.Rejected[i]; r.Line != line || r.Field != "status" || !strings.Contains(r.Message, "cannot move") {
				t.Errorf("rejection %+v, want line %d on status", r, line)
			}
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE (external_id, status) IN (('wf-1', 'success'), ('wf-2', 'follow_up'), ('wf-3', 'contacted'))`); n != 3 {
			t.Error("statuses: want wf-1 still won, wf-2 reopened to follow_up, wf-3 still contacted")
		}
		// A refusal names the column the row's status came from: y when
		// its status cell is empty or absent and y decided, else status.
		importOK(t, env, "", "external_id,name,status\nwf-4,Won Too,success\n")
		for _, c := range []struct {
			name, file string
			fields     []string // of the rows' refusals, in line order
		}{
			{"StatusOnly", "external_id,status\nwf-1,failed\n", []string{"status"}},
			{"YOnly", "external_id,y\nwf-1,no\n", []string{"y"}},
			{"BothStatusFilled", "external_id,status,y\nwf-1,failed,no\n", []string{"status"}},
			{"BothStatusBlank", "external_id,status,y\nwf-1,,no\n", []string{"y"}},
			{"BothPerRow", "external_id,status,y\nwf-1,,no\nwf-4,failed,no\n", []string{"y", "status"}},
			{"BothPerRowSemicolon", "external_id;y;status\nwf-1;no;failed\nwf-4;no;\n", []string{"status", "y"}},
		} {
			t.Run(c.name, func(t *testing.T) {
				out := importOK(t, env, "", c.file)
				if out.Updated != 0 || len(out.Rejected) != len(c.fields) {
					t.Fatalf("result %+v, want %d refusals", out, len(c.fields))
				}
				for i, field := range c.fields {
					if r := out.Rejected[i]; r.Line != i+2 || r.Field != field || !strings.Contains(r.Message, "cannot move") {
						t.Errorf("rejection %+v, want line %d on %s", r, i+2, field)
					}
				}
			})
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE external_id IN ('wf-1', 'wf-4') AND status = 'success'`); n != 2 {
			t.Error("statuses: want wf-1 and wf-4 still won")
		}
	})

	t.Run("RepeatedRowMeetsNoRuleButItsOwn", func(t *testing.T) {
		// A superseded row is never imported, so the workflow does not
		// judge it: only the last row with its external_id counts.
		importOK(t, env, "", "external_id,name,status\nrep-1,Won Once,success\n")
		out := importOK(t, env, "", "external_id,name,status\nrep-1,Won Once,new\nrep-1,Won Twice,success\n")
		if out.Updated != 1 || len(out.Rejected) != 1 {
			t.Fatalf("result %+v", out)
		}
		if r := out.Rejected[0]; r.Line != 2 || r.Field != "external_id" || !strings.Contains(r.Message, "comes again on line 3") {
			t.Errorf("rejection %+v, want line 2 superseded by line 3", r)
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE external_id = 'rep-1' AND status = 'success' AND name = 'Won Twice'`); n != 1 {
			t.Error("the last row should have updated the lead, keeping it won")
		}
	})

	t.Run("RejectionsListed", func(t *testing.T) {
		// A file wrong throughout: the answer lists the first 1,000
		// problems by line and counts every rejected row.
		var b strings.Builder
		b.WriteString("name,age,euribor3m\n")
		for i := range 2400 {
			if i%2 == 0 {
				fmt.Fprintf(&b, "Good %d,40,1.5\n", i)
			} else {
				fmt.Fprintf(&b, "Bad %d,x,y\n", i)
			}
		}
		out := importOK(t, env, "?dry_run=true", b.String())
		if out.Inserted != 1200 || out.RejectedRows != 1200 || len(out.Rejected) != 1000 {
			t.Fatalf("inserted %d, %d rejected rows, %d listed", out.Inserted, out.RejectedRows, len(out.Rejected))
		}
		if first, last := out.Rejected[0], out.Rejected[999]; first.Line != 3 || last.Line != 1001 ||
			!slices.IsSortedFunc(out.Rejected, func(a, b client.ImportRejection) int { return a.Line - b.Line }) {
			t.Errorf("listed from line %d to %d", first.Line, last.Line)
		}
	})

	t.Run("RejectedLastRowLetsNoEarlierOneIn", func(t *testing.T) {
		// The last row of an id is the one that counts: when it is bad, an
		// earlier row must not be imported in its place, unannounced.
		out := importOK(t, env, "", "external_id,name,age\nrl-1,First,30\nrl-2,Kept,31\nrl-1,Second,abc\nrl-3,Also First,32\nrl-3,Bad Again,x\nrl-3,Last And Good,33\n")
		if out.Inserted != 2 || len(out.Rejected) != 4 {
			t.Fatalf("result %+v", out)
		}
		got := map[int]string{}
		for _, r := range out.Rejected {
			got[r.Line] = r.Field + ": " + r.Message
		}
		if !strings.Contains(got[2], "comes again on line 4, which is rejected") || !strings.HasPrefix(got[4], "age: ") ||
			!strings.Contains(got[5], "comes again on line 7") || !strings.HasPrefix(got[6], "age: ") ||
			!strings.Contains(got[5], "only the last row with it is imported") {
			t.Errorf("rejections %v", got)
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE external_id = 'rl-1'`); n != 0 {
			t.Error("rl-1 was imported from the row its rejected last row replaces")
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE (external_id, name) IN (('rl-2', 'Kept'), ('rl-3', 'Last And Good'))`); n != 2 {
			t.Error("want rl-2 and rl-3's last row imported")
		}
	})

	t.Run("EmptyStatusKeepsTheLeads", func(t *testing.T) {
		// An empty status cell asks for no move: a lead past new keeps its
		// status; a new lead starts as new.
		importOK(t, env, "", "external_id,name,status\nes-1,Still Talking,contacted\n")
		out := importOK(t, env, "", "external_id,name,status,phone\nes-1,,,+351 7\nes-2,Fresh One,,\n")
		if out.Updated != 1 || out.Inserted != 1 || len(out.Rejected) != 0 {
			t.Fatalf("result %+v", out)
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE (external_id, status) IN (('es-1', 'contacted'), ('es-2', 'new'))
			AND (external_id = 'es-2' OR phone = '+351 7')`); n != 2 {
			t.Error("want es-1 still contacted with its new phone, es-2 new")
		}
	})

	t.Run("ExternalIDWithAnotherColumn", func(t *testing.T) {
		// A file that only updates what it names needs no name column.
		importOK(t, env, "", "external_id,name\nupd-1,Upd One\n")
		out := importOK(t, env, "", "external_id,phone\nupd-1,+351 9\n")
		if out.Updated != 1 || len(out.Rejected) != 0 {
			t.Fatalf("result %+v", out)
		}
		if n := scalar(t, env, `SELECT count(*) FROM leads WHERE external_id = 'upd-1' AND phone = '+351 9' AND name = 'Upd One'`); n != 1 {
			t.Error("the phone should have changed, the name stayed")
		}
		res, b := importCSV(t, env, "", strings.NewReader("external_id\nupd-1\n"), nil)
		wantProblem(t, res, b, 422)
	})

	t.Run("NamedByID", func(t *testing.T) {
		create := func(name string, ext *string) client.Lead {
			t.Helper()
			r, err := env.Admin.CreateLeadWithResponse(bg, client.LeadCreate{Name: name, ExternalId: ext})
			if err != nil || r.JSON201 == nil {
				t.Fatalf("create %s: %v %d %s", name, err, r.StatusCode(), r.Body)
			}
			return *r.JSON201
		}
		// A row naming a lead by its id belongs to the lead holding that
		// id as its external_id, when there is one. The API refuses such an
		// external_id now (409); leads made before that may hold one.
		alpha := create("Alpha Collide", nil)
		beta := create("Beta Collide", nil)
		if err := sql(t, env, `UPDATE leads SET external_id = '`+alpha.Id.String()+`' WHERE id = '`+beta.Id.String()+`'`); err != nil {
			t.Fatal(err)
		}
		out := importOK(t, env, "", "external_id,name\n"+alpha.Id.String()+",Beta Renamed\nid-good-1,Good Row\n")
		if out.Inserted != 1 || out.Updated != 1 || len(out.Rejected) != 0 {
			t.Fatalf("result %+v", out)
		}
		if l := leadMustGet(t, env.Admin, beta.Id); l.Name != "Beta Renamed" {
			t.Errorf("the lead holding the id as external_id: %+v", l)
		}
		if l := leadMustGet(t, env.Admin, alpha.Id); l.Name != "Alpha Collide" || l.ExternalId != nil || l.Version != 1 {
			t.Errorf("the lead with that id: %+v", l)
		}
		// The id in upper case names the lead as well, and is stored in
		// lower case, so the lower case names it next time; in one file
		// the two are the same external_id, the last row counting.
		upper := create("Upper Case Id", nil)
		up, low := strings.ToUpper(upper.Id.String()), upper.Id.String()
		out = importOK(t, env, "", "external_id,phone\n"+up+",+351 3\n"+low+",+351 4\n")
		if out.Inserted != 0 || out.Updated != 1 || len(out.Rejected) != 1 || out.Rejected[0].Line != 2 {
			t.Fatalf("upper-case id: %+v", out)
		}
		if l := leadMustGet(t, env.Admin, upper.Id); l.ExternalId == nil || *l.ExternalId != low || l.Phone == nil || *l.Phone != "+351 4" {
			t.Fatalf("the lead named by its id: %+v", l)
		}
		if out = importOK(t, env, "", "external_id,phone\n"+up+",+351 4\n"); out.Unchanged != 1 {
			t.Fatalf("upper-case id again: %+v", out)
		}
		// The holder of an id as its external_id is found whatever the case.
		if out = importOK(t, env, "", "external_id,name\n"+strings.ToUpper(alpha.Id.String())+",Beta Again\n"); out.Updated != 1 {
			t.Fatalf("upper-case external_id of another lead: %+v", out)
		}
		if l := leadMustGet(t, env.Admin, beta.Id); l.Name != "Beta Again" {
			t.Errorf("the holder: %+v", l)
		}
		// A deleted lead named by its id stays deleted, as one named by
		// its external_id does.
		gone := create("Gone By Id", nil)
		if d, _ := env.Admin.DeleteLeadWithResponse(bg, gone.Id, nil); d.StatusCode() != 204 {
			t.Fatalf("delete: %d", d.StatusCode())
		}
		before := leadTotal(t, env)
		out = importOK(t, env, "", "external_id,name\n"+gone.Id.String()+",Back Again\n")
		if out.Inserted != 0 || len(out.Rejected) != 1 || out.Rejected[0].Line != 2 ||
			!strings.Contains(out.Rejected[0].Message, "deleted lead") {
			t.Fatalf("result %+v", out)
		}
		if leadTotal(t, env) != before {
			t.Error("the deleted lead came back as a new one")
		}
		// A lead that has an external_id is named by that, not by its id:
		// its id as another row's external_id would make a confusing copy.
		kept := create("Has Its Own", lref("own-ext-1"))
		goneToo := create("Gone With Own", lref("own-ext-2"))
		if d, _ := env.Admin.DeleteLeadWithResponse(bg, goneToo.Id, nil); d.StatusCode() != 204 {
			t.Fatalf("delete: %d", d.StatusCode())
		}
		out = importOK(t, env, "", "external_id,name\n"+kept.Id.String()+",Copy\n"+goneToo.Id.String()+",Back\n")
		if out.Inserted != 0 || out.Updated != 0 || len(out.Rejected) != 2 ||
			!strings.Contains(out.Rejected[0].Message, `the lead with external_id "own-ext-1"`) ||
			!strings.Contains(out.Rejected[1].Message, "deleted lead") {
			t.Fatalf("result %+v", out)
		}
		if leadTotal(t, env) != before+2 {
			t.Error("a lead was added")
		}
	})

	t.Run("OneAuditEvent", func(t *testing.T) {
		before := importEvents(t, env)
		importOK(t, env, "", apiHeader+"\naud-1,Audit One,,30,admin.,no\naud-2,Audit Two,,30,admin.,no\n")
		if n := importEvents(t, env) - before; n != 1 {
			t.Fatalf("%d import events", n)
		}
		if n := scalar(t, env, `SELECT count(*) FROM (SELECT * FROM audit_events WHERE action = 'import.leads'
			ORDER BY id DESC LIMIT 1) e WHERE entity_type = 'import' AND entity_id IS NOT NULL
			AND changes->'inserted'->>'to' = '2' AND changes->'updated'->>'to' = '0' AND actor_id IS NOT NULL
			AND summary LIKE '%2 new, 0 updated, 0 unchanged, 0 rejected'`); n != 1 {
			t.Error("no import event with the counts")
		}
	})

	t.Run("ErrForbidden", func(t *testing.T) {
		_, sales := env.NewUser(auth.RoleSales)
		r, err := sales.ImportLeadsWithBodyWithResponse(bg, nil, "text/csv", strings.NewReader(apiHeader+"\nx,Y,,30,admin.,no\n"))
		if err != nil || r.StatusCode() != 403 {
			t.Fatalf("sales import: %v %d %s", err, r.StatusCode(), r.Body)
		}
	})

	t.Run("ErrUnauthorized", func(t *testing.T) {
		r, err := env.Anon.ImportLeadsWithBodyWithResponse(bg, nil, "text/csv", strings.NewReader(apiHeader+"\nx,Y,,30,admin.,no\n"))
		if err != nil || r.StatusCode() != 401 {
			t.Fatalf("anonymous import: %v %d %s", err, r.StatusCode(), r.Body)
		}
	})
}

// TestImportKeepsScoredAt: an import that changes a lead but none of its
// scoring inputs (an export with a name edited) leaves when the lead was
// scored as it was, as a PATCH of its name does; one that changes an input
// moves it, as a PATCH does, even when the model does not use that input
// (the call's duration) and the probability stays.
func TestImportKeepsScoredAt(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	loadUCI(t, env, 1500, 0)
	if r, err := env.Admin.TrainModelWithResponse(bg, client.TrainRequest{Activate: lref(true)}); err != nil || r.JSON201 == nil {
		t.Fatalf("train: %v %+v", err, r)
	}
	l := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Scored Once", ExternalId: lref("scored-once"),
		Age: lref(int32(41)), Job: lref(client.JobTechnician)})
	if l.ScoredAt == nil {
		t.Fatal("the lead was not scored")
	}
	res, body := raw(t, http.MethodGet, env.URL+"/api/v1/leads/export?q=Scored%20Once", nil,
		map[string]string{"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken})
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "Scored Once") {
		t.Fatalf("export: %d %s", res.StatusCode, body)
	}
	if r := importOK(t, env, "", strings.Replace(string(body), "Scored Once", "Scored Twice", 1)); r.Updated != 1 {
		t.Fatalf("import: %+v", r)
	}
	got := leadMustGet(t, env.Admin, l.Id)
	if got.Name != "Scored Twice" || got.ScoredAt == nil || !got.ScoredAt.Equal(*l.ScoredAt) ||
		got.Probability == nil || *got.Probability != *l.Probability {
		t.Errorf("after the import: %s scored %v (%v), was %v (%v)", got.Name, got.ScoredAt, got.Probability, l.ScoredAt, l.Probability)
	}

	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("export: %v %q", err, rows)
	}
	col := slices.Index(rows[0], "last_call_duration_sec")
	if col < 0 {
		t.Fatalf("no last_call_duration_sec in %q", rows[0])
	}
	rows[1][col] = "200"
	// The first import changed the lead since this export: without its
	// version, the row overwrites rather than being refused as stale.
	rows[1][slices.Index(rows[0], "version")] = ""
	var file bytes.Buffer
	if err := csv.NewWriter(&file).WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	if r := importOK(t, env, "", file.String()); r.Updated != 1 {
		t.Fatalf("import of a new duration: %+v", r)
	}
	again := leadMustGet(t, env.Admin, l.Id)
	if again.ScoredAt == nil || !again.ScoredAt.After(*got.ScoredAt) || *again.Probability != *l.Probability {
		t.Errorf("after a new duration: scored %v (%v), was %v (%v)", again.ScoredAt, again.Probability, got.ScoredAt, got.Probability)
	}
}

// TestImportMalformed sends files that are not lead CSVs at all: each gets a
// clear 4xx problem and writes nothing.
func TestImportMalformed(t *testing.T) {
	t.Parallel()
	// A smaller body limit than the 64 MiB default, which the chunked case
	// must reach: the import streams rows as they come, so it parses and
	// stages all of them before it can tell the body is too long.
	env := servertest.New(t, func(c *server.Config) { c.MaxImportBytes = 4 << 20 })
	importOK(t, env, "", apiHeader+"\nbase-1,Base Lead,,30,admin.,no\n")

	goodRows := strings.Repeat("m-%d,Fine Row,,30,admin.,no\n", 1)
	manyGood := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, goodRows, i)
		}
		return b.String()
	}
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
	latin1 := func(n int) string { // "João Gonçalves" in ISO-8859-1 on every row
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "l-%d,Jo\xe3o Gon\xe7alves,,30,admin.,no\n", i)
		}
		return b.String()
	}
	cases := []struct {
		name   string
		body   func() io.Reader
		ctype  string
		status int
		detail string
	}{
		{"Binary", func() io.Reader { return strings.NewReader(png) }, "", 422, "not a UTF-8 CSV file: a NUL byte, as in a binary file; save it as CSV UTF-8"},
		{"NULOnLine2", func() io.Reader {
			return strings.NewReader(apiHeader + "\nm-x,Nul\x00Row,,30,admin.,no\n")
		}, "", 422, "line 2: not a UTF-8 CSV file: a NUL byte, as in a binary file; save it as CSV UTF-8"},
		{"NULAfterGoodRows", func() io.Reader {
			return strings.NewReader(apiHeader + "\n" + manyGood(50) + "m-x,Nul\x00Row,,30,admin.,no\n")
		}, "", 422, "NUL"},
		{"WrongHeader", func() io.Reader { return strings.NewReader("foo,bar,baz\n1,2,3\n") }, "", 422, "unknown columns"},
		{"EmptyFile", func() io.Reader { return strings.NewReader("") }, "", 422, "empty"},
		{"InvalidUTF8Header", func() io.Reader { return strings.NewReader("n\xe3me,age\nx,30\n") }, "", 422,
			"line 1: not a UTF-8 CSV file: text in another encoding, such as Windows-1252; save it as CSV UTF-8"},
		{"WrongEncoding", func() io.Reader { return strings.NewReader(apiHeader + "\n" + latin1(1000)) }, "", 422,
			"line 2: not a UTF-8 CSV file: text in another encoding, such as Windows-1252; save it as CSV UTF-8"},
		// One accented row in another encoding among good ones: the file is
		// refused, not loaded without it.
		{"WrongEncodingOneRow", func() io.Reader {
			return strings.NewReader(apiHeader + "\n" + manyGood(20) + latin1(1) + manyGood(5))
		}, "", 422, "UTF-8"},
		{"QuoteLeftOpen", func() io.Reader {
			return strings.NewReader(apiHeader + "\n" + manyGood(3) + `q-1,"never closed,,30,admin.,no` + "\n" + manyGood(50))
		}, "", 422, "quote"},
		{"HugeField", func() io.Reader {
			return strings.NewReader(apiHeader + "\n" + manyGood(10) + `h-1,"` + strings.Repeat("x", 2<<20) + "\",,30,admin.,no\n")
		}, "", 422, "longer than"},
		{"UnclosedQuote", func() io.Reader {
			return strings.NewReader(apiHeader + "\n" + `q-1,"never closed,,30,admin.,no` + "\n" + strings.Repeat(manyGood(1), 60000))
		}, "", 422, "quote"},
		// The right file in the wrong format (decimal commas in a comma
		// file, as a Portuguese spreadsheet may save it): refused early,
		// with the first rows' reasons, which say how to fix it.
		{"MostRowsRejected", func() io.Reader {
			return strings.NewReader("name,euribor3m\n" + strings.Repeat("Ana,\"4,857\"\n", 1001))
		}, "", 422, `1000 of the first 1000 rows rejected; is it the right file?; the first: line 2, euribor_3m: "4,857" is not a number`},
		// Rows refused only once staged (here: an external_id that comes
		// again) count toward the same limit as the reader's.
		{"TooManyRejectedAfterStaging", func() io.Reader {
			return strings.NewReader("external_id,name\n" + strings.Repeat("dup-1,Ana\n", 10002))
		}, "", 422, "more than 10000 rows rejected"},
		{"JSON", func() io.Reader { return strings.NewReader(`{"name":"x"}`) }, "application/json", 415, "text/csv"},
		{"NotUTF8Charset", func() io.Reader { return strings.NewReader(apiHeader + "\n") }, "text/csv; charset=iso-8859-1", 415, "UTF-8"},
		{"TooLargeChunked", func() io.Reader { return io.MultiReader(strings.NewReader(apiHeader+"\n"), &endless{}) }, "", 413, "the file is over the size limit of 4 MiB for an upload"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before, events := leadTotal(t, env), importEvents(t, env)
			h := map[string]string{}
			if c.ctype != "" {
				h["Content-Type"] = c.ctype
			}
			res, body := importCSV(t, env, "", c.body(), h)
			p := wantProblem(t, res, body, c.status)
			if !strings.Contains(p.Detail, c.detail) {
				t.Errorf("detail %v, want it to mention %q", p.Detail, c.detail)
			}
			// A refused file names what was wrong where a form would look
			// for it: in errors, as its header's column or the file.
			if c.status == 422 && (p.Errors == nil || len(*p.Errors) != 1 || !strings.Contains(
				strings.ToLower((*p.Errors)[0].Message), strings.ToLower(c.detail))) {
				t.Errorf("errors %s, want one naming %q", body, c.detail)
			}
			// Text that is not UTF-8 is the file's fault, in its header too.
			if strings.Contains(c.detail, "not a UTF-8 CSV file") && (p.Errors == nil || (*p.Errors)[0].Field != "file") {
				t.Errorf("errors %s, want the field file", body)
			}
			if leadTotal(t, env) != before || importEvents(t, env) != events {
				t.Error("something was written")
			}
		})
	}

	// A bad query parameter is a 400 naming it, before any row is read.
	for _, c := range []struct{ query, field string }{
		{"?outcome=maybe", "outcome"},
		{"?outcome=", "outcome"},
		{"?dry_run=perhaps", "dry_run"},
		{"?dry_run=true&dry_run=false", "dry_run"},
		{"?dryrun=true", "dryrun"},
	} {
		t.Run("Parameter"+c.query, func(t *testing.T) {
			before, events := leadTotal(t, env), importEvents(t, env)
			res, body := importCSV(t, env, c.query, strings.NewReader(apiHeader+"\n"+manyGood(3)), nil)
			wantField(t, wantProblem(t, res, body, 400), c.field)
			if leadTotal(t, env) != before || importEvents(t, env) != events {
				t.Error("something was written")
			}
		})
	}

	t.Run("GzipEncoded", func(t *testing.T) {
		before, events := leadTotal(t, env), importEvents(t, env)
		var gz bytes.Buffer
		w := gzip.NewWriter(&gz)
		_, _ = io.WriteString(w, apiHeader+"\n"+manyGood(5))
		_ = w.Close()
		res, body := importCSV(t, env, "", &gz, map[string]string{"Content-Encoding": "gzip"})
		if p := wantProblem(t, res, body, 415); !strings.Contains(p.Detail, "uncompressed") {
			t.Errorf("detail %v", p.Detail)
		}
		if leadTotal(t, env) != before || importEvents(t, env) != events {
			t.Error("something was written")
		}
	})

	// So do rows the workflow refuses: 10,001 closed leads sent back to new.
	t.Run("TooManyWorkflowRefusals", func(t *testing.T) {
		var closed, reopen strings.Builder
		closed.WriteString("external_id,name,status\n")
		reopen.WriteString("external_id,status\n")
		for i := range 10001 {
			fmt.Fprintf(&closed, "wf-%d,Ana %d,failed\n", i, i)
			fmt.Fprintf(&reopen, "wf-%d,new\n", i)
		}
		importOK(t, env, "", closed.String())
		before, events := leadTotal(t, env), importEvents(t, env)
		res, body := importCSV(t, env, "", strings.NewReader(reopen.String()), nil)
		if p := wantProblem(t, res, body, 422); !strings.Contains(p.Detail, "more than 10000 rows rejected") {
			t.Errorf("detail %v", p.Detail)
		}
		if leadTotal(t, env) != before || importEvents(t, env) != events ||
			scalar(t, env, `SELECT count(*) FROM leads WHERE external_id LIKE 'wf-%' AND status <> 'failed'`) != 0 {
			t.Error("something was written")
		}
	})

	// At the limit, the file goes in with every rejection counted (and
	// the first 1,000 listed).
	t.Run("RejectedAfterStagingAtTheLimit", func(t *testing.T) {
		out := importOK(t, env, "?dry_run=true", "external_id,name\n"+strings.Repeat("dup-2,Ana\n", 10001))
		if out.Inserted != 1 || out.RejectedRows != 10000 || len(out.Rejected) != 1000 {
			t.Fatalf("inserted %d, %d rows rejected, %d listed", out.Inserted, out.RejectedRows, len(out.Rejected))
		}
	})

	t.Run("TooLargeDeclared", func(t *testing.T) {
		before := leadTotal(t, env)
		req, err := http.NewRequest(http.MethodPost, env.URL+"/api/v1/leads/import", io.LimitReader(&endless{}, 100<<20))
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = 100 << 20
		req.Header.Set("Content-Type", "text/csv")
		req.Header.Set("Authorization", "Bearer "+env.Login(env.AdminUser.Email).AccessToken)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		// As a chunked body found too long is told: the limit, and the way
		// around it.
		if p := wantProblem(t, res, body, 413); p.Detail !=
			"the file is over the size limit of 4 MiB for an upload; nothing was imported (use jmk import for larger files)" {
			t.Errorf("detail %s", body)
		}
		if leadTotal(t, env) != before {
			t.Error("something was written")
		}
	})
}

// endless is an endless stream of valid rows, for bodies over the limit.
type endless struct {
	buf []byte
	n   int
}

func (e *endless) Read(p []byte) (int, error) {
	if len(e.buf) == 0 {
		e.n++
		e.buf = fmt.Appendf(nil, "big-%d,Big Row,,30,admin.,no\n", e.n)
	}
	n := copy(p, e.buf)
	e.buf = e.buf[n:]
	return n, nil
}

// TestImportUCIFull imports the whole UCI file through the API and logs
// the time it took (the budget, 2 s, is checked by the benchmark task on a
// quiet machine, not here).
func TestImportUCIFull(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	r, err := data.UCIBankMarketing()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, body := importCSV(t, env, "", bytes.NewReader(raw), nil)
	elapsed := time.Since(start)
	if res.StatusCode != 200 {
		t.Fatalf("import: %d %s", res.StatusCode, body)
	}
	var out client.ImportResult
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	if out.Inserted != data.UCIBankMarketingRows || out.Rows != data.UCIBankMarketingRows || len(out.Rejected) != 0 {
		t.Fatalf("inserted %d, %d rejections (first %+v)", out.Inserted, len(out.Rejected), out.Rejected[:min(1, len(out.Rejected))])
	}
	if n := leadTotal(t, env); n != data.UCIBankMarketingRows {
		t.Fatalf("%d leads", n)
	}
	if n := scalar(t, env, `SELECT count(*) FROM leads WHERE status = 'success'`); n != 4640 {
		t.Errorf("%d successes, want the file's 4640", n)
	}
	t.Logf("imported %d UCI rows through the API in %v", out.Inserted, elapsed)
}

// TestImportRows: the answer counts the data rows read, valid or not, so
// that rows a quoted cell took in (valid CSV, which nothing can tell from a
// note on several lines) show as a count below the file's.
func TestImportRows(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	for _, c := range []struct {
		name, body                     string
		rows, inserted, rejected, kept int64
	}{
		{"BlankLinesAndARepeat", "external_id,name\nr-1,Ana\n\nr-2,Rui\nr-1,Ana Maria\n\n", 3, 2, 1, 2},
		{"QuoteClosedByALaterRow", "external_id,name,notes\ns-1,Ana,\"oops\ns-2,Rui,screen 27\"\ns-3,Inês,x\n", 2, 2, 0, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := importOK(t, env, "?dry_run=true", c.body)
			if out.Rows != c.rows || out.Inserted != c.inserted || out.RejectedRows != c.rejected {
				t.Errorf("rows %d, inserted %d, rejected %d; want %d, %d, %d", out.Rows, out.Inserted, out.RejectedRows,
					c.rows, c.inserted, c.rejected)
			}
			if out.Inserted+out.Updated+out.Unchanged != c.kept {
				t.Errorf("%+v", out)
			}
		})
	}
}

// TestImportBodyUnreadWithoutToken: a request without a valid token gets
// its 401 while its body is still arriving. The validator used to read the
// whole body (up to the 64 MiB import limit) into memory before deciding,
// so anyone could make the server hold 64 MiB per connection.
func TestImportBodyUnreadWithoutToken(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	for _, token := range []string{"", "not-a-token"} {
		pr, pw := io.Pipe()
		defer pw.Close()
		go func() {
			// 1 MiB, then the body stays open: it never ends.
			_, _ = io.Copy(pw, io.LimitReader(io.MultiReader(strings.NewReader(apiHeader+"\n"), &endless{}), 1<<20))
		}()
		req, err := http.NewRequestWithContext(bg, http.MethodPost, env.URL+"/api/v1/leads/import", pr)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "text/csv")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		type result struct {
			res *http.Response
			err error
		}
		done := make(chan result, 1)
		go func() {
			res, err := http.DefaultClient.Do(req)
			done <- result{res, err}
		}()
		select {
		case r := <-done:
			if r.err != nil {
				t.Fatal(r.err)
			}
			body, _ := io.ReadAll(r.res.Body)
			r.res.Body.Close()
			wantProblem(t, r.res, body, http.StatusUnauthorized)
		case <-time.After(20 * time.Second):
			t.Fatalf("token %q: no answer while the body is still open: the server is reading it", token)
		}
	}
}

// TestImportMalformedChunks: an upload whose chunked encoding breaks, at
// once or after rows, is the client's 400, with nothing imported; it was a
// 500, logged as a server error.
func TestImportMalformedChunks(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	token := env.Login(env.AdminUser.Email).AccessToken
	rows := "name,age\n" + strings.Repeat("Chunk Lead,40\n", 3000)
	for name, chunks := range map[string]string{
		"AtOnce":    "ZZ\r\n",
		"AfterRows": fmt.Sprintf("%x\r\n%s\r\nZZ\r\n", len(rows), rows),
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(env.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_, err = fmt.Fprintf(conn, "POST /api/v1/leads/import HTTP/1.1\r\nHost: api\r\nAuthorization: Bearer %s\r\n"+
				"Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n%s", token, chunks)
			if err != nil {
				t.Fatal(err)
			}
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, _ := io.ReadAll(res.Body)
			if p := wantProblem(t, res, body, http.StatusBadRequest); !strings.Contains(p.Detail, "chunked") {
				t.Errorf("detail %s", body)
			}
			if n := leadTotal(t, env); n != 0 {
				t.Errorf("%d leads imported", n)
			}
		})
	}
}

// TestImportRacesAnEdit: a lead closed while an import that would move it
// is running keeps its close. The test holds the lead's row lock, lets the
// import reach it, closes the lead and commits; the import must then judge
// the row against the closed status (a closed lead cannot go back to
// contacted) instead of overwriting the win.
func TestImportRacesAnEdit(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	importOK(t, env, "", "external_id,name,status\nrace-1,Won Meanwhile,new\nrace-2,Calm Lead,new\n")
	got := importDuringEdit(t, env, "race-1", `UPDATE leads SET status = 'success', closed_at = now(), version = version + 1
		WHERE external_id = 'race-1'`, "external_id,name,status\nrace-1,Won Meanwhile,contacted\nrace-2,Calm Lead,contacted\n")
	if got.Updated != 1 || len(got.Rejected) != 1 || got.Rejected[0].Line != 2 || got.Rejected[0].Field != "status" {
		t.Fatalf("result %+v", got)
	}
	var first, second string
	leadScan(t, env, `SELECT (SELECT status FROM leads WHERE external_id = 'race-1'),
		(SELECT status FROM leads WHERE external_id = 'race-2')`, nil, &first, &second)
	if first != "success" || second != "contacted" {
		t.Fatalf("statuses %s and %s, want success and contacted", first, second)
	}
}

// TestImportKeepsANameEditedMeanwhile: a file without names keeps each
// lead's name, also one an edit commits while the import runs (the upsert
// used to write back the name it had read before the edit).
func TestImportKeepsANameEditedMeanwhile(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	importOK(t, env, "", "external_id,name\nname-1,Old Name\n")
	got := importDuringEdit(t, env, "name-1", `UPDATE leads SET name = 'Renamed Meanwhile', version = version + 1
		WHERE external_id = 'name-1'`, "external_id,notes\nname-1,imported note\n")
	if got.Updated != 1 || len(got.Rejected) != 0 {
		t.Fatalf("result %+v", got)
	}
	var name, notes string
	leadScan(t, env, `SELECT name, notes FROM leads WHERE external_id = 'name-1'`, nil, &name, &notes)
	if name != "Renamed Meanwhile" || notes != "imported note" {
		t.Fatalf("name %q, notes %q", name, notes)
	}
}

// TestImportRacesACreate: an admin creates a lead with an external_id while
// an import names that external_id. The import waits for the create to
// commit, then updates the lead as any existing one, keeping its name; it
// used to miss the lead in its checks and renamed it "Lead race-1".
func TestImportRacesACreate(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	// Logins write events: the tokens come before the audit trail is held.
	bearer := "Bearer " + env.Login(env.AdminUser.Email).AccessToken
	hold := holdRowLock(t, env, `LOCK TABLE audit_events IN SHARE MODE`)
	// The create inserts its lead, and waits to write its event.
	created := answerLater(http.MethodPost, env.URL+"/api/v1/leads", `{"name":"Maria Real Name","external_id":"race-1","age":40}`,
		"Authorization", bearer, "Content-Type", "application/json")
	waitForLockWait(t, env)
	imported := answerLater(http.MethodPost, env.URL+"/api/v1/leads/import", "external_id,age\nrace-1,41\n",
		"Authorization", bearer, "Content-Type", "text/csv")
	waitForLockWaits(t, env, 2) // the import too
	if err := hold.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	if code := (<-created).status(); code != http.StatusCreated {
		t.Errorf("create: %d", code)
	}
	if got := importResult(t, <-imported); got.Inserted != 0 || got.Updated != 1 {
		t.Errorf("import result %+v", got)
	}
	var name string
	var age int32
	leadScan(t, env, `SELECT name, age FROM leads WHERE external_id = 'race-1'`, nil, &name, &age)
	if name != "Maria Real Name" || age != 41 {
		t.Errorf("lead %q aged %d, want Maria Real Name aged 41", name, age)
	}
}

// importDuringEdit holds the lead with externalID locked in a transaction,
// starts an import of file, and once the import waits on a lock, makes the
// edit and commits it; it returns the import's result.
func importDuringEdit(t *testing.T, env *servertest.Env, externalID, edit, file string) client.ImportResult {
	t.Helper()
	tx := holdRowLock(t, env, `SELECT 1 FROM leads WHERE external_id = $1 FOR UPDATE`, externalID)
	done := importLater(t, env, file)
	waitForLockWait(t, env)
	if _, err := tx.Exec(bg, edit); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(bg); err != nil {
		t.Fatal(err)
	}
	return importResult(t, <-done)
}

// importLater starts an import of file as the admin in the background.
func importLater(t *testing.T, env *servertest.Env, file string) <-chan answer {
	t.Helper()
	token := env.Login(env.AdminUser.Email).AccessToken
	return answerLater(http.MethodPost, env.URL+"/api/v1/leads/import", file,
		"Authorization", "Bearer "+token, "Content-Type", "text/csv")
}

// importResult is a background import's result; it fails the test on
// anything but 200.
func importResult(t *testing.T, a answer) client.ImportResult {
	t.Helper()
	var got client.ImportResult
	if a.res == nil || a.res.StatusCode != 200 || json.Unmarshal(a.body, &got) != nil {
		t.Fatalf("import: %v %s", a.res, a.body)
	}
	return got
}

// TestImportLeadHistory: a lead an import changes gets its own lead.update
// event listing what changed, in the import's request, so its history
// shows the import as it shows an edit; a lead the import leaves as it was,
// a new lead and a dry run get none.
func TestImportLeadHistory(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	importOK(t, env, "", "external_id,name,phone,status\nh-1,Ana Lopes,+351 1,new\nh-2,Rui Sá,,new\n")
	plain := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "No Id", Phone: lref("+351 3")})
	same := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Same", Phone: lref("+351 5")})
	won := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Won"})
	if r, _ := env.Admin.UpdateLeadWithResponse(bg, won.Id, leadIfMatch(1), client.LeadPatch{Status: lref(client.LeadStatusSuccess)}); r.StatusCode() != 200 {
		t.Fatalf("close: %d %s", r.StatusCode(), r.Body)
	}
	leadID := func(ext string) uuid.UUID {
		var id uuid.UUID
		leadScan(t, env, `SELECT id FROM leads WHERE external_id = $1`, []any{ext}, &id)
		return id
	}
	h1, h2 := leadID("h-1"), leadID("h-2")
	updates := func(id uuid.UUID) []client.AuditEvent {
		var out []client.AuditEvent
		for _, e := range leadEvents(t, env, id) {
			if e.Action == "lead.update" {
				out = append(out, e)
			}
		}
		return out
	}
	if n := len(updates(h1)) + len(updates(h2)); n != 0 {
		t.Fatalf("%d lead.update events for new leads", n)
	}

	// Leads without an external_id are named by their id, as an export
	// writes them: one changes, one does not, and one was closed, which the
	// workflow check must see as it sees any other lead.
	file := "external_id,name,phone,status\nh-1,Ana Lopes,+351 2,contacted\nh-2,Rui Sá,,new\n" +
		plain.Id.String() + ",No Id,+351 4,new\n" + same.Id.String() + ",Same,+351 5,new\n" +
		won.Id.String() + ",Won,,new\n"
	if res, b := importCSV(t, env, "?dry_run=true", strings.NewReader(file), nil); res.StatusCode != 200 || len(updates(h1)) != 0 {
		t.Fatalf("dry run: %d %s, %d events", res.StatusCode, b, len(updates(h1)))
	}
	got := importOK(t, env, "", file)
	if got.Updated != 3 || got.Unchanged != 1 || len(got.Rejected) != 1 || got.Rejected[0].Line != 6 || got.Rejected[0].Field != "status" {
		t.Fatalf("re-import: %+v", got)
	}
	if l := leadMustGet(t, env.Admin, won.Id); l.Status != client.LeadStatusSuccess || l.ExternalId != nil || l.Version != 2 {
		t.Fatalf("the closed lead named by its id, its row refused: %+v", l)
	}
	imp := actions(t, env, "import.leads")[0] // newest first
	ev := updates(h1)
	if len(ev) != 1 {
		t.Fatalf("%d lead.update events for the changed lead, want 1", len(ev))
	}
	e := ev[0]
	want := map[string][2]any{"phone": {"+351 1", "+351 2"}, "status": {"new", "contacted"}}
	if len(e.Changes) != len(want) {
		t.Errorf("changes %+v, want phone and status only", e.Changes)
	}
	for k, w := range want {
		if c, ok := e.Changes[k]; !ok || c.From != w[0] || c.To != w[1] {
			t.Errorf("change of %s: %+v, want %v", k, c, w)
		}
	}
	if e.Summary != env.AdminUser.Name+" changed phone, status of lead Ana Lopes in import "+*imp.EntityId ||
		e.RequestId == nil || imp.RequestId == nil || *e.RequestId != *imp.RequestId || e.Actor.Id == nil || *e.Actor.Id != env.AdminUser.Id {
		t.Errorf("event %+v, import event %+v", e, imp)
	}
	if n := len(updates(h2)); n != 0 {
		t.Errorf("%d events for the lead the import left as it was", n)
	}
	// A lead named by its id takes the id as its external_id, as the file
	// says: a change like any other, in its event and its version, even
	// when the import changes nothing else.
	ev = updates(plain.Id)
	if len(ev) != 1 || len(ev[0].Changes) != 2 || ev[0].Changes["phone"].To != "+351 4" ||
		ev[0].Changes["external_id"].From != nil || ev[0].Changes["external_id"].To != plain.Id.String() {
		t.Fatalf("events of the lead named by its id: %+v", ev)
	}
	ev = updates(same.Id)
	if len(ev) != 1 || len(ev[0].Changes) != 1 || ev[0].Changes["external_id"].To != same.Id.String() {
		t.Fatalf("events of the otherwise unchanged lead named by its id: %+v", ev)
	}
	if l := leadMustGet(t, env.Admin, same.Id); l.Version != 2 || l.ExternalId == nil || *l.ExternalId != same.Id.String() {
		t.Fatalf("the lead named by its id: version %d, external_id %v", l.Version, l.ExternalId)
	}
	// Once it has it, the same file changes nothing more.
	if again := importOK(t, env, "", file); again.Updated != 0 || again.Unchanged != 4 {
		t.Fatalf("third import: %+v", again)
	}
	// The events are part of the chain like any other (sealed here, or by
	// the server's sealer when it holds the lock).
	if _, err := env.Store.SealOnce(bg, 5*time.Second); err != nil && !errors.Is(err, store.ErrSealerBusy) {
		t.Fatal(err)
	}
	if v, err := env.Store.AuditVerify(bg, nil); err != nil || !v.OK {
		t.Fatalf("verify: %+v %v", v, err)
	}
}

// TestImportLeadHistoryRacesAnEdit: the event of a lead an import changes
// lists the import's changes only, even when someone else changed the lead
// while the import was waiting for it.
func TestImportLeadHistoryRacesAnEdit(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	importOK(t, env, "", "external_id,name,phone\nr-1,Rita,+351 1\n")
	tx := holdRowLock(t, env, `SELECT 1 FROM leads WHERE external_id = 'r-1' FOR UPDATE`)
	done := importLater(t, env, "external_id,name,phone\nr-1,Rita,+351 2\n")
	waitForLockWait(t, env)
	if _, err := tx.Exec(bg, `UPDATE leads SET notes = 'by a colleague', version = version + 1 WHERE external_id = 'r-1'`); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(bg); err != nil {
		t.Fatal(err)
	}
	if got := importResult(t, <-done); got.Updated != 1 {
		t.Fatalf("import: %+v", got)
	}
	var id uuid.UUID
	leadScan(t, env, `SELECT id FROM leads WHERE external_id = 'r-1'`, nil, &id)
	ev := leadEvent(t, env, id, "lead.update")
	if len(ev.Changes) != 1 || ev.Changes["phone"].From != "+351 1" || ev.Changes["phone"].To != "+351 2" {
		t.Fatalf("the import's event lists %+v, want its phone change only", ev.Changes)
	}
}

// TestImportProvenance: the leads an import creates carry its time as
// their created_at, which is its event's occurred_at, so an auditor can tell
// which upload created a lead; an import that changes nothing is recorded
// too, as the upload it was.
func TestImportProvenance(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	file := "external_id,name\np-1,Ana Lopes\np-2,Rui Sá\n"
	if got := importOK(t, env, "", file); got.Inserted != 2 {
		t.Fatalf("import: %+v", got)
	}
	if n := scalar(t, env, `SELECT count(*) FROM leads l JOIN audit_events e ON e.action = 'import.leads'
		AND e.occurred_at = l.created_at WHERE l.external_id IN ('p-1', 'p-2')`); n != 2 {
		t.Fatalf("%d of the 2 new leads match their import event's time", n)
	}
	if got := importOK(t, env, "", file); got.Unchanged != 2 {
		t.Fatalf("re-import: %+v", got)
	}
	if evs := actions(t, env, "import.leads"); len(evs) != 2 || !strings.Contains(evs[0].Summary, "0 new, 0 updated") {
		t.Fatalf("import events %+v", evs)
	}
}

// TestImportDuringBackup: a backup reading the staging tables (pg_dump
// locks every table it dumps) makes an import answer 503 with Retry-After
// after a few seconds, instead of hanging until the dump is over, and its
// cause is logged at WARN; imports still queue behind one another without
// such a limit.
func TestImportDuringBackup(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	env := servertest.NewWithLog(t, &logs)
	dump := holdRowLock(t, env, `LOCK TABLE lead_import_stage IN ACCESS SHARE MODE`)
	start := time.Now()
	res, body := importCSV(t, env, "", strings.NewReader("name\nAna Lopes\n"), nil)
	p := wantProblem(t, res, body, http.StatusServiceUnavailable)
	if !strings.Contains(p.Detail, "backup") || res.Header.Get("Retry-After") != "60" || time.Since(start) > 30*time.Second {
		t.Fatalf("import during a backup: %s, Retry-After %q, after %v", body, res.Header.Get("Retry-After"), time.Since(start))
	}
	var cause bool
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, "request_id="+p.RequestId) && strings.Contains(l, "level=WARN") &&
			strings.Contains(l, "a backup or other maintenance") && strings.Contains(l, "route=/api/v1/leads/import") {
			cause = true
		}
	}
	if !cause || strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("the 503's cause is not logged at WARN with its request, or an ERROR is:\n%s", logs.String())
	}
	if n := leadTotal(t, env); n != 0 {
		t.Fatalf("%d leads imported", n)
	}
	if err := dump.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	if got := importOK(t, env, "", "name\nAna Lopes\n"); got.Inserted != 1 {
		t.Fatalf("after the backup: %+v", got)
	}

	// An import ahead (here, its turn held for longer than the backup's
	// limit) is waited for, however long it takes.
	ahead := holdRowLock(t, env, `SELECT pg_advisory_xact_lock(hashtextextended('jmk:import', 0))`)
	done := answerLater(http.MethodPost, env.URL+"/api/v1/leads/import", "name\nRui Sá\n",
		"Authorization", "Bearer "+env.Login(env.AdminUser.Email).AccessToken, "Content-Type", "text/csv")
	// Past the backup's 5 s limit, counted from when the import waits.
	waitForLockWait(t, env)
	time.Sleep(7 * time.Second)
	select {
	case a := <-done:
		t.Fatalf("the import did not wait for the one ahead: %d", a.status())
	default:
	}
	if err := ahead.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	if code := (<-done).status(); code != http.StatusOK || leadTotal(t, env) != 2 {
		t.Fatalf("the import that waited: %d, %d leads", code, leadTotal(t, env))
	}
}
