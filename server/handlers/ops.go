package handlers

import (
	"context"
	"time"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/apperr"
)

// GetHealthz answers while the process runs.
func (h *Handlers) GetHealthz(ctx context.Context, _ api.GetHealthzRequestObject) (api.GetHealthzResponseObject, error) {
	return api.GetHealthz200JSONResponse{Status: "ok"}, nil
}

// GetReadyz answers 200 only when the database answers within a second.
func (h *Handlers) GetReadyz(ctx context.Context, _ api.GetReadyzRequestObject) (api.GetReadyzResponseObject, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := h.st.Pool().Ping(ctx); err != nil {
		h.log.WarnContext(ctx, "readiness check failed", "err", err)
		return nil, apperr.New(503, "the database is not reachable")
	}
	return api.GetReadyz200JSONResponse{Status: "ok"}, nil
}
