package handlers

import (
	"strings"

	"github.com/google/uuid"
	"github.com/oapi-codegen/nullable"

	"github.com/jmksales/jmk/gen/api"
	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/apperr"
	"github.com/jmksales/jmk/server/leadrules"
	"github.com/jmksales/jmk/server/store"
	"github.com/jmksales/jmk/server/textrules"
)

// leadOut maps a stored lead to the API; unscored leads keep a null
// probability and category.
func leadOut(l db.Lead) api.Lead {
	return api.Lead{
		Id: l.ID, ExternalId: l.ExternalID, Name: l.Name, Phone: l.Phone, Email: l.Email,
		Status: api.LeadStatus(l.Status), Notes: l.Notes, AssignedTo: l.AssignedTo,
		Probability: l.Probability, Category: enumOut[api.Category](l.Category), ModelVersion: l.ModelVersion,
		ScoredAt: l.ScoredAt, LastContactedAt: l.LastContactedAt, ClosedAt: l.ClosedAt, ContactCount: l.ContactCount,
		Version: l.Version, CreatedAt: l.CreatedAt, UpdatedAt: l.UpdatedAt,
		Age: l.Age, Job: enumOut[api.Job](l.Job), Marital: enumOut[api.Marital](l.Marital),
		Education:        enumOut[api.Education](l.Education),
		CreditDefault:    enumOut[api.YesNoUnknown](l.CreditDefault),
		HousingLoan:      enumOut[api.YesNoUnknown](l.HousingLoan),
		PersonalLoan:     enumOut[api.YesNoUnknown](l.PersonalLoan),
		ContactChannel:   enumOut[api.ContactChannel](l.ContactChannel),
		LastContactMonth: enumOut[api.Month](l.LastContactMonth), LastContactWeekday: enumOut[api.Weekday](l.LastContactWeekday),
		LastCallDurationSec: l.LastCallDurationSec, CampaignContacts: l.CampaignContacts,
		DaysSincePreviousContact: l.DaysSincePreviousContact, PreviousContacts: l.PreviousContacts,
		PreviousOutcome: enumOut[api.PreviousOutcome](l.PreviousOutcome),
		EmpVarRate:      l.EmpVarRate, ConsPriceIdx: l.ConsPriceIdx, ConsConfIdx: l.ConsConfIdx,
		Euribor3m: l.Euribor3m, NrEmployed: l.NrEmployed,
	}
}

// leadInsert maps a new lead's body to the insert; the assignment is
// resolved by the caller.
func leadInsert(b api.LeadCreate) db.LeadInsertParams {
	p := db.LeadInsertParams{
		ExternalID: externalID(b.ExternalId), Name: strings.TrimSpace(b.Name), Phone: trimmed(b.Phone),
		Notes: notes(b.Notes),
		Age:   b.Age, Job: enumIn(b.Job), Marital: enumIn(b.Marital), Education: enumIn(b.Education),
		CreditDefault: enumIn(b.CreditDefault), HousingLoan: enumIn(b.HousingLoan),
		PersonalLoan: enumIn(b.PersonalLoan), ContactChannel: enumIn(b.ContactChannel),
		LastContactMonth: enumIn(b.LastContactMonth), LastContactWeekday: enumIn(b.LastContactWeekday),
		LastCallDurationSec: b.LastCallDurationSec, CampaignContacts: b.CampaignContacts,
		DaysSincePreviousContact: b.DaysSincePreviousContact, PreviousContacts: b.PreviousContacts,
		PreviousOutcome: enumIn(b.PreviousOutcome), EmpVarRate: b.EmpVarRate, ConsPriceIdx: b.ConsPriceIdx,
		ConsConfIdx: b.ConsConfIdx, Euribor3m: b.Euribor3m, NrEmployed: b.NrEmployed,
	}
	if b.Email != nil {
		e := strings.TrimSpace(string(*b.Email))
		p.Email = &e
	}
	return p
}

// leadChange maps a merge patch; me is the caller, for assigned_to "me".
func leadChange(b api.LeadPatch, me uuid.UUID) (store.LeadChange, error) {
	c := store.LeadChange{
		Phone: optTrim(b.Phone), Email: optTrim(b.Email), Notes: optNotes(b.Notes),
		Inputs: store.LeadInputs{
			Age: optOf(b.Age), Job: optEnum(b.Job), Marital: optEnum(b.Marital), Education: optEnum(b.Education),
			CreditDefault: optEnum(b.CreditDefault), HousingLoan: optEnum(b.HousingLoan),
			PersonalLoan: optEnum(b.PersonalLoan), ContactChannel: optEnum(b.ContactChannel),
			LastContactMonth: optEnum(b.LastContactMonth), LastContactWeekday: optEnum(b.LastContactWeekday),
			LastCallDurationSec: optOf(b.LastCallDurationSec), CampaignContacts: optOf(b.CampaignContacts),
			DaysSincePreviousContact: optOf(b.DaysSincePreviousContact), PreviousContacts: optOf(b.PreviousContacts),
			PreviousOutcome: optEnum(b.PreviousOutcome), EmpVarRate: optOf(b.EmpVarRate),
			ConsPriceIdx: optOf(b.ConsPriceIdx), ConsConfIdx: optOf(b.ConsConfIdx), Euribor3m: optOf(b.Euribor3m),
			NrEmployed: optOf(b.NrEmployed),
		},
	}
	if b.Name != nil {
		n := strings.TrimSpace(*b.Name)
		if n == "" {
			return c, apperr.BadRequest("name", "must not be blank")
		}
		c.Name = &n
	}
	if err := checkPhone(c.Phone.Value); err != nil {
		return c, err
	}
	if b.Status != nil {
		s := string(*b.Status)
		c.Status = &s
	}
	var err error
	c.Assign, err = assignment(b.AssignedTo, me)
	return c, err
}

