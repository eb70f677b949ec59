package handlers

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/store"
)

// importIdleMargin is how much longer than the upload's own limit the
// database lets an import's transaction wait for it.
const importIdleMargin = 30 * time.Second

// ImportLeads imports a CSV body (admin only). The body streams from the
// request into the store's import: the whole file is one transaction, so a
// file that fails as a whole (see store.LeadImport) writes nothing. The
// validator has checked the Content-Type (415 otherwise); the body limit
// middleware caps the size (413).
func (h *Handlers) ImportLeads(ctx context.Context, req api.ImportLeadsRequestObject) (api.ImportLeadsResponseObject, error) {
	id, err := Admin(ctx)
	if err != nil {
		return nil, err
	}
	release, err := h.bulk.take()
	if err != nil {
		return nil, err
	}
	defer release()
	opts := store.ImportOptions{
		DryRun:        req.Params.DryRun != nil && *req.Params.DryRun,
		IgnoreOutcome: req.Params.Outcome != nil && *req.Params.Outcome == api.ImportLeadsParamsOutcomeIgnore,
		Source:        "an API upload",
	}
	if h.opts.ImportUploadTimeout > 0 {
		// This instance answers 408 first; the database's limit is for an
		// instance that cannot.
		opts.IdleLimit = h.opts.ImportUploadTimeout + importIdleMargin
	}
	body := &uploadBody{r: req.Body}
	if restart, ok := ctx.Value(uploadClockKey{}).(func()); ok {
		opts.OnTurn = func() {
			// A file read whole before the turn (the reader looks 64 KiB
			// ahead) has nothing left to time: net/http's own read, which
			// watches for a client leaving, would then run out of time
			// and cancel the import.
			if !body.eof.Load() {
				restart()
			}
		}
	}
	res, err := h.st.LeadImport(ctx, actor(id), body, opts)
	switch {
	case err != nil && body.timedOut.Load():
		// The server cancels the request once its read deadline passes, and
		// the import may fail of that first: the client is still there,
		// waiting for its 408.
		return nil, store.UploadTimedOut()
	case err != nil && body.broken.Load() && ctx.Err() == nil:
		// Malformed chunked encoding, or a body cut short: the client's
		// fault, and no failure of the server to alert on.
		return nil, apperr.BadRequest("", "the request body could not be read (it ended early, or its chunked encoding is malformed); nothing was imported")
	case err != nil:
		return nil, err
	}
	if h.opts.Imported != nil && !res.DryRun {
		h.opts.Imported(res)
	}
	rejected := res.Rejected[:min(len(res.Rejected), maxListedRejections)] // by line (store.LeadImport)
	out := api.ImportLeads200JSONResponse{
		Inserted: res.Inserted, Updated: res.Updated, Unchanged: res.Unchanged, DryRun: res.DryRun,
		Rejected: make([]api.ImportRejection, len(rejected)), RejectedRows: int64(res.RejectedRows()), Rows: int64(res.Rows),
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

// uploadClockKey carries, in an import's context, the function that
// restarts its upload's read deadline (WithUploadClock).
type uploadClockKey struct{}

// WithUploadClock gives an import the function that restarts its upload's
// clock, which it calls once it has its turn: time spent waiting for the
// imports before it does not count against the upload.
func WithUploadClock(ctx context.Context, restart func()) context.Context {
	return context.WithValue(ctx, uploadClockKey{}, restart)
}

// uploadBody records whether reading the upload reached its end, ran past
// its deadline or failed otherwise, other than by its size limit (the
// import may read it from another goroutine).
type uploadBody struct {
	r                     io.Reader
	eof, timedOut, broken atomic.Bool
}

func (b *uploadBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var (
		ne  net.Error
		mbe *http.MaxBytesError
	)
	switch {
	case err == nil:
	case err == io.EOF:
		b.eof.Store(true)
	case errors.As(err, &ne) && ne.Timeout():
		b.timedOut.Store(true)
	case !errors.As(err, &mbe):
		b.broken.Store(true)
	}
	return n, err
}
