package servertest

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB that keeps what Errorf reports.
type recorder struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestContract(t *testing.T) {
	t.Parallel()
	const problem = `{"type": "about:blank", "title": "Unauthorized", "status": 401, "detail": "log in", "instance": "/api/v1/auth/me", "request_id": "r1"}`
	cases := []struct {
		name, method, path string
		status             int
		contentType, body  string
		offSpec            bool
	}{
		{"OK", "GET", "/api/v1/auth/me", 401, "application/problem+json", problem, false},
		{"BodyOffSchema", "GET", "/api/v1/auth/me", 200, "application/json", `{"id": 1}`, true},
		{"MediaTypeUndeclared", "GET", "/api/v1/auth/me", 200, "text/html", `{"id": 1}`, true},
		{"StatusUndeclared", "GET", "/api/v1/auth/me", http.StatusTeapot, "application/problem+json", problem, true},
		{"NotJSONUnread", "GET", "/api/v1/leads/export", 200, "text/csv", "not,checked\n", false},
		{"OutsideSpec", "GET", "/metrics", http.StatusTeapot, "text/plain", "anything", false},
		{"UnknownMethod", "PUT", "/api/v1/auth/me", http.StatusMethodNotAllowed, "application/problem+json", problem, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", tc.contentType)
				if tc.status == http.StatusUnauthorized {
					w.Header().Set("WWW-Authenticate", `Bearer realm="jmk"`)
				}
				w.WriteHeader(tc.status)
				io.WriteString(w, tc.body)
			}))
			defer srv.Close()
			rec := &recorder{TB: t}
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			res, err := (&http.Client{Transport: Contract(rec, nil)}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			body, err := io.ReadAll(res.Body)
			if err != nil || string(body) != tc.body {
				t.Errorf("body %q (%v), want it passed on whole: %q", body, err, tc.body)
			}
			if got := len(rec.errs) > 0; got != tc.offSpec {
				t.Errorf("reported off the spec: %v, want %v: %s", got, tc.offSpec, strings.Join(rec.errs, "; "))
			}
		})
	}
}
