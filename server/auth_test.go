package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/logbuf"
	"github.com/jmksales/jmk/server/servertest"
)

func throttle(perEmail, perIP int) servertest.Option {
	return func(c *server.Config) {
		c.LoginThrottle = server.Throttle{PerEmail: perEmail, PerIP: perIP, Window: time.Minute}
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		u, _ := env.NewUser(auth.RoleSales)
		r := login(t, env, strings.ToUpper(u.Email), servertest.Password)
		if r.StatusCode() != 200 {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
		tr := r.JSON200
		if tr.TokenType != client.TokenResponseTokenTypeBearer || tr.ExpiresIn != 900 || tr.AccessToken == "" || tr.RefreshToken == "" ||
			tr.User.Id != u.Id || tr.User.Email != u.Email || tr.User.Role != client.RoleSales {
			t.Fatalf("token response %+v", tr)
		}
		if strings.Contains(string(r.Body), "password") || strings.Contains(string(r.Body), "$2a$") {
			t.Fatalf("login response leaks a password field: %s", r.Body)
		}
		me, err := env.WithToken(tr.AccessToken).GetMeWithResponse(bg)
		if err != nil || me.JSON200 == nil || me.JSON200.Id != u.Id || me.JSON200.LastLoginAt == nil {
			t.Fatalf("me: %v %s", err, me.Body)
		}
	})

	t.Run("UnknownAndWrongAreIndistinguishable", func(t *testing.T) {
		t.Parallel()
		// A user with a production-cost hash, so that both paths do the
		// same bcrypt work.
		const pw = "a password at cost 12"
		cr, err := env.Admin.CreateUserWithResponse(bg, client.UserCreate{Name: "Timing", Email: "timing@example.com",
			Password: pw})
		if err != nil || cr.StatusCode() != 201 {
			t.Fatalf("create: %v %s", err, cr.Body)
		}
		timed := func(email string) (*http.Response, []byte, time.Duration) {
			start := time.Now()
			r := login(t, env, email, "not the password")
			return r.HTTPResponse, r.Body, time.Since(start)
		}
		wrongRes, wrongBody, wrongTook := timed("timing@example.com")
		unkRes, unkBody, unkTook := timed("nobody-here@example.com")
		// Each path's fastest of three, alternating: one sample of each, on
		// two cores shared with the rest of the suite, once differed by a
		// factor 4 from waiting for the CPU alone.
		for range 2 {
			_, _, d := timed("timing@example.com")
			wrongTook = min(wrongTook, d)
			_, _, d = timed("nobody-here@example.com")
			unkTook = min(unkTook, d)
		}
		wrong := wantProblem(t, wrongRes, wrongBody, 401)
		unk := wantProblem(t, unkRes, unkBody, 401)
		wrong.RequestId, unk.RequestId = "", ""
		a, _ := json.Marshal(wrong)
		b, _ := json.Marshal(unk)
		if string(a) != string(b) {
			t.Fatalf("different 401 bodies:\n%s\n%s", a, b)
		}
		if h := wrongRes.Header.Get("WWW-Authenticate"); h != unkRes.Header.Get("WWW-Authenticate") || !strings.HasPrefix(h, "Bearer") {
			t.Fatalf("WWW-Authenticate %q and %q; RFC 9110 wants a Bearer challenge on every 401", h, unkRes.Header.Get("WWW-Authenticate"))
		}
		// Both ran a full cost-12 bcrypt comparison.
		for name, d := range map[string]time.Duration{"wrong password": wrongTook, "unknown e-mail": unkTook} {
			if d < 100*time.Millisecond {
				t.Errorf("%s answered in %v: no bcrypt work was done", name, d)
			}
		}
		if r := float64(max(wrongTook, unkTook)) / float64(min(wrongTook, unkTook)); r > 3 {
			t.Errorf("timings differ by a factor %.1f: %v vs %v", r, wrongTook, unkTook)
		}
		failed := actions(t, env, "auth.login_failed")
		if len(failed) < 2 {
			t.Fatalf("login_failed events: %d", len(failed))
		}
	})

	// A failed login's event names what was typed only when it is an
	// account's e-mail: a password typed into the e-mail field, even one
	// shaped like an address, must not stay in the audit trail for good.
	t.Run("FailedLoginEventKeepsNoPassword", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct{ typed, summary string }{
			{"nobody.here@example.com", "Failed login for an unknown e-mail address"},
			{"Winter@Company.de", "Failed login for an unknown e-mail address"},
			{"Tr0ub4dor&3-secret", "Failed login for a value that is not an e-mail address"},
			{"my secret@example.com", "Failed login for a value that is not an e-mail address"},
			{"p@ssw0rd.secret2024", "Failed login for a value that is not an e-mail address"},
			{"secret@2024.", "Failed login for a value that is not an e-mail address"},
			{strings.Repeat("€", 100) + "@example.com", "Failed login for a value that is not an e-mail address"},
		} {
			r := login(t, env, tc.typed, "wrong-password-1")
			wantProblem(t, r.HTTPResponse, r.Body, 401)
			n := scalar(t, env, `SELECT count(*) FROM audit_events WHERE action = 'auth.login_failed' AND summary = $1`, tc.summary)
			if n == 0 {
				t.Errorf("%q: no event with summary %q", tc.typed, tc.summary)
			}
		}
		if n := scalar(t, env, `SELECT count(*) FROM audit_events WHERE summary LIKE '%secret%' OR summary ILIKE '%winter%' OR summary LIKE '%nobody.here%'`); n != 0 {
			t.Errorf("%d events hold what was typed into the e-mail field", n)
		}
		// Nor does the throttle keep it, even hashed: it counts by IP alone.
		if n := scalar(t, env, `SELECT count(*) FROM login_failures WHERE email_key = $1`, env.Store.LoginFailureKey("Tr0ub4dor&3-secret")); n != 0 {
			t.Errorf("%d failed logins keyed by a text that is no address", n)
		}
		// What is kept of an address-shaped one (a password may look like
		// one) is no hash a wordlist reverses: a keyed one.
		if n := scalar(t, env, `SELECT count(*) FROM login_failures WHERE email_key = encode(sha256('winter@company.de'), 'hex')`); n != 0 {
			t.Error("an address typed at login kept as its plain SHA-256")
		}
		if n := scalar(t, env, `SELECT count(*) FROM login_failures WHERE email_key = $1`, env.Store.LoginFailureKey("Winter@Company.de")); n != 1 {
			t.Errorf("%d failures keyed by the typed address, want 1", n)
		}
		if n := scalar(t, env, `SELECT count(*) FROM login_failures WHERE email_key IS NULL`); n == 0 {
			t.Error("no failed login counted by IP alone")
		}
	})

	t.Run("InactiveUserLooksWrong", func(t *testing.T) {
		t.Parallel()
		u := newUser(t, env, "Gone", "gone@example.com", auth.RoleSales)
		if r, _ := env.Admin.DeactivateUserWithResponse(bg, u.Id, nil); r.StatusCode() != 204 {
			t.Fatalf("deactivate %d", r.StatusCode())
		}
		r := login(t, env, u.Email, servertest.Password)
		p := wantProblem(t, r.HTTPResponse, r.Body, 401)
		if p.Detail != "e-mail or password is wrong" {
			t.Fatalf("detail %v", p.Detail)
		}
	})

	// A password reset or deactivation that commits while a login with the
	// old password is between its bcrypt check and its session wins: the
	// login is refused. The test holds the user's row lock, lets the login
	// check the old hash and wait on that lock, then resets and commits.
	for _, reset := range []string{"Password", "Deactivation"} {
		t.Run("RaceWith"+reset, func(t *testing.T) {
			t.Parallel()
			// A server of its own: the waiting login holds the per-IP login
			// lock, which would stall (and skew the timings of) the other
			// subtests' logins from the same address.
			env := servertest.New(t)
			u := newUser(t, env, "Racer "+reset, "racer-"+strings.ToLower(reset)+"@example.com", auth.RoleSales)
			tx := holdRowLock(t, env, `SELECT 1 FROM users WHERE id = $1 FOR UPDATE`, u.Id)
			done := answerLater(http.MethodPost, env.URL+"/api/v1/auth/login",
				`{"email": "`+u.Email+`", "password": "`+servertest.Password+`"}`, "Content-Type", "application/json")
			waitForLockWait(t, env)
			change := `UPDATE users SET password_hash = 'reset by an admin', version = version + 1 WHERE id = $1`
			if reset == "Deactivation" {
				change = `UPDATE users SET active = false, version = version + 1 WHERE id = $1`
			}
			if _, err := tx.Exec(bg, change, u.Id); err != nil {
				t.Fatal(err)
			}
			if err := tx.Commit(bg); err != nil {
				t.Fatal(err)
			}
			r := <-done
			if r.res == nil {
				t.Fatal("login not sent")
			}
			wantProblem(t, r.res, r.body, 401)
			if n := scalar(t, env, `SELECT count(*) FROM sessions WHERE user_id = '`+u.Id.String()+`'`); n != 0 {
				t.Fatalf("%d sessions for a user reset during login", n)
			}
		})
	}

	for _, tc := range []struct {
		name  string
		body  string
		field string
	}{
		{"MissingPassword", `{"email":"a@example.com"}`, "password"},
		{"EmptyEmail", `{"email":"","password":"x"}`, "email"},
		{"UnknownField", `{"email":"a@example.com","password":"x","remember":true}`, "remember"},
	} {
		t.Run("BadRequest"+tc.name, func(t *testing.T) {
			t.Parallel()
			res, body := raw(t, "POST", env.URL+"/api/v1/auth/login", strings.NewReader(tc.body),
				map[string]string{"Content-Type": "application/json"})
			wantField(t, wantProblem(t, res, body, 400), tc.field)
		})
	}
}

