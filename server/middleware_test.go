package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/client"
	"github.com/jmksales/jmk/server"
	"github.com/jmksales/jmk/server/logbuf"
	"github.com/jmksales/jmk/server/servertest"
	"github.com/jmksales/jmk/server/store"
)

// TestBodylessOperationsIgnoreBody: an operation without a request body
// never reads one, so it answers as it would without it, never with a 413 or
// a 415 that its spec does not list.
func TestBodylessOperationsIgnoreBody(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	token := env.Login(env.AdminUser.Email).AccessToken
	big := bytes.Repeat([]byte("a"), 1<<20+1)
	for _, tc := range []struct {
		name, method, path string
		body               []byte
		header             map[string]string
		status             int
	}{
		{"Encoded", "GET", "/api/v1/stats/summary", nil, map[string]string{"Content-Encoding": "gzip", "Authorization": "Bearer " + token}, 200},
		{"Large", "GET", "/api/v1/stats/summary", big, map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + token}, 200},
		{"LargeEncodedNoToken", "DELETE", "/api/v1/leads/01a24a3c-5ce4-706c-b0b3-b1a6e05ffffb", big, map[string]string{"Content-Encoding": "gzip"}, 401},
		{"LargeHead", "HEAD", "/api/v1/stats/summary", big, map[string]string{"Authorization": "Bearer " + token}, 200},
		// Not read at all: a JSON body the API would refuse anywhere else.
		{"DuplicateKeys", "GET", "/api/v1/stats/summary", []byte(`{"a": 1, "a": 2}`), map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + token}, 200},
		{"DeepNoToken", "GET", "/api/v1/auth/me", bytes.Repeat([]byte("["), 100), map[string]string{"Content-Type": "application/json"}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, body := raw(t, tc.method, env.URL+tc.path, bytes.NewReader(tc.body), tc.header)
			if res.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, tc.status, body)
			}
		})
	}
}

