package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/scoring"
)

// ErrNoActiveModel is returned when scoring is asked for and no model is active.
var ErrNoActiveModel = &apperr.Error{Status: 409, Err: apperr.ErrConflict,
	Detail: "no scoring model is active yet: an admin must train and activate one"}

// modelCache keeps the active model compiled in memory. It is checked
// against the database's active version on every use, so an activation by
// any instance takes effect everywhere at the next scoring.
type modelCache struct {
	mu      sync.Mutex
	version int32
	scorer  *scoring.Scorer
}

// Active is the active model ready to score, with the current thresholds.
type Active struct {
	Version    int32
	Scorer     *scoring.Scorer
	Thresholds scoring.Thresholds
}

// activeModel returns the active model as q sees it (so inside a
// transaction, the transaction's view); ok is false when none is active.
func (s *Store) activeModel(ctx context.Context, q *db.Queries) (Active, bool, error) {
	st, err := q.ScoringState(ctx)
	if err != nil || st.Version == 0 {
		return Active{}, false, translate(err)
	}
	scorer, err := s.scorerFor(ctx, q, st.Version)
	if err != nil {
		return Active{}, false, err
	}
	return Active{Version: st.Version, Scorer: scorer, Thresholds: scoring.Thresholds{Hot: st.Hot, Warm: st.Warm}}, true, nil
}

func (s *Store) scorerFor(ctx context.Context, q *db.Queries, version int32) (*scoring.Scorer, error) {
	c := &s.models
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.version == version && c.scorer != nil {
		return c.scorer, nil
	}
	sc, err := loadScorer(ctx, q, version)
	if err != nil {
		return nil, err
	}
	c.version, c.scorer = version, sc
	return sc, nil
}

func loadScorer(ctx context.Context, q *db.Queries, version int32) (*scoring.Scorer, error) {
	body, err := q.ModelBody(ctx, version)
	if err != nil {
		return nil, translate(err)
	}
	var m scoring.Model
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, fmt.Errorf("decode model %d: %w", version, err)
	}
	return m.Compile()
}

// ActiveModel returns the active model; ErrNoActiveModel when there is none.
func (s *Store) ActiveModel(ctx context.Context) (Active, error) {
	a, ok, err := s.activeModel(ctx, s.q)
	if err == nil && !ok {
		err = ErrNoActiveModel
	}
	return a, err
}

// scoreLeadTx scores one lead with the active model inside tx and returns
// the lead as stored afterwards. With no active model the lead is returned
// unchanged: probability and category stay null until a model exists.
func (s *Store) scoreLeadTx(ctx context.Context, tx *Tx, l db.Lead) (db.Lead, error) {
	a, ok, err := s.activeModel(ctx, tx.Q)
	if err != nil || !ok {
		return l, err
	}
	f := LeadFeatures(l)
	p := a.Scorer.Probability(&f)
	cat := a.Thresholds.Category(p)
	return tx.Q.LeadScoreSet(ctx, db.LeadScoreSetParams{ID: l.ID, Probability: &p, Category: &cat, Version: &a.Version})
}

// scoreStaleTx scores, in one set-based pass, every live lead whose score
// does not come from the active model (new imports, for instance).
func (s *Store) scoreStaleTx(ctx context.Context, tx *Tx) error {
	a, ok, err := s.activeModel(ctx, tx.Q)
	if err != nil || !ok {
		return err
	}
	_, err = rescore(ctx, tx, a, true)
	return err
}

// rescoreBlocks is how many heap pages of leads a re-scoring pass reads at
// a time (32 MB; about 10,000 leads at fillfactor 50).
const rescoreBlocks = 4096

