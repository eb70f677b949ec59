package store

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/leadcsv"
	"github.com/jmksales/jmk/server/leadrules"
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

// ImportOptions tune ImportLeads.
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

// ImportLeads reads a lead CSV file (see package leadcsv) and imports it in
// one transaction: the valid rows are COPYed into a staging table, then
// moved into leads by one upsert on external_id (queries/import.sql), the
// new leads are scored when a model is active, each existing lead it
// changed gets a "lead.update" event listing the changes, and one audit
// event "import.leads" summarises it all. A row without external_id is always a
// new lead; a row whose external_id is the id of a live lead without one (as
// an export writes such a lead) updates that lead. Rows are rejected, and reported with the reader's own
// rejections, when their external_id comes again later in the file (the
// last one wins) or belongs to a deleted lead (deleted leads stay deleted),
// or when they would create a lead out of nothing (ImportStageDropBare).
// Imports run one at a time (the staging table's lock). A bulk import (see
// bulkImport) also holds other writers to leads off until it ends.
//
// Errors, with nothing written: a 422 apperr for a header the reader
// refuses or for a *leadcsv.FileError (binary content, a runaway record,
// too many bad rows); a 413 apperr when the body is over its
// http.MaxBytesReader limit; a 422 apperr when a value breaks a database
// constraint; the reader's own error otherwise.
func (s *Store) ImportLeads(ctx context.Context, actor audit.Actor, r io.Reader, opts ImportOptions) (ImportResult, error) {
	res := ImportResult{DryRun: opts.DryRun, Rejected: []leadcsv.Rejection{}}
	var err error
	if res.ID, err = uuid.NewV7(); err != nil {
		return res, err
	}
	rd, err := leadcsv.NewReader(r, leadcsv.Options{IgnoreOutcome: opts.IgnoreOutcome})
	if err != nil {
		return res, importError(err)
	}
	cols := rd.Columns()
	anyInput, allInputs := rd.ScoringInputs()
	setStatus := slices.Contains(cols, "status") || (slices.Contains(cols, "y") && !opts.IgnoreOutcome)
	err = s.InTx(ctx, func(tx *Tx) error {
		if err := lockStage(ctx, tx); err != nil {
			return err
		}
		if opts.OnTurn != nil {
			opts.OnTurn()
		}
		// New leads are scored as they are read, with the model as this
		// transaction sees it, so each is written once.
		a, scored, err := s.activeModel(ctx, tx.Q)
		if err != nil {
			return err
		}
		var score *Active
		if scored {
			score = &a
		}
		staged, err := stageRows(ctx, tx, rd, opts, score, &res)
		if err != nil {
			return err
		}
		bulk, err := bulkImport(ctx, tx, staged.rows)
		if err != nil {
			return err
		}
		// A bulk import's table lock keeps every writer off; a smaller one
		// locks the leads its rows name.
		if bulk {
			if err := deferLeadRank(ctx, tx); err != nil {
				return err
			}
		} else if err := lockNamedLeads(ctx, tx, staged.idRefs); err != nil {
			return err
		}
		// Adopted first, so that the checks find a lead named by its id as
		// they find any other.
		var adopted int64
		if staged.idRefs {
			a, err := tx.Q.ImportAdoptIDs(ctx)
			if err != nil {
				return err
			}
			adopted = a.Adopted
		}
		if err := stageRejections(ctx, tx, setStatus, staged, &res); err != nil {
			return err
		}
		allScored := allInputs
		if scored {
			moved, err := dropStaleStagedScores(ctx, tx, a)
			if err != nil {
				return err
			}
			allScored = allInputs && !moved
		}
		if adopted > 0 {
			if err := tx.Q.ImportAdoptRevert(ctx); err != nil {
				return err
			}
		}
		if err := tx.Q.ImportSkipUnchanged(ctx); err != nil {
			return err
		}
		n, err := tx.Q.ImportUpsert(ctx, db.ImportUpsertParams{
			Columns: cols, SetStatus: setStatus, HasFeatures: anyInput, AllFeatures: allScored})
		if err != nil {
			return err
		}
		res.Inserted, res.Updated = n.Inserted, n.Updated
		if res.Unchanged, err = tx.Q.ImportUnchanged(ctx); err != nil {
			return err
		}
		if opts.DryRun {
			return errDryRun
		}
		if err := s.scoreStaleTx(ctx, tx); err != nil {
			return err
		}
		if bulk {
			if err := rebuildLeadRank(ctx, tx); err != nil {
				return err
			}
		}
		// Last, with the import's own event: events written earlier would
		// hold the audit sealer back for the rest of the import.
		if err := leadEvents(ctx, tx, actor, res.ID); err != nil {
			return err
		}
		if err := tx.Q.ImportStageReset(ctx); err != nil {
			return err
		}
		return tx.Audit(ctx, importEvent(actor, opts, res))
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

// stagedRows is what stageRows put in the staging table.
type stagedRows struct {
	rows int64
	fileFacts
}

// fileFacts is what the staged rows tell about the file, gathered as they
// are read, so that the passes over the staging table that would find
// nothing are skipped.
type fileFacts struct {
	// repeats is false when no external_id comes twice. Kept as a set of
	// 64-bit hashes (a few tens of bytes a row), it spares the usual file
	// the search for superseded rows, a second of a million-row import; a
	// hash collision only costs that search. The set also tells which
	// rejected rows name an id staged above them (noteRejected).
	repeats bool
	seed    maphash.Seed
	seen    map[uint64]struct{}
	// idRefs is true when some external_id has the form of a lead id (as
	// an export writes a lead without one).
	idRefs bool
	// statusDefaults is true when some row with an external_id gave no
	// status (ImportStageKeepStatus).
	statusDefaults bool
	// bare is true when some row has no name, phone, e-mail or scoring
	// input (ImportStageDropBare).
	bare bool
	// rejectedIDs are the external ids of rejected rows, each with the
	// last such line (ImportStageDropBeforeRejected).
	rejectedIDs map[string]int32
}

// noteRejected records a rejected row whose readable external_id some
// staged row above it has (by its hash: a collision only costs a search).
func (f *fileFacts) noteRejected(row leadcsv.Row) {
	if row.ExternalID == nil || f.seen == nil {
		return
	}
	if _, ok := f.seen[maphash.String(f.seed, *row.ExternalID)]; !ok {
		return
	}
	if f.rejectedIDs == nil {
		f.rejectedIDs = map[string]int32{}
	}
	// A copy: the id would keep its whole record alive.
	f.rejectedIDs[strings.Clone(*row.ExternalID)] = int32(row.Line)
}

// note records one staged row.
func (f *fileFacts) note(p *db.ImportStageCopyParams) {
	f.bare = f.bare || p.Bare
	id := p.ExternalID
	if id == nil {
		return // a new lead, whatever it says
	}
	f.statusDefaults = f.statusDefaults || p.StatusDefault
	f.idRefs = f.idRefs || leadrules.IsLeadID(*id)
	if f.seen == nil {
		f.seed, f.seen = maphash.MakeSeed(), make(map[uint64]struct{})
	}
	h := maphash.String(f.seed, *id)
	if _, ok := f.seen[h]; ok {
		f.repeats = true
	}
	f.seen[h] = struct{}{}
}

// stageRows reads the file to its end, COPYing valid rows into the staging
// table in batches and collecting the rejections. Reading and parsing run in
// a goroutine one batch ahead of the COPY, so the two overlap; it gathers
// the file's facts too.
func stageRows(ctx context.Context, tx *Tx, rd *leadcsv.Reader, opts ImportOptions, score *Active, res *ImportResult) (out stagedRows, err error) {
	type batch struct {
		rows []db.ImportStageCopyParams
		rejs []leadcsv.Rejection
		n    int // data rows read
		err  error
	}
	var facts fileFacts // the reader's until it closes batches
	ctx, cancel := context.WithCancel(ctx)
	batches := make(chan batch, 1)
	defer func() {
		cancel()
		for range batches { // the reader is not touched after return
		}
	}()
	go func() {
		defer close(batches)
		for {
			b := batch{rows: make([]db.ImportStageCopyParams, 0, importBatch)}
			eof := false
			for len(b.rows) < importBatch {
				if ctx.Err() != nil { // the import failed: no point reading on
					return
				}
				row, rejs, err := rd.Next()
				if err == io.EOF {
					eof = true
					break
				}
				if err != nil {
					b.err = importError(err)
					break
				}
				b.n++
				if len(rejs) > 0 {
					b.rejs = append(b.rejs, rejs...)
					facts.noteRejected(row)
					continue
				}
				p, err := stageParams(row, opts, score)
				if err != nil {
					b.err = err
					break
				}
				facts.note(&p)
				b.rows = append(b.rows, p)
			}
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
			if eof || b.err != nil {
				return
			}
		}
	}()
	for b := range batches {
		res.Rows += b.n
		res.Rejected = append(res.Rejected, b.rejs...)
		if b.err != nil {
			return stagedRows{}, b.err
		}
		if len(b.rows) > 0 {
			n, err := tx.Q.ImportStageCopy(ctx, b.rows)
			if err != nil {
				return stagedRows{}, err
			}
			out.rows += n
		}
	}
	out.fileFacts, out.seen = facts, nil
	return out, ctx.Err()
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
	sum, err := tx.Q.StatsSummary(ctx)
	return staged >= sum.Total, err
}

// stageParams decides what a valid row becomes: its status, a name when it
// has none, whatever opts.Amend adds, and its score when a model is active.
func stageParams(row leadcsv.Row, opts ImportOptions, score *Active) (db.ImportStageCopyParams, error) {
	l := ImportLead{Row: row, Status: "new"}
	defaulted := false
	switch {
	case row.Status != nil:
		l.Status = *row.Status
	case row.Outcome != nil && !opts.IgnoreOutcome:
		l.Status = "failed"
		if *row.Outcome {
			l.Status = "success"
		}
	default:
		defaulted = true
	}
	if opts.Amend != nil {
		opts.Amend(&l)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return db.ImportStageCopyParams{}, err
	}
	fallback := fmt.Sprintf("Imported lead (line %d)", l.Line)
	if l.ExternalID != nil {
		fallback = "Lead " + *l.ExternalID
	}
	f := &l.Features
	var (
		prob     *float64
		category *string
		version  *int32
	)
	if score != nil {
		p := score.Scorer.Probability(f)
		c := score.Thresholds.Category(p)
		prob, category, version = &p, &c, &score.Version
	}
	return db.ImportStageCopyParams{
		Line: int32(l.Line), ID: id, ExternalID: l.ExternalID, Name: l.Name, FallbackName: fallback,
		Phone: l.Phone, Email: l.Email, Status: l.Status, Notes: l.Notes,
		AssignedTo: l.AssignedTo, ClosedAt: l.ClosedAt, CreatedAt: l.CreatedAt,
		Age: f.Age, Job: f.Job, Marital: f.Marital, Education: f.Education, CreditDefault: f.CreditDefault,
		HousingLoan: f.HousingLoan, PersonalLoan: f.PersonalLoan, ContactChannel: f.ContactChannel,
		LastContactMonth: f.LastContactMonth, LastContactWeekday: f.LastContactWeekday,
		LastCallDurationSec: f.LastCallDurationSec, CampaignContacts: f.CampaignContacts,
		DaysSincePreviousContact: f.DaysSincePreviousContact, PreviousContacts: f.PreviousContacts,
		PreviousOutcome: f.PreviousOutcome, EmpVarRate: f.EmpVarRate, ConsPriceIdx: f.ConsPriceIdx,
		ConsConfIdx: f.ConsConfIdx, Euribor3m: f.Euribor3m, NrEmployed: f.NrEmployed,
		Probability: prob, Category: category, ModelVersion: version,
		StatusDefault: defaulted && l.Status == "new",
		Bare:          l.Name == nil && l.Phone == nil && l.Email == nil && l.Features == (scoring.Features{}),
	}, nil
}

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
// (see LeadsWriteIntent); then the rows in one statement, in id order.
func lockNamedLeads(ctx context.Context, tx *Tx, idRefs bool) error {
	if err := tx.Q.LeadsWriteIntent(ctx); err != nil {
		return err
	}
	if idRefs {
		return tx.Q.ImportStageLockLeadsAndIDRefs(ctx)
	}
	return tx.Q.ImportStageLockLeads(ctx)
}

// stageRejections reports the staged rows the upsert will skip, and takes
// those superseded by a later row with their external_id out of the stage.
func stageRejections(ctx context.Context, tx *Tx, setStatus bool, staged stagedRows, res *ImportResult) error {
	var dups []db.ImportStageDropSupersededRow
	if staged.repeats {
		var err error
		if dups, err = tx.Q.ImportStageDropSuperseded(ctx, reportLimit); err != nil {
			return err
		}
	}
	for _, d := range dups {
		res.Rejected = append(res.Rejected, leadcsv.Rejection{Line: int(d.Line), Field: "external_id", Message: fmt.Sprintf(
			"external_id %q comes again on line %d; only the last row with it is imported", d.ExternalID, d.LastLine)})
	}
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
	if !setStatus {
		return nil
	}
	return stageWorkflow(ctx, tx, staged.statusDefaults, res)
}

func deletedLead(line int32, externalID string) leadcsv.Rejection {
	return leadcsv.Rejection{Line: int(line), Field: "external_id", Message: fmt.Sprintf(
		"external_id %q belongs to a deleted lead; deleted leads are not imported again", externalID)}
}

// stageWorkflow refuses the staged rows that would move their lead to a
// status the workflow does not allow, even an admin (a closed lead back to
// new, say: re-importing an old file would reopen it). An import is an
// admin's change, so an admin's rules apply.
func stageWorkflow(ctx context.Context, tx *Tx, statusDefaults bool, res *ImportResult) error {
	// Under stageRejections' row locks, so that the status kept is the
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
			res.Rejected = append(res.Rejected, leadcsv.Rejection{Line: int(m.Line), Field: "status",
				Message: fmt.Sprintf("lead %q: %s", m.ExternalID, ae.Detail)})
		}
	}
	if len(refused) == 0 {
		return nil
	}
	return tx.Q.ImportStageDrop(ctx, refused)
}

// importedFields are the Lead fields an import can set: those its per-lead
// events compare.
var importedFields = append([]string{"external_id", "name", "phone", "email", "status", "notes", "assigned_to",
	"probability", "category"}, leadcsv.ScoringInputNames()...)

// leadEvents writes a lead.update event for every lead the import changed,
// in one statement (queries/import.sql, ImportLeadEvents).
func leadEvents(ctx context.Context, tx *Tx, actor audit.Actor, importID uuid.UUID) error {
	m := storedMeta(ctx)
	_, err := tx.Q.ImportLeadEvents(ctx, db.ImportLeadEventsParams{
		ActorID: actor.ID, ActorName: actor.Name, RequestID: m.requestID, Ip: m.ip, UserAgent: m.userAgent,
		ImportID: importID.String(), Fields: importedFields,
	})
	return err
}

func importEvent(actor audit.Actor, opts ImportOptions, res ImportResult) audit.Event {
	source := opts.Source
	if source == "" {
		source = "a CSV file"
	}
	outcome := "use"
	if opts.IgnoreOutcome {
		outcome = "ignore"
	}
	return audit.Event{
		Actor: actor, Action: "import.leads", EntityType: "import", EntityID: res.ID.String(),
		Summary: fmt.Sprintf("%s imported leads from %s: %d new, %d updated, %d unchanged, %d rejected",
			actor.Name, source, res.Inserted, res.Updated, res.Unchanged, res.RejectedRows()),
		Changes: map[string]audit.Change{
			"source":    {To: source},
			"rows":      {To: res.Rows},
			"inserted":  {To: res.Inserted},
			"updated":   {To: res.Updated},
			"unchanged": {To: res.Unchanged},
			"rejected":  {To: res.RejectedRows()},
			"outcome":   {To: outcome},
		},
	}
}

// ImportTooLarge is the 413 of an upload over limit bytes, whether its
// declared length says so or its body turns out so.
func ImportTooLarge(limit int64) error {
	return &apperr.Error{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf(
		"the file is over the %d-byte limit of an upload; nothing was imported (use jmk import for larger files)", limit)}
}

// UploadTimedOut is the 408 of an upload whose body did not arrive within
// its time (IMPORT_UPLOAD_TIMEOUT).
func UploadTimedOut() error {
	return &apperr.Error{Status: http.StatusRequestTimeout, Detail: "the file did not arrive in time " +
		"(IMPORT_UPLOAD_TIMEOUT, counted from the import's turn); nothing was imported (use jmk import for large files on a slow link)"}
}

// importError turns what the reader reports into the import's errors; see
// ImportLeads.
func importError(err error) error {
	var (
		he  *leadcsv.HeaderError
		fe  *leadcsv.FileError
		mbe *http.MaxBytesError
		ne  net.Error
	)
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		// The body's read deadline (the server's read timeout) passed: the
		// client is still there, so this is no 499.
		return UploadTimedOut()
	case errors.As(err, &mbe):
		return ImportTooLarge(mbe.Limit)
	case errors.As(err, &he):
		e := &apperr.Error{Status: http.StatusUnprocessableEntity,
			Detail: "the file cannot be imported: " + strings.TrimPrefix(he.Error(), "leadcsv: ")}
		field := "header"
		if he.Column != "" {
			field = he.Column
		}
		e.Fields = []apperr.FieldError{{Field: field, Message: he.Message}}
		return e
	case errors.As(err, &fe):
		msg := strings.TrimPrefix(fe.Error(), "leadcsv: ")
		return &apperr.Error{Status: http.StatusUnprocessableEntity,
			Detail: "the file cannot be imported: " + msg,
			Fields: []apperr.FieldError{{Field: "file", Message: msg}}}
	}
	return err
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
