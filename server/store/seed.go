package store

import (
	"context"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/audit"
)

// SeedLock takes the demo seed's lock (see queries/seed.sql), waiting for a
// seed that holds it, on a connection of its own outside the pool (so that
// a pool of one still serves the seed), until unlock ends it.
func (s *Store) SeedLock(ctx context.Context) (unlock func(), err error) {
	cc := s.pool.Config().ConnConfig.Copy()
	// Waits as long as the seed before it takes, whatever DATABASE_URL sets.
	cc.RuntimeParams["lock_timeout"], cc.RuntimeParams["statement_timeout"] = "0", "0"
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return nil, translate(err)
	}
	if err := db.New(conn).SeedLock(ctx); err != nil {
		_ = conn.Close(context.WithoutCancel(ctx))
		return nil, translate(err)
	}
	return func() {
		// Ending the session lets go of its lock. Bounded: a database gone
		// silent must not hold the command at its exit.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}, nil
}

// SeedLeadsExist reports whether any lead exists, deleted ones included.
func (s *Store) SeedLeadsExist(ctx context.Context) (bool, error) {
	ok, err := s.q.SeedLeadsExist(ctx)
	return ok, translate(err)
}

// SeedUnfinished reports whether a demo seed, whose first lead has the
// external id first, stopped before it stored its model.
func (s *Store) SeedUnfinished(ctx context.Context, first string) (bool, error) {
	ok, err := s.q.SeedUnfinished(ctx, first)
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
// contacted, or follow_up when the last outcome is followUpOutcome) and the
// events the API would have written: an activity.create per contact and a
// lead.update per lead whose status moved, so a demo lead's history shows
// its contacts. Activities on external ids that match no live lead are
// skipped. Returns how many activities and leads were written.
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
		// leads follows each lead's contact count and last contact as the
		// contacts are logged one by one; byID keeps them as they were.
		leads := make(map[string]*db.SeedLeadIDsRow, len(rows))
		byID := make(map[uuid.UUID]db.SeedLeadIDsRow, len(rows))
		for i, r := range rows {
			leads[r.ExternalID], byID[r.ID] = &rows[i], r
		}
		params := make([]db.SeedActivityCopyParams, 0, len(acts))
		var events []audit.Event
		for _, a := range acts {
			lead, ok := leads[a.ExternalID]
			if !ok {
				continue
			}
			// The events name the instant as the column keeps it
			// (microseconds), not as generated (nanoseconds).
			p := db.ActivityInsertParams{ID: newID(), LeadID: lead.ID, UserID: &a.UserID, Kind: a.Kind,
				Outcome: &a.Outcome, DurationSec: a.DurationSec, OccurredAt: a.OccurredAt.Truncate(time.Microsecond)}
			params = append(params, db.SeedActivityCopyParams(p)) // the columns ActivityInsert writes
			// As ActivityCreate logs a contact (demo activities are never
			// notes): the count grows, the last contact moves only forward.
			before := leadContacts{lead.Status, lead.ContactCount, lead.LastContactedAt}
			lead.ContactCount++
			if last := lead.LastContactedAt; last == nil || p.OccurredAt.After(*last) {
				lead.LastContactedAt = &p.OccurredAt
			}
			ev := activityEvent(actor, p, lead.Name, before, leadContacts{lead.Status, lead.ContactCount, lead.LastContactedAt})
			ev.Summary += " for the demo"
			events = append(events, ev)
		}
		if _, err := tx.Q.SeedActivityCopy(ctx, params); err != nil {
			return err
		}
		ids := make([]uuid.UUID, len(params))
		for i := range params {
			ids[i] = params[i].ID
		}
		moved, err := tx.Q.SeedContactsApply(ctx, db.SeedContactsApplyParams{FollowUpOutcome: followUpOutcome, ActivityIds: ids})
		if err != nil {
			return err
		}
		nActs, nLeads = len(params), int64(len(moved))
		for _, m := range moved {
			if old := byID[m.ID]; old.Status != m.Status {
				events = append(events, contactLeadEvent(actor, m.ID, old.Name,
					leadContacts{old.Status, old.ContactCount, old.LastContactedAt},
					leadContacts{m.Status, m.ContactCount, m.LastContactedAt}, "demo contacts"))
			}
		}
		for _, e := range events {
			if err := tx.Audit(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	return nActs, nLeads, err
}

// SeedUserByEmail returns the user with that e-mail (any case);
// apperr.ErrNotFound when there is none.
func (s *Store) SeedUserByEmail(ctx context.Context, email string) (db.User, error) {
	u, err := s.q.UserGetByEmail(ctx, email)
	return u, translate(err)
}
