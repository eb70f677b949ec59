package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/leadrules"
)

// LeadCreate inserts a lead, scores it with the active model and writes its
// lead.create event, all in one transaction. p.ID is assigned here. Returns
// a 409 apperr for a taken external_id, or one that is another lead's id,
// and a 422 when p.AssignedTo is not an active user.
func (s *Store) LeadCreate(ctx context.Context, actor audit.Actor, p db.LeadInsertParams) (db.Lead, error) {
	var out db.Lead
	err := s.InTx(ctx, func(tx *Tx) error {
		if p.ExternalID != nil {
			if err := tx.Q.LeadExternalIDLock(ctx); err != nil {
				return err
			}
		}
		// An export names a lead without an external id by its id: a lead
		// whose external id is that id would be mixed up with it on import.
		if p.ExternalID != nil && leadrules.IsLeadID(*p.ExternalID) {
			taken, err := tx.Q.LeadIDTaken(ctx, uuid.MustParse(*p.ExternalID))
			if err != nil {
				return err
			}
			if taken {
				return apperr.Conflict("this external_id is another lead's id (an export names a lead without an external_id by its id); choose another")
			}
		}
		// The creator too: one being deactivated (their leads released)
		// meanwhile must not be left a lead.
		if p.AssignedTo != nil {
			if _, err := activeAssignee(ctx, tx, *p.AssignedTo); err != nil {
				return err
			}
		}
		p.ID = newID()
		l, err := tx.Q.LeadInsert(ctx, p)
		if err != nil {
			return err
		}
		if out, err = s.scoreLeadTx(ctx, tx, l); err != nil {
			return err
		}
		changes := createChanges(out)
		scoreChanges(changes, db.Lead{}, out)
		summary := fmt.Sprintf("%s created lead %s", actor.Name, out.Name)
		if isUser(out.AssignedTo, derefID(actor.ID)) {
			summary += " and claimed it"
		}
		return tx.Audit(ctx, audit.Event{
			Actor: actor, Action: "lead.create", EntityType: "lead", EntityID: out.ID.String(),
			Summary: summary, Changes: changes,
		})
	})
	return out, err
}

// LeadGet returns a live lead; a 404 apperr when there is none (or it was
// deleted).
func (s *Store) LeadGet(ctx context.Context, id uuid.UUID) (db.Lead, error) {
	l, err := s.q.LeadGet(ctx, id)
	return l, leadErr(err)
}

// LeadUpdate applies a merge patch to a lead whose version still meets
// cond, on behalf of who, and writes its lead.update event; a change of
// any scoring input re-scores the lead in the same transaction. A patch that
// changes nothing returns the lead as it is (same version, no event).
//
// Errors, in the order they are checked: 404 (no live lead), 403 (ownership,
// leadrules.CheckEdit), apperr.ErrStale (412), 422 with the allowed next
// states (workflow), 422 when the new assignee is not an active user, 422
// when a changed previous-campaign input contradicts the lead's other two
// (leadrules.CheckPreviousCampaign).
func (s *Store) LeadUpdate(ctx context.Context, actor audit.Actor, who leadrules.Caller, id uuid.UUID,
	cond Precondition, c LeadChange) (db.Lead, error) {
	var out db.Lead
	err := s.InTx(ctx, func(tx *Tx) error {
		old, err := leadForUpdate(ctx, tx, id)
		if err != nil {
			return leadErr(err)
		}
		to := old.Status
		if c.Status != nil {
			to = *c.Status
		}
		if err := leadrules.CheckEdit(who, old.AssignedTo, old.Status, to, c.Assign); err != nil {
			return err
		}
		if err := cond.Check(old.Version); err != nil {
			return err
		}
		next := updateParams(old)
		changes := map[string]audit.Change{}
		if c.Status != nil && *c.Status != old.Status {
			if err := leadrules.CheckTransition(old.Status, *c.Status, who.Admin); err != nil {
				return err
			}
			changes["status"] = audit.Change{From: old.Status, To: *c.Status}
			next.Status = *c.Status
		}
		setStr(&next.Name, c.Name, "name", changes)
		apply(changes, "phone", &next.Phone, c.Phone)
		apply(changes, "email", &next.Email, c.Email)
		apply(changes, "notes", &next.Notes, c.Notes)
		assignee := actor.Name // the new assignee's name, for the summary
		// A claim checks the claimer too: one being deactivated (their leads
		// released) meanwhile must not be left the lead.
		if apply(changes, "assigned_to", &next.AssignedTo, Opt[uuid.UUID]{Set: c.Assign.Set, Value: c.Assign.To}) &&
			c.Assign.To != nil {
			u, err := activeAssignee(ctx, tx, *c.Assign.To)
			if err != nil {
				return err
			}
			assignee = u.Name
		}
		if err := releaseReopened(ctx, tx, old.Status, c.Assign, &next, changes); err != nil {
			return err
		}
		rescore := applyInputs(changes, &next, c.Inputs)
		if previousCampaignChanged(changes) {
			var stored []string // the inputs the patch left as they were
			for i, set := range []bool{c.Inputs.PreviousOutcome.Set, c.Inputs.PreviousContacts.Set,
				c.Inputs.DaysSincePreviousContact.Set} {
				if !set {
					stored = append(stored, leadrules.PreviousCampaignFields[i])
				}
			}
			if err := leadrules.CheckPreviousCampaign(next.PreviousOutcome, next.PreviousContacts,
				next.DaysSincePreviousContact, stored); err != nil {
				return err
			}
		}
		if len(changes) == 0 {
			out = old
			return nil
		}
		if out, err = tx.Q.LeadUpdate(ctx, next); err != nil {
			return leadErr(err)
		}
		if rescore {
			before := out
			if out, err = s.scoreLeadTx(ctx, tx, out); err != nil {
				return err
			}
			scoreChanges(changes, before, out)
		}
		return tx.Audit(ctx, audit.Event{
			Actor: actor, Action: "lead.update", EntityType: "lead", EntityID: id.String(),
			Summary: updateSummary(actor, old, out, changes, assignee), Changes: changes,
		})
	})
	return out, err
}

