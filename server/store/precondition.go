package store

import "slices"

// Precondition is a request's If-Match on a lead's or user's version. The
// store checks it after finding the record and the caller's rights, so a
// missing record is a 404 and a forbidden one a 403 whatever tag was sent.
type Precondition struct {
	// Any holds for every version: no If-Match on a DELETE, or "*" there.
	Any bool
	// Versions are the versions the request's strong entity tags name; a
	// weak or foreign tag names none, so it never holds (412).
	Versions []int32
}

// Holds reports whether a record at version v meets the precondition.
func (p Precondition) Holds(v int32) bool { return p.Any || slices.Contains(p.Versions, v) }