func TestProblems(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	token := env.Login(env.AdminUser.Email).AccessToken
	sales, _ := env.NewUser("sales")
	salesToken := env.Login(sales.Email).AccessToken
	big := bytes.Repeat([]byte("a"), 1<<20+1)
	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   io.Reader
		header map[string]string
		status int
		detail string
	}{
		{"UnknownAPIRoute", "GET", "/api/v1/nope", nil, nil, 404, "no such endpoint"},
		{"UnknownRoute", "GET", "/nope", nil, nil, 404, "no such endpoint: GET /nope (the API is under /api/v1; its reference is at /docs)"},
		{"UnknownRouteWithToken", "GET", "/api/v1/users/x/y", nil, map[string]string{"Authorization": "Bearer " + token}, 404, "no such endpoint"},
		{"WrongMethod", "PUT", "/api/v1/auth/login", strings.NewReader(`{}`), map[string]string{"Content-Type": "application/json"}, 405, "not allowed"},
		{"WrongMethodOps", "POST", "/healthz", nil, nil, 405, "not allowed"},
		{"MalformedJSON", "POST", "/api/v1/auth/login", strings.NewReader(`{"email": "a@`), map[string]string{"Content-Type": "application/json"}, 400, ""},
		{"JSONArray", "POST", "/api/v1/auth/login", strings.NewReader(`[]`), map[string]string{"Content-Type": "application/json"}, 400, ""},
		{"EmptyBody", "POST", "/api/v1/auth/login", nil, map[string]string{"Content-Type": "application/json"}, 400, ""},
		{"WrongContentType", "POST", "/api/v1/auth/login", strings.NewReader(`{"email":"a@example.com","password":"x"}`), map[string]string{"Content-Type": "text/plain"}, 415, ""},
		{"FormContentType", "POST", "/api/v1/auth/login", strings.NewReader(`email=a&password=b`), map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, ""},
		{"JSONCharsetLatin1", "POST", "/api/v1/auth/login", strings.NewReader(`{"email":"a@example.com","password":"x"}`), map[string]string{"Content-Type": "application/json; charset=iso-8859-1"}, 415, "UTF-8"},
		{"JSONCharsetUTF8", "POST", "/api/v1/auth/login", strings.NewReader(`{"email":"a@example.com","password":"wrong password"}`), map[string]string{"Content-Type": "application/json; charset=UTF-8"}, 401, "wrong"},
		{"JSONByteOrderMark", "POST", "/api/v1/auth/login", strings.NewReader("\xef\xbb\xbf{\"email\":\"a@example.com\",\"password\":\"x\"}"), map[string]string{"Content-Type": "application/json"}, 400, "byte order mark"},
		{"ContentEncodingGzip", "POST", "/api/v1/auth/login", strings.NewReader("\x1f\x8b\x08"), map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}, 415, "uncompressed"},
		{"ContentEncodingGzipNoToken", "POST", "/api/v1/users", strings.NewReader("\x1f\x8b\x08"), map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}, 401, ""},
		{"ContentEncodingGzipSales", "POST", "/api/v1/users", strings.NewReader("\x1f\x8b\x08"), map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip", "Authorization": "Bearer " + salesToken}, 403, "admin"},
		{"ContentEncodingLogoutWithoutToken", "POST", "/api/v1/auth/logout", strings.NewReader("\x1f\x8b\x08"), map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip"}, 415, "uncompressed"},
		{"ContentEncodingUnknownRoute", "POST", "/api/v1/nope", strings.NewReader("\x1f\x8b\x08"), map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip", "Authorization": "Bearer " + token}, 404, "no such endpoint"},
		{"ContentEncodingPathParam", "PATCH", "/api/v1/users/01a24a3c-5ce4-706c-b0b3-b1a6e05ffffb", strings.NewReader("\x1f\x8b\x08"), map[string]string{"Content-Type": "application/json", "Content-Encoding": "gzip", "Authorization": "Bearer " + token}, 415, "uncompressed"},
		{"ContentEncodingIdentity", "POST", "/api/v1/auth/login", strings.NewReader(`{"email":"a@example.com","password":"wrong password"}`), map[string]string{"Content-Type": "application/json", "Content-Encoding": "identity"}, 401, "wrong"},
		{"TooLarge", "POST", "/api/v1/auth/login", bytes.NewReader(big), map[string]string{"Content-Type": "application/json"}, 413, "the request body is over the size limit of 1 MiB"},
		{"TooLargeChunked", "POST", "/api/v1/auth/login", io.MultiReader(bytes.NewReader(big)), map[string]string{"Content-Type": "application/json"}, 413, "the request body is over the size limit of 1 MiB"},
		{"TooLargeAuthenticated", "POST", "/api/v1/users", io.MultiReader(bytes.NewReader(big)), map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + token}, 413, "the request body is over the size limit of 1 MiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, body := raw(t, tc.method, env.URL+tc.path, tc.body, tc.header)
			p := wantProblem(t, res, body, tc.status)
			if tc.detail != "" && !strings.Contains(p.Detail, tc.detail) {
				t.Fatalf("detail %v, want %q", p.Detail, tc.detail)
			}
			if strings.Contains(string(body), "goroutine") || strings.Contains(string(body), ".go:") {
				t.Fatalf("internals leak: %s", body)
			}
			// RFC 9110: a 415 for a content coding says which are accepted.
			if ae := res.Header.Get("Accept-Encoding"); (tc.status == 415 && strings.HasPrefix(tc.name, "ContentEncoding")) != (ae == "identity") {
				t.Errorf("Accept-Encoding %q", ae)
			}
			// RFC 9110: a 405 says which methods the resource has.
			want := map[string]string{"WrongMethod": "POST", "WrongMethodOps": "GET"}[tc.name]
			if allow := res.Header.Get("Allow"); tc.status == 405 && !strings.Contains(allow, want) || tc.status != 405 && allow != "" {
				t.Errorf("Allow %q", allow)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	uuidish := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	for _, tc := range []struct {
		name, path, incoming string
		status               int
		echoed               bool
	}{
		{"Generated", "/healthz", "", 200, false},
		{"GeneratedOnError", "/api/v1/nope", "", 404, false},
		{"GeneratedOn401", "/api/v1/auth/me", "", 401, false},
		{"SaneEchoed", "/healthz", "client-req.42:abc_DEF-1", 200, true},
		{"SaneEchoedOnError", "/api/v1/auth/me", "abc123", 401, true},
		{"TooLongReplaced", "/healthz", strings.Repeat("a", 500), 200, false},
		{"SpacesReplaced", "/healthz", "a b", 200, false},
		{"InjectionReplaced", "/healthz", `x"}{"level":"ERROR`, 200, false},
		{"UnicodeReplaced", "/healthz", "ïd", 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := map[string]string{}
			if tc.incoming != "" {
				h["X-Request-ID"] = tc.incoming
			}
			res, _ := raw(t, "GET", env.URL+tc.path, nil, h)
			got := res.Header.Get("X-Request-ID")
			if res.StatusCode != tc.status {
				t.Fatalf("status %d", res.StatusCode)
			}
			if tc.echoed && got != tc.incoming {
				t.Fatalf("X-Request-ID %q, want %q echoed", got, tc.incoming)
			}
			if !tc.echoed && !uuidish.MatchString(got) {
				t.Fatalf("X-Request-ID %q, want a fresh UUIDv7", got)
			}
		})
	}
	t.Run("NewlineReplaced", func(t *testing.T) {
		t.Parallel()
		// net/http refuses to send a header with a newline; the server must
		// cope with one that arrives folded (obs-fold) or raw.
		conn, err := net.Dial("tcp", strings.TrimPrefix(env.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		// Its continuation is no hex, so a generated id cannot hold it.
		io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc\r\n zzz\r\nConnection: close\r\n\r\n")
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("X-Request-ID"); strings.ContainsAny(got, "\r\n ") || strings.Contains(got, "zzz") && res.StatusCode == 200 {
			t.Fatalf("status %d X-Request-ID %q", res.StatusCode, got)
		}
	})
}

func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	for _, path := range []string{"/healthz", "/api/v1/auth/me", "/api/v1/nope", "/docsx"} {
		t.Run(strings.ReplaceAll(path, "/", "_"), func(t *testing.T) {
			t.Parallel()
			res, _ := raw(t, "GET", env.URL+path, nil, nil)
			for k, want := range map[string]string{
				"X-Content-Type-Options":  "nosniff",
				"X-Frame-Options":         "DENY",
				"Referrer-Policy":         "no-referrer",
				"Cache-Control":           "no-store",
				"Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
			} {
				if got := res.Header.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
		})
	}
	t.Run("DocsMayRunItsScripts", func(t *testing.T) {
		t.Parallel()
		res, _ := raw(t, "GET", env.URL+"/docs", nil, nil)
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Fatalf("CSP %q", csp)
		}
	})
}

func TestCORS(t *testing.T) {
	t.Parallel()
	env := servertest.New(t) // default allow-list: http://localhost:5173
	preflight := func(origin string) *http.Response {
		res, _ := raw(t, "OPTIONS", env.URL+"/api/v1/auth/login", nil, map[string]string{
			"Origin": origin, "Access-Control-Request-Method": "POST",
			"Access-Control-Request-Headers": "content-type,authorization,if-match",
		})
		return res
	}
	t.Run("AllowedPreflight", func(t *testing.T) {
		t.Parallel()
		res := preflight("http://localhost:5173")
		if res.StatusCode != 204 || res.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" {
			t.Fatalf("%d %v", res.StatusCode, res.Header)
		}
		if m := res.Header.Get("Access-Control-Allow-Methods"); !strings.Contains(m, "PATCH") {
			t.Fatalf("methods %q", m)
		}
		if h := strings.ToLower(res.Header.Get("Access-Control-Allow-Headers")); !strings.Contains(h, "if-match") || !strings.Contains(h, "authorization") {
			t.Fatalf("headers %q", h)
		}
	})
	t.Run("OtherOriginPreflight", func(t *testing.T) {
		t.Parallel()
		if res := preflight("https://evil.example"); res.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("evil origin allowed: %v", res.Header)
		}
	})
	t.Run("AllowedSimpleRequest", func(t *testing.T) {
		t.Parallel()
		res, _ := raw(t, "GET", env.URL+"/healthz", nil, map[string]string{"Origin": "http://localhost:5173"})
		if res.Header.Get("Access-Control-Allow-Origin") != "http://localhost:5173" ||
			!strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), "Etag") && !strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), "ETag") {
			t.Fatalf("%v", res.Header)
		}
		// The export's file name, and whether a 401 asks for a refresh,
		// for a dashboard on another origin.
		for _, h := range []string{"Content-Disposition", "WWW-Authenticate"} {
			if !strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), h) {
				t.Fatalf("%s not exposed: %v", h, res.Header)
			}
		}
	})
	t.Run("OtherOriginSimpleRequest", func(t *testing.T) {
		t.Parallel()
		res, _ := raw(t, "GET", env.URL+"/healthz", nil, map[string]string{"Origin": "https://evil.example"})
		if res.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("%v", res.Header)
		}
	})
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	raw(t, "GET", env.URL+"/healthz", nil, nil)
	raw(t, "GET", env.URL+"/api/v1/nope", nil, nil)
	id := env.AdminUser.Id.String()
	raw(t, "GET", env.URL+"/api/v1/users/"+id, nil, nil)
	// Below a route with a parameter: no route, although Echo names one.
	if res, body := raw(t, "GET", env.URL+"/api/v1/users/"+id+"/x", nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("GET /users/{id}/x: %d %s", res.StatusCode, body)
	}
	raw(t, "XYZZY123", env.URL+"/x", nil, nil)
	res, body := raw(t, "GET", env.URL+"/metrics", nil, nil)
	if res.StatusCode != 200 {
		t.Fatal(res.StatusCode)
	}
	text := string(body)
	for _, want := range []string{
		`http_requests_total{method="GET",route="/healthz",status="200"} 1`,
		`http_requests_total{method="POST",route="/api/v1/auth/login",status="200"}`,
		`http_requests_total{method="GET",route="/api/v1/users/:id",status="401"} 1`,
		`http_request_duration_seconds_bucket{method="GET",route="/healthz"`,
		// Around the list's 10 ms budget, and past the 30 s of a large
		// import or an activation.
		`http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.0075"} `,
		`http_request_duration_seconds_bucket{method="GET",route="/healthz",le="0.015"} `,
		`http_request_duration_seconds_bucket{method="GET",route="/healthz",le="30"} 1`,
		`http_request_duration_seconds_bucket{method="GET",route="/healthz",le="60"} 1`,
		"db_pool_max_conns 8", "db_pool_acquired_conns", "db_pool_idle_conns", "db_pool_total_conns",
		"db_pool_canceled_acquires_total ", "db_pool_constructing_conns ", "db_pool_new_conns_total ",
		"db_pool_idle_closed_conns_total ", "db_pool_lifetime_closed_conns_total ",
		"audit_sealer_waiting_seconds 0", "audit_sealer_failures_total 0", "audit_unsealed_events ", "go_build_info{",
		"audit_sealer_last_success_timestamp_seconds ", "audit_sealer_last_round_timestamp_seconds ",
		"janitor_last_success_timestamp_seconds ", `janitor_failures_total{step="purge_login_failures"} 0`,
		`janitor_failures_total{step="purge_sessions"} 0`, `janitor_failures_total{step="compact_lead_counts"} 0`,
		`janitor_failures_total{step="read_active_model"} 0`, "scoring_active_model_version 0",
		`auth_logins_total{result="success"} 1`, `auth_logins_total{result="failed"} 0`,
		`auth_logins_total{result="throttled"} 0`, "auth_refresh_reuses_total 0",
		"model_trainings_total 0", "model_activations_total 0",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// The janitor's metrics say what it does: every step.
	for _, name := range []string{"janitor_last_success_timestamp_seconds", "janitor_failures_total"} {
		_, help, _ := strings.Cut(text, "# HELP "+name+" ")
		help, _, _ = strings.Cut(help, "\n")
		for _, step := range store.JanitorSteps() {
			if !strings.Contains(help, step) {
				t.Errorf("%s's help %q does not name the step %s", name, help, step)
			}
		}
	}
	// The sealer's rounds are stamped with the time they ran.
	eventually(t, 10*time.Second, "audit_sealer_last_success_timestamp_seconds is now", func() bool {
		return math.Abs(metricValue(t, env, "audit_sealer_last_success_timestamp_seconds")-float64(time.Now().Unix())) < 60
	})
	// The janitor's first round runs at start.
	eventually(t, 10*time.Second, "janitor_last_success_timestamp_seconds is now", func() bool {
		return math.Abs(metricValue(t, env, "janitor_last_success_timestamp_seconds")-float64(time.Now().Unix())) < 60
	})
	if strings.Contains(text, id) || strings.Contains(text, `route="/api/v1/nope"`) ||
		strings.Contains(text, `route="/api/v1/users/:id",status="404"`) || !strings.Contains(text, `route="unmatched",status="404"} 2`) {
		t.Error("raw paths used as labels")
	}
	if strings.Contains(text, "XYZZY123") || !strings.Contains(text, `method="other"`) {
		t.Error("a made-up method is a label value of its own")
	}
}

