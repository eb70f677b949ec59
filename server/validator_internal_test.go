package server

import (
	"regexp"
	"strings"
	"testing"

	"github.com/jmksales/jmk"
)

// Every pattern in the spec has words for a client who does not match it:
// a new pattern without them fails here.
func TestEveryPatternHasPlainWords(t *testing.T) {
	patterns := regexp.MustCompile(`pattern: '([^']*)'`).FindAllStringSubmatch(string(jmk.OpenAPIYAML), -1)
	if len(patterns) == 0 {
		t.Fatal("no patterns found in openapi.yaml")
	}
	for _, p := range patterns {
		reason := `string doesn't match the regular expression "` + p[1] + `"`
		if got := plainReason(reason); got == reason || strings.Contains(got, "regular expression") {
			t.Errorf("pattern %s: no plain message", p[1])
		}
	}
}
