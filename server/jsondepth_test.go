package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jmksales/jmk/server/servertest"
)

// TestJSONDepth: a body nested deeper than the spec could ever need is a
// cheap 400 before the validator, which spent seconds and gigabytes on a
// small one; a public endpoint is no exception.
func TestJSONDepth(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	nested := func(depth int) string {
		return `{"email": "a@example.com", "password": "long enough pw", "x": ` +
			strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`
	}
	jsonType := map[string]string{"Content-Type": "application/json"}
	for _, tc := range []struct {
		name   string
		body   string
		status int
		detail string
	}{
		{"Deep", nested(9000), 400, "more than 32 deep"},
		{"JustTooDeep", nested(33), 400, "more than 32 deep"},
		// Within the limit, the validator answers as ever: x is unknown.
		{"AtTheLimit", nested(32), 400, `"x"`},
		// Brackets inside strings are text, not nesting: a wrong password.
		{"BracketsInAString", `{"email": "a@example.com", "password": "` + strings.Repeat("[", 100) + `\"[["}`, 401, "wrong"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, body := raw(t, http.MethodPost, env.URL+"/api/v1/auth/login", strings.NewReader(tc.body), jsonType)
			wantProblem(t, res, body, tc.status)
			if !strings.Contains(string(body), tc.detail) {
				t.Fatalf("want %q in %s", tc.detail, body)
			}
		})
	}
}

// TestProblemFieldsCapped: thousands of bad parameters get a problem of a
// bounded size that still counts them all.
func TestProblemFieldsCapped(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	token := env.Login(env.AdminUser.Email).AccessToken
	query := strings.Repeat("q=%zz&", 3000)
	res, body := raw(t, http.MethodGet, env.URL+"/api/v1/leads?"+query, nil, map[string]string{"Authorization": "Bearer " + token})
	p := wantProblem(t, res, body, http.StatusBadRequest)
	if p.Errors == nil || len(*p.Errors) != 20 || len(body) > 4000 {
		t.Fatalf("%d bytes: %s", len(body), body)
	}
	if p.Detail == nil || !strings.HasPrefix(*p.Detail, "q: ") || !strings.HasSuffix(*p.Detail, "(3000 errors)") {
		t.Fatalf("detail: %.300s", body)
	}
	// Distinct fields are named up to the cap, and counted.
	var b strings.Builder
	b.WriteString(`{"name": "Ana"`)
	for i := range 30 {
		fmt.Fprintf(&b, `, "extra_%d": 1`, i)
	}
	b.WriteString("}")
	res, body = raw(t, http.MethodPost, env.URL+"/api/v1/leads", strings.NewReader(b.String()),
		map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"})
	p = wantProblem(t, res, body, http.StatusBadRequest)
	if p.Detail == nil || !strings.HasPrefix(*p.Detail, "30 fields are invalid: ") || !strings.HasSuffix(*p.Detail, "and 10 more") {
		t.Fatalf("detail: %.300s", body)
	}
}
