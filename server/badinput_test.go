package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/servertest"
)

// TestBadInputEveryOperation walks the spec as an admin, whose rights pass
// every role check: each operation that takes a body answers one that is not
// JSON with a 4xx problem (400 but where the operation refuses first for
// another reason), and each with a path parameter answers a malformed one
// with a 400 naming it. Never a 500, whatever the handler, and never a write.
func TestBadInputEveryOperation(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	admin := "Bearer " + env.Login(env.AdminUser.Email).AccessToken
	doc, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	// Where the answer to an unreadable body is not 400: an import takes
	// text/csv, so a JSON one is 415; registration is closed by default.
	notJSON := map[string]int{"ImportLeads": http.StatusUnsupportedMediaType, "Register": http.StatusForbidden}
	bodies, params := 0, 0
	writesNothing(t, env, func() {
		for path, item := range doc.Paths.Map() {
			for method, op := range item.Operations() {
				if op.RequestBody != nil {
					bodies++
					url := env.URL + strings.NewReplacer("{id}", uuid.NewString(), "{version}", "1").Replace(path)
					t.Run(op.OperationID+"/Body", func(t *testing.T) {
						want, ok := notJSON[op.OperationID]
						if !ok {
							want = http.StatusBadRequest
						}
						res, body := raw(t, method, url, strings.NewReader("{not json"),
							map[string]string{"Authorization": admin, "Content-Type": "application/json", "If-Match": `"1"`})
						wantProblem(t, res, body, want)
					})
				}
				for _, name := range []string{"id", "version"} {
					if !strings.Contains(path, "{"+name+"}") {
						continue
					}
					params++
					url := env.URL + strings.ReplaceAll(path, "{"+name+"}", "not-a-"+name)
					t.Run(op.OperationID+"/Malformed_"+name, func(t *testing.T) {
						res, body := raw(t, method, url, strings.NewReader("{}"),
							map[string]string{"Authorization": admin, "Content-Type": "application/json", "If-Match": `"1"`})
						wantField(t, wantProblem(t, res, body, http.StatusBadRequest), name)
					})
				}
			}
		}
	})
	// A spec change that adds or drops such operations should be seen here.
	if bodies != 14 || params != 11 {
		t.Errorf("%d operations with a body, %d path parameters", bodies, params)
	}
}
