package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/jmksales/jmk/server/servertest"
)

// TestTextInputs: text PostgreSQL cannot hold (a NUL, or bytes that are not
// UTF-8) is a 400 naming the field, never a 500 from deep inside a query.
func TestTextInputs(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	token := env.Login(env.AdminUser.Email).AccessToken
	auth := map[string]string{"Authorization": "Bearer " + token}
	jsonAuth := map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"}
	for _, tc := range []struct {
		name, method, path, body string
		header                   map[string]string
		status                   int
		fields                   []string
	}{
		{"QueryNUL", "GET", "/api/v1/leads?q=%00abc", "", auth, 400, []string{"q"}},
		{"QueryNotUTF8", "GET", "/api/v1/leads?q=%C3%28abc", "", auth, 400, []string{"q"}},
		{"UsersQuery", "GET", "/api/v1/users?q=%00ab", "", auth, 400, []string{"q"}},
		{"AuditFilter", "GET", "/api/v1/audit-events?action=a%00b", "", auth, 400, []string{"action"}},
		{"Export", "GET", "/api/v1/leads/export?q=%00abc", "", auth, 400, []string{"q"}},
		{"TwoParams", "GET", "/api/v1/leads?q=%00abc&job=admin&q=%FF", "", auth, 400, []string{"q"}},
		{"QueryBadEscape", "GET", "/api/v1/leads?q=%zz", "", auth, 400, []string{"q"}},
		{"QueryBadEscapeNoToken", "GET", "/api/v1/leads?q=%zz", "", nil, 401, nil},
		{"QuerySemicolon", "GET", "/api/v1/leads?q=abc;job=admin", "", auth, 400, []string{"q"}},
		{"QueryBadName", "GET", "/api/v1/leads?%zz=1", "", auth, 400, []string{"query"}},
		{"QueryPercentLiteral", "GET", "/api/v1/leads?q=150%25", "", auth, 200, nil},
		{"EmptyBoolean", "POST", "/api/v1/leads/import?dry_run", "name\nAna\n", map[string]string{"Authorization": "Bearer " + token, "Content-Type": "text/csv"}, 400, []string{"dry_run"}},
		{"ProbeIgnoresQuery", "GET", "/healthz?x=%ff&y=%zz", "", nil, 200, nil},
		{"LoneSurrogate", "POST", "/api/v1/leads", `{"name": "Sur\ud800rogate"}`, jsonAuth, 400, []string{"name"}},
		{"LoneLowSurrogate", "POST", "/api/v1/leads", `{"name": "Ana", "notes": "x\uDC00"}`, jsonAuth, 400, []string{"notes"}},
		{"HighThenNotLow", "POST", "/api/v1/leads", `{"name": "A\ud83d\u0041"}`, jsonAuth, 400, []string{"name"}},
		{"SurrogatePair", "POST", "/api/v1/leads", `{"name": "Emoji \ud83d\ude00"}`, jsonAuth, 201, nil},
		{"EscapedBackslashU", "POST", "/api/v1/leads", `{"name": "Path \\ud800 literal"}`, jsonAuth, 201, nil},
		{"BodyNUL", "POST", "/api/v1/leads", `{"name": "N\u0000ul", "notes": "fine"}`, jsonAuth, 400, []string{"name"}},
		{"BodyNULInNotes", "POST", "/api/v1/leads", `{"name": "Nul", "notes": "a\u0000b\u0000"}`, jsonAuth, 400, []string{"notes"}},
		// The patterns of name and notes refuse a NUL in the validator, both
		// at once.
		{"BodyNULInNameAndNotes", "POST", "/api/v1/leads", `{"name": "N\u0000ul", "notes": "\u0000"}`, jsonAuth, 400, []string{"name", "notes"}},
		{"BodyEscapedBackslash", "POST", "/api/v1/leads", `{"name": "Ana \\u0000 literal"}`, jsonAuth, 201, nil},
		{"BodyNotUTF8", "POST", "/api/v1/leads", "{\"name\": \"Jo\xe3o\", \"notes\": \"ok\"}", jsonAuth, 400, []string{"name"}},
		{"BodyNotUTF8Twice", "POST", "/api/v1/leads", "{\"name\": \"Jo\xe3o\", \"notes\": \"\xff\"}", jsonAuth, 400, []string{"name", "notes"}},
		{"UserNotUTF8", "POST", "/api/v1/users", "{\"name\": \"Jo\xe3o\", \"email\": \"j@example.com\", \"password\": \"long enough pw\", \"role\": \"sales\"}",
			jsonAuth, 400, []string{"name"}},
		{"BodyReplacementChar", "POST", "/api/v1/leads", "{\"name\": \"Jo\uFFFDo\"}", jsonAuth, 201, nil},
		{"TrailingObject", "POST", "/api/v1/leads", `{"name": "trail"}{"name": "x", "age": 5}`, jsonAuth, 400, nil},
		{"TrailingGarbage", "POST", "/api/v1/leads", `{"name": "trail"},]]]`, jsonAuth, 400, nil},
		{"TrailingSpace", "POST", "/api/v1/leads", "{\"name\": \"trail\"} \n\t", jsonAuth, 201, nil},
		{"LoginNUL", "POST", "/api/v1/auth/login", `{"email": "a\u0000b@example.com", "password": "whatever-long"}`,
			map[string]string{"Content-Type": "application/json"}, 400, []string{"email"}},
		{"UserName", "POST", "/api/v1/users", `{"name": "N\u0000", "email": "nul@example.com", "password": "long enough pw", "role": "sales"}`,
			jsonAuth, 400, []string{"name"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, body := raw(t, tc.method, env.URL+tc.path, strings.NewReader(tc.body), tc.header)
			if tc.status != 400 {
				if res.StatusCode != tc.status {
					t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
				}
				if tc.status == http.StatusCreated {
					storedAsSent(t, env, tc.body, body)
				}
				return
			}
			p := wantProblem(t, res, body, tc.status)
			var got []string
			if p.Errors != nil {
				for _, e := range *p.Errors {
					got = append(got, e.Field)
				}
			}
			if !slices.Equal(got, tc.fields) {
				t.Errorf("fields %v, want %v: %s", got, tc.fields, body)
			}
			// One field: the detail says what is wrong with it, in words, once.
			if len(tc.fields) == 1 {
				parts := strings.Split(p.Detail, ": ")
				if parts[0] != tc.fields[0] || len(p.Detail) < len(tc.fields[0])+10 || len(slices.Compact(slices.Clone(parts))) != len(parts) {
					t.Errorf("detail %q", p.Detail)
				}
			}
		})
	}
}