// assignment resolves assigned_to: absent, null (unassigned), "me" or a
// user id.
func assignment(n nullable.Nullable[string], me uuid.UUID) (leadrules.Assign, error) {
	switch {
	case !n.IsSpecified():
		return leadrules.Assign{}, nil
	case n.IsNull():
		return leadrules.Assign{Set: true}, nil
	}
	v := n.MustGet()
	if v == "me" {
		return leadrules.Assign{Set: true, To: &me}, nil
	}
	id, err := uuid.Parse(v)
	if err != nil {
		return leadrules.Assign{}, apperr.BadRequest("assigned_to", "must be a user id (a UUID), me or null") // as the validator says
	}
	return leadrules.Assign{Set: true, To: &id}, nil
}

func activityOut(a db.Activity) api.Activity {
	return api.Activity{
		Id: a.ID, LeadId: a.LeadID, UserId: a.UserID, Kind: api.ActivityKind(a.Kind), Outcome: a.Outcome,
		DurationSec: a.DurationSec, Notes: a.Notes, OccurredAt: a.OccurredAt, CreatedAt: a.CreatedAt,
	}
}

// activityLoggedOut is a logged contact with its lead's state after it.
func activityLoggedOut(a db.Activity, l db.Lead) api.ActivityLogged {
	return api.ActivityLogged{
		Id: a.ID, LeadId: a.LeadID, UserId: a.UserID, Kind: api.ActivityKind(a.Kind), Outcome: a.Outcome,
		DurationSec: a.DurationSec, Notes: a.Notes, OccurredAt: a.OccurredAt, CreatedAt: a.CreatedAt,
		Lead: api.LeadAfterContact{Version: l.Version, Status: api.LeadStatus(l.Status),
			ContactCount: l.ContactCount, LastContactedAt: l.LastContactedAt},
	}
}

func enumOut[T ~string](s *string) *T {
	if s == nil {
		return nil
	}
	v := T(*s)
	return &v
}

func enumIn[T ~string](v *T) *string {
	if v == nil {
		return nil
	}
	s := string(*v)
	return &s
}

func optOf[T any](n nullable.Nullable[T]) store.Opt[T] {
	if !n.IsSpecified() {
		return store.Opt[T]{}
	}
	if n.IsNull() {
		return store.Opt[T]{Set: true}
	}
	v := n.MustGet()
	return store.Opt[T]{Set: true, Value: &v}
}

func optEnum[T ~string](n nullable.Nullable[T]) store.Opt[string] {
	o := optOf(n)
	return store.Opt[string]{Set: o.Set, Value: enumIn(o.Value)}
}

// optTrim trims a text field; blank text clears it.
func optTrim(n nullable.Nullable[string]) store.Opt[string] {
	o := optOf(n)
	o.Value = trimmed(o.Value)
	return o
}

// externalID trims an external id and stores it as leadrules.ExternalID
// says; nil for blank text.
func externalID(s *string) *string {
	t := trimmed(s)
	if t != nil {
		*t = leadrules.ExternalID(*t)
	}
	return t
}

// notes and optNotes store notes with LF line ends (leadrules.Notes), and
// blank notes as none, as an import reads the empty cell an export writes
// for them.
func notes(s *string) *string {
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil
	}
	n := leadrules.Notes(*s)
	return &n
}

func optNotes(n nullable.Nullable[string]) store.Opt[string] {
	o := optOf(n)
	o.Value = notes(o.Value)
	return o
}

// checkPhone applies textrules.PhoneProblem to a phone as it is stored
// (trimmed), which the spec's pattern does not see.
func checkPhone(phone *string) error {
	if phone == nil {
		return nil
	}
	if msg := textrules.PhoneProblem(*phone); msg != "" {
		return apperr.BadRequest("phone", msg)
	}
	return nil
}

// trimmed trims s; nil for blank text.
func trimmed(s *string) *string {
	if s == nil {
		return nil
	}
	t := strings.TrimSpace(*s)
	if t == "" {
		return nil
	}
	return &t
}
