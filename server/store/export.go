package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/leadcsv"
)

// LeadExport hands every live lead matching f, in order o, to fn, one at a
// time: the rows stream from the database as fn consumes them (one query,
// so one snapshot), and memory stays constant whatever the count. It stops
// at fn's first error and returns it; other errors are the database's,
// translated.
//
// First it records the export in the audit trail (who, which filters) and
// commits that: a download of the clients' data is worth knowing about even
// when it is cut short, and an export the trail cannot record does not run.
func (s *Store) LeadExport(ctx context.Context, actor audit.Actor, f LeadFilter, o LeadSort, fn func(*leadcsv.ExportRow) error) error {
	if o == "" {
		o = SortProbabilityDesc
	}
	if err := s.InTx(ctx, func(tx *Tx) error { return tx.Audit(ctx, exportEvent(actor, f, o)) }); err != nil {
		return err
	}
	p := db.LeadExportParams{
		Statuses: f.Statuses, Categories: f.Categories, Jobs: f.Jobs,
		MinProbability: f.MinProbability, MaxProbability: f.MaxProbability,
		AssignedTo: f.AssignedTo, Unassigned: f.Unassigned, Q: leadSearch(f.Q), Sort: string(o),
	}
	sql, args := captureQuery(func(q *db.Queries) error { _, err := q.LeadExport(ctx, p); return err })
	if sql == "" {
		return errors.New("store: the export query was not captured")
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	var out leadcsv.ExportRow
	for rows.Next() {
		// db.LeadExportRow names its embedded lead, which pgx would take
		// for one column; an anonymous one it reads field by field.
		r, err := pgx.RowToStructByPos[struct {
			db.Lead
			AssignedToName *string
		}](rows)
		if err != nil {
			return translate(err)
		}
		l := r.Lead
		var assignedTo *string
		if l.AssignedTo != nil {
			s := l.AssignedTo.String()
			assignedTo = &s
		}
		out = leadcsv.ExportRow{
			ID: l.ID.String(), ExternalID: l.ExternalID, Name: l.Name, Phone: l.Phone, Email: l.Email,
			Status: l.Status, Notes: l.Notes, Features: leadFeatures(l),
			Probability: l.Probability, Category: l.Category,
			AssignedToName: r.AssignedToName, AssignedTo: assignedTo, ContactCount: l.ContactCount, LastContactedAt: l.LastContactedAt, CreatedAt: l.CreatedAt,
			ClosedAt: l.ClosedAt, Version: l.Version,
		}
		if err := fn(&out); err != nil {
			return err
		}
	}
	return translate(rows.Err())
}

// captureQuery returns the SQL text and arguments a generated :many query
// method sends, without running it: call runs the method on Queries over a
// recorder that answers its Query with an error. The caller then runs the
// query itself and streams the rows, where the generated method would
// collect them all in a slice. The text stays sqlc's, checked against the
// schema, and the arguments stay in sqlc's order.
func captureQuery(call func(*db.Queries) error) (string, []any) {
	var r queryRecorder
	_ = call(db.New(&r))
	return r.sql, r.args
}

var errRecorded = errors.New("store: query recorded, not run")

type queryRecorder struct {
	sql  string
	args []any
}

func (r *queryRecorder) Query(_ context.Context, sql string, args ...any) (pgx.Rows, error) {
	r.sql, r.args = sql, args
	return nil, errRecorded
}

func (r *queryRecorder) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, errRecorded
}

func (r *queryRecorder) QueryRow(context.Context, string, ...any) pgx.Row { return errRow{} }

func (r *queryRecorder) CopyFrom(context.Context, pgx.Identifier, []string, pgx.CopyFromSource) (int64, error) {
	return 0, errRecorded
}

type errRow struct{}

func (errRow) Scan(...any) error { return errRecorded }

// exportEvent is an export's audit event: its filters and order, as the
// request gave them. The row count is not known until the download ends.
func exportEvent(actor audit.Actor, f LeadFilter, o LeadSort) audit.Event {
	filters := map[string]any{}
	set := func(name string, v any, ok bool) {
		if ok {
			filters[name] = v
		}
	}
	set("status", f.Statuses, len(f.Statuses) > 0)
	set("category", f.Categories, len(f.Categories) > 0)
	set("job", f.Jobs, len(f.Jobs) > 0)
	set("min_probability", f.MinProbability, f.MinProbability != nil)
	set("max_probability", f.MaxProbability, f.MaxProbability != nil)
	set("assigned_to", f.AssignedTo, f.AssignedTo != nil)
	set("assigned_to", "none", f.Unassigned)
	set("q", f.Q, f.Q != nil)
	which := "all leads"
	if len(filters) > 0 {
		which = "the leads matching a filter"
	}
	return audit.Event{
		Actor: actor, Action: "export.leads", EntityType: "export", EntityID: newID().String(),
		Summary: fmt.Sprintf("%s exported %s", actor.Name, which),
		Changes: map[string]audit.Change{"filters": {To: filters}, "sort": {To: string(o)}},
	}
}
