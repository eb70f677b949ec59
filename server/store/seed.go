package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/audit"
)

// SeedLeadsExist reports whether any lead exists, deleted ones included.
func (s *Store) SeedLeadsExist(ctx context.Context) (bool, error) {
	ok, err := s.q.SeedLeadsExist(ctx)
	return ok, translate(err)
}

// SeedAdmin returns the oldest active admin; apperr.ErrNotFound when there
// is none.
func (s *Store) SeedAdmin(ctx context.Context) (db.User, error) {
	u, err := s.q.SeedAdmin(ctx)
	return u, translate(err)
}

// DemoActivity is one contact of the demo seed, on the lead with ExternalID.
type DemoActivity struct {
	ExternalID  string
	UserID      uuid.UUID
	Kind        string
	Outcome     string
	DurationSec *int32
	OccurredAt  time.Time
}

// SeedActivities writes the demo seed's contacts in one transaction, with
// what logging them does to their leads (contact count, last contact, new ->
// contacted, or follow_up when the last outcome is followUpOutcome) and one
// audit event for them all. Activities on external ids that match no live
// lead are skipped. Returns how many activities and leads were written.
func (s *Store) SeedActivities(ctx context.Context, actor audit.Actor, acts []DemoActivity, followUpOutcome string) (int, int64, error) {
	var nActs int
	var nLeads int64
	err := s.InTx(ctx, func(tx *Tx) error {
		ext := make([]string, 0, len(acts))
		for _, a := range acts {
			ext = append(ext, a.ExternalID)
		}
		rows, err := tx.Q.SeedLeadIDs(ctx, ext)
		if err != nil {
			return err
		}
		ids := make(map[string]uuid.UUID, len(rows))
		leadIDs := make([]uuid.UUID, 0, len(rows))
		for _, r := range rows {
			ids[r.ExternalID] = r.ID
			leadIDs = append(leadIDs, r.ID)
		}
		params := make([]db.SeedActivityCopyParams, 0, len(acts))
		for _, a := range acts {
			lead, ok := ids[a.ExternalID]
			if !ok {
				continue
			}
			id, err := uuid.NewV7()
			if err != nil {
				return err
			}
			params = append(params, db.SeedActivityCopyParams{
				ID: id, LeadID: lead, UserID: &a.UserID, Kind: a.Kind, Outcome: &a.Outcome,
				DurationSec: a.DurationSec, OccurredAt: a.OccurredAt,
			})
		}
		if _, err := tx.Q.SeedActivityCopy(ctx, params); err != nil {
			return err
		}
		if nLeads, err = tx.Q.SeedContactsApply(ctx, db.SeedContactsApplyParams{
			FollowUpOutcome: followUpOutcome, LeadIds: leadIDs}); err != nil {
			return err
		}
		nActs = len(params)
		return tx.Audit(ctx, audit.Event{
			Actor: actor, Action: "activity.seed", EntityType: "activity",
			Summary: fmt.Sprintf("%s logged %d demo contacts on %d open leads", actor.Name, nActs, nLeads),
			Changes: map[string]audit.Change{"activities": {To: nActs}, "leads": {To: nLeads}},
		})
	})
	return nActs, nLeads, err
}

// SeedUserByEmail returns the user with that e-mail (any case);
// apperr.ErrNotFound when there is none.
func (s *Store) SeedUserByEmail(ctx context.Context, email string) (db.User, error) {
	u, err := s.q.UserGetByEmail(ctx, email)
	return u, translate(err)
}
