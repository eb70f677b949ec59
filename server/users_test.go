package server_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/servertest"
)

func TestUsersForbiddenToSales(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	_, sales := env.NewUser(auth.RoleSales)
	id := env.AdminUser.Id
	name := "X"
	for _, tc := range []struct {
		name string
		call func(c *client.ClientWithResponses) (status int, body []byte, err error)
	}{
		{"List", func(c *client.ClientWithResponses) (int, []byte, error) {
			r, err := c.ListUsersWithResponse(bg, nil)
			return r.StatusCode(), r.Body, err
		}},
		{"Create", func(c *client.ClientWithResponses) (int, []byte, error) {
			r, err := c.CreateUserWithResponse(bg, client.UserCreate{Name: "X", Email: "x@example.com", Password: "long enough pw", Role: new(client.RoleAdmin)})
			return r.StatusCode(), r.Body, err
		}},
		{"Get", func(c *client.ClientWithResponses) (int, []byte, error) {
			r, err := c.GetUserWithResponse(bg, id)
			return r.StatusCode(), r.Body, err
		}},
		{"Patch", func(c *client.ClientWithResponses) (int, []byte, error) {
			r, err := c.UpdateUserWithResponse(bg, id, &client.UpdateUserParams{IfMatch: `"1"`}, client.UserPatch{Name: &name})
			return r.StatusCode(), r.Body, err
		}},
		{"Delete", func(c *client.ClientWithResponses) (int, []byte, error) {
			r, err := c.DeactivateUserWithResponse(bg, id, nil)
			return r.StatusCode(), r.Body, err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, body, err := tc.call(sales)
			if err != nil || status != 403 {
				t.Fatalf("sales: %v %d %s", err, status, body)
			}
			status, body, err = tc.call(env.Anon)
			if err != nil || status != 401 {
				t.Fatalf("anonymous: %v %d %s", err, status, body)
			}
		})
	}
	if g, _ := env.Admin.GetUserWithResponse(bg, id); g.JSON200 == nil || g.JSON200.Name == "X" || !g.JSON200.Active {
		t.Fatal("a sales user changed the admin")
	}
}

