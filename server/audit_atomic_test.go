package server_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/servertest"
)

// dataFingerprint digests every table an API write changes, audit tables
// aside, so that a write that did not happen can be told from one that did.
// lead_counts is summed per bucket, as the dashboard reads it: the
// janitor's compaction, once a minute, rewrites its rows without changing
// any total, and a slow run of the test took that for a write.
const dataFingerprint = `SELECT md5(string_agg(x, '|' ORDER BY x)) FROM (
	SELECT 'users ' || t::text AS x FROM users t UNION ALL
	SELECT 'sessions ' || t::text FROM sessions t UNION ALL
	SELECT 'refresh_tokens ' || t::text FROM refresh_tokens t UNION ALL
	SELECT 'leads ' || t::text FROM leads t UNION ALL
	SELECT 'activities ' || t::text FROM activities t UNION ALL
	SELECT 'models ' || t::text FROM models t UNION ALL
	SELECT 'scoring_thresholds ' || t::text FROM scoring_thresholds t UNION ALL
	SELECT 'lead_counts ' || row(status, category, contacted, job, assigned_to, sum(leads),
	       round(sum(probability_sum)::numeric, 9))::text FROM lead_counts
	GROUP BY status, category, contacted, job, assigned_to HAVING sum(leads) <> 0 UNION ALL
	SELECT 'lead_rank ' || t::text FROM lead_rank t) d`

// dataState is dataFingerprint and the number of audit events.
func dataState(t *testing.T, env *servertest.Env) (string, int64) {
	t.Helper()
	var fp string
	leadScan(t, env, dataFingerprint, nil, &fp)
	return fp, scalar(t, env, `SELECT count(*) FROM audit_events`)
}

// writesNothing runs refused, requests the API must refuse, and fails t if
// they changed any table an API write changes or wrote an audit event: a
// refusal is never a partial write. Logins must come before it (a login
// writes), and nothing else may write to env meanwhile.
func writesNothing(t *testing.T, env *servertest.Env, refused func()) {
	t.Helper()
	fp, events := dataState(t, env)
	refused()
	if after, afterEvents := dataState(t, env); after != fp || afterEvents != events {
		t.Errorf("a refused request changed data (%s -> %s) or events (%d -> %d)", fp, after, events, afterEvents)
	}
}