// rescore computes every (or every stale) live lead's score in memory and
// writes them all with one set-based UPDATE. Returns how many it scored.
func rescore(ctx context.Context, tx *Tx, a Active, onlyStale bool) (int64, error) {
	blocks, err := tx.Q.LeadHeapBlocks(ctx)
	if err != nil {
		return 0, err
	}
	var (
		ids   []uuid.UUID
		probs []float64
		cats  []string
		enc   scoring.Encoded
	)
	for from := int64(0); from < blocks; from += rescoreBlocks {
		rows, err := tx.Q.LeadScoringPage(ctx, db.LeadScoringPageParams{
			FromPage: heapPage(from), ToPage: heapPage(from + rescoreBlocks),
			OnlyStale: onlyStale, Version: a.Version})
		if err != nil {
			return 0, err
		}
		for i := range rows {
			f := pageFeatures(&rows[i])
			a.Scorer.Encode(&f, &enc)
			p := a.Scorer.ScoreEncoded(&enc)
			ids = append(ids, rows[i].ID)
			probs = append(probs, p)
			cats = append(cats, a.Thresholds.Category(p))
		}
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if err := tx.Q.LeadScoresWorkMem(ctx); err != nil {
		return 0, err
	}
	return tx.Q.LeadScoresApply(ctx, db.LeadScoresApplyParams{Version: a.Version, Ids: ids, Probabilities: probs, Categories: cats})
}

// heapPage is the position of the first tuple on heap page n.
func heapPage(n int64) pgtype.TID {
	return pgtype.TID{BlockNumber: uint32(min(n, math.MaxUint32)), Valid: true}
}

// wholeTableScores runs write, a change to (potentially) every lead's score,
// the way that scales to a million leads: other writers wait until the
// transaction ends (readers go on), so no lead changes between reading its
// inputs and writing its score; the score write is a heap-only update
// (no index of leads covers a score column); and the list's score indexes
// in lead_rank are rebuilt in bulk afterwards rather than kept up per row.
func wholeTableScores(ctx context.Context, tx *Tx, write func() (int64, error)) (int64, error) {
	if err := deferLeadRank(ctx, tx); err != nil {
		return 0, err
	}
	n, err := write()
	if err != nil {
		return 0, err
	}
	return n, rebuildLeadRank(ctx, tx)
}

// deferLeadRank starts a bulk change to leads: other writers wait until the
// transaction ends (readers go on), and lead_rank is left alone until
// rebuildLeadRank, which the transaction must call after its last write.
// It must come before the transaction's first write to leads, or an editor
// waiting for a row the transaction wrote, while holding the table lock an
// UPDATE takes, would deadlock with it.
func deferLeadRank(ctx context.Context, tx *Tx) error {
	if err := tx.Q.LeadsLockForRescore(ctx); err != nil {
		return err
	}
	return tx.Q.LeadRankDefer(ctx)
}

// rebuildLeadRank ends what deferLeadRank started.
func rebuildLeadRank(ctx context.Context, tx *Tx) error {
	if err := tx.Q.LeadRankRebuild(ctx); err != nil {
		return fmt.Errorf("rebuild lead_rank: %w", err)
	}
	return nil
}

// ModelInfo is a model version without its (large) body.
type ModelInfo = db.ModelListRow

// ModelList returns every model version, newest first.
func (s *Store) ModelList(ctx context.Context) ([]ModelInfo, error) {
	rows, err := s.q.ModelList(ctx)
	return rows, translate(err)
}

// ModelCount counts the model versions.
func (s *Store) ModelCount(ctx context.Context) (int64, error) {
	n, err := s.q.ModelCount(ctx)
	return n, translate(err)
}

// ModelPage returns up to lim model versions older than before (all when
// nil), newest first.
func (s *Store) ModelPage(ctx context.Context, before *int32, lim int32) ([]ModelInfo, error) {
	rows, err := s.q.ModelPage(ctx, db.ModelPageParams{Before: before, Lim: lim})
	out := make([]ModelInfo, len(rows))
	for i, r := range rows {
		out[i] = ModelInfo(r)
	}
	return out, translate(err)
}

// ModelInfo returns one model version; apperr.ErrNotFound (a 404) when
// there is none.
func (s *Store) ModelInfo(ctx context.Context, version int32) (ModelInfo, error) {
	m, err := s.q.ModelGet(ctx, version)
	if errors.Is(err, pgx.ErrNoRows) {
		return ModelInfo{}, apperr.NotFound("model")
	}
	return ModelInfo(m), translate(err)
}

// ModelActiveInfo returns the active model's metadata; apperr.ErrNotFound when none.
func (s *Store) ModelActiveInfo(ctx context.Context) (ModelInfo, error) {
	m, err := s.q.ModelActive(ctx)
	return ModelInfo(m), translate(err)
}

// TrainingExamples loads every closed lead as a training example, oldest first.
func (s *Store) TrainingExamples(ctx context.Context) ([]scoring.Example, error) {
	rows, err := s.q.LeadTrainingRows(ctx)
	if err != nil {
		return nil, translate(err)
	}
	out := make([]scoring.Example, len(rows))
	for i := range rows {
		out[i] = scoring.Example{Features: LeadFeatures(rows[i].Lead), Converted: rows[i].Converted}
	}
	return out, nil
}

// ModelSave stores a trained model version with its audit event, and
// activates it (re-scoring every lead) when activate is true.
func (s *Store) ModelSave(ctx context.Context, actor audit.Actor, m *scoring.Model, activate bool) (ModelInfo, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return ModelInfo{}, err
	}
	opts, err := json.Marshal(m.Options)
	if err != nil {
		return ModelInfo{}, err
	}
	metrics, err := json.Marshal(m.Metrics)
	if err != nil {
		return ModelInfo{}, err
	}
	th, err := json.Marshal(m.Thresholds)
	if err != nil {
		return ModelInfo{}, err
	}
	var (
		out    ModelInfo
		scored int64
	)
	err = s.InTx(ctx, func(tx *Tx) error {
		row, err := tx.Q.ModelInsert(ctx, db.ModelInsertParams{Algorithm: m.Algorithm, TrainedBy: actor.ID,
			Options: opts, Metrics: metrics, Thresholds: th, Model: body})
		if err != nil {
			return err
		}
		out = ModelInfo(row)
		var activation *audit.Event
		if activate {
			if out, scored, activation, err = s.activateTx(ctx, tx, actor, row.Version); err != nil {
				return err
			}
		}
		// The events come last: an event written before the re-score would
		// hold the audit sealer back for all of it.
		changes := map[string]audit.Change{"auc": {To: m.Metrics.AUC}, "brier": {To: m.Metrics.Brier},
			"include_call_duration": {To: m.Options.IncludeCallDuration}, "split": {To: m.Options.Split},
			"holdout_fraction": {To: m.Options.HoldoutFraction}}
		if m.Options.Seed != 0 { // a time split has none
			changes["seed"] = audit.Change{To: m.Options.Seed}
		}
		if err := tx.Audit(ctx, audit.Event{Actor: actor, Action: "model.train", EntityType: "model",
			EntityID: fmt.Sprint(row.Version),
			Summary: fmt.Sprintf("%s trained model v%d (AUC %.3f, Brier %.4f on %d holdout leads)",
				actor.Name, row.Version, m.Metrics.AUC, m.Metrics.Brier, m.Metrics.NTest),
			Changes: changes}); err != nil {
			return err
		}
		if activation == nil {
			return nil
		}
		return tx.Audit(ctx, *activation)
	})
	if err == nil {
		s.analyzeAfterBulk(scored)
	}
	return out, err
}