func TestUsersList(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	// The fixture admin is "admin user 1"; seven more, with names chosen to
	// sort in a known order.
	var all []client.User
	for i := range 7 {
		role := auth.RoleSales
		if i%3 == 0 {
			role = auth.RoleAdmin
		}
		all = append(all, newUser(t, env, fmt.Sprintf("Person %02d", i), fmt.Sprintf("person%d@example.com", i), role))
	}
	if r, _ := env.Admin.DeactivateUserWithResponse(bg, all[6].Id, nil); r.StatusCode() != 204 {
		t.Fatal(r.StatusCode())
	}
	list := func(t *testing.T, p client.ListUsersParams) *client.UserList {
		t.Helper()
		r, err := env.Admin.ListUsersWithResponse(bg, &p)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
		}
		return r.JSON200
	}
	names := func(us []client.User) string {
		var s []string
		for _, u := range us {
			s = append(s, u.Name)
		}
		return strings.Join(s, ",")
	}
	admin, sales, yes, no := client.RoleAdmin, client.RoleSales, true, false
	for _, tc := range []struct {
		name string
		p    client.ListUsersParams
		want string
	}{
		{"All", client.ListUsersParams{}, "admin user 1,Person 00,Person 01,Person 02,Person 03,Person 04,Person 05,Person 06"},
		{"RoleAdmin", client.ListUsersParams{Role: &admin}, "admin user 1,Person 00,Person 03,Person 06"},
		{"RoleSales", client.ListUsersParams{Role: &sales}, "Person 01,Person 02,Person 04,Person 05"},
		{"Inactive", client.ListUsersParams{Active: &no}, "Person 06"},
		{"ActiveAdmins", client.ListUsersParams{Role: &admin, Active: &yes}, "admin user 1,Person 00,Person 03"},
		{"QName", client.ListUsersParams{Q: lref("SON 0")}, "Person 00,Person 01,Person 02,Person 03,Person 04,Person 05,Person 06"},
		{"QEmail", client.ListUsersParams{Q: lref("PERSON4@")}, "Person 04"},
		{"QNothing", client.ListUsersParams{Q: lref("zzz")}, ""},
		{"QNameAccents", client.ListUsersParams{Q: lref("PÉRSÕN 04")}, "Person 04"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.p.Count = lref(true)
			got := list(t, tc.p)
			if names(got.Items) != tc.want || got.NextCursor != nil {
				t.Fatalf("got %q (next %v), want %q", names(got.Items), got.NextCursor, tc.want)
			}
			if want := int64(len(got.Items)); got.Total == nil || *got.Total != want {
				t.Fatalf("total %v, want %d", got.Total, want)
			}
		})
	}
	t.Run("NoTotalWithoutCount", func(t *testing.T) {
		t.Parallel()
		if got := list(t, client.ListUsersParams{}); got.Total != nil {
			t.Fatal("total without count=true")
		}
	})
	for _, tc := range []struct {
		name string
		p    client.ListUsersParams
		want string
	}{
		{"KeysetAll", client.ListUsersParams{}, "admin user 1,Person 00,Person 01,Person 02,Person 03,Person 04,Person 05,Person 06"},
		{"KeysetFiltered", client.ListUsersParams{Role: &sales, Active: &yes, Q: lref("person")}, "Person 01,Person 02,Person 04,Person 05"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := tc.p
			p.Limit = lref(client.Limit(3))
			var got []client.User
			seen := map[uuid.UUID]bool{}
			for pages := 0; ; pages++ {
				page := list(t, p)
				if len(page.Items) > 3 || pages > 5 {
					t.Fatalf("page of %d, page %d", len(page.Items), pages)
				}
				for _, u := range page.Items {
					if seen[u.Id] {
						t.Fatalf("duplicate %s", u.Name)
					}
					seen[u.Id] = true
				}
				got = append(got, page.Items...)
				if page.NextCursor == nil {
					break
				}
				p.Cursor = page.NextCursor
			}
			if names(got) != tc.want {
				t.Fatalf("pages gave %q, want %q", names(got), tc.want)
			}
		})
	}
	t.Run("CursorWithOtherFilters", func(t *testing.T) {
		t.Parallel()
		page := list(t, client.ListUsersParams{Limit: lref(client.Limit(2))})
		r, _ := env.Admin.ListUsersWithResponse(bg, &client.ListUsersParams{Role: &sales, Cursor: page.NextCursor})
		wantField(t, wantProblem(t, r.HTTPResponse, r.Body, 400), "cursor")
	})
	t.Run("GarbageCursor", func(t *testing.T) {
		t.Parallel()
		r, _ := env.Admin.ListUsersWithResponse(bg, &client.ListUsersParams{Cursor: lref("garbage!")})
		wantField(t, wantProblem(t, r.HTTPResponse, r.Body, 400), "cursor")
	})
	for _, q := range []string{"limit=0", "limit=201", "role=boss", "active=maybe"} {
		t.Run("BadParam_"+q, func(t *testing.T) {
			t.Parallel()
			res, body := raw(t, "GET", env.URL+"/api/v1/users?"+q, nil, map[string]string{"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken})
			wantField(t, wantProblem(t, res, body, 400), strings.Split(q, "=")[0])
		})
	}
}

func TestUsersCreate(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	t.Run("NameOfUnicodeSpaces", func(t *testing.T) {
		// No letter or digit, and nothing once trimmed: refused by the
		// spec's pattern, naming the field.
		res, body := raw(t, "POST", env.URL+"/api/v1/users", strings.NewReader(`{"name":"\u00a0\u2003","email":"nbsp@example.com","password":"long enough pw","role":"sales"}`),
			map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken})
		wantField(t, wantProblem(t, res, body, 400), "name")
	})
	t.Run("OK/PasswordCountsBytes", func(t *testing.T) {
		// Six accented letters are 12 bytes: enough, although 6 characters.
		r, err := env.Admin.CreateUserWithResponse(bg, client.UserCreate{Name: "Zé", Email: "ze@example.com",
			Password: "éééééé"})
		if err != nil || r.StatusCode() != 201 {
			t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
		}
		// No role given: sales, the least a user may need; null says the same.
		if r.JSON201.Role != client.RoleSales {
			t.Errorf("role %q, want sales", r.JSON201.Role)
		}
		res, body := raw(t, "POST", env.URL+"/api/v1/users", strings.NewReader(`{"name":"Null","email":"null@example.com","password":"long enough pw","role":null}`),
			map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken})
		if res.StatusCode != 201 || !strings.Contains(string(body), `"role":"sales"`) {
			t.Errorf("role null: %d %s", res.StatusCode, body)
		}
		l, err := env.Anon.LoginWithResponse(bg, client.LoginRequest{Email: "ze@example.com", Password: "éééééé"})
		if err != nil || l.JSON200 == nil {
			t.Fatalf("login: %v %d %s", err, l.StatusCode(), l.Body)
		}
	})
	t.Run("OK", func(t *testing.T) {
		r, err := env.Admin.CreateUserWithResponse(bg, client.UserCreate{Name: " Ana Silva ", Email: "Ana@Example.com",
			Password: "long enough pw", Role: new(client.RoleAdmin)})
		if err != nil || r.StatusCode() != 201 {
			t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
		}
		u := r.JSON201
		if u.Name != "Ana Silva" || u.Email != "ana@example.com" || u.Role != client.RoleAdmin || !u.Active || u.Version != 1 || u.LastLoginAt != nil {
			t.Fatalf("%+v", u)
		}
		if r.HTTPResponse.Header.Get("ETag") != `"1"` {
			t.Fatalf("ETag %q", r.HTTPResponse.Header.Get("ETag"))
		}
		if loc := r.HTTPResponse.Header.Get("Location"); loc != "/api/v1/users/"+u.Id.String() {
			t.Fatalf("Location %q", loc)
		}
		if strings.Contains(string(r.Body), "password") {
			t.Fatalf("response mentions the password: %s", r.Body)
		}
		ev := actions(t, env, "user.create")
		var e *client.AuditEvent
		for i := range ev {
			if ev[i].EntityId != nil && *ev[i].EntityId == u.Id.String() {
				e = &ev[i]
			}
		}
		if e == nil || e.Actor.Id == nil || *e.Actor.Id != env.AdminUser.Id || e.Changes["email"].To != "ana@example.com" ||
			e.Changes["role"].To != "admin" || strings.Contains(mustJSON(e), "$2a$") || strings.Contains(mustJSON(e), "long enough pw") {
			t.Fatalf("event %s", mustJSON(e))
		}
		if _, ok := e.Changes["password"]; ok {
			t.Fatal("password in the changes of user.create")
		}
	})
	t.Run("DuplicateEmail", func(t *testing.T) {
		r, _ := env.Admin.CreateUserWithResponse(bg, client.UserCreate{Name: "Twin", Email: client.Email(strings.ToUpper(env.AdminUser.Email)),
			Password: "long enough pw", Role: new(client.RoleSales)})
		p := wantProblem(t, r.HTTPResponse, r.Body, 409)
		if !strings.Contains(p.Detail, "e-mail") || p.Errors == nil || len(*p.Errors) != 1 ||
			(*p.Errors)[0].Field != "email" || (*p.Errors)[0].Message != "is taken" {
			t.Fatalf("conflict %s", r.Body)
		}
	})
	for _, tc := range []struct{ name, body, field string }{
		{"BadEmail", `{"name":"X","email":"not-an-email","password":"long enough pw","role":"sales"}`, "email"},
		{"ShortPassword", `{"name":"X","email":"x@example.com","password":"short","role":"sales"}`, "password"},
		{"BadRole", `{"name":"X","email":"x@example.com","password":"long enough pw","role":"boss"}`, "role"},
		{"EmptyName", `{"name":"","email":"x@example.com","password":"long enough pw","role":"sales"}`, "name"},
		{"BlankName", `{"name":"   ","email":"x@example.com","password":"long enough pw","role":"sales"}`, "name"},
		{"PasswordTooFewBytes", `{"name":"X","email":"x@example.com","password":"éééé","role":"sales"}`, "password"},
		{"PasswordTooManyBytes", `{"name":"X","email":"x@example.com","password":"` + strings.Repeat("é", 37) + `","role":"sales"}`, "password"},
		{"UnknownField", `{"name":"X","email":"x@example.com","password":"long enough pw","role":"sales","id":"x"}`, "id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, body := raw(t, "POST", env.URL+"/api/v1/users", strings.NewReader(tc.body), map[string]string{
				"Content-Type": "application/json", "Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken})
			wantField(t, wantProblem(t, res, body, 400), tc.field)
			if n := scalar(t, env, `SELECT count(*) FROM users WHERE name = 'X' OR email = 'x@example.com'`); n != 0 {
				t.Errorf("a refused create left %d users", n)
			}
		})
	}
}

