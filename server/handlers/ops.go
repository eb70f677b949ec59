package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/store"
)

// GetHealthz answers while the process runs.
func (h *Handlers) GetHealthz(ctx context.Context, _ api.GetHealthzRequestObject) (api.GetHealthzResponseObject, error) {
	return api.GetHealthz200JSONResponse{Status: "ok"}, nil
}

// readyRetryAfter is the Retry-After, in seconds, of a 503 from /readyz.
const readyRetryAfter = 5

// GetReadyz answers 200 only when the server is not stopping and the
// database answers within a second and has every migration it needs.
func (h *Handlers) GetReadyz(ctx context.Context, _ api.GetReadyzRequestObject) (api.GetReadyzResponseObject, error) {
	if h.opts.Draining != nil && h.opts.Draining() {
		return nil, &apperr.Error{Status: http.StatusServiceUnavailable, RetryAfter: readyRetryAfter,
			Detail: "the server is shutting down; requests are still served until it stops accepting them"}
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err := h.st.Ready(ctx)
	if err == nil {
		if h.ready.passed() {
			h.log.InfoContext(ctx, "readiness check passes again")
		}
		return api.GetReadyz200JSONResponse{Status: "ok"}, nil
	}
	if log, unlogged := h.ready.failed(time.Now()); log {
		h.log.WarnContext(ctx, "readiness check failed", "err", err, "request_id", audit.MetaFrom(ctx).RequestID,
			"failed_unlogged", unlogged)
	}
	// The two known causes say what to do; anything else stays internal.
	detail := "the database is not reachable"
	if busy := (store.PoolBusyError{}); errors.Is(err, store.ErrSchemaBehind) || errors.Is(err, store.ErrSchemaAhead) || errors.As(err, &busy) {
		detail = err.Error()
	}
	// As every other 503, with when to look again.
	return nil, &apperr.Error{Status: http.StatusServiceUnavailable, Detail: detail, RetryAfter: readyRetryAfter}
}
