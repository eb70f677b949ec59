package store

// The checks between staging and the upsert: the rows refused, the leads
// locked, the staging tables' lock.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/leadcsv"
	"github.com/jmksales/jmk/server/leadrules"
)

// dropBeforeRejected takes out of the stage, and reports, the rows whose
// external_id comes again on a later row that was rejected: that row, the
// last, was the one to import, and an earlier one must not be imported in
// its place unannounced.
func dropBeforeRejected(ctx context.Context, tx *Tx, rejected map[string]int32, res *ImportResult) error {
	if len(rejected) == 0 {
		return nil
	}
	p := db.ImportStageDropBeforeRejectedParams{Lim: reportLimit}
	for id, line := range rejected {
		p.ExternalIds, p.Lines = append(p.ExternalIds, id), append(p.Lines, line)
	}
	gone, err := tx.Q.ImportStageDropBeforeRejected(ctx, p)
	for _, g := range gone {
		res.Rejected = append(res.Rejected, leadcsv.Rejection{Line: int(g.Line), Field: "external_id", Message: fmt.Sprintf(
			"external_id %q comes again on line %d, which is rejected; only the last row with it counts, so neither is imported",
			g.ExternalID, rejected[g.ExternalID])})
	}
	return err
}

// lockNamedLeads locks the leads the staged rows name before anything of
// theirs is read (status, name): an edit committed after such a read would
// otherwise be overwritten by the upsert with the value read, a PATCH
// answered 200 silently undone. The table lock first, as an editor takes it
// (see LeadsWriteIntent); then, for a file that sets statuses, the sellers
// of the closed leads it may reopen (ImportStageLockSellers), as a
// deactivation locks its user before their leads; then the rows in one
// statement, in id order.
func lockNamedLeads(ctx context.Context, tx *Tx, idRefs, setStatus bool) error {
	if err := tx.Q.LeadsWriteIntent(ctx); err != nil {
		return err
	}
	if setStatus {
		if err := tx.Q.ImportStageLockSellers(ctx); err != nil {
			return err
		}
	}
	if idRefs {
		return tx.Q.ImportStageLockLeadsAndIDRefs(ctx)
	}
	return tx.Q.ImportStageLockLeads(ctx)
}

// superseded are the rows a later row with their external_id replaced,
// whose rejections start at res.Rejected[first].
type superseded struct {
	first int
	rows  []db.ImportStageDropSupersededRow
}

// reword tells the superseded rows whose later row is among refused that
// they are not imported either.
func (sup superseded) reword(res *ImportResult, refused []leadcsv.Rejection) {
	lines := map[int]bool{}
	for _, r := range refused {
		lines[r.Line] = true
	}
	for i, d := range sup.rows {
		if lines[int(d.LastLine)] {
			res.Rejected[sup.first+i].Message = fmt.Sprintf("external_id %q comes again on line %d, which is rejected; "+
				"only the last row with it counts, so neither is imported", d.ExternalID, d.LastLine)
		}
	}
}

// dropSuperseded takes the rows superseded by a later row with their
// external_id out of the stage, and reports them.
func dropSuperseded(ctx context.Context, tx *Tx, staged stagedRows, res *ImportResult) (superseded, error) {
	sup := superseded{first: len(res.Rejected)}
	if !staged.repeats {
		return sup, nil
	}
	var err error
	if sup.rows, err = tx.Q.ImportStageDropSuperseded(ctx, reportLimit); err != nil {
		return sup, err
	}
	for _, d := range sup.rows {
		res.Rejected = append(res.Rejected, leadcsv.Rejection{Line: int(d.Line), Field: "external_id", Message: fmt.Sprintf(
			"external_id %q comes again on line %d; only the last row with it is imported", d.ExternalID, d.LastLine)})
	}
	return sup, nil
}