func TestUsersGet(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		r, _ := env.Admin.GetUserWithResponse(bg, env.AdminUser.Id)
		if r.StatusCode() != 200 || r.JSON200.Email != env.AdminUser.Email || *r.Headers200.ETag != fmt.Sprintf(`"%d"`, r.JSON200.Version) {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		r, _ := env.Admin.GetUserWithResponse(bg, uuid.New())
		if p := wantProblem(t, r.HTTPResponse, r.Body, 404); p.Detail != "user not found" {
			t.Errorf("detail %q, want it to say what was not found", p.Detail)
		}
	})
	t.Run("MalformedID", func(t *testing.T) {
		t.Parallel()
		res, body := raw(t, "GET", env.URL+"/api/v1/users/not-a-uuid", nil,
			map[string]string{"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken})
		wantField(t, wantProblem(t, res, body, 400), "id")
	})
}

func TestUsersUpdate(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	get := func(t *testing.T, id uuid.UUID) (client.User, string) {
		t.Helper()
		r, _ := env.Admin.GetUserWithResponse(bg, id)
		if r.JSON200 == nil {
			t.Fatalf("get %d", r.StatusCode())
		}
		return *r.JSON200, *r.Headers200.ETag
	}
	patch := func(t *testing.T, id uuid.UUID, ifMatch *string, p client.UserPatch) *client.UpdateUserResponse {
		t.Helper()
		var params *client.UpdateUserParams // none: no If-Match at all
		if ifMatch != nil {
			params = &client.UpdateUserParams{IfMatch: *ifMatch}
		}
		r, err := env.Admin.UpdateUserWithResponse(bg, id, params, p)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	t.Run("IfMatch", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, env, "Ifmatch", "ifmatch@example.com", auth.RoleSales)
		n := "Renamed"
		r := patch(t, u.Id, nil, client.UserPatch{Name: &n})
		wantProblem(t, r.HTTPResponse, r.Body, 428)
		// "*" would skip the very check If-Match is required for.
		star := "*"
		r = patch(t, u.Id, &star, client.UserPatch{Name: &n})
		wantProblem(t, r.HTTPResponse, r.Body, 428)
		for _, stale := range []string{`"7"`, `"x"`, `W/"1"`} {
			r := patch(t, u.Id, &stale, client.UserPatch{Name: &n})
			wantProblem(t, r.HTTPResponse, r.Body, 412)
		}
		bare := "1" // the version, not its entity tag
		r = patch(t, u.Id, &bare, client.UserPatch{Name: &n})
		wantProblem(t, r.HTTPResponse, r.Body, 400)
		if got, _ := get(t, u.Id); got.Name != "Ifmatch" || got.Version != 1 {
			t.Fatalf("changed without a matching If-Match: %+v", got)
		}
	})

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		u, c := env.NewUser(auth.RoleSales)
		before, tag := get(t, u.Id)
		name, email, pw := "New Name", "NEW.mail@example.com", "another long password"
		r := patch(t, u.Id, &tag, client.UserPatch{Name: &name, Email: (*client.Email)(&email), Password: &pw})
		if r.StatusCode() != 200 {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		after := r.JSON200
		if after.Name != name || after.Email != "new.mail@example.com" || after.Version != before.Version+1 ||
			*r.Headers200.ETag != fmt.Sprintf(`"%d"`, before.Version+1) || !after.UpdatedAt.After(before.UpdatedAt) {
			t.Fatalf("%+v etag %s", after, *r.Headers200.ETag)
		}
		// The old tag is stale now.
		r2 := patch(t, u.Id, &tag, client.UserPatch{Name: &name})
		wantProblem(t, r2.HTTPResponse, r2.Body, 412)
		// A new password ends the user's sessions.
		me, _ := c.GetMeWithResponse(bg)
		wantProblem(t, me.HTTPResponse, me.Body, 401)

		ev := events(t, env, client.ListAuditEventsParams{EntityId: lref(u.Id.String()), Action: lref(client.AuditActionUserUpdate)})
		if len(ev) != 1 {
			t.Fatalf("%d user.update events", len(ev))
		}
		e := ev[0]
		if e.Changes["name"].From != before.Name || e.Changes["name"].To != name ||
			e.Changes["email"].From != before.Email || e.Changes["email"].To != "new.mail@example.com" ||
			e.Changes["password"].From != "(hidden)" || e.Changes["password"].To != "(changed)" ||
			e.Actor.Id == nil || *e.Actor.Id != env.AdminUser.Id || e.RequestId == nil || *e.RequestId != r.HTTPResponse.Header.Get("X-Request-ID") {
			t.Fatalf("event %s", mustJSON(e))
		}
		if s := mustJSON(e); strings.Contains(s, "$2a$") || strings.Contains(s, pw) {
			t.Fatalf("secret in the audit event: %s", s)
		}
		if n := scalar(t, env, `SELECT count(*) FROM audit_events WHERE changes::text LIKE '%$2a$%' OR summary LIKE '%$2a$%'`); n != 0 {
			t.Fatalf("%d events hold a bcrypt hash", n)
		}
	})

	t.Run("NoChangeKeepsVersion", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, env, "Same", "same@example.com", auth.RoleSales)
		_, tag := get(t, u.Id)
		n := "Same"
		r := patch(t, u.Id, &tag, client.UserPatch{Name: &n})
		if r.StatusCode() != 200 || r.JSON200.Version != 1 || *r.Headers200.ETag != tag {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
	})

	t.Run("EmptyPatch", func(t *testing.T) {
		t.Parallel()
		_, tag := get(t, env.AdminUser.Id)
		r := patch(t, env.AdminUser.Id, &tag, client.UserPatch{})
		wantProblem(t, r.HTTPResponse, r.Body, 400)
	})

	t.Run("EmailTaken", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, env, "Taker", "taker@example.com", auth.RoleSales)
		_, tag := get(t, u.Id)
		email := strings.ToUpper(env.AdminUser.Email)
		r := patch(t, u.Id, &tag, client.UserPatch{Email: (*client.Email)(&email)})
		wantProblem(t, r.HTTPResponse, r.Body, 409)
		if after, afterTag := get(t, u.Id); afterTag != tag || after.Email != "taker@example.com" {
			t.Errorf("a refused patch changed the user: %s %+v", afterTag, after)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		n := "X"
		r := patch(t, uuid.New(), lref(`"1"`), client.UserPatch{Name: &n})
		if p := wantProblem(t, r.HTTPResponse, r.Body, 404); p.Detail != "user not found" {
			t.Errorf("detail %q, want it to say what was not found", p.Detail)
		}
	})

	t.Run("OwnPasswordNeedsTheCurrentOne", func(t *testing.T) {
		t.Parallel()
		me, tag := get(t, env.AdminUser.Id)
		pw := "a-new-password-for-me"
		r := patch(t, env.AdminUser.Id, &tag, client.UserPatch{Password: &pw})
		if p := wantProblem(t, r.HTTPResponse, r.Body, 403); !strings.Contains(p.Detail, "/auth/password") {
			t.Errorf("detail %v", p.Detail)
		}
		if got, _ := get(t, env.AdminUser.Id); got.Version != me.Version {
			t.Fatalf("changed: %+v", got)
		}
	})

	t.Run("BadField", func(t *testing.T) {
		t.Parallel()
		_, tag := get(t, env.AdminUser.Id)
		res, body := raw(t, "PATCH", env.URL+"/api/v1/users/"+env.AdminUser.Id.String(), strings.NewReader(`{"password_hash":"x"}`),
			map[string]string{"Content-Type": "application/json", "If-Match": tag,
				"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken})
		wantField(t, wantProblem(t, res, body, 400), "password_hash")
	})

	// Each bad value is a 400 naming its field, and nothing changes.
	t.Run("BadValues", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, env, "Badvalues", "badvalues@example.com", auth.RoleSales)
		admin := "Bearer " + env.Login(env.AdminUser.Email).AccessToken
		for _, tc := range []struct{ name, body, field string }{
			{"Role", `{"role": "boss"}`, "role"},
			{"NullRole", `{"role": null}`, "role"},
			{"Email", `{"email": "nope"}`, "email"},
			{"ShortPassword", `{"password": "short"}`, "password"},
			{"BlankName", `{"name": "   "}`, "name"},
			{"NullName", `{"name": null}`, "name"},
			{"BidiName", `{"name": "Ana \u202e Silva"}`, "name"},
			{"NullActive", `{"active": null}`, "active"},
			{"ActiveText", `{"active": "yes"}`, "active"},
			{"Array", `[]`, "body"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res, body := raw(t, "PATCH", env.URL+"/api/v1/users/"+u.Id.String(), strings.NewReader(tc.body),
					map[string]string{"Content-Type": "application/json", "If-Match": `"1"`, "Authorization": admin})
				wantField(t, wantProblem(t, res, body, 400), tc.field)
			})
		}
		if got, _ := get(t, u.Id); got.Version != 1 || got.Name != "Badvalues" {
			t.Fatalf("changed by a bad patch: %+v", got)
		}
	})

	// A role change and a deactivation by PATCH are on record with both
	// values and who made them, as a user.deactivate event.
	t.Run("RoleAndActiveAudited", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, env, "Promoted", "promoted@example.com", auth.RoleSales)
		role, active := client.Role(auth.RoleAdmin), false
		r := patch(t, u.Id, lref(`"1"`), client.UserPatch{Role: &role, Active: &active})
		if r.JSON200 == nil || r.JSON200.Role != role || r.JSON200.Active {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		ev := events(t, env, client.ListAuditEventsParams{EntityId: lref(u.Id.String()), EntityType: lref(client.AuditEntityType("user"))})
		if len(ev) != 2 || ev[0].Action != client.AuditActionUserDeactivate { // newest first, after user.create
			t.Fatalf("events %s", mustJSON(ev))
		}
		c := ev[0].Changes
		if c["role"].From != auth.RoleSales || c["role"].To != auth.RoleAdmin || c["active"].From != true || c["active"].To != false ||
			ev[0].Actor.Id == nil || *ev[0].Actor.Id != env.AdminUser.Id {
			t.Fatalf("event %s", mustJSON(ev[0]))
		}
		if want := env.AdminUser.Name + " deactivated user Promoted and changed role"; ev[0].Summary != want {
			t.Errorf("summary %q, want %q", ev[0].Summary, want)
		}
		// Back: the event says so in words, not as "(active)".
		r = patch(t, u.Id, lref(`"2"`), client.UserPatch{Active: lref(true)})
		if r.JSON200 == nil || !r.JSON200.Active {
			t.Fatalf("reactivate: %d %s", r.StatusCode(), r.Body)
		}
		ev = events(t, env, client.ListAuditEventsParams{EntityId: lref(u.Id.String()), EntityType: lref(client.AuditEntityType("user"))})
		if want := env.AdminUser.Name + " reactivated user Promoted"; ev[0].Action != client.AuditActionUserUpdate || ev[0].Summary != want {
			t.Errorf("reactivation event %s %q, want %q", ev[0].Action, ev[0].Summary, want)
		}
	})
}

