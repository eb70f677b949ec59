package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/scoring"
)

// NoActiveModel says that no model is active, wherever that is the answer:
// a 409 to scoring, a 404 to GET /scoring/model.
const NoActiveModel = "no scoring model is active yet: an admin must train and activate one"

// errNoActiveModel is returned when scoring is asked for and no model is active.
var errNoActiveModel = &apperr.Error{Status: 409, Err: apperr.ErrConflict, Detail: NoActiveModel}

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

// scorerFor returns version compiled, from the cache or loaded through q.
// The lock guards the cache alone, never the load: a caller in a
// transaction holds a pool connection, and one waiting here for a load
// that needs a connection from a full pool (a request outside any
// transaction) would stall both until their deadlines. Callers that miss the
// cache together each load the model; the last to finish is kept, and one
// that is not the active version is replaced at the next miss.
func (s *Store) scorerFor(ctx context.Context, q *db.Queries, version int32) (*scoring.Scorer, error) {
	c := &s.models
	c.mu.Lock()
	sc := c.scorer
	hit := c.version == version && sc != nil
	c.mu.Unlock()
	if hit {
		return sc, nil
	}
	sc, err := loadScorer(ctx, q, version)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.version, c.scorer = version, sc
	c.mu.Unlock()
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

// ScoringStatus is what scores leads now: the active model's version (0:
// none) and the category cut-offs.
type ScoringStatus struct {
	Version    int32
	Thresholds scoring.Thresholds
}

// ScoringStatus reads the active model's version and the thresholds, in
// one round trip, and notes the version (ActiveModelVersion).
func (s *Store) ScoringStatus(ctx context.Context) (ScoringStatus, error) {
	st, err := s.q.ScoringState(ctx)
	if err != nil {
		return ScoringStatus{}, translate(err)
	}
	s.activeVersion.Store(st.Version)
	return ScoringStatus{Version: st.Version, Thresholds: scoring.Thresholds{Hot: st.Hot, Warm: st.Warm}}, nil
}

// ActiveModelVersion is the active model's version (0: none) as this
// instance last learnt it: from its own committed activations at once, and
// from every ScoringStatus, which the janitor reads once a minute, so that
// another instance's activation (or jmk model activate's) shows within a
// minute. A read racing with an activation here may note the version before
// it until the next minute.
func (s *Store) ActiveModelVersion() int32 { return s.activeVersion.Load() }

// ModelActiveScorer returns the active model, compiled for scoring; a 409
// apperr (apperr.ErrConflict) when there is none.
func (s *Store) ModelActiveScorer(ctx context.Context) (Active, error) {
	a, ok, err := s.activeModel(ctx, s.q)
	if err == nil && !ok {
		err = errNoActiveModel
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
	f := leadFeatures(l)
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
	at, err := tx.Q.ClockNow(ctx)
	if err != nil {
		return err
	}
	_, err = rescore(ctx, tx, a, true, at)
	return err
}

// rescoreBlocks is how many heap pages of leads a re-scoring pass reads at
// a time (32 MB; about 10,000 leads at fillfactor 50).
const rescoreBlocks = 4096

// rescore computes every (or every stale) live lead's score in memory and
// writes them all with one set-based UPDATE, scored at at. Returns how many
// it scored.
func rescore(ctx context.Context, tx *Tx, a Active, onlyStale bool, at time.Time) (int64, error) {
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
	return tx.Q.LeadScoresApply(ctx, db.LeadScoresApplyParams{Version: a.Version, Ids: ids, Probabilities: probs,
		Categories: cats, ScoredAt: at})
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
func (s *Store) wholeTableScores(ctx context.Context, tx *Tx, write func() (int64, error)) (int64, error) {
	if err := s.deferLeadRank(ctx, tx); err != nil {
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
// UPDATE takes, would deadlock with it. This instance's statistics refresh,
// whose lock the table lock would wait for, is stopped first (pauseAnalyze).
func (s *Store) deferLeadRank(ctx context.Context, tx *Tx) error {
	s.pauseAnalyze()
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

// ScoreInputs is what explains a live lead's score: its scoring inputs, when
// its stored score was computed, and the active model.
type ScoreInputs struct {
	Features scoring.Features
	ScoredAt *time.Time
	Model    Active
}

// LeadScore returns what explains a live lead's score. Returns
// apperr.ErrNotFound for an unknown lead and a 409 apperr (apperr.ErrConflict)
// without an active model.
func (s *Store) LeadScore(ctx context.Context, id uuid.UUID) (ScoreInputs, error) {
	row, err := s.q.LeadScoringInputs(ctx, id)
	if err != nil {
		if errors.Is(translate(err), apperr.ErrNotFound) {
			return ScoreInputs{}, apperr.NotFound("lead")
		}
		return ScoreInputs{}, translate(err)
	}
	a, err := s.ModelActiveScorer(ctx)
	if err != nil {
		return ScoreInputs{}, err
	}
	return ScoreInputs{Features: leadFeatures(row), ScoredAt: row.ScoredAt, Model: a}, nil
}
