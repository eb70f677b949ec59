package store

import (
	"sort"
	"strings"

	"github.com/jmksales/jmk/server/audit"
)

// changedFields lists the changed field names, sorted, for a summary.
func changedFields(changes map[string]audit.Change) string {
	names := make([]string, 0, len(changes))
	for k := range changes {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}