func TestUsersLastAdmin(t *testing.T) {
	t.Parallel()
	env := servertest.New(t) // the fixture admin is the only admin
	if n := scalar(t, env, `SELECT count(*) FROM users WHERE role = 'admin' AND active`); n != 1 {
		t.Fatalf("%d active admins at the start", n)
	}
	id := env.AdminUser.Id
	g, _ := env.Admin.GetUserWithResponse(bg, id)
	tag := *g.Headers200.ETag
	sales, no := client.RoleSales, false
	for _, tc := range []struct {
		name, field string
		p           client.UserPatch
	}{
		{"Demote", "role", client.UserPatch{Role: &sales}},
		{"Deactivate", "active", client.UserPatch{Active: &no}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := env.Admin.UpdateUserWithResponse(bg, id, &client.UpdateUserParams{IfMatch: tag}, tc.p)
			p := wantProblem(t, r.HTTPResponse, r.Body, 422)
			if !strings.Contains(p.Detail, "last active admin") {
				t.Fatalf("detail %v", p.Detail)
			}
			wantField(t, p, tc.field)
		})
	}
	t.Run("Delete", func(t *testing.T) {
		r, _ := env.Admin.DeactivateUserWithResponse(bg, id, nil)
		if p := wantProblem(t, r.HTTPResponse, r.Body, 422); p.Errors != nil || !strings.Contains(p.Detail, "last active admin") {
			t.Fatalf("a DELETE's refusal names a field it has none of, or not why: %s", r.Body)
		}
	})
	t.Run("InactiveAdminsDoNotCount", func(t *testing.T) {
		other := newUser(t, env, "Dormant", "dormant@example.com", auth.RoleAdmin)
		if r, _ := env.Admin.DeactivateUserWithResponse(bg, other.Id, nil); r.StatusCode() != 204 {
			t.Fatal(r.StatusCode())
		}
		r, _ := env.Admin.UpdateUserWithResponse(bg, id, &client.UpdateUserParams{IfMatch: tag}, client.UserPatch{Role: &sales})
		wantProblem(t, r.HTTPResponse, r.Body, 422)
	})
	t.Run("ConcurrentDemotions", func(t *testing.T) {
		// Two admins demote each other at once: one must stay admin.
		second, secondClient := env.NewUser(auth.RoleAdmin)
		clients := []*client.ClientWithResponses{env.Admin, secondClient}
		targets := []uuid.UUID{second.Id, id}
		tags := make([]string, 2)
		for i := range 2 {
			g, _ := clients[i].GetUserWithResponse(bg, targets[i])
			if g.JSON200 == nil {
				t.Fatalf("get: %d %s", g.StatusCode(), g.Body)
			}
			tags[i] = *g.Headers200.ETag
		}
		var wg sync.WaitGroup
		codes := make([]int, 2)
		start := make(chan struct{})
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				r, _ := clients[i].UpdateUserWithResponse(bg, targets[i], &client.UpdateUserParams{IfMatch: tags[i]},
					client.UserPatch{Role: &sales})
				codes[i] = r.StatusCode()
			}()
		}
		close(start)
		wg.Wait()
		// One wins; the other is refused: 422 (last admin) or 403 (its
		// caller was demoted first).
		got := slices.Sorted(slices.Values(codes))
		if !slices.Equal(got, []int{200, 403}) && !slices.Equal(got, []int{200, 422}) {
			t.Fatalf("statuses %v, want one 200 and a 403 or 422", codes)
		}
		if n := scalar(t, env, `SELECT count(*) FROM users WHERE role = 'admin' AND active`); n < 1 {
			t.Fatalf("no active admin left (statuses %v)", codes)
		}
	})
}