// TestValidationListsEveryError: a request with several bad inputs gets one
// 400 naming each of them, so a form can mark every wrong field at once;
// without a token it gets the 401 alone.
func TestValidationListsEveryError(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	auth := map[string]string{"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken}
	jsonAuth := map[string]string{"Content-Type": "application/json", "Authorization": auth["Authorization"]}
	badLead := `{"name": "Ana", "job": "pilot", "age": 12, "email": "not-an-address", "colour": "red"}`
	for _, tc := range []struct {
		name, method, path, body string
		header                   map[string]string
		status                   int
		fields                   []string
		detail                   string
	}{
		{"Body", "POST", "/api/v1/leads", badLead, jsonAuth, 400,
			[]string{"age", "colour", "email", "job"}, "4 fields are invalid"},
		{"MissingAndWrong", "POST", "/api/v1/leads", `{"job": "pilot"}`, jsonAuth, 400,
			[]string{"job", "name"}, "2 fields are invalid"},
		{"Query", "GET", "/api/v1/leads?limit=0&category=lukewarm&sort=nope", "", auth, 400,
			[]string{"category", "limit", "sort"}, "3 fields are invalid"},
		// A list's bad element is named by the list and its value.
		{"ListElement", "GET", "/api/v1/leads?status=new&status=bogus", "", auth, 400,
			[]string{"status"}, `status: has "bogus", which must be one of new,`},
		// A long value is echoed cut short.
		{"LongValueCut", "GET", "/api/v1/leads?status=" + strings.Repeat("x", 5000), "", auth, 400,
			[]string{"status"}, `status: has "` + strings.Repeat("x", 100) + `…", which must be one of new,`},
		// Past int32 and past the field's own bound: the bound alone.
		{"HugeNumberOneBound", "POST", "/api/v1/leads", `{"name": "Ana", "age": 99999999999999999999}`, jsonAuth, 400,
			[]string{"age"}, "age: must be at most 120"},
		{"OneStillNamesIt", "POST", "/api/v1/leads", `{"name": "Ana", "age": 12}`, jsonAuth, 400,
			[]string{"age"}, "age"},
		{"OneFieldTwoProblems", "POST", "/api/v1/leads", `{"name": "Ana", "age": 16.5}`, jsonAuth, 400,
			[]string{"age", "age"}, "age: "},
		{"NoToken", "POST", "/api/v1/leads", badLead, map[string]string{"Content-Type": "application/json"}, 401,
			nil, "bearer access token"},
		{"NoTokenBadQuery", "GET", "/api/v1/leads?limit=0", "", nil, 401, nil, "bearer access token"},
		{"UnparsableQuery", "GET", "/api/v1/leads?limit=abc", "", auth, 400, []string{"limit"}, "limit"},
		{"RepeatedSingleParam", "GET", "/api/v1/leads?limit=2&limit=3", "", auth, 400, []string{"limit"}, "once"},
		{"RepeatedSort", "GET", "/api/v1/leads?sort=name_asc&sort=name_asc", "", auth, 400, []string{"sort"}, "once"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, body := raw(t, tc.method, env.URL+tc.path, strings.NewReader(tc.body), tc.header)
			p := wantProblem(t, res, body, tc.status)
			var got []string
			if p.Errors != nil {
				for _, e := range *p.Errors {
					if e.Message == "" {
						t.Errorf("field %q without a message", e.Field)
					}
					got = append(got, e.Field)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, tc.fields) {
				t.Errorf("fields %v, want %v: %s", got, tc.fields, body)
			}
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %v, want it to contain %q", p.Detail, tc.detail)
			}
		})
	}
}

