package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/leadcsv"
	"github.com/jmksales/jmk/server/scoring"
)

// importBatch is how many rows are staged per COPY: memory stays bounded by
// one batch whatever the file size.
const importBatch = 10000

// maxImportReports is the most rejected rows an import reports: one with
// more, whether the reader found them (leadcsv) or the checks after
// staging (repeated or deleted external ids, workflow), is refused whole.
const maxImportReports = 10000

// reportLimit is what the checks after staging ask for: one row past the
// limit tells that it was passed.
const reportLimit = maxImportReports + 1

// tooManyRejected refuses a file once its rejected rows (n) pass the limit.
func tooManyRejected(n int) error {
	if n <= maxImportReports {
		return nil
	}
	return importError(&leadcsv.FileError{Err: leadcsv.ErrTooManyRejections,
		Detail: fmt.Sprintf("more than %d rows rejected", maxImportReports)})
}

// ImportOptions tune LeadImport.
type ImportOptions struct {
	// DryRun does everything, the upsert included, and then rolls back:
	// the counts are exactly what a real import would do, nothing is kept.
	DryRun bool
	// IgnoreOutcome imports rows with UCI's y as open leads. A status
	// column (as in an export) is the lead's state, not an outcome, and is
	// honoured either way.
	IgnoreOutcome bool
	// Source names the file in the audit summary ("leads.csv", "an API
	// upload").
	Source string
	// OnTurn, when set, is called once the import has its turn (imports
	// run one at a time), before it reads the rows: the API restarts the
	// upload's clock there, so that waiting for the turn does not count.
	OnTurn func()
	// Amend, when set, sees every valid row before it is staged and may set
	// what a CSV file cannot say. The demo seed uses it.
	Amend func(*ImportLead)
	// IdleLimit bounds each wait for the file while it is staged, and each
	// statement from the import's turn until the file is staged (0: no
	// bound; at most about 24 days). Past it, PostgreSQL ends the
	// transaction: an instance frozen mid-upload would otherwise hold the
	// import's turn, on every instance, until TCP noticed, hours later.
	IdleLimit time.Duration
}

// ImportLead is one valid row on its way into leads.
type ImportLead struct {
	leadcsv.Row
	// Status is the status the row gets: the file's status, else success
	// or failed from y (unless the outcome is ignored), else new.
	Status string
	// AssignedTo assigns the lead (nil: unassigned, or unchanged on update).
	AssignedTo *uuid.UUID
	// ClosedAt is when a success or failed lead was closed (nil: now).
	ClosedAt *time.Time
	// CreatedAt backdates a new lead (nil: now).
	CreatedAt *time.Time
}

// ImportResult is what an import did, or would do for a dry run.
type ImportResult struct {
	// ID identifies the import in the audit trail (entity_type "import").
	ID       uuid.UUID
	Inserted int64
	Updated  int64
	// Unchanged counts rows naming a lead that already held their values:
	// it is left as it was, version included.
	Unchanged int64
	// Rows counts the data rows read, valid or not.
	Rows     int
	Rejected []leadcsv.Rejection
	DryRun   bool
}

// RejectedRows counts the rows rejected (a row may have several problems).
func (r ImportResult) RejectedRows() int {
	lines := make(map[int]struct{}, len(r.Rejected))
	for _, j := range r.Rejected {
		lines[j.Line] = struct{}{}
	}
	return len(lines)
}

// errDryRun rolls a dry run back.
var errDryRun = errors.New("dry run")

