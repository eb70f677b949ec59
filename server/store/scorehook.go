package store

import (
	"context"

	"github.com/jmksales/jmk/gen/db"
)

// scoreLeadTx scores one lead with the active model inside tx and returns
// the lead as stored afterwards. With no active model the lead is returned
// unchanged (probability and category stay null).
//
// Placeholder until the scoring integration lands: it never scores.
func (s *Store) scoreLeadTx(ctx context.Context, tx *Tx, l db.Lead) (db.Lead, error) {
	return l, nil
}

// scoreStaleTx scores, in one set-based pass, every live lead whose score
// does not come from the active model (new imports, for instance).
//
// Placeholder until the scoring integration lands: it never scores.
func (s *Store) scoreStaleTx(ctx context.Context, tx *Tx) error {
	return nil
}