// TestUnexpectedErrorLogged: a 500 tells the client to quote its
// request_id, so the log line of the error must carry it, and the route,
// so that it says what failed without its access line.
func TestUnexpectedErrorLogged(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	env := servertest.NewWithLog(t, &logs)
	if err := sql(t, env, `ALTER TABLE leads RENAME TO leads_gone`); err != nil {
		t.Fatal(err)
	}
	token := env.Login(env.AdminUser.Email).AccessToken
	res, body := raw(t, "GET", env.URL+"/api/v1/leads", nil, map[string]string{"Authorization": "Bearer " + token})
	p := wantProblem(t, res, body, http.StatusInternalServerError)
	if strings.Contains(string(body), "leads_gone") || strings.Contains(string(body), "SQLSTATE") {
		t.Errorf("internals leak: %s", body)
	}
	var line string
	for l := range strings.Lines(logs.String()) {
		if strings.Contains(l, "unexpected error") {
			line = l
		}
	}
	if line == "" || !strings.Contains(line, "request_id="+p.RequestId) || !strings.Contains(line, "route=/api/v1/leads") {
		t.Errorf("no error line with request_id=%s and the route in:\n%s", p.RequestId, logs.String())
	}
	onceAtError(t, logs.String(), p.RequestId)
}

// TestRequestLogQuietProbes: the access lines of the probes' and the
// scrape's successes are at DEBUG, their failures as any other request's;
// an authenticated request's names its user.
func TestRequestLogQuietProbes(t *testing.T) {
	t.Parallel()
	var logs logbuf.Buffer
	env := servertest.NewWithLog(t, &logs, func(c *server.Config) { c.LogLevel = slog.LevelDebug })
	token := env.Login(env.AdminUser.Email).AccessToken
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		raw(t, http.MethodGet, env.URL+path, nil, nil)
		raw(t, http.MethodHead, env.URL+path, nil, nil)
	}
	raw(t, http.MethodPost, env.URL+"/healthz", nil, nil) // 405
	raw(t, http.MethodGet, env.URL+"/api/v1/auth/me", nil, map[string]string{"Authorization": "Bearer " + token})
	raw(t, http.MethodGet, env.URL+"/api/v1/auth/me", nil, nil) // 401
	lines := map[string][]string{}
	for l := range strings.Lines(logs.String()) {
		if !strings.Contains(l, "msg=request ") {
			continue
		}
		level := l[strings.Index(l, "level=")+len("level=") : strings.Index(l, " msg=")]
		key := fmt.Sprintf("%s %s %s", field(l, "method"), field(l, "path"), field(l, "status"))
		lines[key] = append(lines[key], level+" user_id="+field(l, "user_id"))
	}
	admin := env.AdminUser.Id.String()
	for key, want := range map[string]string{
		"GET /healthz 200": "DEBUG user_id=", "HEAD /healthz 200": "DEBUG user_id=",
		"GET /readyz 200": "DEBUG user_id=", "HEAD /readyz 200": "DEBUG user_id=",
		"GET /metrics 200": "DEBUG user_id=", "HEAD /metrics 200": "DEBUG user_id=",
		"POST /healthz 405":           "INFO user_id=",
		"GET /api/v1/auth/me 200":     "INFO user_id=" + admin,
		"GET /api/v1/auth/me 401":     "INFO user_id=",
		"POST /api/v1/auth/login 200": "INFO user_id=", // nobody before it (the fixture's login, and this test's)
	} {
		got := lines[key]
		if len(got) == 0 || len(got) > 1 && !strings.Contains(key, "login") || slices.ContainsFunc(got, func(g string) bool { return g != want }) {
			t.Errorf("%s: access lines %q, want [%s]", key, got, want)
		}
	}
}