// ModelActivate makes a version the only active model and re-scores every
// live lead in the same transaction. Concurrent activations are serialised,
// and a partial unique index keeps at most one model active whatever
// happens. Activating the active model changes nothing: every lead already
// holds its score. Returns apperr.ErrNotFound for an unknown version.
func (s *Store) ModelActivate(ctx context.Context, actor audit.Actor, version int32) (ModelInfo, int64, error) {
	var (
		out ModelInfo
		n   int64
	)
	err := s.InTx(ctx, func(tx *Tx) error {
		var (
			ev  *audit.Event
			err error
		)
		if out, n, ev, err = s.activateTx(ctx, tx, actor, version); err != nil || ev == nil {
			return err
		}
		return tx.Audit(ctx, *ev)
	})
	if err == nil {
		s.analyzeAfterBulk(n)
	}
	return out, n, err
}

// activateTx activates a version and re-scores every lead, returning the
// audit event for the caller to write last (nil when the version was
// already active, which changes nothing).
func (s *Store) activateTx(ctx context.Context, tx *Tx, actor audit.Actor, version int32) (ModelInfo, int64, *audit.Event, error) {
	if err := tx.Q.ModelActivationLock(ctx); err != nil {
		return ModelInfo{}, 0, nil, err
	}
	prev, err := tx.Q.ModelActiveVersion(ctx)
	if err != nil {
		return ModelInfo{}, 0, nil, err
	}
	m, err := tx.Q.ModelGet(ctx, version)
	if err != nil {
		if errors.Is(translate(err), apperr.ErrNotFound) {
			return ModelInfo{}, 0, nil, apperr.NotFound(fmt.Sprintf("model version %d", version))
		}
		return ModelInfo{}, 0, nil, err
	}
	if prev == version {
		return ModelInfo(m), 0, nil, nil
	}
	if err := tx.Q.ModelDeactivateAll(ctx); err != nil {
		return ModelInfo{}, 0, nil, err
	}
	row, err := tx.Q.ModelActivate(ctx, version)
	if err != nil {
		return ModelInfo{}, 0, nil, err
	}
	a, ok, err := s.activeModel(ctx, tx.Q)
	if err != nil {
		return ModelInfo{}, 0, nil, fmt.Errorf("load activated model: %w", err)
	}
	if !ok {
		return ModelInfo{}, 0, nil, errors.New("load activated model: none active after activating it")
	}
	n, err := wholeTableScores(ctx, tx, func() (int64, error) { return rescore(ctx, tx, a, false) })
	if err != nil {
		return ModelInfo{}, 0, nil, err
	}
	summary := fmt.Sprintf("%s activated model v%d; %d leads re-scored", actor.Name, version, n)
	if a.Scorer.Model().Options.IncludeCallDuration {
		summary += "; it uses the call duration, known only after a call, so it does not rank leads before calling"
	}
	return ModelInfo(row), n, &audit.Event{Actor: actor, Action: "model.activate", EntityType: "model",
		EntityID: fmt.Sprint(version), Changes: map[string]audit.Change{"active_version": {From: nullIfZero(prev), To: version}},
		Summary: summary}, nil
}

