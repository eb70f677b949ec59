package server

import (
	"net/http"
	"testing"

	"github.com/jmksales/jmk/gen/api"
)

// The routes named by hand (the long ones, the import's) are operations of
// the spec: a route renamed there and not here would quietly fall back
// under REQUEST_TIMEOUT, or lose its upload clock.
func TestNamedRoutesInSpec(t *testing.T) {
	t.Parallel()
	spec, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	ops := newOperations(spec)
	named := []string{http.MethodPost + " " + importPath}
	for route := range longRoutes {
		named = append(named, route)
	}
	for _, route := range named {
		if _, ok := ops[route]; !ok {
			t.Errorf("%s is no operation of the spec", route)
		}
	}
}
