package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/scoring"
)

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

// ModelGet returns one model version; apperr.ErrNotFound (a 404) when
// there is none.
func (s *Store) ModelGet(ctx context.Context, version int32) (ModelInfo, error) {
	m, err := s.q.ModelGet(ctx, version)
	if errors.Is(err, pgx.ErrNoRows) {
		return ModelInfo{}, apperr.NotFound(fmt.Sprintf("model version %d", version))
	}
	return ModelInfo(m), translate(err)
}

// ModelActiveInfo returns the active model's metadata; apperr.ErrNotFound when none.
func (s *Store) ModelActiveInfo(ctx context.Context) (ModelInfo, error) {
	m, err := s.q.ModelActive(ctx)
	return ModelInfo(m), translate(err)
}

// trainingExamples loads every closed lead as a training example, oldest first.
func (s *Store) trainingExamples(ctx context.Context) ([]scoring.Example, error) {
	rows, err := s.q.LeadTrainingRows(ctx)
	if err != nil {
		return nil, translate(err)
	}
	out := make([]scoring.Example, len(rows))
	for i := range rows {
		out[i] = scoring.Example{Features: leadFeatures(rows[i].Lead), Converted: rows[i].Converted}
	}
	return out, nil
}

// ModelSave stores a trained model version with its audit event, and
// activates it (re-scoring every lead) when activate is true.
func (s *Store) ModelSave(ctx context.Context, actor audit.Actor, m *scoring.Model, activate bool) (ModelInfo, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return ModelInfo{}, fmt.Errorf("encode the model: %w", err)
	}
	opts, err := json.Marshal(m.Options)
	if err != nil {
		return ModelInfo{}, fmt.Errorf("encode the model's options: %w", err)
	}
	metrics, err := json.Marshal(m.Metrics)
	if err != nil {
		return ModelInfo{}, fmt.Errorf("encode the model's metrics: %w", err)
	}
	th, err := json.Marshal(m.Thresholds)
	if err != nil {
		return ModelInfo{}, fmt.Errorf("encode the model's thresholds: %w", err)
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
		if activate {
			s.activeVersion.Store(out.Version)
		}
		s.analyzeAfterBulk(scored)
	}
	return out, err
}

// Activation is what ModelActivate did.
type Activation struct {
	Model    ModelInfo
	Rescored int64 // live leads re-scored
	// AlreadyActive is true when the version was the active one, which
	// changes nothing. It is read under the activation lock, so of two
	// activations made together it says which one did the work.
	AlreadyActive bool
}

// ModelActivate makes a version the only active model and re-scores every
// live lead in the same transaction. Concurrent activations are serialised,
// and a partial unique index keeps at most one model active whatever
// happens. Activating the active model changes nothing: every lead already
// holds its score. Returns apperr.ErrNotFound for an unknown version.
func (s *Store) ModelActivate(ctx context.Context, actor audit.Actor, version int32) (Activation, error) {
	var a Activation
	err := s.InTx(ctx, func(tx *Tx) error {
		var (
			ev  *audit.Event
			err error
		)
		if a.Model, a.Rescored, ev, err = s.activateTx(ctx, tx, actor, version); err != nil {
			return err
		}
		if a.AlreadyActive = ev == nil; a.AlreadyActive {
			return nil
		}
		return tx.Audit(ctx, *ev)
	})
	if err == nil {
		s.activeVersion.Store(version)
		s.analyzeAfterBulk(a.Rescored)
	}
	return a, err
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
	var (
		row db.ModelActivateRow
		a   Active
	)
	n, err := s.wholeTableScores(ctx, tx, func() (int64, error) {
		var (
			at  time.Time
			err error
		)
		if row, a, at, err = s.switchActive(ctx, tx, version); err != nil {
			return 0, err
		}
		return rescore(ctx, tx, a, false, at)
	})
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

// switchActive makes version the only active model and returns it, with
// the time it took effect. It runs once the leads are locked (within
// wholeTableScores), and only then reads the clock: an activation that
// waited its turn is stamped (activated_at, its leads' scored_at) with when
// it took effect, after every lead written meanwhile by the model before
// it, not with its transaction's start, which was before them.
func (s *Store) switchActive(ctx context.Context, tx *Tx, version int32) (db.ModelActivateRow, Active, time.Time, error) {
	at, err := tx.Q.ClockNow(ctx)
	if err != nil {
		return db.ModelActivateRow{}, Active{}, at, err
	}
	if err := tx.Q.ModelDeactivateAll(ctx); err != nil {
		return db.ModelActivateRow{}, Active{}, at, err
	}
	row, err := tx.Q.ModelActivate(ctx, db.ModelActivateParams{Version: version, ActivatedAt: at})
	if err != nil {
		return db.ModelActivateRow{}, Active{}, at, err
	}
	a, ok, err := s.activeModel(ctx, tx.Q)
	switch {
	case err != nil:
		return row, a, at, fmt.Errorf("load activated model: %w", err)
	case !ok:
		return row, a, at, errors.New("load activated model: none active after activating it")
	}
	return row, a, at, nil
}

// nullIfZero is an audit value for a version, nil for none.
func nullIfZero(v int32) any {
	if v == 0 {
		return nil
	}
	return v
}

// ModelTrain loads the labelled leads and trains a model; shared by the API and `jmk model
// train`. Too few labelled leads is a 409, bad options a 422.
func (s *Store) ModelTrain(ctx context.Context, opts scoring.Options) (*scoring.TrainResult, error) {
	th, _, err := s.Thresholds(ctx)
	if err != nil {
		return nil, err
	}
	opts.Thresholds = th
	examples, err := s.trainingExamples(ctx)
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