// LeadImport reads a lead CSV file (see package leadcsv) and imports it in
// one transaction: the valid rows are COPYed into a staging table, then
// moved into leads by one upsert on external_id (queries/import.sql), the
// new leads are scored when a model is active, each existing lead it
// changed gets a "lead.update" event listing the changes, and one audit
// event "import.leads" summarises it all. A row without external_id is
// always a new lead; a row whose external_id is the id of a live lead
// without one (as an export writes such a lead) updates that lead. Rows are
// rejected, and reported with the reader's own rejections, when their
// external_id comes again later in the file (the last one wins) or belongs
// to a deleted lead (deleted leads stay deleted), or when they would create
// a lead out of nothing (ImportStageDropBare). Imports run one at a time
// (the staging table's lock). A bulk import (see bulkImport) also holds
// other writers to leads off until it ends.
//
// Errors, with nothing written: a 422 apperr for a header the reader
// refuses or for a *leadcsv.FileError (binary content, a runaway record,
// too many bad rows); a 413 apperr when the body is over its
// http.MaxBytesReader limit; a 422 apperr when a value breaks a database
// constraint; the reader's own error otherwise.
func (s *Store) LeadImport(ctx context.Context, actor audit.Actor, r io.Reader, opts ImportOptions) (ImportResult, error) {
	res := ImportResult{ID: newID(), DryRun: opts.DryRun, Rejected: []leadcsv.Rejection{}}
	rd, err := leadcsv.NewReader(r, leadcsv.Options{IgnoreOutcome: opts.IgnoreOutcome, MaxRejectedRows: maxImportReports})
	if err != nil {
		return res, importError(err)
	}
	err = s.InTx(ctx, func(tx *Tx) error {
		run := newImportRun(s, tx, actor, rd, opts, &res)
		for _, phase := range []func(context.Context) error{run.stage, run.lock, run.check, run.upsert} {
			if err := phase(ctx); err != nil {
				return err
			}
		}
		if opts.DryRun {
			return errDryRun
		}
		return run.finish(ctx)
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	if err != nil {
		return ImportResult{}, err
	}
	if !opts.DryRun {
		s.analyzeAfterBulk(res.Inserted + res.Updated)
	}
	slices.SortStableFunc(res.Rejected, func(a, b leadcsv.Rejection) int { return a.Line - b.Line })
	return res, nil
}

// dropStaleStagedScores clears the staged rows' scores when the active
// model or the thresholds are no longer those they were scored with: an
// activation or a change of thresholds does not wait for an import that is
// still reading its file, and written over the leads it had just re-scored,
// the old scores would give each lead a new version, and count it as
// updated, with no change to show in an event. From here on the import's
// lock on leads keeps the next such change waiting until it commits, so
// what is read here holds. The upsert then treats the file as one with only
// some scoring inputs: a lead whose inputs did not change keeps its score,
// and the import's scoring pass scores the rest. Reports whether it moved.
func dropStaleStagedScores(ctx context.Context, tx *Tx, staged Active) (bool, error) {
	st, err := tx.Q.ScoringState(ctx)
	if err != nil {
		return false, err
	}
	if st.Version == staged.Version && (scoring.Thresholds{Hot: st.Hot, Warm: st.Warm}) == staged.Thresholds {
		return false, nil
	}
	return true, tx.Q.ImportStageUnscore(ctx)
}

// bulkImportMin is the fewest staged rows that can make an import bulk.
const bulkImportMin = 10000

// bulkImport decides whether an import of staged rows is bulk: at least
// bulkImportMin rows and at least as many as there are live leads. Its new
// leads then reach lead_rank by one rebuild at the end instead of through
// the insert trigger: a million new rows took 45-47 s that way against
// 53-55 s (the upsert about 17 s shorter, the rebuild about 11 s). The
// price is deferLeadRank's lock: other writers to leads wait for the import
// to end (readers go on), which is why smaller imports, and imports into a
// larger table, keep the triggers.
func bulkImport(ctx context.Context, tx *Tx, staged int64) (bool, error) {
	if staged < bulkImportMin {
		return false, nil
	}
	// The dashboard's running totals count the live leads cheaply.
	sum, err := tx.Q.StatsSummary(ctx, db.StatsSummaryParams{})
	return staged >= sum.Total, err
}