func TestUsersDeactivate(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		u, c := env.NewUser(auth.RoleSales)
		other := env.Login(u.Email)
		r, _ := env.Admin.DeactivateUserWithResponse(bg, u.Id, nil)
		if r.StatusCode() != 204 {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		l, _ := env.Admin.ListUsersWithResponse(bg, &client.ListUsersParams{Q: lref(u.Email)})
		if l.JSON200 == nil || len(l.JSON200.Items) != 1 || l.JSON200.Items[0].Active {
			t.Fatalf("not listed as inactive: %s", l.Body)
		}
		me, _ := c.GetMeWithResponse(bg)
		wantProblem(t, me.HTTPResponse, me.Body, 401)
		if n := scalar(t, env, `SELECT count(*) FROM sessions WHERE user_id = $1 AND revoked_at IS NULL`, u.Id); n != 0 {
			t.Fatalf("%d live sessions", n)
		}
		rr, _ := env.Anon.RefreshTokenWithResponse(bg, client.RefreshRequest{RefreshToken: other.RefreshToken})
		wantProblem(t, rr.HTTPResponse, rr.Body, 401)
		ev := events(t, env, client.ListAuditEventsParams{EntityId: lref(u.Id.String()), Action: lref(client.AuditActionUserDeactivate)})
		if len(ev) != 1 || ev[0].Changes["active"].From != true || ev[0].Changes["active"].To != false {
			t.Fatalf("events %s", mustJSON(ev))
		}
		// Again: nothing to do, still 204, no second event.
		if r, _ := env.Admin.DeactivateUserWithResponse(bg, u.Id, nil); r.StatusCode() != 204 {
			t.Fatal(r.StatusCode())
		}
		if ev := events(t, env, client.ListAuditEventsParams{EntityId: lref(u.Id.String()), Action: lref(client.AuditActionUserDeactivate)}); len(ev) != 1 {
			t.Fatalf("%d events", len(ev))
		}
	})
	// release_leads hands the seller's open leads back to the team, each
	// with its event; closed leads keep their seller.
	t.Run("ReleaseLeads", func(t *testing.T) {
		t.Parallel()
		u, c := env.NewUser(auth.RoleSales)
		open1 := leadMustCreate(t, c, client.LeadCreate{Name: "Open One"})
		open2 := leadMustCreate(t, c, client.LeadCreate{Name: "Open Two"})
		won := leadMustCreate(t, c, client.LeadCreate{Name: "Won"})
		if r, _ := c.UpdateLeadWithResponse(bg, won.Id, leadIfMatch(won.Version), client.LeadPatch{Status: lref(client.LeadStatusSuccess)}); r.JSON200 == nil {
			t.Fatalf("close: %d %s", r.StatusCode(), r.Body)
		}
		// A stale If-Match releases nothing.
		r, _ := env.Admin.DeactivateUserWithResponse(bg, u.Id, &client.DeactivateUserParams{ReleaseLeads: lref(true), IfMatch: lref(`"99"`)})
		wantProblem(t, r.HTTPResponse, r.Body, 412)
		if l := leadMustGet(t, env.Admin, open1.Id); l.AssignedTo == nil {
			t.Fatal("a refused deactivation released a lead")
		}
		if g, _ := env.Admin.GetUserWithResponse(bg, u.Id); g.JSON200 == nil || !g.JSON200.Active {
			t.Fatalf("a refused deactivation deactivated: %s", g.Body)
		}
		if ev := events(t, env, client.ListAuditEventsParams{EntityId: lref(u.Id.String()), Action: lref(client.AuditActionUserDeactivate)}); len(ev) != 0 {
			t.Fatalf("a refused deactivation wrote %d events", len(ev))
		}
		// The current ETag is taken.
		g, _ := env.Admin.GetUserWithResponse(bg, u.Id)
		r, _ = env.Admin.DeactivateUserWithResponse(bg, u.Id, &client.DeactivateUserParams{ReleaseLeads: lref(true), IfMatch: lref(g.HTTPResponse.Header.Get("ETag"))})
		if r.StatusCode() != 204 {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		for _, l := range []client.Lead{open1, open2} {
			got := leadMustGet(t, env.Admin, l.Id)
			ev := leadEvent(t, env, l.Id, "lead.update")
			if got.AssignedTo != nil || got.Version != l.Version+1 || ev.Changes["assigned_to"].From != u.Id.String() ||
				ev.Changes["assigned_to"].To != nil || !strings.Contains(ev.Summary, "from deactivated seller "+u.Name) {
				t.Errorf("released lead %+v, event %s", got, mustJSON(ev))
			}
		}
		if got := leadMustGet(t, env.Admin, won.Id); got.AssignedTo == nil || *got.AssignedTo != u.Id {
			t.Errorf("the closed lead lost its seller: %+v", got.AssignedTo)
		}
		// Now a colleague may claim one.
		_, colleague := env.NewUser(auth.RoleSales)
		l := leadMustGet(t, colleague, open1.Id)
		claim := client.LeadPatch{}
		claim.AssignedTo.Set("me")
		if r, _ := colleague.UpdateLeadWithResponse(bg, l.Id, leadIfMatch(l.Version), claim); r.JSON200 == nil {
			t.Fatalf("claim: %d %s", r.StatusCode(), r.Body)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		r, _ := env.Admin.DeactivateUserWithResponse(bg, uuid.New(), nil)
		if p := wantProblem(t, r.HTTPResponse, r.Body, 404); p.Detail != "user not found" {
			t.Errorf("detail %q, want it to say what was not found", p.Detail)
		}
	})
	t.Run("BadInput", func(t *testing.T) {
		t.Parallel()
		u, _ := env.NewUser(auth.RoleSales)
		token := map[string]string{"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken}
		for _, tc := range []struct {
			name, path string
			ifMatch    *string // nil: none sent
			field      string
		}{
			{"ReleaseLeadsNotBoolean", u.Id.String() + "?release_leads=maybe", nil, "release_leads"},
			{"IDNotUUID", "not-a-uuid", nil, "id"},
			{"BareIfMatch", u.Id.String(), lref("1"), "If-Match"},
			// An empty If-Match is not the absent one, which deactivates
			// whatever the version.
			{"EmptyIfMatch", u.Id.String(), lref(""), "If-Match"},
		} {
			h := maps.Clone(token)
			if tc.ifMatch != nil {
				h["If-Match"] = *tc.ifMatch
			}
			res, body := raw(t, http.MethodDelete, env.URL+"/api/v1/users/"+tc.path, nil, h)
			wantField(t, wantProblem(t, res, body, http.StatusBadRequest), tc.field)
		}
		if g, _ := env.Admin.GetUserWithResponse(bg, u.Id); g.JSON200 == nil || !g.JSON200.Active {
			t.Fatalf("bad input deactivated the user: %s", g.Body)
		}
	})
	t.Run("Reactivate", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, env, "Back", "back@example.com", auth.RoleSales)
		if d, _ := env.Admin.DeactivateUserWithResponse(bg, u.Id, nil); d.StatusCode() != 204 {
			t.Fatalf("deactivate: %d %s", d.StatusCode(), d.Body)
		}
		g, _ := env.Admin.GetUserWithResponse(bg, u.Id)
		if g.JSON200 == nil || g.JSON200.Active {
			t.Fatalf("not deactivated: %s", g.Body)
		}
		yes := true
		r, _ := env.Admin.UpdateUserWithResponse(bg, u.Id, &client.UpdateUserParams{IfMatch: *g.Headers200.ETag}, client.UserPatch{Active: &yes})
		if r.StatusCode() != 200 || !r.JSON200.Active {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		if l := login(t, env, u.Email, servertest.Password); l.StatusCode() != 200 {
			t.Fatalf("login after reactivation: %d", l.StatusCode())
		}
	})
}

// TestReleaseLeadsWhileContactLogged: a seller logging a contact on their
// lead (which holds the lead, then checks the user's key) while an admin
// deactivates them releasing their leads (which holds the user, then
// updates the lead) both go through: no deadlock, no 500.
func TestReleaseLeadsWhileContactLogged(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	u, c := env.NewUser(auth.RoleSales)
	l := leadMustCreate(t, c, client.LeadCreate{Name: "Held Lead"})

	// The contact's transaction, as ActivityCreate runs it, up to its insert.
	contact := holdRowLock(t, env, `LOCK TABLE leads IN ROW EXCLUSIVE MODE`)
	if _, err := contact.Exec(bg, `SELECT 1 FROM leads WHERE id = $1 FOR UPDATE`, l.Id); err != nil {
		t.Fatal(err)
	}
	done := answerLater(http.MethodDelete, env.URL+"/api/v1/users/"+u.Id.String()+"?release_leads=true", "",
		"Authorization", "Bearer "+env.Login(env.AdminUser.Email).AccessToken)
	eventually(t, 10*time.Second, "the release waiting for the lead", func() bool {
		return scalar(t, env, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND query LIKE '%LeadsRelease%'`) == 1
	})
	if _, err := contact.Exec(bg, `INSERT INTO activities (id, lead_id, user_id, kind, occurred_at)
		VALUES (gen_random_uuid(), $1, $2, 'call', now())`, l.Id, u.Id); err != nil {
		t.Fatalf("the contact, while the release waits: %v", err)
	}
	if err := contact.Commit(bg); err != nil {
		t.Fatal(err)
	}
	if code := (<-done).status(); code != http.StatusNoContent {
		t.Fatalf("deactivation releasing the leads: %d", code)
	}
	if got := leadMustGet(t, env.Admin, l.Id); got.AssignedTo != nil {
		t.Fatalf("the lead stayed assigned: %v", got.AssignedTo)
	}
}

// TestClaimWhileDeactivated: a claim by a seller whose deactivation is
// committing waits for it and is refused, rather than leaving the lead on
// an inactive user.
func TestClaimWhileDeactivated(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	u, _ := env.NewUser(auth.RoleSales)
	l := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Unassigned Lead"})
	token := env.Login(u.Email).AccessToken
	deactivation := holdRowLock(t, env, `UPDATE users SET active = false WHERE id = $1`, u.Id)
	done := answerLater(http.MethodPatch, env.URL+"/api/v1/leads/"+l.Id.String(), `{"assigned_to": "me"}`,
		"Authorization", "Bearer "+token, "Content-Type", "application/json", "If-Match", fmt.Sprintf(`"%d"`, l.Version))
	eventually(t, 10*time.Second, "the claim waiting for the user", func() bool {
		return scalar(t, env, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND query LIKE '%UserGetShared%'`) == 1
	})
	if err := deactivation.Commit(bg); err != nil {
		t.Fatal(err)
	}
	if code := (<-done).status(); code != http.StatusUnprocessableEntity {
		t.Fatalf("claim by a user deactivated meanwhile: %d", code)
	}
	if got := leadMustGet(t, env.Admin, l.Id); got.AssignedTo != nil {
		t.Fatalf("the lead went to the deactivated user")
	}
}