// thresholdChanges lists the cut-offs that moved.
func thresholdChanges(old db.ThresholdsGetRow, th scoring.Thresholds) map[string]audit.Change {
	ch := map[string]audit.Change{}
	if old.Hot != th.Hot {
		ch["hot"] = audit.Change{From: old.Hot, To: th.Hot}
	}
	if old.Warm != th.Warm {
		ch["warm"] = audit.Change{From: old.Warm, To: th.Warm}
	}
	return ch
}

func nullIfZero(v int32) any {
	if v == 0 {
		return nil
	}
	return v
}

// Thresholds returns the category cut-offs and their version (the ETag).
func (s *Store) Thresholds(ctx context.Context) (scoring.Thresholds, int32, error) {
	t, err := s.q.ThresholdsGet(ctx)
	return scoring.Thresholds{Hot: t.Hot, Warm: t.Warm}, t.Version, translate(err)
}

// ThresholdsSet changes the cut-offs and re-categorises every scored lead in
// one statement, with its audit event, when p holds for their version. It
// returns the version now in force: a 422 for invalid cut-offs and a 412
// when p does not hold.
func (s *Store) ThresholdsSet(ctx context.Context, actor audit.Actor, th scoring.Thresholds, p Precondition) (int32, error) {
	if err := th.Validate(); err != nil {
		return 0, &apperr.Error{Status: 422, Detail: err.Error(),
			Fields: []apperr.FieldError{{Field: "hot", Message: "must satisfy 0 < warm < hot < 1"},
				{Field: "warm", Message: "must satisfy 0 < warm < hot < 1"}}}
	}
	var (
		version int32
		n       int64
	)
	err := s.InTx(ctx, func(tx *Tx) error {
		if err := tx.Q.ModelActivationLock(ctx); err != nil {
			return err
		}
		old, err := tx.Q.ThresholdsGet(ctx)
		if err != nil {
			return err
		}
		if err := p.Check(old.Version); err != nil {
			return err
		}
		if version = old.Version; old.Hot == th.Hot && old.Warm == th.Warm {
			return nil // the same cut-offs change nothing
		}
		cur, err := tx.Q.ThresholdsUpdate(ctx, db.ThresholdsUpdateParams{Hot: th.Hot, Warm: th.Warm})
		if err != nil {
			return err
		}
		version = cur.Version
		n, err = wholeTableScores(ctx, tx, func() (int64, error) {
			return tx.Q.LeadsRecategorize(ctx, db.LeadsRecategorizeParams{Hot: th.Hot, Warm: th.Warm})
		})
		if err != nil {
			return err
		}
		return tx.Audit(ctx, audit.Event{Actor: actor, Action: "thresholds.update", EntityType: "thresholds",
			Summary: fmt.Sprintf("%s set the thresholds to hot >= %g, warm >= %g; %d leads changed category",
				actor.Name, th.Hot, th.Warm, n),
			Changes: thresholdChanges(old, th)})
	})
	if err != nil {
		return 0, err
	}
	s.analyzeAfterBulk(n)
	return version, nil
}

