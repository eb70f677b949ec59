// Package handlers implements the generated strict server interface. Each
// file serves one resource; handlers stay short: check who may do what, map
// API types to store calls, map results back. Expected failures are returned
// as apperr errors and rendered as problem+json by the server's one error
// handler.
package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/store"
)

// Options are the handler settings taken from the server configuration.
type Options struct {
	RegistrationOpen bool
	RegisterThrottle store.RegisterThrottle
	Throttle         store.Throttle
	// ExportMaxConcurrent bounds the exports running at once (at least 1).
	ExportMaxConcurrent int
	// ExportStall ends an export whose client takes nothing for this long
	// (server.Config.ExportStall); zero leaves it to the server's timeouts.
	ExportStall time.Duration
	// ImportUploadTimeout is the server's limit on an import's upload
	// (server.Config.ImportUploadTimeout); the database ends an import
	// whose upload stalls a little longer, in case this instance froze.
	ImportUploadTimeout time.Duration
	// Draining reports a server that is stopping (SHUTDOWN_DRAIN): /readyz
	// answers 503. Nil means never.
	Draining func() bool
	// Imported and Exported, when set, are told of each import that
	// committed (not a dry run) and of each export's end, for the metrics.
	Imported func(store.ImportResult)
	Exported func(rows int, complete bool)
}

// Handlers implements api.StrictServerInterface.
type Handlers struct {
	st      *store.Store
	iss     *auth.Issuer
	opts    Options
	log     *slog.Logger
	exports *exportSlots
	bulk    bulkSlots
}

var _ api.StrictServerInterface = (*Handlers)(nil)

// New returns the handlers.
func New(st *store.Store, iss *auth.Issuer, opts Options, log *slog.Logger) *Handlers {
	return &Handlers{st: st, iss: iss, opts: opts, log: log, exports: newExportSlots(opts.ExportMaxConcurrent),
		bulk: make(bulkSlots, bulkMaxConcurrent)}
}

// caller returns the authenticated identity; the validator has already
// refused requests without one on secured routes, so a missing identity here
// is a 401 all the same rather than a panic.
func caller(ctx context.Context) (auth.Identity, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Identity{}, apperr.Unauthorized(auth.TokenRequired)
	}
	return id, nil
}

// Admin returns the caller when they are an admin, else a 403. The request
// validator applies it too, to the operations the spec marks
// x-required-role: admin, so that their 403 comes before any input check.
func Admin(ctx context.Context) (auth.Identity, error) {
	id, err := caller(ctx)
	if err != nil {
		return id, err
	}
	if !id.IsAdmin() {
		return id, apperr.Forbidden("this needs the admin role")
	}
	return id, nil
}

// actor is the audit actor for an identity.
func actor(id auth.Identity) audit.Actor {
	uid := id.UserID
	return audit.Actor{ID: &uid, Name: id.Name}
}

// etag renders a version as a strong entity tag (store.ETag).
func etag(version int32) *string {
	s := store.ETag(version)
	return &s
}

// location is the Location header of a record just created: its id, a
// UUID or a model's version.
func location(collection string, id any) *string {
	s := fmt.Sprintf("/api/v1/%s/%v", collection, id)
	return &s
}

// ifMatch reads the If-Match a PATCH requires: 428 when it is absent,
// empty or "*" (which would skip the check optimistic concurrency exists
// for), 400 when it is not a list of entity tags.
func ifMatch(h *string) (store.Precondition, error) {
	switch {
	case h != nil && strings.TrimSpace(*h) == "*":
		return store.Precondition{}, &apperr.Error{Status: 428, Err: apperr.ErrPreconditionRequired,
			Detail: "If-Match: * is not accepted here: send the ETag from your last GET, so that a change made since is not overwritten"}
	case h != nil && strings.TrimSpace(*h) == "":
		h = nil // as good as none: the 428 that says one is required
	}
	p, err := optionalIfMatch(h)
	switch {
	case err != nil:
		return p, err
	case p.Any:
		return store.Precondition{}, &apperr.Error{Status: 428, Detail: apperr.ErrPreconditionRequired.Error(),
			Err: apperr.ErrPreconditionRequired}
	}
	return p, nil
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

// pageLimit applies the default page size.
func pageLimit(l *api.Limit) int32 {
	if l == nil {
		return 50
	}
	return int32(*l)
}

// apiTime is a time the server makes up (now, a default), written as the
// database writes the times it keeps: UTC, to the microsecond.
func apiTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// ceilMicro rounds a bound of a time window a client sent up to the
// microsecond, the database's resolution, in UTC: a moment stored at
// t.000000 is before t.0000005, and truncating the bound (as the driver
// does) would count it as at or after it.
func ceilMicro(t time.Time) time.Time {
	u := t.UTC().Truncate(time.Microsecond)
	if u.Before(t) {
		u = u.Add(time.Microsecond)
	}
	return u
}

// ceilMicroPtr is ceilMicro for an optional bound.
func ceilMicroPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := ceilMicro(*t)
	return &u
}
