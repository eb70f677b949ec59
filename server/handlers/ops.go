package handlers

import (
	"context"
	"errors"
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

// GetReadyz answers 200 only when the database answers within a second and
// has every migration this server needs.
func (h *Handlers) GetReadyz(ctx context.Context, _ api.GetReadyzRequestObject) (api.GetReadyzResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	err := h.st.Ready(ctx)
	if err == nil {
		return api.GetReadyz200JSONResponse{Status: "ok"}, nil
	}
	h.log.WarnContext(ctx, "readiness check failed", "err", err, "request_id", audit.MetaFrom(ctx).RequestID)
	// The two known causes say what to do; anything else stays internal.
	if busy := (store.PoolBusyError{}); errors.Is(err, store.ErrSchemaBehind) || errors.As(err, &busy) {
		return nil, apperr.New(503, "%s", err.Error())
	}
	return nil, apperr.New(503, "the database is not reachable")
}