// ScoreInputs is what explains a live lead's score: its scoring inputs, when
// its stored score was computed, and the active model.
type ScoreInputs struct {
	Features scoring.Features
	ScoredAt *time.Time
	Model    Active
}

// LeadScore returns what explains a live lead's score. Returns
// apperr.ErrNotFound for an unknown lead and ErrNoActiveModel without a model.
func (s *Store) LeadScore(ctx context.Context, id uuid.UUID) (ScoreInputs, error) {
	row, err := s.q.LeadScoringInputs(ctx, id)
	if err != nil {
		if errors.Is(translate(err), apperr.ErrNotFound) {
			return ScoreInputs{}, apperr.NotFound("lead")
		}
		return ScoreInputs{}, translate(err)
	}
	a, err := s.ActiveModel(ctx)
	if err != nil {
		return ScoreInputs{}, err
	}
	return ScoreInputs{Features: LeadFeatures(row), ScoredAt: row.ScoredAt, Model: a}, nil
}

// Train loads the labelled leads and trains a model; shared by the API and `jmk model
// train`. Too few labelled leads is a 409, bad options a 422.
func (s *Store) Train(ctx context.Context, opts scoring.Options) (*scoring.TrainResult, error) {
	th, _, err := s.Thresholds(ctx)
	if err != nil {
		return nil, err
	}
	opts.Thresholds = th
	examples, err := s.TrainingExamples(ctx)
	if err != nil {
		return nil, err
	}
	res, err := scoring.Train(ctx, examples, opts)
	switch {
	case errors.Is(err, scoring.ErrTooFewExamples):
		return nil, apperr.Conflict(err.Error() + " (needs closed leads, status success or failed, of both kinds)")
	case errors.Is(err, scoring.ErrInvalidOptions):
		return nil, apperr.New(http.StatusUnprocessableEntity, "%s", err.Error())
	}
	return res, err
}
