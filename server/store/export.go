package store

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/leadcsv"
)

// LeadExport hands every live lead matching f, in order o, to fn, one at a
// time: the rows stream from the database as fn consumes them (one query,
// so one snapshot), and memory stays constant whatever the count. It stops
// at fn's first error and returns it; other errors are the database's,
// translated.
func (s *Store) LeadExport(ctx context.Context, f LeadFilter, o LeadSort, fn func(*leadcsv.ExportRow) error) error {
	if o == "" {
		o = SortProbabilityDesc
	}
	p := db.LeadExportParams{
		Statuses: f.Statuses, Categories: f.Categories, Jobs: f.Jobs,
		MinProbability: f.MinProbability, MaxProbability: f.MaxProbability,
		AssignedTo: f.AssignedTo, Unassigned: f.Unassigned, Q: likePattern(f.Q), Sort: string(o),
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
		l, err := pgx.RowToStructByPos[db.Lead](rows)
		if err != nil {
			return err
		}
		out = leadcsv.ExportRow{
			ID: l.ID.String(), ExternalID: l.ExternalID, Name: l.Name, Phone: l.Phone, Email: l.Email,
			Status: l.Status, Notes: l.Notes, Features: LeadFeatures(l),
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
