package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/server/audit"
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
	o := leadSort(p.Sort)
	format := leadcsv.FormatCSV
	if p.Format != nil {
		format = leadcsv.Format(*p.Format)
	}
	return exportResponse{ctx: ctx, st: h.st, log: h.log, slots: h.exports, stall: h.opts.ExportStall, exported: h.opts.Exported,
		head: isHead(ctx), actor: actor(id), userID: id.UserID, filter: f, sort: o, format: format,
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
	slots    *exportSlots                  // Handlers.exports
	stall    time.Duration                 // Options.ExportStall
	exported func(rows int, complete bool) // Options.Exported
	head     bool                          // a HEAD: the headers only, without running the export
	actor    audit.Actor
	userID   uuid.UUID
	filter   store.LeadFilter
	sort     store.LeadSort
	format   leadcsv.Format
	filename string
}

func (r exportResponse) VisitExportLeadsResponse(w http.ResponseWriter) error {
	if r.head {
		(&lazyCSV{w: w, filename: r.filename}).writeHeader()
		return nil
	}
	release, err := r.slots.take(r.userID)
	if err != nil {
		return err
	}
	defer release()
	lw := &lazyCSV{w: w, rc: http.NewResponseController(w), stall: r.stall, filename: r.filename}
	cw := leadcsv.NewWriter(lw, r.format)
	err = cw.WriteHeader()
	rows := 0
	if err == nil {
		err = r.st.LeadExport(r.ctx, r.actor, r.filter, r.sort, func(l *leadcsv.ExportRow) error {
			rows++
			return cw.Write(*l)
		})
	}
	if err == nil {
		err = cw.Flush()
	}
	if r.exported != nil && (err == nil || lw.started) { // one that never started was an error answer
		r.exported(rows, err == nil)
	}
	if err == nil || !lw.started {
		return err
	}
	level, msg := slog.LevelWarn, "export aborted after the response started"
	if lw.clientLeft(r.ctx, err) {
		level, msg = slog.LevelInfo, "export ended: the client went away"
	}
	r.log.Log(r.ctx, level, msg, "err", err, "rows", rows, "request_id", audit.MetaFrom(r.ctx).RequestID)
	panic(http.ErrAbortHandler)
}

// lazyCSV sends the status line and headers with the first bytes of the
// file.
type lazyCSV struct {
	w        http.ResponseWriter
	rc       *http.ResponseController
	stall    time.Duration // how long the client may take to accept a block
	filename string
	started  bool
	werr     error // the first failed write to the client
}

func (l *lazyCSV) Write(p []byte) (int, error) {
	// Per block, so a slow but steady download of a large file goes on.
	if l.stall > 0 {
		_ = l.rc.SetWriteDeadline(time.Now().Add(l.stall))
	}
	if !l.started {
		l.writeHeader()
	}
	n, err := l.w.Write(p)
	if err != nil && l.werr == nil {
		l.werr = err
	}
	return n, err
}

// clientLeft reports whether the export ended with err because its client
// hung up: a write its end refused (not the write deadline: a stall), or
// the request ended by net/http's plain cancel. The server stopping
// cancels with a cause of its own, and is no client's doing.
func (l *lazyCSV) clientLeft(ctx context.Context, err error) bool {
	if cause := context.Cause(ctx); cause != nil && cause != context.Canceled {
		return false
	}
	if l.werr != nil {
		return !errors.Is(l.werr, os.ErrDeadlineExceeded)
	}
	return errors.Is(err, context.Canceled)
}

// writeHeader sends the status line and the file's headers.
func (l *lazyCSV) writeHeader() {
	l.started = true
	h := l.w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename=%q`, l.filename))
	l.w.WriteHeader(http.StatusOK)
}

type headKey struct{}

// AsHead marks ctx as a HEAD request's, which the server shows to the
// handlers as its GET: the export then answers with its headers alone
// instead of running a query that may take minutes for a body nobody gets.
func AsHead(ctx context.Context) context.Context { return context.WithValue(ctx, headKey{}, true) }

func isHead(ctx context.Context) bool { v, _ := ctx.Value(headKey{}).(bool); return v }