// field is the value of key in a text log line, "" when it has none.
func field(line, key string) string {
	_, rest, ok := strings.Cut(line, " "+key+"=")
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(strings.TrimSpace(rest), " ")
	return v
}

// onceAtError fails unless exactly one line of log about the request id
// is at ERROR: a 500 is one alert, whose access line (at WARN) follows it.
func onceAtError(t *testing.T, log, requestID string) {
	t.Helper()
	var errors, access int
	for l := range strings.Lines(log) {
		if !strings.Contains(l, "request_id="+requestID) {
			continue
		}
		if strings.Contains(l, "level=ERROR") {
			errors++
		}
		if strings.Contains(l, "msg=request") && strings.Contains(l, "status=500") {
			access++
		}
	}
	if errors != 1 || access != 1 {
		t.Errorf("request %s: %d lines at ERROR and %d access lines, want 1 and 1:\n%s", requestID, errors, access, log)
	}
}

// TestHead: HEAD works wherever GET does (RFC 9110), with the GET's status
// and headers and no body, through the same authentication and validation.
func TestHead(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	token := "Bearer " + env.Login(env.AdminUser.Email).AccessToken
	lead := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Head Lead"})
	for _, tc := range []struct {
		name, path, auth string
		status           int
		header           string // a header the GET sends too
	}{
		{"Healthz", "/healthz", "", 200, "X-Request-ID"},
		{"Readyz", "/readyz", "", 200, "Content-Type"},
		{"Spec", "/openapi.yaml", "", 200, "Content-Type"},
		{"Docs", "/docs", "", 200, "Content-Security-Policy"},
		{"Metrics", "/metrics", "", 200, "Content-Type"},
		{"Leads", "/api/v1/leads?limit=5", token, 200, "Content-Type"},
		{"LeadETag", "/api/v1/leads/" + lead.Id.String(), token, 200, "ETag"},
		{"NoToken", "/api/v1/leads", "", 401, "Content-Type"},
		{"BadParam", "/api/v1/leads?limit=0", token, 400, "Content-Type"},
		{"NotFound", "/api/v1/leads/" + uuid.NewString(), token, 404, "Content-Type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := map[string]string{}
			if tc.auth != "" {
				h["Authorization"] = tc.auth
			}
			res, body := raw(t, http.MethodHead, env.URL+tc.path, nil, h)
			if res.StatusCode != tc.status || len(body) != 0 || res.Header.Get(tc.header) == "" {
				t.Fatalf("HEAD %s: %d, %d body bytes, %s %q", tc.path, res.StatusCode, len(body), tc.header, res.Header.Get(tc.header))
			}
		})
	}
	t.Run("Allow", func(t *testing.T) {
		res, _ := raw(t, http.MethodPut, env.URL+"/healthz", nil, nil)
		if allow := res.Header.Get("Allow"); res.StatusCode != 405 || !strings.Contains(allow, "HEAD") {
			t.Fatalf("%d Allow %q", res.StatusCode, allow)
		}
	})
	t.Run("CountedAsHead", func(t *testing.T) {
		raw(t, http.MethodHead, env.URL+"/readyz", nil, nil)
		_, body := raw(t, http.MethodGet, env.URL+"/metrics", nil, nil)
		if !strings.Contains(string(body), `http_requests_total{method="HEAD",route="/readyz",status="200"} 1`) {
			t.Fatal("a HEAD request is not counted as HEAD")
		}
	})
}

