package store

import (
	"net/http"
	"slices"
	"strconv"

	"github.com/jmksales/jmk/server/apperr"
)

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

// ETag renders a version as the strong entity tag the API sends (ETag) and
// reads back (If-Match: Precondition.Versions).
func ETag(version int32) string { return `"` + strconv.Itoa(int(version)) + `"` }

// noVersionNamed is the detail of the 412 for an If-Match that could never
// hold: to say the record changed would send the client to reload it and
// fail again.
const noVersionNamed = `If-Match names no version of the record: weak tags (W/...) and tags this API did not write never match; send the ETag from your last GET as it was given`

// Check returns nil when a record at version v meets the precondition,
// else its 412 (apperr.ErrStale), carrying the record's current ETag.
func (p Precondition) Check(v int32) error {
	if p.Any || slices.Contains(p.Versions, v) {
		return nil
	}
	e := &apperr.Error{Status: http.StatusPreconditionFailed, Err: apperr.ErrStale,
		Detail: apperr.ErrStale.Error(), ETag: ETag(v)}
	if len(p.Versions) == 0 {
		e.Detail = noVersionNamed
	}
	return e
}
