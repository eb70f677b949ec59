package store

// Staging an import: reading the file into lead_import_stage.

import (
	"context"
	"fmt"
	"hash/maphash"
	"io"
	"strings"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/leadcsv"
	"github.com/jmksales/jmk/server/leadrules"
	"github.com/jmksales/jmk/server/scoring"
)

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
					b.err = err
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
			return stagedRows{}, importError(firstRejections(b.err, res.Rejected))
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

// stageParams decides what a valid row becomes: its status (and whether
// y gave it), a name when it has none, whatever opts.Amend adds, and its
// score when a model is active.
func stageParams(row leadcsv.Row, opts ImportOptions, score *Active) (db.ImportStageCopyParams, error) {
	l := ImportLead{Row: row, Status: "new"}
	defaulted := false
	fromY := "" // the status y gave the row, if it decided it
	switch {
	case row.Status != nil:
		l.Status = *row.Status
	case row.Outcome != nil && !opts.IgnoreOutcome:
		fromY = "failed"
		if *row.Outcome {
			fromY = "success"
		}
		l.Status = fromY
	default:
		defaulted = true
	}
	if opts.Amend != nil {
		opts.Amend(&l)
	}
	id := newID()
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
		Phone: l.Phone, Email: l.Email, Status: l.Status, Notes: l.Notes, LeadVersion: l.Version,
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
		StatusFromY:   fromY != "" && l.Status == fromY,
		Bare:          l.Name == nil && l.Phone == nil && l.Email == nil && l.Features == (scoring.Features{}),
	}, nil
}
