package handlers

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/leadcsv"
	"github.com/jmksales/jmk/server/store"
)

// ExportLeads streams the leads matching the list's filters as a CSV file
// (see leadcsv.Writer), straight from a database cursor to the client.
func (h *Handlers) ExportLeads(ctx context.Context, req api.ExportLeadsRequestObject) (api.ExportLeadsResponseObject, error) {
	id, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	p := req.Params
	f, err := leadFilter(id.UserID, p.Status, p.Category, p.Job, p.MinProbability, p.MaxProbability, p.AssignedTo, p.Q)
	if err != nil {
		return nil, err
	}
	o := store.SortProbabilityDesc
	if p.Sort != nil {
		o = store.LeadSort(*p.Sort)
	}
	return exportResponse{ctx: ctx, st: h.st, log: h.log, filter: f, sort: o,
		filename: "leads-" + time.Now().UTC().Format("20060102-150405") + ".csv"}, nil
}

// exportResponse writes the CSV as the rows arrive, where the generated
// ExportLeads200TextcsvResponse would want the whole body as a reader.
//
// Nothing is sent before the first block of output is ready, so a failure
// before that (the query itself, say) still becomes a problem+json answer.
// A failure after the 200 and part of the file are out cannot change the
// status any more: the connection is then aborted (http.ErrAbortHandler),
// which the client sees as a failed download (no final chunk), never as a
// complete but short file.
type exportResponse struct {
	ctx      context.Context
	st       *store.Store
	log      *slog.Logger
	filter   store.LeadFilter
	sort     store.LeadSort
	filename string
}

func (r exportResponse) VisitExportLeadsResponse(w http.ResponseWriter) error {
	lw := &lazyCSV{w: w, filename: r.filename}
	cw := leadcsv.NewWriter(lw)
	err := cw.WriteHeader()
	rows := 0
	if err == nil {
		err = r.st.LeadExport(r.ctx, r.filter, r.sort, func(l *leadcsv.ExportRow) error {
			rows++
			return cw.Write(*l)
		})
	}
	if err == nil {
		err = cw.Flush()
	}
	if err == nil || !lw.started {
		return err
	}
	r.log.WarnContext(r.ctx, "export aborted after the response started", "err", err, "rows", rows)
	panic(http.ErrAbortHandler)
}

// lazyCSV sends the status line and headers with the first bytes of the
// file.
type lazyCSV struct {
	w        http.ResponseWriter
	filename string
	started  bool
}

func (l *lazyCSV) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		h := l.w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename=%q`, l.filename))
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}
