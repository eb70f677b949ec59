package store

import (
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/audit"
	"github.com/jmksales/jmk/server/leadrules"
)

// Opt is one field of a JSON merge patch: absent unless Set; Set with a nil
// Value clears the field.
type Opt[T any] struct {
	Set   bool
	Value *T
}

// LeadInputs is a change to the scoring inputs of a lead, one Opt per input.
type LeadInputs struct {
	Age                      Opt[int32]
	Job                      Opt[string]
	Marital                  Opt[string]
	Education                Opt[string]
	CreditDefault            Opt[string]
	HousingLoan              Opt[string]
	PersonalLoan             Opt[string]
	ContactChannel           Opt[string]
	LastContactMonth         Opt[string]
	LastContactWeekday       Opt[string]
	LastCallDurationSec      Opt[int32]
	CampaignContacts         Opt[int32]
	DaysSincePreviousContact Opt[int32]
	PreviousContacts         Opt[int32]
	PreviousOutcome          Opt[string]
	EmpVarRate               Opt[float64]
	ConsPriceIdx             Opt[float64]
	ConsConfIdx              Opt[float64]
	Euribor3m                Opt[float64]
	NrEmployed               Opt[float64]
}

// LeadChange is a merge patch of a lead. Name and Status cannot be cleared;
// Assign.To has been resolved ("me" is the caller's id).
type LeadChange struct {
	Name                *string
	Status              *string
	Phone, Email, Notes Opt[string]
	Assign              leadrules.Assign
	Inputs              LeadInputs
}

// apply sets *dst to o's value when o is set and differs, recording the
// change; it reports whether anything changed.
func apply[T comparable](changes map[string]audit.Change, field string, dst **T, o Opt[T]) bool {
	if !o.Set || equalPtr(*dst, o.Value) {
		return false
	}
	changes[field] = audit.Change{From: deref(*dst), To: deref(o.Value)}
	*dst = o.Value
	return true
}

// applyInputs merges the scoring inputs into p; it reports whether any changed.
func applyInputs(ch map[string]audit.Change, p *db.LeadUpdateParams, in LeadInputs) bool {
	changed := false
	for _, ok := range []bool{
		apply(ch, "age", &p.Age, in.Age),
		apply(ch, "job", &p.Job, in.Job),
		apply(ch, "marital", &p.Marital, in.Marital),
		apply(ch, "education", &p.Education, in.Education),
		apply(ch, "credit_default", &p.CreditDefault, in.CreditDefault),
		apply(ch, "housing_loan", &p.HousingLoan, in.HousingLoan),
		apply(ch, "personal_loan", &p.PersonalLoan, in.PersonalLoan),
		apply(ch, "contact_channel", &p.ContactChannel, in.ContactChannel),
		apply(ch, "last_contact_month", &p.LastContactMonth, in.LastContactMonth),
		apply(ch, "last_contact_weekday", &p.LastContactWeekday, in.LastContactWeekday),
		apply(ch, "last_call_duration_sec", &p.LastCallDurationSec, in.LastCallDurationSec),
		apply(ch, "campaign_contacts", &p.CampaignContacts, in.CampaignContacts),
		apply(ch, "days_since_previous_contact", &p.DaysSincePreviousContact, in.DaysSincePreviousContact),
		apply(ch, "previous_contacts", &p.PreviousContacts, in.PreviousContacts),
		apply(ch, "previous_outcome", &p.PreviousOutcome, in.PreviousOutcome),
		apply(ch, "emp_var_rate", &p.EmpVarRate, in.EmpVarRate),
		apply(ch, "cons_price_idx", &p.ConsPriceIdx, in.ConsPriceIdx),
		apply(ch, "cons_conf_idx", &p.ConsConfIdx, in.ConsConfIdx),
		apply(ch, "euribor_3m", &p.Euribor3m, in.Euribor3m),
		apply(ch, "nr_employed", &p.NrEmployed, in.NrEmployed),
	} {
		changed = changed || ok
	}
	return changed
}

// previousCampaignChanged reports whether changes touch a previous-campaign
// input. Only then are the three checked together: a lead stored before the
// check with inputs that contradict one another can still change the rest.
func previousCampaignChanged(changes map[string]audit.Change) bool {
	for _, f := range leadrules.PreviousCampaignFields {
		if _, ok := changes[f]; ok {
			return true
		}
	}
	return false
}

