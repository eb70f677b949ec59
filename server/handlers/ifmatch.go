package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/store"
)

// The ETag a record is read with, and the If-Match a change sends it back
// in, for optimistic concurrency (README, Conventions).

// etag renders a version as a strong entity tag (store.ETag).
func etag(version int32) *string {
	s := store.ETag(version)
	return &s
}

// ifMatch reads the If-Match a PATCH requires (the spec makes it
// required, so it is there, but may be blank): 428 when it is empty or "*"
// (which would skip the check optimistic concurrency exists for), 400 when
// it is not a list of entity tags. A request without it gets its 428 from
// the validator (validationError).
func ifMatch(h string) (store.Precondition, error) {
	switch strings.TrimSpace(h) {
	case "*":
		return store.Precondition{}, &apperr.Error{Status: http.StatusPreconditionRequired, Err: apperr.ErrPreconditionRequired,
			Detail: "If-Match: * is not accepted here: send the ETag from your last GET, so that a change made since is not overwritten"}
	case "":
		return store.Precondition{}, &apperr.Error{Status: http.StatusPreconditionRequired, Err: apperr.ErrPreconditionRequired,
			Detail: apperr.ErrPreconditionRequired.Error()}
	}
	return entityTags(h)
}

// optionalIfMatch reads the If-Match a DELETE may send: without one, or
// with "*", the record goes whatever its version. An empty one is a 400,
// not a missing one: it is what a client sends for a tag it has lost, and
// must not delete whatever the version.
func optionalIfMatch(h *string) (store.Precondition, error) {
	switch {
	case h == nil || strings.TrimSpace(*h) == "*":
		return store.Precondition{Any: true}, nil
	case strings.TrimSpace(*h) == "":
		return store.Precondition{}, apperr.BadRequest("If-Match",
			`is empty: send the ETag from your last GET with its double quotes, such as "4"`)
	}
	return entityTags(*h)
}

// entityTags parses a list of entity tags (RFC 9110 section 8.8.3; several
// If-Match lines arrive joined by commas, see joinIfMatch) into the versions
// its strong tags name: exactly the tags etag writes, so "02", "+2" or a
// weak W/"2" name no version, and the store answers 412 once it has ruled
// out 404 and 403. Anything that is not an entity tag (a bare 2, say, typed
// from the version field) is a 400 that says how to write one, rather than
// a 412 that would claim the record changed.
func entityTags(h string) (store.Precondition, error) {
	var p store.Precondition
	rest := h
	for tags := 0; ; tags++ {
		// A list may have empty elements (`"2", , "3",`), which RFC 9110
		// section 5.6.1.2 asks a recipient to accept, but not only those.
		if rest = strings.TrimLeft(rest, " \t,"); rest == "" && tags > 0 {
			return p, nil
		}
		opaque, weak, after, ok := cutEntityTag(rest)
		if !ok {
			bad, _, _ := strings.Cut(rest, ",")
			if bad = strings.TrimSpace(bad); bad == "" {
				bad = "an empty list"
			}
			// A bare version gets itself quoted as the example: another
			// number would read as the one to send.
			example := "4"
			if _, ok := version(bad); ok {
				example = bad
			}
			return p, apperr.BadRequest("If-Match", fmt.Sprintf(
				`must be the ETag from your last GET with its double quotes, such as "%s", not %s`, example, bad))
		}
		if n, ok := version(opaque); ok && !weak {
			p.Versions = append(p.Versions, n)
		}
		rest = after
	}
}

// version reads a version as etag writes it: "0" names none (versions
// start at 1), and nor do "02" or "+2".
func version(s string) (int32, bool) {
	n, err := strconv.ParseInt(s, 10, 32)
	return int32(n), err == nil && n >= 1 && strconv.FormatInt(n, 10) == s
}

// cutEntityTag reads the entity tag that s starts with: an optional W/,
// then a double-quoted string without double quotes inside (commas
// included), then only blanks before the list's next comma or its end.
func cutEntityTag(s string) (opaque string, weak bool, after string, ok bool) {
	s, weak = strings.CutPrefix(s, "W/")
	if !strings.HasPrefix(s, `"`) {
		return "", false, "", false
	}
	end := strings.IndexByte(s[1:], '"') + 1
	if end == 0 {
		return "", false, "", false
	}
	after = strings.TrimLeft(s[end+1:], " \t")
	if after != "" && after[0] != ',' {
		return "", false, "", false
	}
	return s[1:end], weak, after, true
}