// storedAsSent checks that a created lead's name is the one the request's
// JSON holds, character for character, in the answer and in the database.
func storedAsSent(t *testing.T, env *servertest.Env, request string, response []byte) {
	t.Helper()
	var sent, got struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal([]byte(request), &sent); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(response, &got); err != nil {
		t.Fatal(err)
	}
	if got.Name != sent.Name || scalar(t, env, "SELECT count(*) FROM leads WHERE id = $1 AND name = $2", got.ID, sent.Name) != 1 {
		t.Errorf("name %q answered, %q sent, or stored otherwise", got.Name, sent.Name)
	}
}

// TestUserAgentNotUTF8: a User-Agent header that is not UTF-8 (old clients
// send Latin-1) is stored cleaned, and the request works: it used to make
// every audited write a 500, failed logins included, which then went
// uncounted by the throttle.
func TestUserAgentNotUTF8(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ua := map[string]string{"Content-Type": "application/json", "User-Agent": "Mozilla\xe9/5.0"}
	res, body := raw(t, http.MethodPost, env.URL+"/api/v1/auth/login",
		strings.NewReader(`{"email": "`+env.AdminUser.Email+`", "password": "wrong password"}`), ua)
	wantProblem(t, res, body, http.StatusUnauthorized)
	if n := scalar(t, env, `SELECT count(*) FROM login_failures`); n != 1 {
		t.Errorf("%d login failures recorded, want 1", n)
	}
	if n := scalar(t, env, `SELECT count(*) FROM audit_events WHERE action = 'auth.login_failed' AND user_agent = $1`,
		"Mozilla\uFFFD/5.0"); n != 1 {
		t.Errorf("%d failed-login events with the cleaned user agent, want 1", n)
	}
	res, body = raw(t, http.MethodPost, env.URL+"/api/v1/auth/login",
		strings.NewReader(`{"email": "`+env.AdminUser.Email+`", "password": "`+servertest.Password+`"}`), ua)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", res.StatusCode, body)
	}
}