// updateParams is the update that writes l back unchanged.
func updateParams(l db.Lead) db.LeadUpdateParams {
	return db.LeadUpdateParams{
		ID: l.ID, Version: l.Version, Name: l.Name, Phone: l.Phone, Email: l.Email, Notes: l.Notes,
		Status: l.Status, AssignedTo: l.AssignedTo,
		Age: l.Age, Job: l.Job, Marital: l.Marital, Education: l.Education, CreditDefault: l.CreditDefault,
		HousingLoan: l.HousingLoan, PersonalLoan: l.PersonalLoan, ContactChannel: l.ContactChannel,
		LastContactMonth: l.LastContactMonth, LastContactWeekday: l.LastContactWeekday,
		LastCallDurationSec: l.LastCallDurationSec, CampaignContacts: l.CampaignContacts,
		DaysSincePreviousContact: l.DaysSincePreviousContact, PreviousContacts: l.PreviousContacts,
		PreviousOutcome: l.PreviousOutcome, EmpVarRate: l.EmpVarRate, ConsPriceIdx: l.ConsPriceIdx,
		ConsConfIdx: l.ConsConfIdx, Euribor3m: l.Euribor3m, NrEmployed: l.NrEmployed,
	}
}

// createChanges records every field a new lead was given.
func createChanges(l db.Lead) map[string]audit.Change {
	ch := map[string]audit.Change{"name": {To: l.Name}, "status": {To: l.Status}}
	add := func(field string, v any) {
		if v != nil {
			ch[field] = audit.Change{To: v}
		}
	}
	add("external_id", deref(l.ExternalID))
	add("phone", deref(l.Phone))
	add("email", deref(l.Email))
	add("notes", deref(l.Notes))
	add("assigned_to", deref(l.AssignedTo))
	// The inputs: diff against an empty lead.
	empty := db.LeadUpdateParams{}
	in := updateParams(l)
	applyInputs(ch, &empty, LeadInputs{
		Age: opt(in.Age), Job: opt(in.Job), Marital: opt(in.Marital), Education: opt(in.Education),
		CreditDefault: opt(in.CreditDefault), HousingLoan: opt(in.HousingLoan), PersonalLoan: opt(in.PersonalLoan),
		ContactChannel: opt(in.ContactChannel), LastContactMonth: opt(in.LastContactMonth),
		LastContactWeekday: opt(in.LastContactWeekday), LastCallDurationSec: opt(in.LastCallDurationSec),
		CampaignContacts: opt(in.CampaignContacts), DaysSincePreviousContact: opt(in.DaysSincePreviousContact),
		PreviousContacts: opt(in.PreviousContacts), PreviousOutcome: opt(in.PreviousOutcome),
		EmpVarRate: opt(in.EmpVarRate), ConsPriceIdx: opt(in.ConsPriceIdx), ConsConfIdx: opt(in.ConsConfIdx),
		Euribor3m: opt(in.Euribor3m), NrEmployed: opt(in.NrEmployed),
	})
	return ch
}

func opt[T any](v *T) Opt[T] { return Opt[T]{Set: true, Value: v} }

func equalPtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

// deref is the value for an audit change: nil for a null.
func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// updateSummary is the one sentence of a lead.update event, e.g. "Ana Silva
// claimed lead Rui Costa, moved it from new to contacted and changed notes".
// assignee is the new assignee's name when the assignment changed to someone
// other than the actor.
func updateSummary(actor audit.Actor, old, now db.Lead, changes map[string]audit.Change, assignee string) string {
	var clauses []string
	subject := func() string {
		if len(clauses) == 0 {
			return "lead " + now.Name
		}
		return "it"
	}
	if _, ok := changes["assigned_to"]; ok {
		switch {
		case now.AssignedTo == nil:
			clauses = append(clauses, "unassigned "+subject())
		case actor.ID != nil && *now.AssignedTo == *actor.ID && old.AssignedTo == nil:
			clauses = append(clauses, "claimed "+subject())
		default:
			clauses = append(clauses, "assigned "+subject()+" to "+assignee)
		}
	}
	if _, ok := changes["status"]; ok {
		clauses = append(clauses, fmt.Sprintf("moved %s from %s to %s", subject(), old.Status, now.Status))
	}
	rest := map[string]audit.Change{}
	for k, v := range changes {
		if k != "assigned_to" && k != "status" && k != "probability" && k != "category" {
			rest[k] = v
		}
	}
	if len(rest) > 0 {
		if len(clauses) == 0 {
			clauses = append(clauses, "changed "+changedFields(rest)+" of lead "+now.Name)
		} else {
			clauses = append(clauses, "changed "+changedFields(rest))
		}
	}
	if len(clauses) == 0 { // only the score moved
		clauses = append(clauses, "re-scored lead "+now.Name)
	}
	s := clauses[0]
	if n := len(clauses); n > 1 {
		s = strings.Join(clauses[:n-1], ", ") + " and " + clauses[n-1]
	}
	return actor.Name + " " + s
}

// scoreChanges records a score that moved when the lead was re-scored.
func scoreChanges(changes map[string]audit.Change, before, after db.Lead) {
	if !equalPtr(before.Probability, after.Probability) {
		changes["probability"] = audit.Change{From: deref(before.Probability), To: deref(after.Probability)}
	}
	if !equalPtr(before.Category, after.Category) {
		changes["category"] = audit.Change{From: deref(before.Category), To: deref(after.Category)}
	}
}

// isUser reports whether p points at id.
func isUser(p *uuid.UUID, id uuid.UUID) bool { return p != nil && *p == id }
