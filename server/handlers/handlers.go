// Package handlers implements the generated strict server interface. Each
// file serves one resource; handlers stay short: check who may do what, map
// API types to store calls, map results back. Expected failures are returned
// as apperr errors and rendered as problem+json by the server's one error
// handler.
package handlers

import (
	"context"
	"log/slog"
	"strconv"
	"strings"

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
}

// Handlers implements api.StrictServerInterface.
type Handlers struct {
	st   *store.Store
	iss  *auth.Issuer
	opts Options
	log  *slog.Logger
}

var _ api.StrictServerInterface = (*Handlers)(nil)

// New returns the handlers.
func New(st *store.Store, iss *auth.Issuer, opts Options, log *slog.Logger) *Handlers {
	return &Handlers{st: st, iss: iss, opts: opts, log: log}
}

// caller returns the authenticated identity; the validator has already
// refused requests without one on secured routes, so a missing identity here
// is a 401 all the same rather than a panic.
func caller(ctx context.Context) (auth.Identity, error) {
	id, ok := auth.FromContext(ctx)
	if !ok {
		return auth.Identity{}, apperr.Unauthorized("a valid bearer access token is required")
	}
	return id, nil
}

// admin returns the caller when they are an admin, else a 403.
func admin(ctx context.Context) (auth.Identity, error) {
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

// etag renders a version as a strong entity tag.
func etag(version int32) *string {
	s := `"` + strconv.Itoa(int(version)) + `"`
	return &s
}

// ifMatch parses If-Match into a version: 428 when absent (or "*", which
// would skip the check optimistic concurrency exists for), 412 when it is
// weak or not one of our tags (it can then never match).
func ifMatch(h *string) (int32, error) {
	v := ""
	if h != nil {
		v = strings.TrimSpace(*h)
	}
	if v == "" || v == "*" {
		return 0, &apperr.Error{Status: 428, Detail: apperr.ErrPreconditionRequired.Error(), Err: apperr.ErrPreconditionRequired}
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(v, `"`), `"`), 10, 32)
	if err != nil || !strings.HasPrefix(v, `"`) {
		return 0, &apperr.Error{Status: 412, Detail: "If-Match does not match the current version", Err: apperr.ErrStale}
	}
	return int32(n), nil
}

// pageLimit applies the default page size.
func pageLimit(l *api.Limit) int32 {
	if l == nil {
		return 50
	}
	return int32(*l)
}
