package server

import (
	"slices"
	"testing"

	"github.com/jmksales/jmk/gen/api"
)

// The problem types the server sends are the spec's enum, which clients
// switch on: one added on either side alone fails here.
func TestProblemTypesInSpec(t *testing.T) {
	t.Parallel()
	spec, err := api.GetSpec()
	if err != nil {
		t.Fatal(err)
	}
	var inSpec []string
	for _, v := range spec.Components.Schemas["Problem"].Value.Properties["type"].Value.Enum {
		inSpec = append(inSpec, v.(string))
	}
	sent := []string{"about:blank", problemTypeBase + "invalid-token"}
	for _, name := range problemTypes {
		sent = append(sent, problemTypeBase+name)
	}
	slices.Sort(inSpec)
	slices.Sort(sent)
	if !slices.Equal(inSpec, sent) {
		t.Errorf("the spec's problem types %v\nthe server's %v", inSpec, sent)
	}
}
