package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/logbuf"
	"github.com/jmksales/jmk/server/servertest"
)

// TestRequestDeadline: a request held up by the database ends after
// REQUEST_TIMEOUT with a 503 and Retry-After; an export is exempt (its time
// grows with the data) but bounded in number, and the one over the bound is
// a 503 at once rather than another connection taken. None of it is logged
// as an ERROR: the server declined by design.
func TestRequestDeadline(t *testing.T) {
	t.Parallel()
	var log logbuf.Buffer
	env := servertest.NewWithLog(t, &log, func(c *server.Config) { c.RequestTimeout = time.Second; c.ExportMaxConcurrent = 1 })
	auth := map[string]string{"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken}
	other, _ := env.NewUser("sales") // the same user's second export is a 429 (TestExportStall)
	otherAuth := map[string]string{"Authorization": "Bearer " + env.Login(other.Email).AccessToken}
	lock := holdRowLock(t, env, `LOCK TABLE leads IN ACCESS EXCLUSIVE MODE`)

	start := time.Now()
	res, body := raw(t, http.MethodGet, env.URL+"/api/v1/leads", nil, auth)
	wantProblem(t, res, body, http.StatusServiceUnavailable)
	if res.Header.Get("Retry-After") != "5" || time.Since(start) > 20*time.Second {
		t.Fatalf("Retry-After %q after %v", res.Header.Get("Retry-After"), time.Since(start))
	}

	exported := answerLater(http.MethodGet, env.URL+"/api/v1/leads/export", "", "Authorization", auth["Authorization"])
	eventually(t, 10*time.Second, "the export waiting on the lock", func() bool {
		select {
		case a := <-exported:
			t.Fatalf("the export answered %d while the table was locked", a.status())
		default:
		}
		return scalar(t, env, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
			AND wait_event_type = 'Lock' AND query LIKE '%LeadExport%'`) == 1
	})
	res, body = raw(t, http.MethodGet, env.URL+"/api/v1/leads/export", nil, otherAuth)
	wantProblem(t, res, body, http.StatusServiceUnavailable)
	if res.Header.Get("Retry-After") != "10" || !strings.Contains(string(body), "EXPORT_MAX_CONCURRENT") {
		t.Fatalf("second export: %v %s", res.Header, body)
	}
	// A HEAD takes no slot and runs no query: the headers alone.
	res, _ = raw(t, http.MethodHead, env.URL+"/api/v1/leads/export", nil, auth)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("HEAD export: %d %v", res.StatusCode, res.Header)
	}
	time.Sleep(1500 * time.Millisecond) // past REQUEST_TIMEOUT
	if err := lock.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	if code := (<-exported).status(); code != http.StatusOK {
		t.Fatalf("the export waiting on the lock: %d", code)
	}
	if res, _ := raw(t, http.MethodGet, env.URL+"/api/v1/leads", nil, auth); res.StatusCode != http.StatusOK {
		t.Fatalf("after the lock: %d", res.StatusCode)
	}
	s := log.String()
	declined := 0
	for line := range strings.Lines(s) {
		if strings.Contains(line, "msg=request") && strings.Contains(line, "status=503") {
			declined++
			if !strings.Contains(line, "level=WARN") {
				t.Errorf("a 503 logged as %s", line)
			}
		}
	}
	if declined != 2 || strings.Contains(s, "level=ERROR") {
		t.Fatalf("%d 503s in the log: %s", declined, s)
	}
}

// TestSessionCheckBusy: a valid token whose session check cannot be
// answered in time gets the 503 of a busy database, not a 401 telling its
// client to refresh the token (or to log the user out).
func TestSessionCheckBusy(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, func(c *server.Config) { c.RequestTimeout = time.Second })
	auth := map[string]string{"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken}
	lock := holdRowLock(t, env, `LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE`)
	res, body := raw(t, http.MethodGet, env.URL+"/api/v1/auth/me", nil, auth)
	wantProblem(t, res, body, http.StatusServiceUnavailable)
	if res.Header.Get("Retry-After") != "5" || res.Header.Get("WWW-Authenticate") != "" {
		t.Fatalf("busy session check: %v %s", res.Header, body)
	}
	if err := lock.Rollback(bg); err != nil {
		t.Fatal(err)
	}
	if res, body := raw(t, http.MethodGet, env.URL+"/api/v1/auth/me", nil, auth); res.StatusCode != http.StatusOK {
		t.Fatalf("after the lock: %d %s", res.StatusCode, body)
	}
}

// TestClientClosed: a client that gives up is no server error: logged at
// INFO, never as an ERROR with a 500.
func TestClientClosed(t *testing.T) {
	t.Parallel()
	var log logbuf.Buffer
	env := servertest.NewWithLog(t, &log)
	token := env.Login(env.AdminUser.Email).AccessToken
	holdRowLock(t, env, `LOCK TABLE leads IN ACCESS EXCLUSIVE MODE`)
	ctx, cancel := context.WithTimeout(bg, 500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, env.URL+"/api/v1/leads", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("answered %d while the table was locked", res.StatusCode)
	}
	eventually(t, 10*time.Second, "the closed request logged", func() bool {
		return strings.Contains(log.String(), "client closed the request")
	})
	if s := log.String(); strings.Contains(s, "level=ERROR") || !strings.Contains(s, "level=INFO") {
		t.Fatalf("log: %s", s)
	}
}

// TestPanicIs500: a handler's panic is a logged 500 for the client, not an
// outage: the request's deadline, cancelled as the panic unwound, once made
// it pass for a client that went away (a 499 logged at INFO).
func TestPanicIs500(t *testing.T) {
	t.Parallel()
	var log logbuf.Buffer
	env := servertest.NewWithLog(t, &log)
	// Under /docs/, a path the spec validator leaves alone; added before any
	// request, so the router is not read meanwhile.
	env.App.Echo.GET("/docs/test-panic", func(echo.Context) error { panic("test panic") })
	res, body := raw(t, http.MethodGet, env.URL+"/docs/test-panic", nil, nil)
	p := wantProblem(t, res, body, http.StatusInternalServerError)
	if !strings.Contains(p.Detail, "unexpected error") || strings.Contains(string(body), "test panic") {
		t.Fatalf("problem %s", body)
	}
	eventually(t, 10*time.Second, "the panic logged", func() bool { return strings.Contains(log.String(), "test panic") })
	if s := log.String(); !strings.Contains(s, "level=ERROR msg=panic request_id="+p.RequestId+" method=GET route=/docs/test-panic") ||
		strings.Contains(s, "client closed") ||
		strings.Contains(s, "status=499") {
		t.Fatalf("log: %s", s)
	}
	eventually(t, 10*time.Second, "the access line logged", func() bool { return strings.Contains(log.String(), "status=500") })
	onceAtError(t, log.String(), p.RequestId)
}

// TestDatabaseDown: while the database refuses connections, requests get a
// 503 with Retry-After instead of a 500, and work again once it is back.
func TestDatabaseDown(t *testing.T) {
	t.Parallel()
	var log logbuf.Buffer
	env := servertest.NewWithLog(t, &log)
	defer func() {
		if t.Failed() {
			t.Log(log.String())
		}
	}()
	auth := map[string]string{"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken}
	u, err := url.Parse(env.DSN)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	u.Path = "/postgres"
	admin, err := pgx.Connect(bg, u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close(bg) }) // after the cleanup below
	allow := func(on bool) {
		t.Helper()
		if _, err := admin.Exec(bg, `ALTER DATABASE `+pgx.Identifier{name}.Sanitize()+` ALLOW_CONNECTIONS `+map[bool]string{true: "true", false: "false"}[on]); err != nil {
			t.Fatal(err)
		}
	}
	allow(false)
	t.Cleanup(func() { allow(true) })
	if _, err := admin.Exec(bg, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/leads", "/api/v1/auth/me"} {
		res, body := raw(t, http.MethodGet, env.URL+path, nil, auth)
		wantProblem(t, res, body, http.StatusServiceUnavailable)
		if res.Header.Get("Retry-After") == "" {
			t.Fatalf("%s: no Retry-After", path)
		}
	}
	// The liveness probe does not need the database, even when a browser
	// sends its token along.
	if res, body := raw(t, http.MethodGet, env.URL+"/healthz", nil, auth); res.StatusCode != http.StatusOK {
		t.Fatalf("/healthz with a token: %d %s", res.StatusCode, body)
	}
	allow(true)
	eventually(t, 10*time.Second, "requests working again", func() bool {
		res, _ := raw(t, http.MethodGet, env.URL+"/api/v1/leads", nil, auth)
		return res.StatusCode == http.StatusOK
	})
}

// TestAnswerOutlivesWriteTimeout: the server's write timeout never drops
// the answer of an API request whose work took longer: a long route waits
// for its work however long it takes (here, for a lock on leads), and an
// ordinary one until REQUEST_TIMEOUT, when that is the longer. Without its
// answer, a client would retry work already saved.
func TestAnswerOutlivesWriteTimeout(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, func(c *server.Config) { c.WriteTimeout = time.Second; c.RequestTimeout = 10 * time.Second })
	admin := "Bearer " + env.Login(env.AdminUser.Email).AccessToken
	for _, tc := range []struct{ name, method, path, body, contentType string }{
		{"Thresholds", http.MethodPut, "/api/v1/scoring/thresholds", `{"hot": 0.8, "warm": 0.3}`, "application/json"},
		{"Import", http.MethodPost, "/api/v1/leads/import", "name\nAna Waited\n", "text/csv"},
		{"List", http.MethodGet, "/api/v1/leads", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lock := holdRowLock(t, env, `LOCK TABLE leads IN ACCESS EXCLUSIVE MODE`)
			released := make(chan struct{})
			go func() {
				defer close(released)
				time.Sleep(2 * time.Second)
				_ = lock.Rollback(bg)
			}()
			h := map[string]string{"Authorization": admin}
			var body io.Reader
			if tc.body != "" {
				body, h["Content-Type"] = strings.NewReader(tc.body), tc.contentType
			}
			start := time.Now()
			res, b := raw(t, tc.method, env.URL+tc.path, body, h)
			<-released
			if res.StatusCode != http.StatusOK || time.Since(start) < 2*time.Second {
				t.Fatalf("%d after %v: %s", res.StatusCode, time.Since(start), b)
			}
		})
	}
}

// TestSlowBody: a body trickled in is cut off at REQUEST_TIMEOUT with a 408,
// not after the two minutes the server allows an import's body; the
// operations that may run longer than REQUEST_TIMEOUT (training, new
// thresholds) are no exception, since the caller is checked only once the
// body is read.
func TestSlowBody(t *testing.T) {
	t.Parallel()
	env := servertest.New(t, func(c *server.Config) { c.RequestTimeout = time.Second })
	for _, route := range []string{"POST /api/v1/auth/login", "PUT /api/v1/scoring/thresholds", "POST /api/v1/scoring/models"} {
		t.Run(strings.Fields(route)[1], func(t *testing.T) {
			t.Parallel()
			conn, err := net.Dial("tcp", strings.TrimPrefix(env.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			start := time.Now()
			_ = conn.SetReadDeadline(start.Add(20 * time.Second))
			fmt.Fprintf(conn, "%s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\"", route)
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatalf("after %v: %v", time.Since(start), err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			wantProblem(t, res, body, http.StatusRequestTimeout)
			if strings.Contains(string(body), "127.0.0.1") || time.Since(start) > 20*time.Second {
				t.Fatalf("after %v: %s", time.Since(start), body)
			}
		})
	}
}

// TestExportStall: an export whose client stops reading ends once the
// client has taken nothing for the stall limit, and gives its slot back;
// otherwise it would hold the slot and a database connection for as long as
// the server's write timeout.
func TestExportStall(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	env := servertest.NewWithLog(t, &logs, func(c *server.Config) { c.ExportMaxConcurrent = 1; c.ExportStall = 3 * time.Second })
	auth := map[string]string{"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken}
	// About 16 MB of CSV: far more than the socket buffers take while the
	// client reads nothing (the server's send buffer grows to 4 MB here).
	if err := sql(t, env, `INSERT INTO leads (id, name, notes)
		SELECT gen_random_uuid(), 'Stall ' || g, repeat('x', 8000) FROM generate_series(1, 2000) g`); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(env.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/v1/leads/export HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n\r\n", u.Host, auth["Authorization"])

	// Once its first bytes are out, the stalled export holds the only slot...
	br := bufio.NewReader(conn)
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	status, err := br.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 200") {
		t.Fatalf("stalled export: %q %v", status, err)
	}
	// (its user gets a 429: one export at a time each, so that nobody can
	// take every slot; anybody else a 503)...
	res, body := raw(t, http.MethodGet, env.URL+"/api/v1/leads/export", nil, auth)
	wantProblem(t, res, body, http.StatusTooManyRequests)
	if res.Header.Get("Retry-After") != "10" || !strings.Contains(string(body), "one at a time per user") {
		t.Errorf("the same user's second export: %v %s", res.Header, body)
	}
	other, _ := env.NewUser("sales")
	res, body = raw(t, http.MethodGet, env.URL+"/api/v1/leads/export", nil,
		map[string]string{"Authorization": "Bearer " + env.Login(other.Email).AccessToken})
	wantProblem(t, res, body, http.StatusServiceUnavailable)
	// ...until the stall limit ends it.
	eventually(t, 15*time.Second, "the slot given back", func() bool {
		res, _ := raw(t, http.MethodGet, env.URL+"/api/v1/leads/export", nil, auth)
		return res.StatusCode == http.StatusOK
	})
	// The stalled client gets what the buffers held, then the connection
	// ends without the final chunk: a failed download, not a short file.
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(br)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the stalled connection is still open after %d bytes", len(got))
	}
	if strings.HasSuffix(string(got), "0\r\n\r\n") {
		t.Fatalf("the stalled download ended as a complete file (%d bytes)", len(got))
	}
	// The cut-off download is on record like any request: its access-log
	// line (marked aborted), its cause with the request id, and a metric.
	request, cause := abortedExportLog(logs.String(), "export aborted after the response started")
	if !strings.Contains(request, "route=/api/v1/leads/export") || !strings.Contains(cause, "level=WARN") ||
		!strings.Contains(cause, "request_id=") || strings.Contains(cause, `request_id=""`) {
		t.Errorf("log lines of the aborted export: %q, %q", request, cause)
	}
	if _, body := raw(t, http.MethodGet, env.URL+"/metrics", nil, nil); !strings.Contains(string(body),
		`http_responses_aborted_total{method="GET",route="/api/v1/leads/export"} 1`) {
		t.Error("no aborted response in /metrics")
	}
}

// TestExportClientGone: a client that hangs up in the middle of a download
// is no fault of the server's: the export ends, logged at INFO, its slot
// given back.
func TestExportClientGone(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	env := servertest.NewWithLog(t, &logs, func(c *server.Config) { c.ExportMaxConcurrent = 1 })
	token := env.Login(env.AdminUser.Email).AccessToken
	if err := sql(t, env, `INSERT INTO leads (id, name, notes)
		SELECT gen_random_uuid(), 'Gone ' || g, repeat('x', 8000) FROM generate_series(1, 4000) g`); err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, env.URL+"/api/v1/leads/export", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("export: %v %v", res, err)
	}
	if _, err := io.ReadFull(res.Body, make([]byte, 1024)); err != nil {
		t.Fatal(err)
	}
	res.Body.Close() // before the end: the connection is dropped
	eventually(t, 15*time.Second, "the slot given back", func() bool {
		res, _ := raw(t, http.MethodGet, env.URL+"/api/v1/leads/export?q=nobody", nil, map[string]string{"Authorization": "Bearer " + token})
		return res.StatusCode == http.StatusOK
	})
	request, cause := abortedExportLog(logs.String(), "export ended: the client went away")
	if !strings.Contains(request, "level=INFO") || !strings.Contains(cause, "level=INFO") || strings.Contains(logs.String(), "export aborted") {
		t.Errorf("log lines of the abandoned export: %q, %q\n%s", request, cause, logs.String())
	}
}

// abortedExportLog returns the access-log line of an aborted response and
// the line that gives its cause, found by its message.
func abortedExportLog(logs, causeMsg string) (request, cause string) {
	for l := range strings.Lines(logs) {
		switch {
		case strings.Contains(l, "msg=request") && strings.Contains(l, "aborted=true"):
			request = l
		case strings.Contains(l, causeMsg):
			cause = l
		}
	}
	return request, cause
}