// LeadDelete soft-deletes a live lead (its activities and events stay) and
// writes its lead.delete event; a 404 apperr when there is none, then
// apperr.ErrStale (412) when cond does not hold.
func (s *Store) LeadDelete(ctx context.Context, actor audit.Actor, id uuid.UUID, cond Precondition) error {
	return s.InTx(ctx, func(tx *Tx) error {
		old, err := leadForUpdate(ctx, tx, id)
		if err != nil {
			return leadErr(err)
		}
		if err := cond.Check(old.Version); err != nil {
			return err
		}
		l, err := tx.Q.LeadSoftDelete(ctx, id)
		if err != nil {
			return leadErr(err)
		}
		return tx.Audit(ctx, audit.Event{
			Actor: actor, Action: "lead.delete", EntityType: "lead", EntityID: id.String(),
			Summary: fmt.Sprintf("%s deleted lead %s", actor.Name, l.Name),
			Changes: map[string]audit.Change{"deleted_at": {From: nil, To: l.DeletedAt}},
		})
	})
}

// activeAssignee returns the user a lead is being assigned to, or a 422
// when there is no such active user. The user stays active until the
// assignment commits: a deactivation in flight is waited for, never missed.
func activeAssignee(ctx context.Context, tx *Tx, id uuid.UUID) (db.User, error) {
	u, err := tx.Q.UserGetShared(ctx, id)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && !u.Active) {
		return u, apperr.Invalid("assigned_to", "no active user has this id")
	}
	return u, err
}

// releaseReopened unassigns a lead reopened while its seller is inactive,
// unless the same change names an assignee: a deactivation's release
// (release_leads) leaves closed leads with their seller, who keeps their
// wins and losses, and no one could work such a lead once it is open
// again (a seller may claim only an unassigned lead). For the same reason,
// an assignee named must be active even when it is the seller the lead
// already has, which names no change for the check of a new assignee.
func releaseReopened(ctx context.Context, tx *Tx, from string, a leadrules.Assign, next *db.LeadUpdateParams,
	changes map[string]audit.Change) error {
	if !leadrules.Closed(from) || leadrules.Closed(next.Status) || next.AssignedTo == nil {
		return nil
	}
	if a.Set {
		if _, changed := changes["assigned_to"]; changed {
			return nil // a new assignee, checked as such
		}
		_, err := activeAssignee(ctx, tx, *next.AssignedTo)
		return err
	}
	u, err := tx.Q.UserGetShared(ctx, *next.AssignedTo)
	if err != nil || u.Active {
		return err
	}
	apply(changes, "assigned_to", &next.AssignedTo, Opt[uuid.UUID]{Set: true})
	return nil
}

// leadErr turns a missing row into the lead's 404.
func leadErr(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return apperr.NotFound("lead")
	}
	return translate(err)
}

func derefID(p *uuid.UUID) uuid.UUID {
	if p == nil {
		return uuid.Nil
	}
	return *p
}

// leadForUpdate reads a live lead and locks it for a read-modify-write,
// after the table lock its UPDATE will need (see LeadsWriteIntent).
func leadForUpdate(ctx context.Context, tx *Tx, id uuid.UUID) (db.Lead, error) {
	if err := tx.Q.LeadsWriteIntent(ctx); err != nil {
		return db.Lead{}, err
	}
	return tx.Q.LeadGetForUpdate(ctx, id)
}
