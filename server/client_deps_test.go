package server_test

import (
	"os/exec"
	"strings"
	"testing"
)

// A Go program that talks to the API imports gen/client; it should not
// build the server's web framework, spec validator or database driver.
func TestGoClientDependencies(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-deps", "github.com/jmksales/jmk/gen/client").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, banned := range []string{"github.com/labstack/", "github.com/getkin/", "github.com/jackc/", "github.com/jmksales/jmk/gen/api"} {
			if strings.HasPrefix(pkg, banned) {
				t.Errorf("gen/client depends on %s", pkg)
			}
		}
	}
}
