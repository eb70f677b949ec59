package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/leadrules"
)

// kindNote is the activity kind that records a remark, not a contact.
const kindNote = "note"

var kindPhrase = map[string]string{
	"call": "a call", "whatsapp": "a WhatsApp message", "email": "an e-mail", "meeting": "a meeting",
}

// leadContacts is what logging contacts changes on a lead.
type leadContacts struct {
	Status          string
	ContactCount    int32
	LastContactedAt *time.Time
}

// activityEvent is the activity.create event of a, logged on the lead named
// leadName, whose contacts were before and are after it (the same for a
// note). It records every field a was given, and for a contact what it did
// to the lead as lead.* changes. ActivityCreate and the demo seed both write
// it, so a demo contact's event reads as one logged through the API.
func activityEvent(actor audit.Actor, a db.ActivityInsertParams, leadName string, before, after leadContacts) audit.Event {
	changes := map[string]audit.Change{
		"lead_id": {To: a.LeadID}, "kind": {To: a.Kind}, "occurred_at": {To: a.OccurredAt},
	}
	for field, v := range map[string]any{
		"user_id": deref(a.UserID), "outcome": deref(a.Outcome), "duration_sec": deref(a.DurationSec), "notes": deref(a.Notes),
	} {
		if v != nil {
			changes[field] = audit.Change{To: v}
		}
	}
	summary := fmt.Sprintf("%s added a note to lead %s", actor.Name, leadName)
	if a.Kind != kindNote {
		changes["lead.contact_count"] = audit.Change{From: before.ContactCount, To: after.ContactCount}
		if !equalPtr(before.LastContactedAt, after.LastContactedAt) {
			changes["lead.last_contacted_at"] = audit.Change{From: deref(before.LastContactedAt), To: deref(after.LastContactedAt)}
		}
		summary = fmt.Sprintf("%s logged %s with lead %s", actor.Name, kindPhrase[a.Kind], leadName)
		if a.Outcome != nil && *a.Outcome != "" {
			summary += " (" + *a.Outcome + ")"
		}
	}
	return audit.Event{
		Actor: actor, Action: "activity.create", EntityType: "activity", EntityID: a.ID.String(),
		Summary: summary, Changes: changes,
	}
}

// contactLeadEvent is the lead.update event of a lead whose status logging
// contacts moved, so that the lead's own history shows them; by names the
// contacts ("a call").
func contactLeadEvent(actor audit.Actor, id uuid.UUID, name string, before, after leadContacts, by string) audit.Event {
	changes := map[string]audit.Change{
		"status":        {From: before.Status, To: after.Status},
		"contact_count": {From: before.ContactCount, To: after.ContactCount},
	}
	if !equalPtr(before.LastContactedAt, after.LastContactedAt) {
		changes["last_contacted_at"] = audit.Change{From: deref(before.LastContactedAt), To: deref(after.LastContactedAt)}
	}
	return audit.Event{
		Actor: actor, Action: "lead.update", EntityType: "lead", EntityID: id.String(),
		Summary: fmt.Sprintf("%s moved lead %s from %s to %s by logging %s", actor.Name, name, before.Status, after.Status, by),
		Changes: changes,
	}
}

// ActivityCreate logs an activity on a live lead on behalf of who and
// returns it with the lead as it is afterwards. Every kind but a note is a
// contact: last_contacted_at moves forward to occurred_at (never back),
// contact_count grows, and a new lead becomes contacted (a new version).
// One transaction writes the activity, the lead's side effects, an
// activity.create event (with the counters' changes) and, when the status
// moved, a lead.update event on the lead, so the lead's own history shows
// it. p.ID and p.UserID are set here.
//
// Errors: 404 apperr (no live lead), 403 (leadrules.CheckLog).
func (s *Store) ActivityCreate(ctx context.Context, actor audit.Actor, who leadrules.Caller,
	p db.ActivityInsertParams) (db.Activity, db.Lead, error) {
	var (
		out  db.Activity
		lead db.Lead
	)
	err := s.InTx(ctx, func(tx *Tx) error {
		old, err := leadForUpdate(ctx, tx, p.LeadID)
		if err != nil {
			return leadErr(err)
		}
		if err := leadrules.CheckLog(who, old.AssignedTo); err != nil {
			return err
		}
		p.ID = newID()
		p.UserID = &who.UserID
		if out, err = tx.Q.ActivityInsert(ctx, p); err != nil {
			return err
		}
		lead = old
		if out.Kind != kindNote {
			if lead, err = tx.Q.LeadRecordContact(ctx, db.LeadRecordContactParams{
				ID: old.ID, OccurredAt: out.OccurredAt, Status: leadrules.AfterContact(old.Status),
			}); err != nil {
				return leadErr(err)
			}
		}
		p.OccurredAt = out.OccurredAt // the events name it as the column keeps it
		before := leadContacts{old.Status, old.ContactCount, old.LastContactedAt}
		after := leadContacts{lead.Status, lead.ContactCount, lead.LastContactedAt}
		if err := tx.Audit(ctx, activityEvent(actor, p, old.Name, before, after)); err != nil {
			return err
		}
		if after.Status == before.Status {
			return nil
		}
		return tx.Audit(ctx, contactLeadEvent(actor, old.ID, old.Name, before, after, kindPhrase[out.Kind]))
	})
	return out, lead, err
}

// ActivityList returns a page of a live lead's activities, newest first,
// starting after (beforeAt, beforeID) when set; 404 apperr when there is no
// such lead.
func (s *Store) ActivityList(ctx context.Context, leadID uuid.UUID, beforeAt *time.Time, beforeID *uuid.UUID,
	limit int32) ([]db.Activity, error) {
	if _, err := s.LeadGet(ctx, leadID); err != nil {
		return nil, err
	}
	rows, err := s.q.ActivityList(ctx, db.ActivityListParams{LeadID: leadID, BeforeAt: beforeAt, BeforeID: beforeID, Lim: limit})
	return rows, translate(err)
}

// ActivityCount counts a lead's activities.
func (s *Store) ActivityCount(ctx context.Context, leadID uuid.UUID) (int64, error) {
	n, err := s.q.ActivityCount(ctx, leadID)
	return n, translate(err)
}
