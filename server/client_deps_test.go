package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"

	"github.com/jmksales/jmk/gen/client"
)

// A Go program that talks to the API imports gen/client and
// clients/go/session: they build the standard library and the modules
// below, never the server's web framework, spec validator or database
// driver.
func TestGoClientDependencies(t *testing.T) {
	t.Parallel()
	allowed := []string{
		"github.com/jmksales/jmk/gen/client",
		"github.com/jmksales/jmk/clients/go/session",
		"github.com/oapi-codegen/runtime", // parameter encoding, date and uuid types
		"github.com/oapi-codegen/nullable",
		"github.com/apapsch/go-jsonmerge/", // the runtime's, for JSON unions
		"github.com/google/uuid",
	}
	out, err := exec.Command("go", "list", "-deps", allowed[0], allowed[1]).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		first, _, _ := strings.Cut(pkg, "/")
		if !strings.Contains(first, ".") || first == "vendor" { // the standard library
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || strings.HasPrefix(pkg, a)
		}
		if !ok {
			t.Errorf("the Go client depends on %s", pkg)
		}
	}
}

// A proxy in front of the API may answer with an HTTP date in Retry-After
// (RFC 9110): the generated client still hands back the response, whose
// status and problem the caller can act on, instead of an error.
func TestGoClientTakesDateRetryAfter(t *testing.T) {
	t.Parallel()
	const date = "Wed, 21 Oct 2026 07:28:00 GMT"
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", date)
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"type": "about:blank", "title": "Service Unavailable", "status": 503}`))
	}))
	defer proxy.Close()
	c, err := client.NewClientWithResponses(proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.GetMeWithResponse(context.Background())
	if err != nil {
		t.Fatalf("a proxy's 503 failed the call: %v", err)
	}
	if r.StatusCode() != http.StatusServiceUnavailable || r.Headers503 == nil || r.Headers503.RetryAfter == nil || *r.Headers503.RetryAfter != date {
		t.Errorf("status %d, headers %+v", r.StatusCode(), r.Headers503)
	}
}
