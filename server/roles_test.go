package server_test

import (
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/servertest"
)

// TestAdminOperationsRefuseFirst: every operation the spec marks
// x-required-role: admin answers a sales user 403 before it looks at what
// was sent (here, a body that is not even JSON and a bad path parameter),
// and a caller without a token 401.
func TestAdminOperationsRefuseFirst(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	u, _ := env.NewUser(auth.RoleSales)
	sales := map[string]string{"Authorization": "Bearer " + env.Login(u.Email).AccessToken,
		"Content-Type": "application/json", "If-Match": `"1"`}
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Extensions["x-required-role"] != "admin" {
				continue
			}
			ops = append(ops, op.OperationID)
			url := env.URL + strings.NewReplacer("{id}", "not-a-uuid", "{version}", "not-a-number").Replace(path)
			t.Run(op.OperationID, func(t *testing.T) {
				res, body := raw(t, method, url, strings.NewReader("{not json"), sales)
				if p := wantProblem(t, res, body, http.StatusForbidden); p.Detail != "this needs the admin role" {
					t.Errorf("detail %v", p.Detail)
				}
				res, body = raw(t, method, url, strings.NewReader("{not json"), map[string]string{"Content-Type": "application/json"})
				wantProblem(t, res, body, http.StatusUnauthorized)
			})
		}
	}
	sort.Strings(ops)
	// The spec marks what the handlers enforce: users, imports, deleting
	// leads, training, activation, thresholds and audit verification.
	if len(ops) != 11 {
		t.Errorf("%d admin operations: %v", len(ops), ops)
	}
}

// TestSignedInOperationsNeedToken: every operation that the spec does not
// let go without a token answers 401 with a Bearer challenge, to no token and
// to a token that is not one, before it looks at what was sent; an edit
// dropping an operation's security would fail here.
func TestSignedInOperationsNeedToken(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	var tokenless []string
	n := 0
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Security != nil && (len(*op.Security) == 0 || slices.ContainsFunc(*op.Security,
				func(r openapi3.SecurityRequirement) bool { return len(r) == 0 })) {
				tokenless = append(tokenless, op.OperationID)
				continue
			}
			n++
			url := env.URL + strings.NewReplacer("{id}", "not-a-uuid", "{version}", "not-a-number").Replace(path)
			t.Run(op.OperationID, func(t *testing.T) {
				for name, headers := range map[string]map[string]string{
					"NoToken":  {"Content-Type": "application/json"},
					"BadToken": {"Content-Type": "application/json", "Authorization": "Bearer not.a.token"},
				} {
					res, body := raw(t, method, url, strings.NewReader("{not json"), headers)
					wantProblem(t, res, body, http.StatusUnauthorized)
					if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Bearer") {
						t.Errorf("%s: WWW-Authenticate %q", name, res.Header.Get("WWW-Authenticate"))
					}
				}
			})
		}
	}
	sort.Strings(tokenless)
	want := []string{"GetHealthz", "GetReadyz", "Login", "Logout", "RefreshToken", "Register"}
	if !slices.Equal(tokenless, want) || n != 31 {
		t.Errorf("operations without a token %v (want %v), %d with one", tokenless, want, n)
	}
}