func TestLoginThrottle(t *testing.T) {
	t.Parallel()

	t.Run("PerEmail", func(t *testing.T) {
		t.Parallel()
		env := servertest.New(t, throttle(3, 100))
		u, _ := env.NewUser(auth.RoleSales)
		for i := range 3 {
			if r := login(t, env, u.Email, "wrong password"); r.StatusCode() != 401 {
				t.Fatalf("attempt %d: %d", i+1, r.StatusCode())
			}
		}
		for _, pw := range []string{"wrong password", servertest.Password} {
			r := login(t, env, u.Email, pw)
			p := wantProblem(t, r.HTTPResponse, r.Body, 429)
			ra, err := strconv.Atoi(r.HTTPResponse.Header.Get("Retry-After"))
			if err != nil || ra < 1 || ra > 60 {
				t.Fatalf("Retry-After %q", r.HTTPResponse.Header.Get("Retry-After"))
			}
			if !strings.Contains(p.Detail, "too many") {
				t.Fatalf("detail %v", p.Detail)
			}
		}
		// The lock is on that e-mail only.
		if r := login(t, env, env.AdminUser.Email, servertest.Password); r.StatusCode() != 200 {
			t.Fatalf("other e-mail: %d", r.StatusCode())
		}
		// The same e-mail in another case is the same e-mail.
		if r := login(t, env, strings.ToUpper(u.Email), servertest.Password); r.StatusCode() != 429 {
			t.Fatalf("upper-case e-mail: %d", r.StatusCode())
		}
		// The trail shows when the lock began, once; the refused attempts
		// leave nothing an attacker could repeat at will.
		locks := actions(t, env, "auth.login_locked")
		// Filed under the user, as the failures are.
		if len(locks) != 1 || locks[0].Summary != fmt.Sprintf("Logins for %q refused for up to 1m0s after 3 failures", u.Email) ||
			locks[0].EntityType != "user" || locks[0].EntityId == nil || *locks[0].EntityId != u.Id.String() {
			t.Fatalf("auth.login_locked events: %+v", locks)
		}
	})

	t.Run("PerEmailParallel", func(t *testing.T) {
		t.Parallel()
		env := servertest.New(t, throttle(3, 100))
		u, _ := env.NewUser(auth.RoleSales)
		codes := parallelLogins(t, env, 10, func(int) string { return u.Email })
		if codes[401] != 3 || codes[429] != 7 {
			t.Fatalf("10 parallel wrong guesses with a limit of 3: %v", codes)
		}
	})

	t.Run("PerIP", func(t *testing.T) {
		t.Parallel()
		env := servertest.New(t, throttle(100, 4))
		other := newUser(t, env, "Other", "other@example.com", auth.RoleSales)
		for i := range 4 {
			if r := login(t, env, env.AdminUser.Email, "wrong password "+strconv.Itoa(i)); r.StatusCode() != 401 {
				t.Fatalf("attempt %d: %d", i+1, r.StatusCode())
			}
		}
		for _, email := range []string{"someone-else@example.com", other.Email} {
			if r := login(t, env, email, "wrong password"); r.StatusCode() != 429 {
				t.Fatalf("%s from the same IP: %d", email, r.StatusCode())
			}
		}
		if r := login(t, env, other.Email, servertest.Password); r.StatusCode() != 429 {
			t.Fatalf("right password of another user from the same IP: %d", r.StatusCode())
		}
		r := login(t, env, env.AdminUser.Email, servertest.Password)
		wantProblem(t, r.HTTPResponse, r.Body, 429)
		if r.HTTPResponse.Header.Get("Retry-After") == "" {
			t.Fatal("no Retry-After")
		}
		if locks := actions(t, env, "auth.login_locked"); len(locks) != 1 || !strings.HasPrefix(locks[0].Summary, "Logins from 127.0.0.1 refused") {
			t.Fatalf("auth.login_locked events: %+v", locks)
		}
	})

	// One failure that locks the e-mail and the IP together records both
	// locks.
	t.Run("BothAtOnce", func(t *testing.T) {
		t.Parallel()
		env := servertest.New(t, throttle(2, 3))
		if r := login(t, env, "first@example.com", "wrong password"); r.StatusCode() != 401 {
			t.Fatalf("first: %d", r.StatusCode())
		}
		for i := range 2 {
			if r := login(t, env, env.AdminUser.Email, "wrong password "+strconv.Itoa(i)); r.StatusCode() != 401 {
				t.Fatalf("attempt %d: %d", i+1, r.StatusCode())
			}
		}
		locks := actions(t, env, "auth.login_locked")
		var summaries []string
		for _, l := range locks {
			summaries = append(summaries, l.Summary)
		}
		if len(locks) != 2 || !strings.HasPrefix(summaries[0], "Logins from 127.0.0.1 refused") && !strings.HasPrefix(summaries[1], "Logins from 127.0.0.1 refused") ||
			!strings.Contains(strings.Join(summaries, "|"), "Logins for ") {
			t.Fatalf("auth.login_locked events: %q", summaries)
		}
	})

	t.Run("PerIPParallel", func(t *testing.T) {
		t.Parallel()
		env := servertest.New(t, throttle(100, 3))
		emails := make([]string, 10)
		for i := range emails {
			emails[i] = newUser(t, env, "P"+strconv.Itoa(i), "p"+strconv.Itoa(i)+"@example.com", auth.RoleSales).Email
		}
		codes := parallelLogins(t, env, 10, func(i int) string { return emails[i] })
		if codes[401] != 3 || codes[429] != 7 {
			t.Fatalf("10 parallel wrong guesses on 10 e-mails with an IP limit of 3: %v", codes)
		}
	})
}