// stageRejections reports the other staged rows the upsert will skip (sup:
// the superseded ones, which dropSuperseded has taken out).
func stageRejections(ctx context.Context, tx *Tx, setStatus bool, cols []string, staged stagedRows, sup superseded, res *ImportResult) error {
	if err := dropBeforeRejected(ctx, tx, staged.rejectedIDs, res); err != nil {
		return err
	}
	if err := tooManyRejected(res.RejectedRows()); err != nil {
		return err
	}
	gone, err := tx.Q.ImportStageDeleted(ctx, reportLimit)
	if err != nil {
		return err
	}
	for _, d := range gone {
		res.Rejected = append(res.Rejected, deletedLead(d.Line, d.ExternalID))
	}
	if err := tooManyRejected(res.RejectedRows()); err != nil {
		return err
	}
	if staged.idRefs {
		byID, err := tx.Q.ImportStageDropForeignIDs(ctx, reportLimit)
		if err != nil {
			return err
		}
		for _, d := range byID {
			if d.Deleted {
				res.Rejected = append(res.Rejected, deletedLead(d.Line, d.ExternalID))
				continue
			}
			res.Rejected = append(res.Rejected, leadcsv.Rejection{Line: int(d.Line), Field: "external_id", Message: fmt.Sprintf(
				"external_id %q is the id of the lead with external_id %q; name it by that", d.ExternalID, *d.LeadExternalID)})
		}
		if err := tooManyRejected(res.RejectedRows()); err != nil {
			return err
		}
	}
	// After the rows naming a lead by its id are settled: adopted, or
	// refused with their own reason.
	if staged.bare {
		bare, err := tx.Q.ImportStageDropBare(ctx, reportLimit)
		if err != nil {
			return err
		}
		for _, b := range bare {
			r := leadcsv.Rejection{Line: int(b.Line),
				Message: "the row has nothing to make a lead of: no name, phone, e-mail or scoring input"}
			if b.ExternalID != nil {
				r.Field, r.Message = "external_id", fmt.Sprintf(
					"no lead has external_id %q, and the row has no name, phone, e-mail or scoring input to create one with", *b.ExternalID)
			}
			res.Rejected = append(res.Rejected, r)
		}
		if err := tooManyRejected(res.RejectedRows()); err != nil {
			return err
		}
	}
	if setStatus {
		if err := stageWorkflow(ctx, tx, staged.statusDefaults, res); err != nil {
			return err
		}
	}
	if err := stagePreviousCampaign(ctx, tx, cols, res); err != nil {
		return err
	}
	// A superseding row the checks above refused imports nothing either.
	sup.reword(res, res.Rejected[sup.first+len(sup.rows):])
	return nil
}

// staleRow is the rejection of a row whose lead has changed since the file
// gave its version.
func staleRow(line int32, externalID string, fileVersion, leadVersion int32) leadcsv.Rejection {
	return leadcsv.Rejection{Line: int(line), Field: "version", Message: fmt.Sprintf(
		"lead %q has changed since this file was exported (version %d in the file, %d now): export it again and redo the row, or leave the version column out to overwrite the lead",
		externalID, fileVersion, leadVersion)}
}

func deletedLead(line int32, externalID string) leadcsv.Rejection {
	return leadcsv.Rejection{Line: int(line), Field: "external_id", Message: fmt.Sprintf(
		"external_id %q belongs to a deleted lead; deleted leads are not imported again", externalID)}
}

