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
	// LoginOutcome, RefreshReused, Trained and Activated, when set, are
	// told of each login's outcome (LoginSucceeded, LoginFailed or
	// LoginThrottled; a server failure is none of them), each rotated
	// refresh token presented again, each model version trained and
	// stored, and each activation that changed the active model (training
	// with activate included), for the metrics.
	LoginOutcome  func(outcome string)
	RefreshReused func()
	Trained       func()
	Activated     func()
}

// The outcomes of a login, as Options.LoginOutcome is told them.
const (
	LoginSucceeded = "success"
	LoginFailed    = "failed"    // wrong e-mail or password, or a deactivated user
	LoginThrottled = "throttled" // too many failures (429)
)

// Handlers implements api.StrictServerInterface.
type Handlers struct {
	st      *store.Store
	iss     *auth.Issuer
	opts    Options
	log     *slog.Logger
	exports *exportSlots
	bulk    bulkSlots
	ready   readyLog
}

var _ api.StrictServerInterface = (*Handlers)(nil)

// New returns the handlers.
func New(st *store.Store, iss *auth.Issuer, opts Options, log *slog.Logger) *Handlers {
	return &Handlers{st: st, iss: iss, opts: opts, log: log, exports: newExportSlots(opts.ExportMaxConcurrent),
		bulk: make(bulkSlots, bulkMaxConcurrent)}
}

// tell calls a hook of Options, if it is set.
func (h *Handlers) tell(hook func()) {
	if hook != nil {
		hook()
	}
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

// location is the Location header of a record just created: its id, a
// UUID or a model's version.
func location(collection string, id any) *string {
	s := fmt.Sprintf("/api/v1/%s/%v", collection, id)
	return &s
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
