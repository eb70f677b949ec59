package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/servertest"
)

// TestTeam: every signed-in user reads the team's names (the names behind
// assigned_to and a contact's user_id), without e-mail addresses, page by
// page in name order.
func TestTeam(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	ana := newUser(t, env, "Ana Sá", "ana@example.com", auth.RoleSales)
	bruno := newUser(t, env, "bruno Reis", "bruno@example.com", auth.RoleSales)
	_ = newUser(t, env, "Álvaro Dias", "alvaro@example.com", auth.RoleAdmin)
	if r, _ := env.Admin.DeactivateUserWithResponse(bg, bruno.Id, nil); r.StatusCode() != http.StatusNoContent {
		t.Fatal(r.StatusCode())
	}
	sales := env.As(ana.Email)

	r, err := sales.ListTeamWithResponse(bg, nil)
	if err != nil || r.JSON200 == nil {
		t.Fatalf("team: %v %d %s", err, r.StatusCode(), r.Body)
	}
	var got []string
	for _, m := range r.JSON200.Items {
		got = append(got, m.Name+":"+string(m.Role)+":"+map[bool]string{true: "active", false: "inactive"}[m.Active])
	}
	want := "admin user 1:admin:active,Álvaro Dias:admin:active,Ana Sá:sales:active,bruno Reis:sales:inactive"
	if strings.Join(got, ",") != want || r.JSON200.NextCursor != nil {
		t.Fatalf("team %v (next %v)\nwant %s", got, r.JSON200.NextCursor, want)
	}
	var body struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil || len(body.Items[0]) != 4 || strings.Contains(string(r.Body), "@example.com") {
		t.Fatalf("team members carry more than id, name, role, active: %s", r.Body)
	}

	// Active only, two to a page.
	yes, two := true, client.Limit(2)
	var pages []string
	p := &client.ListTeamParams{Active: &yes, Limit: &two}
	for {
		r, err := sales.ListTeamWithResponse(bg, p)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("page: %v %d %s", err, r.StatusCode(), r.Body)
		}
		for _, m := range r.JSON200.Items {
			pages = append(pages, m.Name)
		}
		if r.JSON200.NextCursor == nil {
			break
		}
		p.Cursor = r.JSON200.NextCursor
	}
	if got := strings.Join(pages, ","); got != "admin user 1,Álvaro Dias,Ana Sá" {
		t.Fatalf("active team by pages: %s", got)
	}
	if r, _ := sales.ListTeamWithResponse(bg, &client.ListTeamParams{Active: &yes, Limit: &two, Count: lref(client.Count(true))}); r.JSON200 == nil ||
		r.JSON200.Total == nil || *r.JSON200.Total != 3 {
		t.Fatalf("count of the active team: %d %s", r.StatusCode(), r.Body)
	}

	for _, tc := range []struct {
		name  string
		query string
		token bool
		want  int
	}{
		{"NoToken", "", false, http.StatusUnauthorized},
		{"BadLimit", "?limit=0", true, http.StatusBadRequest},
		{"BadActive", "?active=maybe", true, http.StatusBadRequest},
		{"BadCursor", "?cursor=nonsense", true, http.StatusBadRequest},
		{"UnknownParameter", "?role=sales", true, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := map[string]string{}
			if tc.token {
				h["Authorization"] = "Bearer " + env.Login(ana.Email).AccessToken
			}
			res, body := raw(t, http.MethodGet, env.URL+"/api/v1/team"+tc.query, nil, h)
			wantProblem(t, res, body, tc.want)
		})
	}
}