// TestAuditFailureRollsBack: no change without its event. While the
// database refuses every new audit event, each kind of write answers 500
// and leaves every table as it was, with no event either (an export, which
// changes nothing, is not run); once events are accepted again, the same
// requests succeed, so it was the event that failed them.
func TestAuditFailureRollsBack(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, func(c *server.Config) { c.RegistrationOpen = true })
	loadUCI(t, env, 1500, 0)
	train, err := env.Admin.TrainModelWithResponse(bg, client.TrainModelJSONRequestBody{})
	if err != nil || train.JSON201 == nil {
		t.Fatalf("train: %v %+v", err, train)
	}
	lead, err := env.Admin.CreateLeadWithResponse(bg, client.LeadCreate{Name: "Rita Atomic"})
	if err != nil || lead.JSON201 == nil {
		t.Fatalf("create lead: %v %+v", err, lead)
	}
	seller, _ := env.NewUser("sales")
	changer, _ := env.NewUser("sales")
	leaver, _ := env.NewUser("sales")
	// Every login comes first: a login writes an event too.
	admin := "Bearer " + env.Login(env.AdminUser.Email).AccessToken
	changerToken := "Bearer " + env.Login(changer.Email).AccessToken
	refresh := env.Login(leaver.Email)
	logout := env.Login(leaver.Email)

	leadPath := "/leads/" + lead.JSON201.Id.String()
	sellerPath := "/users/" + seller.Id.String()
	cases := []struct {
		name, method, path, body, contentType, token string
		header                                       map[string]string
		status                                       int // once events are accepted
	}{
		{"CreateLead", http.MethodPost, "/leads", `{"name": "Nuno Atomic"}`, "", admin, nil, 201},
		{"UpdateLead", http.MethodPatch, leadPath, `{"name": "Rita Renamed", "age": 40}`, "", admin, map[string]string{"If-Match": `"1"`}, 200},
		{"LogContact", http.MethodPost, leadPath + "/activities", `{"kind": "call", "outcome": "no answer"}`, "", admin, nil, 201},
		{"DeleteLead", http.MethodDelete, leadPath, ``, "", admin, nil, 204},
		{"CreateUser", http.MethodPost, "/users", `{"name": "Vera Atomic", "email": "vera@example.com", "password": "a long password", "role": "sales"}`, "", admin, nil, 201},
		{"UpdateUser", http.MethodPatch, sellerPath, `{"name": "Seller Renamed"}`, "", admin, map[string]string{"If-Match": `"1"`}, 200},
		{"DeactivateUser", http.MethodDelete, sellerPath + "?release_leads=true", ``, "", admin, nil, 204},
		{"Thresholds", http.MethodPut, "/scoring/thresholds", `{"hot": 0.8, "warm": 0.3}`, "", admin, nil, 200},
		{"Import", http.MethodPost, "/leads/import", "name,age\nIvo Atomic,33\n", "text/csv", admin, nil, 200},
		{"Train", http.MethodPost, "/scoring/models", `{}`, "", admin, nil, 201},
		{"Activate", http.MethodPost, "/scoring/models/1/activate", ``, "", admin, nil, 200},
		{"Refresh", http.MethodPost, "/auth/refresh", `{"refresh_token": "` + refresh.RefreshToken + `"}`, "", "", nil, 200},
		{"Logout", http.MethodPost, "/auth/logout", `{"refresh_token": "` + logout.RefreshToken + `"}`, "", "Bearer " + logout.AccessToken, nil, 204},
		{"PasswordChange", http.MethodPost, "/auth/password", `{"current_password": "` + servertest.Password + `", "new_password": "another long password"}`, "", changerToken, nil, 204},
		{"Login", http.MethodPost, "/auth/login", `{"email": "` + leaver.Email + `", "password": "` + servertest.Password + `"}`, "", "", nil, 200},
		{"Register", http.MethodPost, "/auth/register", `{"name": "Rui Atomic", "email": "rui@example.com", "password": "a long password"}`, "", "", nil, 201},
		{"Export", http.MethodGet, "/leads/export", ``, "", admin, nil, 200},
	}
	send := func(t *testing.T, i int) (*http.Response, []byte) {
		t.Helper()
		tc := cases[i]
		h := map[string]string{}
		var body io.Reader
		if tc.body != "" {
			body, h["Content-Type"] = strings.NewReader(tc.body), "application/json"
		}
		if tc.contentType != "" {
			h["Content-Type"] = tc.contentType
		}
		if tc.token != "" {
			h["Authorization"] = tc.token
		}
		for k, v := range tc.header {
			h[k] = v
		}
		return raw(t, tc.method, env.URL+"/api/v1"+tc.path, body, h)
	}
	leadExec(t, env, `CREATE FUNCTION test_refuse_event() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN RAISE EXCEPTION 'the test refuses audit events'; END $$;
		CREATE TRIGGER test_refuse_event BEFORE INSERT ON audit_events
		FOR EACH ROW EXECUTE FUNCTION test_refuse_event()`)
	for i, tc := range cases {
		t.Run("Refused/"+tc.name, func(t *testing.T) {
			writesNothing(t, env, func() {
				res, body := send(t, i)
				wantProblem(t, res, body, http.StatusInternalServerError)
			})
		})
	}

	leadExec(t, env, `DROP TRIGGER test_refuse_event ON audit_events`)
	for i, tc := range cases {
		t.Run("Accepted/"+tc.name, func(t *testing.T) {
			events := scalar(t, env, `SELECT count(*) FROM audit_events`)
			if res, body := send(t, i); res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
			if after := scalar(t, env, `SELECT count(*) FROM audit_events`); after <= events {
				t.Errorf("no event written: %d -> %d", events, after)
			}
		})
	}
}