// TestMetricsImportExport: committed imports count their rows by result (a
// dry run does not count), exports count by outcome and rows.
func TestMetricsImportExport(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	importOK(t, env, "?dry_run=true", "name\nAna Lopes\n")
	importOK(t, env, "", "external_id,name,age\nm-1,Ana Lopes,40\nm-2,Rui Sá,12\nm-3,Eva Reis,30\n")
	importOK(t, env, "", "external_id,name\nm-1,Ana Lopes\n")
	res, body := exportCSV(t, env, env.Login(env.AdminUser.Email).AccessToken, "")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("export: %d %s", res.StatusCode, body)
	}
	_, body = raw(t, http.MethodGet, env.URL+"/metrics", nil, nil)
	for _, want := range []string{
		`lead_import_rows_total{result="inserted"} 2`,
		`lead_import_rows_total{result="rejected"} 1`,
		`lead_import_rows_total{result="unchanged"} 1`,
		`lead_import_rows_total{result="updated"} 0`,
		`lead_exports_total{outcome="complete"} 1`,
		`lead_exports_total{outcome="aborted"} 0`,
		"lead_export_rows_total 2",
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// TestValidationMessages: each problem is said in the API's own words,
// once, not in the validator library's.
func TestValidationMessages(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	auth := map[string]string{"Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken}
	jsonAuth := map[string]string{"Content-Type": "application/json", "Authorization": auth["Authorization"]}
	lead := leadMustCreate(t, env.Admin, client.LeadCreate{Name: "Ana Lopes"})
	for _, tc := range []struct {
		name, method, path, body string
		field, message           string
	}{
		{"Required", "POST", "/api/v1/leads", `{}`, "name", "is required"},
		{"Enum", "POST", "/api/v1/users", `{"name": "Ana", "email": "ana@example.com", "password": "long enough pw", "role": "boss"}`,
			"role", "must be one of admin, sales"},
		{"Unknown", "POST", "/api/v1/leads", `{"name": "Ana", "colour": "red"}`, "colour", "is not a field of this request (unknown or read-only)"},
		{"ReadOnly", "PATCH", "/api/v1/leads/" + lead.Id.String(), `{"probability": 0.9}`, "probability", "is not a field of this request (unknown or read-only)"},
		{"MinLength", "POST", "/api/v1/leads", `{"name": "Ana", "phone": "12"}`, "phone", "must have at least 3 characters"},
		{"MaxLength", "POST", "/api/v1/leads", `{"name": "` + strings.Repeat("a", 201) + `"}`, "name", "must have at most 200 characters"},
		{"Format", "POST", "/api/v1/leads", `{"name": "Ana", "email": "nope"}`, "email", "must be an e-mail address such as name@example.com"},
		{"QueryInteger", "GET", "/api/v1/leads?limit=abc", "", "limit", "must be a whole number"},
		{"QueryBoolean", "GET", "/api/v1/team?active=maybe", "", "active", "must be true or false"},
		{"QueryNumber", "GET", "/api/v1/leads?min_probability=high", "", "min_probability", "must be a number"},
		{"QueryOutOfRange", "GET", "/api/v1/leads?limit=3000000000", "", "limit", "must be a whole number from 1 to 200"},
		{"QueryOutOfInt64", "GET", "/api/v1/audit-events?after_id=99999999999999999999", "", "after_id", "must be a whole number from 0 to 9223372036854775807"},
		{"QueryOutOfRangeUnbounded", "GET", "/api/v1/leads?min_probability=1e999", "", "min_probability", "must be from 0 to 1"},
		{"QueryValueQuotingTheRule", "GET", "/api/v1/leads?count=an%20invalid%20integer", "", "count", "must be true or false"},
		// Past int32: the spec's minimum, and the format's maximum.
		{"PathOutOfRange", "POST", "/api/v1/scoring/models/99999999999/activate", "", "version", "must be a whole number from 1 to 2147483647"},
		{"PathOutOfRangeGet", "GET", "/api/v1/scoring/models/99999999999999999999", "", "version", "must be a whole number from 1 to 2147483647"},
		{"PathOutOfRangeNegative", "GET", "/api/v1/scoring/models/-99999999999999999999", "", "version", "must be a whole number from 1 to 2147483647"},
		{"QueryTooManyValues", "GET", "/api/v1/leads?" + strings.Repeat("status=new&", 6), "", "status", "takes at most 5 values"},
		{"QueryEmpty", "GET", "/api/v1/leads?limit=", "", "limit", "must not be empty (leave the parameter out instead)"},
		{"BodyString", "POST", "/api/v1/leads", `{"name": 123}`, "name", "must be text (a JSON string)"},
		// Past a double's range, a number is still the wrong type, not too large.
		{"BodyStringHugeNumber", "POST", "/api/v1/leads", `{"name": 1e309}`, "name", "must be text (a JSON string)"},
		{"BodyBooleanHugeNumber", "POST", "/api/v1/scoring/models", `{"activate": 1e309}`, "activate", "must be true or false"},
		// Past a double's range, a number is told its field's bound on that side.
		{"BodyNumberHuge", "POST", "/api/v1/scoring/predict", `{"euribor_3m": 1e309}`, "euribor_3m", "must be at most 25"},
		{"BodyNumberHugeNegative", "POST", "/api/v1/scoring/predict", `{"cons_conf_idx": -1e400}`, "cons_conf_idx", "must be at least -100"},
		{"BodyIntegerHuge", "POST", "/api/v1/leads", `{"name": "Ana", "age": 1e400}`, "age", "must be at most 120"},
		{"BodyNumberHugeExclusive", "POST", "/api/v1/scoring/models", `{"holdout_fraction": 1e400}`, "holdout_fraction", "must be less than 0.5"},
		{"BodyHugeNumber", "POST", "/api/v1/leads", `1e309`, "body", "must be a JSON object"},
		{"BodyNumber", "POST", "/api/v1/scoring/predict", `{"euribor_3m": "x"}`, "euribor_3m", "must be a number"},
		{"BodyBoolean", "POST", "/api/v1/scoring/models", `{"activate": "yes"}`, "activate", "must be true or false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := jsonAuth
			if tc.method == "PATCH" {
				h = map[string]string{"Content-Type": "application/json", "Authorization": auth["Authorization"], "If-Match": `"1"`}
			}
			res, body := raw(t, tc.method, env.URL+tc.path, strings.NewReader(tc.body), h)
			p := wantProblem(t, res, body, 400)
			if p.Errors == nil || len(*p.Errors) != 1 || (*p.Errors)[0].Field != tc.field || (*p.Errors)[0].Message != tc.message {
				t.Errorf("errors %s, want one %s: %q", body, tc.field, tc.message)
			}
		})
	}
}

// TestValidationOnePass: every field's problem comes in one answer, the
// password's byte rule with the others.
func TestValidationOnePass(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	h := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken}
	res, body := raw(t, http.MethodPost, env.URL+"/api/v1/users", strings.NewReader(`{"name": "", "email": "bad", "password": "short", "role": "x"}`), h)
	p := wantProblem(t, res, body, 400)
	var fields []string
	for _, e := range *p.Errors {
		fields = append(fields, e.Field)
		if e.Field == "password" && e.Message != "must be 10 to 72 bytes" {
			t.Errorf("password: %q", e.Message)
		}
	}
	slices.Sort(fields)
	fields = slices.Compact(fields)
	if !slices.Equal(fields, []string{"email", "name", "password", "role"}) {
		t.Fatalf("fields %v: %s", fields, body)
	}
}

// A password too long is told its one rule, in bytes, once.
func TestPasswordTooLongOneMessage(t *testing.T) {
	t.Parallel()
	env := servertest.New(t)
	h := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + env.Login(env.AdminUser.Email).AccessToken}
	res, body := raw(t, http.MethodPost, env.URL+"/api/v1/users", strings.NewReader(
		`{"name": "Ana", "email": "ana@example.com", "password": "`+strings.Repeat("p", 100)+`"}`), h)
	p := wantProblem(t, res, body, 400)
	if p.Errors == nil || len(*p.Errors) != 1 || (*p.Errors)[0].Message != "must be 10 to 72 bytes" {
		t.Fatalf("%s", body)
	}
}
