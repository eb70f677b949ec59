package store

import (
	"context"
	"fmt"
	"net/http"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/scoring"
)

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

// Thresholds returns the category cut-offs and their version (the ETag).
func (s *Store) Thresholds(ctx context.Context) (scoring.Thresholds, int32, error) {
	t, err := s.q.ThresholdsGet(ctx)
	return scoring.Thresholds{Hot: t.Hot, Warm: t.Warm}, t.Version, translate(err)
}

// ThresholdsUpdate changes the cut-offs and re-categorises every scored lead in
// one statement, with its audit event, when p holds for their version. It
// returns the version now in force: a 422 for invalid cut-offs and a 412
// when p does not hold.
func (s *Store) ThresholdsUpdate(ctx context.Context, actor audit.Actor, th scoring.Thresholds, p Precondition) (int32, error) {
	if err := th.Validate(); err != nil {
		return 0, thresholdsInvalid(th, err)
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
		n, err = s.wholeTableScores(ctx, tx, func() (int64, error) {
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

// thresholdsInvalid is the 422 of cut-offs out of order: it names the
// inequality that fails, with the values sent ("hot (0.2) must be above
// warm (0.5)"), so that the reader need not find it in the whole formula.
// Cut-offs outside (0, 1), which the spec refuses with a 400 before this,
// are told the formula.
func thresholdsInvalid(th scoring.Thresholds, err error) error {
	e := &apperr.Error{Status: http.StatusUnprocessableEntity, Err: apperr.ErrInvalid, Detail: err.Error(),
		Fields: []apperr.FieldError{{Field: "hot", Message: "must satisfy 0 < warm < hot < 1"},
			{Field: "warm", Message: "must satisfy 0 < warm < hot < 1"}}}
	if th.Warm >= th.Hot {
		e.Detail = fmt.Sprintf("hot (%g) must be above warm (%g): a lead is Hot at or above hot, Warm at or above warm", th.Hot, th.Warm)
		e.Fields = []apperr.FieldError{{Field: "hot", Message: fmt.Sprintf("must be above warm (%g)", th.Warm)},
			{Field: "warm", Message: fmt.Sprintf("must be below hot (%g)", th.Hot)}}
	}
	return e
}
