package handlers

import (
	"context"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/store"
)

// ImportLeads imports a CSV body (admin only). The body streams from the
// request into the store's import: the whole file is one transaction, so a
// file that fails as a whole (see store.ImportLeads) writes nothing. The
// validator has checked the Content-Type (415 otherwise); the body limit
// middleware caps the size (413).
func (h *Handlers) ImportLeads(ctx context.Context, req api.ImportLeadsRequestObject) (api.ImportLeadsResponseObject, error) {
	id, err := Admin(ctx)
	if err != nil {
		return nil, err
	}
	opts := store.ImportOptions{
		DryRun:        req.Params.DryRun != nil && *req.Params.DryRun,
		IgnoreOutcome: req.Params.Outcome != nil && *req.Params.Outcome == api.ImportLeadsParamsOutcomeIgnore,
		Source:        "an API upload",
	}
	res, err := h.st.ImportLeads(ctx, actor(id), req.Body, opts)
	if err != nil {
		return nil, err
	}
	if h.opts.Imported != nil && !res.DryRun {
		h.opts.Imported(res)
	}
	rejected := res.Rejected[:min(len(res.Rejected), maxListedRejections)] // by line (store.ImportLeads)
	out := api.ImportLeads200JSONResponse{
		Inserted: res.Inserted, Updated: res.Updated, Unchanged: res.Unchanged, DryRun: res.DryRun,
		Rejected: make([]api.ImportRejection, len(rejected)), RejectedRows: int64(res.RejectedRows()),
	}
	for i, r := range rejected {
		out.Rejected[i] = api.ImportRejection{Line: r.Line, Field: r.Field, Message: r.Message}
	}
	return out, nil
}

// maxListedRejections bounds the problems an import's answer lists: a file
// wrong throughout (10,000 bad rows, each with a problem in every column)
// would make an answer of tens of megabytes.
const maxListedRejections = 1000
