package store

import (
	"context"
	"math"
	"slices"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/leadcsv"
)

// importRun is one import inside its transaction, phase by phase: stage
// the rows, lock what the upsert will change, check the staged rows against
// the leads, upsert, then finish (score, rank, events). Each phase reads
// what the earlier ones found.
type importRun struct {
	s     *Store
	tx    *Tx
	actor audit.Actor
	rd    *leadcsv.Reader
	opts  ImportOptions
	res   *ImportResult

	cols      []string
	anyInput  bool // the file has a scoring input column
	allInputs bool // the file has every scoring input column
	allScored bool // allInputs, and the staged scores are still the active model's (see check)
	setStatus bool // the file sets statuses (a status column, or y not ignored)

	model   *Active // the model the rows were scored with when read; nil: none active
	staged  stagedRows
	bulk    bool // see bulkImport
	adopted bool // a row named a lead by its id (ImportAdoptIDs)
	// superseded are the rows a later one replaced (see dropSuperseded).
	superseded superseded
}

func newImportRun(s *Store, tx *Tx, actor audit.Actor, rd *leadcsv.Reader, opts ImportOptions, res *ImportResult) *importRun {
	cols := rd.Columns()
	r := &importRun{s: s, tx: tx, actor: actor, rd: rd, opts: opts, res: res, cols: cols,
		setStatus: slices.Contains(cols, "status") || (slices.Contains(cols, "y") && !opts.IgnoreOutcome)}
	r.anyInput, r.allInputs = rd.ScoringInputs()
	return r
}

// stage waits for the import's turn and COPYs the valid rows into the
// staging table, new leads scored as they are read, with the model as this
// transaction sees it, so that each is written once.
func (r *importRun) stage(ctx context.Context) error {
	q := r.tx.Q
	limit := min(r.opts.IdleLimit.Milliseconds(), math.MaxInt32) // PostgreSQL's largest
	if err := q.ImportIdleLimit(ctx, limit); err != nil {
		return err
	}
	if err := lockStage(ctx, r.tx); err != nil {
		return err
	}
	if limit > 0 {
		if err := q.ImportStatementLimit(ctx, limit); err != nil {
			return err
		}
	}
	if r.opts.OnTurn != nil {
		r.opts.OnTurn()
	}
	a, scored, err := r.s.activeModel(ctx, q)
	if err != nil {
		return err
	}
	if scored {
		r.model = &a
	}
	if r.staged, err = stageRows(ctx, r.tx, r.rd, r.opts, r.model, r.res); err != nil {
		return err
	}
	return q.ImportLimitsBack(ctx)
}

// lock keeps other writers off what the upsert will change: a bulk
// import's table lock keeps every writer off; a smaller one locks the leads
// its rows name.
func (r *importRun) lock(ctx context.Context) (err error) {
	if err := r.tx.Q.ImportWriteLock(ctx); err != nil {
		return err
	}
	if r.bulk, err = bulkImport(ctx, r.tx, r.staged.rows); err != nil {
		return err
	}
	if r.bulk {
		return r.s.deferLeadRank(ctx, r.tx)
	}
	return lockNamedLeads(ctx, r.tx, r.staged.idRefs, r.setStatus)
}

// check rejects the staged rows the leads refuse (see stageRejections),
// drops scores a newer model or thresholds made stale, and leaves out the
// rows that would change nothing.
func (r *importRun) check(ctx context.Context) error {
	q := r.tx.Q
	// Adopted first, so that the checks find a lead named by its id as
	// they find any other.
	if r.staged.idRefs {
		a, err := q.ImportAdoptIDs(ctx)
		if err != nil {
			return err
		}
		r.adopted = a.Adopted > 0
	}
	var err error
	if r.superseded, err = dropSuperseded(ctx, r.tx, r.staged, r.res); err != nil {
		return err
	}
	if err := stageRejections(ctx, r.tx, r.setStatus, r.cols, r.staged, r.superseded, r.res); err != nil {
		return err
	}
	r.allScored = r.allInputs
	if r.model != nil {
		moved, err := dropStaleStagedScores(ctx, r.tx, *r.model)
		if err != nil {
			return err
		}
		r.allScored = r.allInputs && !moved
	}
	if r.adopted {
		if err := q.ImportAdoptRevert(ctx); err != nil {
			return err
		}
	}
	return q.ImportSkipUnchanged(ctx)
}

// upsert moves the staged rows into leads and counts what it did.
func (r *importRun) upsert(ctx context.Context) error {
	n, err := r.tx.Q.ImportUpsert(ctx, db.ImportUpsertParams{
		Columns: r.cols, SetStatus: r.setStatus, HasFeatures: r.anyInput, AllFeatures: r.allScored})
	if err != nil {
		return err
	}
	r.res.Inserted, r.res.Updated = n.Inserted, n.Updated
	if r.res.Unchanged, err = r.tx.Q.ImportUnchanged(ctx); err != nil {
		return err
	}
	if slices.Contains(r.cols, "version") {
		return r.refuseStale(ctx)
	}
	return nil
}

// refuseStale reports the rows the upsert refused because their lead had
// changed since the file gave its version: written, they would have undone
// that change unannounced, as a PATCH with that version would have (it gets
// 412). The leads such rows named by their id, refused or unchanged, give
// back the external_id they took.
func (r *importRun) refuseStale(ctx context.Context) error {
	stale, err := r.tx.Q.ImportStaleRows(ctx)
	if err != nil {
		return err
	}
	from := len(r.res.Rejected)
	for _, s := range stale {
		r.res.Rejected = append(r.res.Rejected, staleRow(s.Line, s.ExternalID, s.FileVersion, s.LeadVersion))
	}
	r.superseded.reword(r.res, r.res.Rejected[from:])
	if err := tooManyRejected(r.res.RejectedRows()); err != nil {
		return err
	}
	return r.tx.Q.ImportStaleRevert(ctx)
}

// finish scores the leads the upsert left unscored, rebuilds lead_rank
// after a bulk import, and writes the events.
func (r *importRun) finish(ctx context.Context) error {
	if err := r.s.scoreStaleTx(ctx, r.tx); err != nil {
		return err
	}
	if r.bulk {
		if err := rebuildLeadRank(ctx, r.tx); err != nil {
			return err
		}
	}
	// Last, with the import's own event: events written earlier would
	// hold the audit sealer back for the rest of the import.
	if err := leadEvents(ctx, r.tx, r.actor, r.res.ID); err != nil {
		return err
	}
	if err := r.tx.Q.ImportStageReset(ctx); err != nil {
		return err
	}
	return r.tx.Audit(ctx, importEvent(r.actor, r.opts, *r.res))
}
