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
		changes := map[string]audit.Change{
			"lead_id": {To: out.LeadID}, "kind": {To: out.Kind}, "occurred_at": {To: out.OccurredAt},
		}
		for field, v := range map[string]any{
			"outcome": deref(out.Outcome), "duration_sec": deref(out.DurationSec), "notes": deref(out.Notes),
		} {
			if v != nil {
				changes[field] = audit.Change{To: v}
			}
		}
		lead = old
		summary := fmt.Sprintf("%s added a note to lead %s", actor.Name, old.Name)
		if out.Kind != kindNote {
			if lead, err = tx.Q.LeadRecordContact(ctx, db.LeadRecordContactParams{
				ID: old.ID, OccurredAt: out.OccurredAt, Status: leadrules.AfterContact(old.Status),
			}); err != nil {
				return leadErr(err)
			}
			changes["lead.contact_count"] = audit.Change{From: old.ContactCount, To: lead.ContactCount}
			if !equalPtr(old.LastContactedAt, lead.LastContactedAt) {
				changes["lead.last_contacted_at"] = audit.Change{From: deref(old.LastContactedAt), To: deref(lead.LastContactedAt)}
			}
			summary = fmt.Sprintf("%s logged %s with lead %s", actor.Name, kindPhrase[out.Kind], old.Name)
			if out.Outcome != nil && *out.Outcome != "" {
				summary += " (" + *out.Outcome + ")"
			}
		}
		if err := tx.Audit(ctx, audit.Event{
			Actor: actor, Action: "activity.create", EntityType: "activity", EntityID: out.ID.String(),
			Summary: summary, Changes: changes,
		}); err != nil {
			return err
		}
		if lead.Status == old.Status {
			return nil
		}
		// The lead's own history shows all the contact changed on it.
		leadChanges := map[string]audit.Change{
			"status":        {From: old.Status, To: lead.Status},
			"contact_count": {From: old.ContactCount, To: lead.ContactCount},
		}
		if c, ok := changes["lead.last_contacted_at"]; ok {
			leadChanges["last_contacted_at"] = c
		}
		return tx.Audit(ctx, audit.Event{
			Actor: actor, Action: "lead.update", EntityType: "lead", EntityID: old.ID.String(),
			Summary: fmt.Sprintf("%s moved lead %s from %s to %s by logging %s",
				actor.Name, old.Name, old.Status, lead.Status, kindPhrase[out.Kind]),
			Changes: leadChanges,
		})
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
