package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/servertest"
	"github.com/jmksales/jmk/server/store"
)

var bg = context.Background()

// wantProblem asserts a problem+json response with the status, its
// request_id equal to the X-Request-ID header, and returns it.
func wantProblem(t *testing.T, res *http.Response, body []byte, status int) client.Problem {
	t.Helper()
	if res.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", res.StatusCode, status, body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("content type %q, want application/problem+json: %s", ct, body)
	}
	var p client.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body: %v: %s", err, body)
	}
	// Every status the server answers has its own stable type to switch on.
	if p.Status != status || p.Title == "" || p.Type == "" || p.Type == "about:blank" {
		t.Fatalf("problem %+v", p)
	}
	rid := res.Header.Get("X-Request-ID")
	if rid == "" || p.RequestId != rid {
		t.Fatalf("request_id %v, X-Request-ID %q", p.RequestId, rid)
	}
	return p
}

// wantField asserts that the problem names the field among its errors.
func wantField(t *testing.T, p client.Problem, field string) {
	t.Helper()
	if p.Errors != nil {
		for _, e := range *p.Errors {
			if e.Field == field && e.Message != "" {
				return
			}
		}
	}
	t.Fatalf("problem does not name field %q: %+v", field, p.Errors)
}

// raw sends a request outside the generated client.
func raw(t *testing.T, method, url string, body io.Reader, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(bg, method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := (&http.Client{Transport: servertest.Contract(t, nil)}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func jsonBody(v any) io.Reader {
	b, _ := json.Marshal(v)
	return bytes.NewReader(b)
}

// withHeader adds a header to one generated-client call.
func withHeader(k, v string) client.RequestEditorFn {
	return func(_ context.Context, r *http.Request) error { r.Header.Set(k, v); return nil }
}

// eventually polls cond every 20 ms until it holds or the timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sql runs statements as the superuser on the test database.
func sql(t *testing.T, env *servertest.Env, stmts ...string) error {
	t.Helper()
	conn, err := pgx.Connect(bg, env.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(bg)
	for _, s := range stmts {
		if _, err := conn.Exec(bg, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// scalar reads one int64 from the test database.
func scalar(t *testing.T, env *servertest.Env, query string, args ...any) int64 {
	t.Helper()
	conn, err := pgx.Connect(bg, env.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(bg)
	var n int64
	if err := conn.QueryRow(bg, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// events lists every audit event the admin sees for the filters (all pages).
func events(t *testing.T, env *servertest.Env, p client.ListAuditEventsParams) []client.AuditEvent {
	t.Helper()
	var out []client.AuditEvent
	lim := client.Limit(200)
	p.Limit = &lim
	for {
		r, err := env.Admin.ListAuditEventsWithResponse(bg, &p)
		if err != nil || r.JSON200 == nil {
			t.Fatalf("list audit events: %v %d %s", err, r.StatusCode(), r.Body)
		}
		out = append(out, r.JSON200.Items...)
		if r.JSON200.NextCursor == nil {
			return out
		}
		p.Cursor = r.JSON200.NextCursor
	}
}

// actions lists the events of one action.
func actions(t *testing.T, env *servertest.Env, action string) []client.AuditEvent {
	t.Helper()
	return events(t, env, client.ListAuditEventsParams{Action: lref(client.AuditAction(action))})
}

// newUser creates a user directly in the store with the fixture password
// (cheap hash) and no login.
func newUser(t *testing.T, env *servertest.Env, name, email, role string) client.User {
	t.Helper()
	u, err := env.Store.UserCreate(bg, audit.System, store.NewUser{Name: name, Email: email,
		PasswordHash: fixtureHash(t, env), Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return client.User{Id: u.ID, Name: u.Name, Email: u.Email, Role: client.Role(u.Role), Active: u.Active, Version: u.Version}
}

// fixtureHash is the stored hash of the fixture admin (servertest.Password).
func fixtureHash(t *testing.T, env *servertest.Env) string {
	t.Helper()
	u, err := env.Store.UserGet(bg, env.AdminUser.Id)
	if err != nil {
		t.Fatal(err)
	}
	return u.PasswordHash
}

// login tries a login. It may run off the test's goroutine: a request that
// cannot be sent is reported with t.Errorf and answers with status 0.
func login(t *testing.T, env *servertest.Env, email, password string, editors ...client.RequestEditorFn) *client.LoginResponse {
	r, err := env.Anon.LoginWithResponse(bg, client.LoginRequest{Email: email, Password: password}, editors...)
	if err != nil {
		t.Errorf("login %s: %v", email, err)
		return &client.LoginResponse{}
	}
	return r
}

// holdRowLock opens a transaction on its own connection to env's database
// and runs lockSQL (a SELECT ... FOR UPDATE) in it, for a test to let a
// request wait on those rows; the transaction is rolled back at the end of
// the test unless the test commits it.
func holdRowLock(t *testing.T, env *servertest.Env, lockSQL string, args ...any) pgx.Tx {
	t.Helper()
	conn, err := pgx.Connect(bg, env.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(bg) })
	tx, err := conn.Begin(bg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback(bg) })
	if _, err := tx.Exec(bg, lockSQL, args...); err != nil {
		t.Fatal(err)
	}
	return tx
}

// waitForLockWaits returns once n backends of env's database wait on a
// lock (see waitForLockWait), and fails the test after 30 s.
func waitForLockWaits(t *testing.T, env *servertest.Env, n int64) {
	t.Helper()
	eventually(t, 30*time.Second, fmt.Sprintf("%d backends waiting on a lock", n), func() bool {
		return scalar(t, env, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock'`) == n
	})
}

// waitForLockWait returns once a backend of env's database waits on a
// lock. It asks on a connection of its own, outside any transaction: a
// transaction keeps the pg_stat_activity it first read.
func waitForLockWait(t *testing.T, env *servertest.Env) {
	t.Helper()
	conn, err := pgx.Connect(bg, env.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(bg)
	// Up to 30 s: a login first waits its turn at bcrypt work (auth.Hashing),
	// behind the other tests' logins, each seconds long under -race.
	for range 3000 {
		var n int
		if err := conn.QueryRow(bg, `SELECT count(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("nothing waited on the lock within 30 s")
}

// answer is a response whose body has been read (res is nil when the
// request could not be sent).
type answer struct {
	res  *http.Response
	body []byte
}

// answerLater sends a request in the background and delivers its answer. It
// uses net/http alone, since t.Fatal must not be called off the test's
// goroutine; headers alternate names and values.
func answerLater(method, url, body string, headers ...string) <-chan answer {
	done := make(chan answer, 1)
	go func() {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, url, rd)
		if err != nil {
			done <- answer{}
			return
		}
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- answer{}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			done <- answer{}
			return
		}
		done <- answer{res, b}
	}()
	return done
}

// status is the answer's status, 0 when the request could not be sent.
func (a answer) status() int {
	if a.res == nil {
		return 0
	}
	return a.res.StatusCode
}
