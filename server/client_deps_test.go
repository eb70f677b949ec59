package server_test

import (
	"os/exec"
	"strings"
	"testing"
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
