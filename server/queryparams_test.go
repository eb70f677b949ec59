package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/servertest"
)

// TestQueryParams: a parameter the endpoint does not take, or a
// single-valued one given twice, is a 400 naming it, after the 401 and 403
// a caller would get anyway.
func TestQueryParams(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin := map[string]string{"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken}
	seller, _ := env.NewUser(auth.RoleSales)
	sales := map[string]string{"Authorization": "Bearer " + env.Login(seller.Email).AccessToken}
	lead := "/api/v1/leads/" + seller.Id.String() // no such lead: the parameters are checked first
	for _, tc := range []struct {
		name, path string
		header     map[string]string
		status     int
		field, msg string
	}{
		{"Typo", "/api/v1/leads?stauts=new", admin, 400, "stauts", "which takes assigned_to, category, count, cursor, job, limit"},
		{"NoneTaken", lead + "?expand=all", admin, 400, "expand", "which takes none"},
		{"RepeatedTime", "/api/v1/audit-events?since=2030-01-01T00:00:00Z&since=2020-01-01T00:00:00Z", admin, 400, "since", "must be given once"},
		{"RepeatedUnchecked", "/api/v1/audit-events?since=2020-01-01T00:00:00Z&since=garbage", admin, 400, "since", ""},
		{"RepeatedLeaderboard", "/api/v1/stats/leaderboard?since=2020-01-01T00:00:00Z&since=2021-01-01T00:00:00Z", sales, 400, "since", "must be given once"},
		{"LateInUTC", "/api/v1/stats/leaderboard?since=9999-12-31T23:59:59-14:00", sales, 400, "since", "9999-12-31T23:59:59.999999Z in UTC"},
		// Rounded up to the microsecond, these would be in year 10000.
		{"LateOnceRounded", "/api/v1/stats/leaderboard?until=9999-12-31T23:59:59.9999999Z", sales, 400, "until", "9999-12-31T23:59:59.999999Z"},
		{"LateOnceRoundedAudit", "/api/v1/audit-events?since=9999-12-31T23:59:59.9999991Z", admin, 400, "since", "9999-12-31T23:59:59.999999Z"},
		{"LastMicrosecond", "/api/v1/audit-events?since=9999-12-31T23:59:59.999999Z", admin, 200, "", ""},
		{"EarlyInUTC", "/api/v1/audit-events?until=0001-01-01T00:00:00%2B14:00", admin, 400, "until", "0001-01-01"},
		{"RepeatedLimit", "/api/v1/leads?limit=5&limit=6", admin, 400, "limit", "must be given once"},
		{"EmptyName", "/api/v1/leads?=x", admin, 400, "query", "without a name"},
		{"UnknownOnThresholds", "/api/v1/scoring/thresholds?hot=0.9", admin, 400, "hot", "which takes none"},
		{"ArrayRepeats", "/api/v1/leads?status=new&status=contacted&job=admin&job=student", admin, 200, "", ""},
		{"Declared", "/api/v1/leads?limit=5&sort=name_asc", admin, 200, "", ""},
		{"NoTokenFirst", "/api/v1/leads?stauts=new", nil, 401, "", ""},
		{"WrongRoleFirst", "/api/v1/users?x=1", sales, 403, "", ""},
		{"Probe", "/healthz?cachebust=1", nil, 200, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, body := raw(t, http.MethodGet, env.URL+tc.path, nil, tc.header)
			if tc.status == 200 {
				if res.StatusCode != 200 {
					t.Fatalf("status %d: %s", res.StatusCode, body)
				}
				return
			}
			p := wantProblem(t, res, body, tc.status)
			if tc.status != 400 {
				return
			}
			if p.Errors == nil || len(*p.Errors) != 1 || (*p.Errors)[0].Field != tc.field ||
				!strings.Contains((*p.Errors)[0].Message, tc.msg) {
				t.Fatalf("errors %s, want one on %q saying %q", body, tc.field, tc.msg)
			}
		})
	}
}
