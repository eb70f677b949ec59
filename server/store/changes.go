package store

import (
	"maps"
	"slices"
	"strings"

	"github.com/jmksales/jmk/server/audit"
)

// changedFields lists the changed field names, sorted, for a summary.
func changedFields(changes map[string]audit.Change) string {
	return strings.Join(slices.Sorted(maps.Keys(changes)), ", ")
}
