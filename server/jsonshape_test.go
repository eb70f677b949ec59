package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server/servertest"
)

// TestJSONDepth: a body nested deeper, or with more values, than the spec
// could ever need is a cheap 400 before the validator, which spent seconds
// and gigabytes on a small one; a public endpoint is no exception.
func TestJSONDepth(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	nested := func(depth int) string {
		return `{"email": "a@example.com", "password": "long enough pw", "x": ` +
			strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`
	}
	manyNames := func(unknown int) string {
		var b strings.Builder
		b.WriteString(`{"email": "a@example.com", "password": "long enough pw"`)
		for i := range unknown {
			fmt.Fprintf(&b, `, "k%d": 1`, i)
		}
		return b.String() + "}"
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
		// Every unknown field costs the validator an error: a body of
		// thousands of them is refused before it runs.
		{"ManyNames", manyNames(5000), 400, "more than 1000 values"},
		// The body, its two fields and 997 more: 1000 values.
		{"NamesAtTheLimit", manyNames(997), 400, "997 fields are invalid"},
		// An array's items are values too: 200,000 of them cost the
		// validator an allocation each, for a caller it has not checked.
		{"ManyItems", `{"email": "a@example.com", "password": "long enough pw", "x": [` +
			strings.Repeat("1,", 200_000) + `1]}`, 400, "more than 1000 values in all (fields and array items)"},
		// Text after the value leaves it JSON to the validator's decoder,
		// which decodes the value all the same: it is counted too.
		{"ManyNamesThenText", manyNames(5000) + "x", 400, "more than 1000 values"},
		{"ManyItemsThenText", `{"email": "a@example.com", "password": "long enough pw", "x": [` +
			strings.Repeat("1,", 200_000) + `1]} x`, 400, "more than 1000 values"},
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
	if !strings.HasPrefix(p.Detail, "q: ") || !strings.HasSuffix(p.Detail, "(3000 errors)") {
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
	if !strings.HasPrefix(p.Detail, "30 fields are invalid: ") || !strings.HasSuffix(p.Detail, "and 10 more") {
		t.Fatalf("detail: %.300s", body)
	}
}

// TestJSONDuplicateName: a body that names a field twice says two things
// at once; it is a 400 naming the field, and nothing changes.
func TestJSONDuplicateName(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	token := env.Login(env.AdminUser.Email).AccessToken
	l := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Rui"})
	for _, tc := range []struct {
		name, method, path, body, field string
	}{
		{"Login", http.MethodPost, "/api/v1/auth/login",
			`{"email": "a@example.com", "password": "long enough pw", "password": "another long one"}`, "password"},
		{"Patch", http.MethodPatch, "/api/v1/leads/" + l.Id.String(), `{"notes": "first", "notes": "second"}`, "notes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := leadRaw(t, env, token, tc.method, tc.path, tc.body, "If-Match", `"1"`)
			leadProblem(t, tc.name, status, body, http.StatusBadRequest, tc.field)
		})
	}
	if got := leadMustGet(t, env.Admin, l.Id); got.Version != 1 || got.Notes != nil {
		t.Errorf("the lead changed: %+v", got)
	}
}