// stageWorkflow refuses the staged rows that would move their lead to a
// status the workflow does not allow, even an admin (a closed lead back to
// new, say: re-importing an old file would reopen it), naming the column
// the row's status came from: y when its status cell was empty or absent
// and y decided, status otherwise. An import is an admin's change, so an
// admin's rules apply.
func stageWorkflow(ctx context.Context, tx *Tx, statusDefaults bool, res *ImportResult) error {
	// Under lockNamedLeads' row locks, so that the status kept is the
	// lead's own until the upsert writes it back.
	if statusDefaults {
		if err := tx.Q.ImportStageKeepStatus(ctx); err != nil {
			return err
		}
	}
	moves, err := tx.Q.ImportStageStatusMoves(ctx)
	if err != nil {
		return err
	}
	var refused []int32
	rejected := res.RejectedRows() // other lines than the staged rows'
	for _, m := range moves {
		var ae *apperr.Error
		if err := leadrules.CheckTransition(m.FromStatus, m.ToStatus, true); errors.As(err, &ae) {
			refused = append(refused, m.Line)
			if err := tooManyRejected(rejected + len(refused)); err != nil {
				return err
			}
			// From a file exported before the lead moved on (a seller
			// logged a call), the status is the file's old one: the row
			// is stale, which says what to do.
			if m.FileVersion != nil && *m.FileVersion != m.LeadVersion {
				res.Rejected = append(res.Rejected, staleRow(m.Line, m.ExternalID, *m.FileVersion, m.LeadVersion))
				continue
			}
			field := "status"
			if m.StatusFromY {
				field = "y"
			}
			res.Rejected = append(res.Rejected, leadcsv.Rejection{Line: int(m.Line), Field: field,
				Message: fmt.Sprintf("lead %q: %s", m.ExternalID, ae.Detail)})
		}
	}
	if len(refused) == 0 {
		return nil
	}
	return tx.Q.ImportStageDrop(ctx, refused)
}

// stageLockWait bounds an import's wait for its staging tables once it is
// the import whose turn it is: only a backup (pg_dump reads every table) or
// other maintenance can then be holding them, and it may take hours.
const stageLockWait = "5s"

// lockStage waits for the imports ahead (for as long as they take), then
// empties the staging tables, taking their locks until the transaction
// ends. A backup still holding them after stageLockWait is a 503, rather
// than an import that hangs until the dump is over.
func lockStage(ctx context.Context, tx *Tx) error {
	if err := tx.Q.ImportSerialize(ctx); err != nil {
		return err
	}
	if err := tx.Q.ImportStageLockWait(ctx, stageLockWait); err != nil {
		return err
	}
	err := tx.Q.ImportStageReset(ctx)
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "55P03" { // lock_not_available
		return &apperr.Error{Status: http.StatusServiceUnavailable, RetryAfter: 60,
			Detail: "a backup or other maintenance is reading the import's staging tables; nothing was imported: try again once it has finished"}
	}
	if err != nil {
		return err
	}
	return tx.Q.ImportStageLockWaitEnd(ctx)
}

// stagePreviousCampaign refuses the staged rows whose previous-campaign
// inputs, the lead's stored ones standing in for the columns the file
// lacks, contradict one another, as a PATCH with the same change would be.
// A file without any of the three columns changes none of them.
func stagePreviousCampaign(ctx context.Context, tx *Tx, cols []string, res *ImportResult) error {
	if !slices.ContainsFunc(leadrules.PreviousCampaignFields, func(c string) bool { return slices.Contains(cols, c) }) {
		return nil
	}
	rejected := res.RejectedRows()
	rows, err := tx.Q.ImportStagePreviousCampaign(ctx, db.ImportStagePreviousCampaignParams{
		Columns: cols, Lim: int32(reportLimit - rejected)})
	if err != nil {
		return err
	}
	pick := func(col string, r db.ImportStagePreviousCampaignRow) bool {
		return r.NewLead || slices.Contains(cols, col)
	}
	var refused []int32
	for _, r := range rows {
		outcome, contacts, days := r.StoredOutcome, r.StoredContacts, r.StoredDays
		if pick("previous_outcome", r) {
			outcome = r.PreviousOutcome
		}
		if pick("previous_contacts", r) {
			contacts = r.PreviousContacts
		}
		if pick("days_since_previous_contact", r) {
			days = r.DaysSincePreviousContact
		}
		problems := leadrules.PreviousCampaignProblems(outcome, contacts, days)
		if problems == nil {
			continue
		}
		refused = append(refused, r.Line)
		if err := tooManyRejected(rejected + len(refused)); err != nil {
			return err
		}
		for _, p := range problems {
			res.Rejected = append(res.Rejected, leadcsv.Rejection{Line: int(r.Line), Field: p.Field, Message: p.Message})
		}
	}
	if len(refused) == 0 {
		return nil
	}
	return tx.Q.ImportStageDrop(ctx, refused)
}