// parallelLogins fires n wrong logins at once and counts the statuses.
func parallelLogins(t *testing.T, env *servertest.Env, n int, email func(int) string) map[int]int {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		codes = map[int]int{}
		start = make(chan struct{})
	)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			r := login(t, env, email(i), "wrong password")
			mu.Lock()
			codes[r.StatusCode()]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return codes
}

// reuseWarned asserts that the server's log warned of the user's
// refresh-token reuse: a warning line with the request id of the user's
// auth.refresh_reuse event, so that parallel tests on one server cannot
// pass on each other's line.
func reuseWarned(t *testing.T, env *servertest.Env, logs *logbuf.Buffer, user uuid.UUID) {
	t.Helper()
	for _, e := range actions(t, env, "auth.refresh_reuse") {
		if e.Actor.Id == nil || *e.Actor.Id != user || e.RequestId == nil {
			continue
		}
		for line := range strings.Lines(logs.String()) {
			if strings.Contains(line, `level=WARN msg="a rotated refresh token was presented again: its session is revoked`) &&
				strings.Contains(line, " request_id="+*e.RequestId) {
				return
			}
		}
	}
	t.Errorf("no warning logged for user %s:\n%s", user, logs.String())
}

func TestRefresh(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	env := servertest.NewWithLog(t, &logs)

	t.Run("RotationAndReuse", func(t *testing.T) {
		t.Parallel()
		u, _ := env.NewUser(auth.RoleSales)
		first := env.Login(u.Email)
		r, err := env.Anon.RefreshTokenWithResponse(bg, client.RefreshRequest{RefreshToken: first.RefreshToken})
		if err != nil || r.JSON200 == nil {
			t.Fatalf("refresh: %v %s", err, r.Body)
		}
		second := *r.JSON200
		if second.RefreshToken == first.RefreshToken || second.AccessToken == first.AccessToken ||
			second.TokenType != client.TokenResponseTokenTypeBearer || second.ExpiresIn != 900 || second.User.Id != u.Id {
			t.Fatalf("not a new pair: %+v", second)
		}
		if me, _ := env.WithToken(second.AccessToken).GetMeWithResponse(bg); me.StatusCode() != 200 {
			t.Fatalf("new access token: %d", me.StatusCode())
		}
		// The rotated token is dead, and presenting it again kills the
		// family.
		old, _ := env.Anon.RefreshTokenWithResponse(bg, client.RefreshRequest{RefreshToken: first.RefreshToken})
		wantProblem(t, old.HTTPResponse, old.Body, 401)
		next, _ := env.Anon.RefreshTokenWithResponse(bg, client.RefreshRequest{RefreshToken: second.RefreshToken})
		wantProblem(t, next.HTTPResponse, next.Body, 401)
		for name, tok := range map[string]string{"rotated": second.AccessToken, "first": first.AccessToken} {
			me, _ := env.WithToken(tok).GetMeWithResponse(bg)
			wantProblem(t, me.HTTPResponse, me.Body, 401)
			_ = name
		}
		// Another session of the same user is untouched.
		other := env.Login(u.Email)
		if me, _ := env.WithToken(other.AccessToken).GetMeWithResponse(bg); me.StatusCode() != 200 {
			t.Fatalf("other session: %d", me.StatusCode())
		}
		for _, action := range []string{"auth.login", "auth.refresh", "auth.refresh_reuse"} {
			found := false
			for _, e := range actions(t, env, action) {
				if e.Actor.Id != nil && *e.Actor.Id == u.Id && e.EntityType == "session" {
					found = true
				}
			}
			if !found {
				t.Errorf("no %s event for the user", action)
			}
		}
		// The reuse event says what it did. Replays of the same token are
		// refused without another event: anyone holding an old token could
		// otherwise add events at will.
		if got := replayOutcomes(t, env, first.RefreshToken, u.Id); !slices.Equal(got, []string{"the session was revoked"}) {
			t.Errorf("reuse events end %q, want one that revoked the session", got)
		}
		// The server's log warns of the revocation, for whoever watches it
		// rather than the audit trail.
		reuseWarned(t, env, &logs, u.Id)
	})

	t.Run("ReuseAfterLogout", func(t *testing.T) {
		// A session that ended otherwise (here by logout) has its first
		// reuse reported, as finding the session already ended, and only
		// that one.
		t.Parallel()
		u, _ := env.NewUser(auth.RoleSales)
		first := env.Login(u.Email)
		r, err := env.Anon.RefreshTokenWithResponse(bg, client.RefreshRequest{RefreshToken: first.RefreshToken})
		if err != nil || r.JSON200 == nil {
			t.Fatalf("refresh: %v %s", err, r.Body)
		}
		if out, _ := env.WithToken(r.JSON200.AccessToken).LogoutWithResponse(bg,
			client.RefreshRequest{RefreshToken: r.JSON200.RefreshToken}); out.StatusCode() != 204 {
			t.Fatalf("logout: %d", out.StatusCode())
		}
		if got := replayOutcomes(t, env, first.RefreshToken, u.Id); !slices.Equal(got, []string{"the session had already ended"}) {
			t.Errorf("reuse events end %q, want one that found the session ended", got)
		}
	})

	t.Run("TwoTabsAtOnce", func(t *testing.T) {
		// The same token twice in a moment is reuse too (README, Auth):
		// one call wins a pair, the others revoke the session, that pair
		// included, and the reuse is reported once.
		t.Parallel()
		u, _ := env.NewUser(auth.RoleSales)
		first := env.Login(u.Email)
		type result struct {
			code int
			pair *client.TokenResponse
		}
		results := make(chan result, 4)
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				r, _ := env.Anon.RefreshTokenWithResponse(bg, client.RefreshRequest{RefreshToken: first.RefreshToken})
				results <- result{r.StatusCode(), r.JSON200}
			})
		}
		wg.Wait()
		close(results)
		var got []int
		var won *client.TokenResponse
		for r := range results {
			got = append(got, r.code)
			if r.pair != nil {
				won = r.pair
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, []int{200, 401, 401, 401}) || won == nil {
			t.Fatalf("statuses %v, want one 200 and three 401", got)
		}
		for _, tok := range []string{first.AccessToken, won.AccessToken} {
			me, _ := env.WithToken(tok).GetMeWithResponse(bg)
			wantProblem(t, me.HTTPResponse, me.Body, 401)
		}
		r, _ := env.Anon.RefreshTokenWithResponse(bg, client.RefreshRequest{RefreshToken: won.RefreshToken})
		wantProblem(t, r.HTTPResponse, r.Body, 401)
		if got := replayOutcomes(t, env, first.RefreshToken, u.Id); !slices.Equal(got, []string{"the session was revoked"}) {
			t.Errorf("reuse events end %q, want one that revoked the session", got)
		}
		// The server's log warns of the revocation, for whoever watches it
		// rather than the audit trail.
		reuseWarned(t, env, &logs, u.Id)
	})

	t.Run("UnknownToken", func(t *testing.T) {
		t.Parallel()
		r, _ := env.Anon.RefreshTokenWithResponse(bg, client.RefreshRequest{RefreshToken: "not-a-token"})
		wantProblem(t, r.HTTPResponse, r.Body, 401)
	})

	t.Run("DeactivatedUser", func(t *testing.T) {
		t.Parallel()
		u, _ := env.NewUser(auth.RoleSales)
		tr := env.Login(u.Email)
		if r, _ := env.Admin.DeactivateUserWithResponse(bg, u.Id, nil); r.StatusCode() != 204 {
			t.Fatalf("deactivate: %d", r.StatusCode())
		}
		r, _ := env.Anon.RefreshTokenWithResponse(bg, client.RefreshRequest{RefreshToken: tr.RefreshToken})
		wantProblem(t, r.HTTPResponse, r.Body, 401)
	})

	t.Run("MissingToken", func(t *testing.T) {
		t.Parallel()
		res, body := raw(t, "POST", env.URL+"/api/v1/auth/refresh", strings.NewReader(`{}`),
			map[string]string{"Content-Type": "application/json"})
		wantField(t, wantProblem(t, res, body, 400), "refresh_token")
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)

	t.Run("BadInput", func(t *testing.T) {
		t.Parallel()
		for _, body := range []string{`{}`, `{"refresh_token": ""}`, `{"refresh_token": 5}`} {
			res, b := raw(t, http.MethodPost, env.URL+"/api/v1/auth/logout", strings.NewReader(body),
				map[string]string{"Content-Type": "application/json"})
			wantField(t, wantProblem(t, res, b, http.StatusBadRequest), "refresh_token")
		}
	})

	t.Run("OK", func(t *testing.T) {
		t.Parallel()
		u, _ := env.NewUser(auth.RoleSales)
		tr := env.Login(u.Email)
		c := env.WithToken(tr.AccessToken)
		r, err := c.LogoutWithResponse(bg, client.RefreshRequest{RefreshToken: tr.RefreshToken})
		if err != nil || r.StatusCode() != 204 {
			t.Fatalf("logout: %v %d %s", err, r.StatusCode(), r.Body)
		}
		me, _ := c.GetMeWithResponse(bg)
		wantProblem(t, me.HTTPResponse, me.Body, 401)
		rr, _ := env.Anon.RefreshTokenWithResponse(bg, client.RefreshRequest{RefreshToken: tr.RefreshToken})
		wantProblem(t, rr.HTTPResponse, rr.Body, 401)
		found := false
		for _, e := range actions(t, env, "auth.logout") {
			found = found || (e.Actor.Id != nil && *e.Actor.Id == u.Id)
		}
		if !found {
			t.Fatal("no auth.logout event")
		}
	})

	t.Run("RefreshTokenAlone", func(t *testing.T) {
		// A client whose access token has expired can still log out.
		t.Parallel()
		if r, _ := env.Anon.LogoutWithResponse(bg, client.RefreshRequest{RefreshToken: "x"}); r.StatusCode() != 204 {
			t.Fatalf("unknown token: %d %s", r.StatusCode(), r.Body)
		}
		u, _ := env.NewUser(auth.RoleSales)
		tr := env.Login(u.Email)
		for _, c := range []*client.ClientWithResponses{env.Anon, env.WithToken("expired-or-garbage")} {
			if r, _ := c.LogoutWithResponse(bg, client.RefreshRequest{RefreshToken: tr.RefreshToken}); r.StatusCode() != 204 {
				t.Fatalf("logout: %d %s", r.StatusCode(), r.Body)
			}
		}
		if me, _ := env.WithToken(tr.AccessToken).GetMeWithResponse(bg); me.StatusCode() != 401 {
			t.Fatalf("the session lives on: %d", me.StatusCode())
		}
		n := 0
		for _, e := range actions(t, env, "auth.logout") {
			if e.Actor.Id != nil && *e.Actor.Id == u.Id && e.Actor.Name == u.Name {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d auth.logout events of the user, want 1", n)
		}
	})

	t.Run("SomeoneElsesRefreshTokenIsIgnored", func(t *testing.T) {
		t.Parallel()
		victim, _ := env.NewUser(auth.RoleSales)
		vt := env.Login(victim.Email)
		_, attacker := env.NewUser(auth.RoleSales)
		if r, _ := attacker.LogoutWithResponse(bg, client.RefreshRequest{RefreshToken: vt.RefreshToken}); r.StatusCode() != 204 {
			t.Fatalf("logout: %d", r.StatusCode())
		}
		if me, _ := env.WithToken(vt.AccessToken).GetMeWithResponse(bg); me.StatusCode() != 200 {
			t.Fatalf("the victim's session died: %d", me.StatusCode())
		}
	})
}

func TestRegister(t *testing.T) {
	t.Parallel()

	t.Run("Closed", func(t *testing.T) {
		t.Parallel()
		env := servertest.New(t)
		r, _ := env.Anon.RegisterWithResponse(bg, client.RegisterRequest{Name: "N", Email: "n@example.com", Password: "long enough pw"})
		wantProblem(t, r.HTTPResponse, r.Body, 403)
		if n := scalar(t, env, `SELECT count(*) FROM users WHERE email = 'n@example.com'`); n != 0 {
			t.Fatal("user created while registration is closed")
		}
		// Whatever the body: closed comes first (a form's errors would
		// invite fixing what cannot succeed).
		for _, h := range []map[string]string{{"Content-Type": "application/json"}, {"Content-Type": "text/plain"}} {
			res, body := raw(t, http.MethodPost, env.URL+"/api/v1/auth/register", strings.NewReader(`{"name": "x"}`), h)
			wantProblem(t, res, body, 403)
		}
	})

	env := servertest.New(t, func(c *server.Config) { c.RegistrationOpen = true })
	t.Run("Open", func(t *testing.T) {
		t.Parallel()
		r, err := env.Anon.RegisterWithResponse(bg, client.RegisterRequest{Name: "New Person", Email: "New.Person@Example.com",
			Password: "long enough pw"})
		if err != nil || r.StatusCode() != 201 {
			t.Fatalf("register: %v %d %s", err, r.StatusCode(), r.Body)
		}
		u := r.JSON201
		if u.Role != client.RoleSales || !u.Active || u.Email != "new.person@example.com" || u.Version != 1 {
			t.Fatalf("user %+v", u)
		}
		ev := actions(t, env, "user.create")
		found := false
		for _, e := range ev {
			if e.EntityId != nil && *e.EntityId == u.Id.String() {
				found = e.Actor.Id != nil && *e.Actor.Id == u.Id && !strings.Contains(mustJSON(e), "$2a$")
			}
		}
		if !found {
			t.Fatal("no user.create event by the new user")
		}
		t.Run("DuplicateEmail", func(t *testing.T) {
			r, _ := env.Anon.RegisterWithResponse(bg, client.RegisterRequest{Name: "Twin", Email: "NEW.PERSON@example.com",
				Password: "long enough pw"})
			wantProblem(t, r.HTTPResponse, r.Body, 409)
		})
	})
	t.Run("Throttled", func(t *testing.T) {
		t.Parallel()
		env := servertest.New(t, func(c *server.Config) {
			c.RegistrationOpen = true
			c.RegisterThrottle = server.RegisterThrottle{PerIP: 2, Window: time.Minute}
		})
		register := func(email string) *client.RegisterResponse {
			r, err := env.Anon.RegisterWithResponse(bg, client.RegisterRequest{Name: "R", Email: email,
				Password: "long enough pw"})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		// An admin's user.create from the same address is no self-registration.
		newUser(t, env, "By Admin", "by-admin@example.com", auth.RoleSales)
		for _, email := range []string{"r1@example.com", "r2@example.com"} {
			if r := register(email); r.StatusCode() != 201 {
				t.Fatalf("%s: %d %s", email, r.StatusCode(), r.Body)
			}
		}
		// Over the limit, a taken e-mail gets the 429 too: the throttle is asked first.
		for _, email := range []string{"r3@example.com", "r1@example.com"} {
			r := register(email)
			wantProblem(t, r.HTTPResponse, r.Body, 429)
			if ra, err := strconv.Atoi(r.HTTPResponse.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
				t.Fatalf("Retry-After %q", r.HTTPResponse.Header.Get("Retry-After"))
			}
		}
		if n := scalar(t, env, `SELECT count(*) FROM users WHERE email LIKE 'r_@example.com'`); n != 2 {
			t.Fatalf("%d registered users, want 2", n)
		}
		// A refusal for a taken e-mail counts too, so the 409 cannot test
		// addresses at will; and parallel registrations cannot all slip
		// under the limit.
		env2 := servertest.New(t, func(c *server.Config) {
			c.RegistrationOpen = true
			c.RegisterThrottle = server.RegisterThrottle{PerIP: 4, Window: time.Minute}
		})
		reg := func(email string) int {
			r, err := env2.Anon.RegisterWithResponse(bg, client.RegisterRequest{Name: "R", Email: email, Password: "long enough pw"})
			if err != nil {
				t.Error(err)
				return 0
			}
			return r.StatusCode()
		}
		if a, b := reg("t1@example.com"), reg("T1@example.com"); a != 201 || b != 409 {
			t.Fatalf("register, then the same e-mail: %d %d", a, b)
		}
		if n := len(actions(t, env2, "auth.register_refused")); n != 1 {
			t.Fatalf("%d auth.register_refused events, want 1", n)
		}
		var (
			mu    sync.Mutex
			wg    sync.WaitGroup
			codes = map[int]int{}
		)
		for i := range 10 {
			wg.Go(func() {
				c := reg("p" + strconv.Itoa(i) + "@example.com")
				mu.Lock()
				codes[c]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if codes[201] != 2 || codes[429] != 8 {
			t.Fatalf("10 parallel registrations with 2 left under the limit: %v", codes)
		}
		// Bad input is still a 400, not a 429.
		res, body := raw(t, "POST", env.URL+"/api/v1/auth/register",
			strings.NewReader(`{"name":"X","email":"x@example.com","password":"short"}`),
			map[string]string{"Content-Type": "application/json"})
		wantField(t, wantProblem(t, res, body, 400), "password")
	})
	for _, tc := range []struct {
		name, body, field string
	}{
		{"RoleAdmin", `{"name":"X","email":"x@example.com","password":"long enough pw","role":"admin"}`, "role"},
		{"ShortPassword", `{"name":"X","email":"x@example.com","password":"short"}`, "password"},
		{"BadEmail", `{"name":"X","email":"not-an-email","password":"long enough pw"}`, "email"},
		{"MissingName", `{"email":"x@example.com","password":"long enough pw"}`, "name"},
	} {
		t.Run("BadRequest"+tc.name, func(t *testing.T) {
			t.Parallel()
			res, body := raw(t, "POST", env.URL+"/api/v1/auth/register", strings.NewReader(tc.body),
				map[string]string{"Content-Type": "application/json"})
			wantField(t, wantProblem(t, res, body, 400), tc.field)
		})
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestMe(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	t.Run("OK", func(t *testing.T) {
		r, _ := env.Admin.GetMeWithResponse(bg)
		if r.StatusCode() != 200 || r.JSON200.Id != env.AdminUser.Id || r.JSON200.Role != client.RoleAdmin {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
	})
	t.Run("Anonymous", func(t *testing.T) {
		r, _ := env.Anon.GetMeWithResponse(bg)
		wantProblem(t, r.HTTPResponse, r.Body, 401)
		if !strings.HasPrefix(r.HTTPResponse.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Fatal("no WWW-Authenticate: Bearer")
		}
	})
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	u, _ := env.NewUser(auth.RoleSales)
	current := env.Login(u.Email)
	other := env.Login(u.Email)
	c := env.WithToken(current.AccessToken)

	t.Run("WrongCurrent", func(t *testing.T) {
		r, _ := c.ChangePasswordWithResponse(bg, client.PasswordChange{CurrentPassword: "not it at all", NewPassword: "a new long password"})
		wantField(t, wantProblem(t, r.HTTPResponse, r.Body, 422), "current_password")
		// A guess made with a stolen access token stays in the trail.
		if n := scalar(t, env, `SELECT count(*) FROM audit_events WHERE action = 'auth.password_change_failed'
			AND actor_id = $1 AND entity_id = $2`, u.Id, u.Id.String()); n != 1 {
			t.Errorf("%d password_change_failed events, want 1", n)
		}
	})
	t.Run("TooShort", func(t *testing.T) {
		r, _ := c.ChangePasswordWithResponse(bg, client.PasswordChange{CurrentPassword: servertest.Password, NewPassword: "short"})
		wantField(t, wantProblem(t, r.HTTPResponse, r.Body, 400), "new_password")
	})
	t.Run("TooLongInBytes", func(t *testing.T) {
		// 40 characters pass the spec, 80 bytes break the bcrypt limit.
		r, _ := c.ChangePasswordWithResponse(bg, client.PasswordChange{CurrentPassword: servertest.Password,
			NewPassword: strings.Repeat("é", 40)})
		wantField(t, wantProblem(t, r.HTTPResponse, r.Body, 400), "new_password")
	})
	t.Run("TooShortInBytes", func(t *testing.T) {
		r, _ := c.ChangePasswordWithResponse(bg, client.PasswordChange{CurrentPassword: servertest.Password,
			NewPassword: strings.Repeat("é", 4)})
		wantField(t, wantProblem(t, r.HTTPResponse, r.Body, 400), "new_password")
	})
	// The same answer whether the current password given is right or not:
	// a different one would confirm a guess without a trace in the trail.
	t.Run("SameAsCurrent", func(t *testing.T) {
		var bodies []string
		for _, pw := range []string{servertest.Password, "a wrong guess, twice"} {
			r, _ := c.ChangePasswordWithResponse(bg, client.PasswordChange{CurrentPassword: pw, NewPassword: pw})
			p := wantProblem(t, r.HTTPResponse, r.Body, 422)
			wantField(t, p, "new_password")
			bodies = append(bodies, p.Detail)
		}
		if bodies[0] != bodies[1] {
			t.Errorf("answers differ: %q, %q", bodies[0], bodies[1])
		}
	})
	t.Run("OK", func(t *testing.T) {
		const newPW = "a new long password"
		r, err := c.ChangePasswordWithResponse(bg, client.PasswordChange{CurrentPassword: servertest.Password, NewPassword: newPW})
		if err != nil || r.StatusCode() != 204 {
			t.Fatalf("%v %d %s", err, r.StatusCode(), r.Body)
		}
		if me, _ := c.GetMeWithResponse(bg); me.StatusCode() != 200 {
			t.Fatalf("the current session died: %d", me.StatusCode())
		}
		me, _ := env.WithToken(other.AccessToken).GetMeWithResponse(bg)
		wantProblem(t, me.HTTPResponse, me.Body, 401)
		rr, _ := env.Anon.RefreshTokenWithResponse(bg, client.RefreshRequest{RefreshToken: other.RefreshToken})
		wantProblem(t, rr.HTTPResponse, rr.Body, 401)
		if rr, _ := env.Anon.RefreshTokenWithResponse(bg, client.RefreshRequest{RefreshToken: current.RefreshToken}); rr.StatusCode() != 200 {
			t.Fatalf("the current session's refresh: %d", rr.StatusCode())
		}
		if l := login(t, env, u.Email, servertest.Password); l.StatusCode() != 401 {
			t.Fatalf("old password: %d", l.StatusCode())
		}
		if l := login(t, env, u.Email, newPW); l.StatusCode() != 200 {
			t.Fatalf("new password: %d %s", l.StatusCode(), l.Body)
		}
		ev := actions(t, env, "user.password_change")
		if len(ev) != 1 || ev[0].Changes["password"].To != "(changed)" || strings.Contains(mustJSON(ev[0]), "$2a$") {
			t.Fatalf("events %s", mustJSON(ev))
		}
	})
}

// TestTrustedProxy: behind a configured proxy the client is the address it
// forwards, for the per-IP limit and the audit trail; X-Forwarded-For from
// anyone else is ignored.
func TestTrustedProxy(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, throttle(100, 2), func(c *server.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	loginFrom := func(xff, password string) int {
		res, _ := raw(t, http.MethodPost, env.URL+"/api/v1/auth/login",
			strings.NewReader(`{"email": "`+env.AdminUser.Email+`", "password": "`+password+`"}`),
			map[string]string{"Content-Type": "application/json", "X-Forwarded-For": xff})
		return res.StatusCode
	}
	for range 2 {
		if code := loginFrom("198.51.100.1, 203.0.113.7", "wrong password"); code != 401 {
			t.Fatalf("wrong password: %d", code)
		}
	}
	if code := loginFrom("203.0.113.7", servertest.Password); code != 429 {
		t.Fatalf("the locked client: %d", code)
	}
	// Another client behind the same proxy is not locked out with it.
	if code := loginFrom("203.0.113.8", servertest.Password); code != 200 {
		t.Fatalf("another client: %d", code)
	}
	if n := scalar(t, env, `SELECT count(*) FROM audit_events WHERE action = 'auth.login_failed' AND ip = '203.0.113.7'`); n != 2 {
		t.Errorf("%d failures filed under the forwarded address, want 2", n)
	}

	// From a peer that is not a listed proxy, X-Forwarded-For is ignored.
	other := servertest.New(t, func(c *server.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.1.2.0/28")}
	})
	res, _ := raw(t, http.MethodPost, other.URL+"/api/v1/auth/login",
		strings.NewReader(`{"email": "`+other.AdminUser.Email+`", "password": "wrong password"}`),
		map[string]string{"Content-Type": "application/json", "X-Forwarded-For": "203.0.113.9"})
	if res.StatusCode != 401 {
		t.Fatal(res.StatusCode)
	}
	if n := scalar(t, other, `SELECT count(*) FROM audit_events WHERE action = 'auth.login_failed' AND ip = '127.0.0.1'`); n != 1 {
		t.Errorf("the failure should be filed under the peer's own address")
	}
}

// TestIPv6Slash64: an IPv6 client can take a new address from its /64 for
// every attempt, so the per-IP limits count the /64.
func TestIPv6Slash64(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, throttle(100, 2), func(c *server.Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		c.RegistrationOpen = true
		c.RegisterThrottle = server.RegisterThrottle{PerIP: 2, Window: time.Minute}
	})
	post := func(path, from, body string) int {
		res, _ := raw(t, http.MethodPost, env.URL+path, strings.NewReader(body),
			map[string]string{"Content-Type": "application/json", "X-Forwarded-For": from})
		return res.StatusCode
	}
	wrongLogin := `{"email": "` + env.AdminUser.Email + `", "password": "wrong password"}`
	for i, want := range []int{401, 401, 429} {
		if code := post("/api/v1/auth/login", fmt.Sprintf("2001:db8:1:2::%d", i+1), wrongLogin); code != want {
			t.Fatalf("login %d from the same /64: %d, want %d", i+1, code, want)
		}
	}
	if code := post("/api/v1/auth/login", "2001:db8:1:3::1", wrongLogin); code != 401 {
		t.Fatalf("login from another /64: %d", code)
	}
	reg := func(i int) string {
		return fmt.Sprintf(`{"name": "R%d", "email": "r%d@example.com", "password": "long enough pw"}`, i, i)
	}
	for i, want := range []int{201, 201, 429} {
		if code := post("/api/v1/auth/register", fmt.Sprintf("2001:db8:9:9::%d", i+1), reg(i)); code != want {
			t.Fatalf("registration %d from the same /64: %d, want %d", i+1, code, want)
		}
	}
	if code := post("/api/v1/auth/register", "2001:db8:9:a::1", reg(9)); code != 201 {
		t.Fatalf("registration from another /64: %d", code)
	}
}

// TestPasswordResetLiftsLock: an admin's password reset lets a user locked
// out by failed logins in with the new password.
func TestPasswordResetLiftsLock(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, throttle(3, 100))
	u, _ := env.NewUser(auth.RoleSales)
	for i := range 3 {
		login(t, env, u.Email, "wrong password "+strconv.Itoa(i))
	}
	if r := login(t, env, u.Email, servertest.Password); r.StatusCode() != 429 {
		t.Fatalf("locked: %d", r.StatusCode())
	}
	const reset = "a reset password 1"
	r, _ := env.Admin.UpdateUserWithResponse(bg, u.Id, &client.UpdateUserParams{IfMatch: `"1"`}, client.UserPatch{Password: lref(reset)})
	if r.StatusCode() != 200 {
		t.Fatalf("reset: %d %s", r.StatusCode(), r.Body)
	}
	if l := login(t, env, u.Email, reset); l.StatusCode() != 200 {
		t.Fatalf("login after the reset: %d %s", l.StatusCode(), l.Body)
	}
}

// TestReactivationLiftsLock: a deactivated user who tries to log in with
// the right password fails as with a wrong one, and locks the e-mail (a
// different answer would confirm the password); reactivating the account
// lets them in again at once.
func TestReactivationLiftsLock(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, throttle(3, 100))
	u, _ := env.NewUser(auth.RoleSales)
	if r, _ := env.Admin.DeactivateUserWithResponse(bg, u.Id, nil); r.StatusCode() != 204 {
		t.Fatalf("deactivate: %d %s", r.StatusCode(), r.Body)
	}
	for range 3 {
		if r := login(t, env, u.Email, servertest.Password); r.StatusCode() != 401 {
			t.Fatalf("inactive, right password: %d", r.StatusCode())
		}
	}
	if r := login(t, env, u.Email, servertest.Password); r.StatusCode() != 429 {
		t.Fatalf("locked: %d", r.StatusCode())
	}
	g, _ := env.Admin.GetUserWithResponse(bg, u.Id)
	r, _ := env.Admin.UpdateUserWithResponse(bg, u.Id, &client.UpdateUserParams{IfMatch: g.HTTPResponse.Header.Get("ETag")},
		client.UserPatch{Active: lref(true)})
	if r.StatusCode() != 200 {
		t.Fatalf("reactivate: %d %s", r.StatusCode(), r.Body)
	}
	if l := login(t, env, u.Email, servertest.Password); l.StatusCode() != 200 {
		t.Fatalf("login after the reactivation: %d %s", l.StatusCode(), l.Body)
	}
}

// TestChangePasswordThrottleParallel: a burst of guesses through
// /auth/password with a stolen access token meets the login limit as a burst
// of logins does, checked again under the same locks.
func TestChangePasswordThrottleParallel(t *testing.T) {
	t.Parallel()
	// Each guess costs two bcrypt hashes, one after another, seconds each
	// under -race on a busy machine: a window of a minute could let the
	// first guesses expire before the last are judged.
	env := servertest.New(t, func(c *server.Config) {
		c.LoginThrottle = server.Throttle{PerEmail: 3, PerIP: 100, Window: 10 * time.Minute}
	})
	u, _ := env.NewUser(auth.RoleSales)
	c := env.WithToken(env.Login(u.Email).AccessToken)
	codes := map[int]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			r, err := c.ChangePasswordWithResponse(bg, client.PasswordChange{
				CurrentPassword: "wrong guess " + strconv.Itoa(i), NewPassword: "a new long password"})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			codes[r.StatusCode()]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[422] != 3 || codes[429] != 9 {
		t.Fatalf("12 parallel wrong guesses with a limit of 3: %v", codes)
	}
	if n := scalar(t, env, `SELECT count(*) FROM login_failures WHERE email_key = $1`, env.Store.LoginFailureKey(u.Email)); n != 3 {
		t.Errorf("%d failures recorded, want 3", n)
	}
	// Kept as a hash: what is typed as an e-mail may be a password.
	if n := scalar(t, env, `SELECT count(*) FROM login_failures WHERE email_key ILIKE '%' || $1 || '%'`, u.Email); n != 0 {
		t.Errorf("%d failures keep the e-mail as typed", n)
	}
	if locks := actions(t, env, "auth.login_locked"); len(locks) != 1 {
		t.Errorf("%d auth.login_locked events, want 1", len(locks))
	}
	// The right password is refused too while the lock lasts.
	r, _ := c.ChangePasswordWithResponse(bg, client.PasswordChange{CurrentPassword: servertest.Password, NewPassword: "a new long password"})
	wantProblem(t, r.HTTPResponse, r.Body, 429)
}

func TestTokensRefused(t *testing.T) {
	t.Parallel()
	secret := []byte(strings.Repeat("k", 32))
	env := servertest.New(t, func(c *server.Config) { c.JWTSecret = secret })
	tr := env.Login(env.AdminUser.Email)
	var real auth.Claims
	if _, _, err := jwt.NewParser().ParseUnverified(tr.AccessToken, &real); err != nil {
		t.Fatal(err)
	}
	craft := func(m jwt.SigningMethod, key any, mod func(*auth.Claims)) string {
		c := real
		c.IssuedAt = jwt.NewNumericDate(time.Now())
		c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(10 * time.Minute))
		if mod != nil {
			mod(&c)
		}
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	t.Run("CraftedWithTheSecretWorks", func(t *testing.T) {
		// Proves the crafted tokens below differ only in what is tested.
		t.Parallel()
		if r, _ := env.WithToken(craft(jwt.SigningMethodHS256, secret, nil)).GetMeWithResponse(bg); r.StatusCode() != 200 {
			t.Fatalf("%d %s", r.StatusCode(), r.Body)
		}
	})
	noneTok := craft(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil)
	for _, tc := range []struct {
		name, header string
	}{
		{"None", ""},
		{"EmptyBearer", "Bearer "},
		{"BasicScheme", "Basic YWRtaW46cGFzc3dvcmQ="},
		// A valid token pasted without its scheme: the 401 says what the
		// header lacks, rather than to log in again.
		{"NoScheme", craft(jwt.SigningMethodHS256, secret, nil)},
		{"Garbage", "Bearer garbage"},
		{"AlgNone", "Bearer " + noneTok},
		{"HS384RightSecret", "Bearer " + craft(jwt.SigningMethodHS384, secret, nil)},
		{"HS512RightSecret", "Bearer " + craft(jwt.SigningMethodHS512, secret, nil)},
		{"WrongSecret", "Bearer " + craft(jwt.SigningMethodHS256, []byte(strings.Repeat("x", 32)), nil)},
		{"Expired", "Bearer " + craft(jwt.SigningMethodHS256, secret, func(c *auth.Claims) {
			c.IssuedAt = jwt.NewNumericDate(time.Now().Add(-time.Hour))
			c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Minute))
		})},
		{"WrongAudience", "Bearer " + craft(jwt.SigningMethodHS256, secret, func(c *auth.Claims) { c.Audience = jwt.ClaimStrings{"x"} })},
		{"UnknownSession", "Bearer " + craft(jwt.SigningMethodHS256, secret, func(c *auth.Claims) { c.SessionID = uuid.New() })},
		{"OtherUsersSession", "Bearer " + craft(jwt.SigningMethodHS256, secret, func(c *auth.Claims) { c.Subject = uuid.NewString() })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := map[string]string{}
			if tc.header != "" {
				h["Authorization"] = tc.header
			}
			res, body := raw(t, "GET", env.URL+"/api/v1/auth/me", nil, h)
			p := wantProblem(t, res, body, 401)
			// RFC 6750: a refused bearer token is invalid_token (refresh);
			// no token at all gets the bare challenge (log in). The
			// problem's type and detail say the same.
			bearer := strings.HasPrefix(tc.header, "Bearer ") && strings.TrimSpace(tc.header[7:]) != ""
			if got := strings.Contains(res.Header.Get("WWW-Authenticate"), `error="invalid_token"`); got != bearer {
				t.Fatalf("WWW-Authenticate %q", res.Header.Get("WWW-Authenticate"))
			}
			wantType, wantDetail := client.ProblemTypeUnauthorized, "a valid bearer access token is required: log in with POST /api/v1/auth/login"
			switch {
			case bearer:
				wantType, wantDetail = client.ProblemTypeInvalidToken, "the access token is expired, revoked or invalid: refresh it (POST /api/v1/auth/refresh), or log in again"
			case tc.header != "":
				wantDetail = "the Authorization header must be one header of the form: Bearer <access token>"
			}
			if p.Type != wantType || p.Detail != wantDetail {
				t.Fatalf("type %s, detail %v; want %s, %q", p.Type, p.Detail, wantType, wantDetail)
			}
		})
	}
	t.Run("PublicEndpointNoInvalidToken", func(t *testing.T) {
		// A failed login or refresh is about the body's credentials, even
		// when a client sends its stale access token along.
		t.Parallel()
		h := map[string]string{"Authorization": "Bearer garbage", "Content-Type": "application/json"}
		for path, body := range map[string]string{
			"/api/v1/auth/login":   `{"email": "` + env.AdminUser.Email + `", "password": "not the password"}`,
			"/api/v1/auth/refresh": `{"refresh_token": "not-a-refresh-token-at-all-0123456789"}`,
		} {
			res, b := raw(t, "POST", env.URL+path, strings.NewReader(body), h)
			wantProblem(t, res, b, 401)
			if c := res.Header.Get("WWW-Authenticate"); !strings.HasPrefix(c, "Bearer") || strings.Contains(c, "invalid_token") {
				t.Errorf("%s: WWW-Authenticate %q", path, c)
			}
		}
	})
	t.Run("TwoAuthorizationHeaders", func(t *testing.T) {
		t.Parallel()
		req, err := http.NewRequest(http.MethodGet, env.URL+"/api/v1/auth/me", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Add("Authorization", "Bearer "+tr.AccessToken)
		req.Header.Add("Authorization", "Bearer garbage")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		wantProblem(t, res, body, 401)
	})
	t.Run("SchemeIsCaseInsensitive", func(t *testing.T) {
		t.Parallel()
		res, body := raw(t, "GET", env.URL+"/api/v1/auth/me", nil, map[string]string{"Authorization": "bearer " + tr.AccessToken})
		if res.StatusCode != 200 {
			t.Fatalf("%d %s", res.StatusCode, body)
		}
	})

	t.Run("DeactivatedUser", func(t *testing.T) {
		t.Parallel()
		u, c := env.NewUser(auth.RoleSales)
		if r, _ := c.GetMeWithResponse(bg); r.StatusCode() != 200 {
			t.Fatal(r.StatusCode())
		}
		if r, _ := env.Admin.DeactivateUserWithResponse(bg, u.Id, nil); r.StatusCode() != 204 {
			t.Fatal(r.StatusCode())
		}
		r, _ := c.GetMeWithResponse(bg)
		wantProblem(t, r.HTTPResponse, r.Body, 401)
	})

	t.Run("RoleChange", func(t *testing.T) {
		t.Parallel()
		u, c := env.NewUser(auth.RoleAdmin)
		if r, _ := c.ListUsersWithResponse(bg, nil); r.StatusCode() != 200 {
			t.Fatal(r.StatusCode())
		}
		g, _ := env.Admin.GetUserWithResponse(bg, u.Id)
		sales := client.RoleSales
		r, _ := env.Admin.UpdateUserWithResponse(bg, u.Id, &client.UpdateUserParams{IfMatch: *g.Headers200.ETag}, client.UserPatch{Role: &sales})
		if r.StatusCode() != 200 {
			t.Fatalf("demote: %d %s", r.StatusCode(), r.Body)
		}
		l, _ := c.ListUsersWithResponse(bg, nil)
		wantProblem(t, l.HTTPResponse, l.Body, 403)
		if me, _ := c.GetMeWithResponse(bg); me.StatusCode() != 200 || me.JSON200.Role != client.RoleSales {
			t.Fatalf("me after demotion: %d", me.StatusCode())
		}
	})
}

// replayOutcomes presents a rotated refresh token three times, each a 401,
// and lists how the user's refresh-token reuse events end.
func replayOutcomes(t *testing.T, env *servertest.Env, token string, user uuid.UUID) []string {
	t.Helper()
	for range 3 {
		r, _ := env.Anon.RefreshTokenWithResponse(bg, client.RefreshRequest{RefreshToken: token})
		wantProblem(t, r.HTTPResponse, r.Body, 401)
	}
	var out []string
	for _, e := range actions(t, env, "auth.refresh_reuse") {
		if e.Actor.Id != nil && *e.Actor.Id == user {
			out = append(out, e.Summary[strings.LastIndex(e.Summary, ";")+2:])
		}
	}
	return out
}
