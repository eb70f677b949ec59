package leadrules

import (
	"fmt"
	"net/http"
	"slices"

	"github.com/jmksales/jmk/server/apperr"
)

// PreviousCampaignFields are the three inputs PreviousCampaignProblems
// checks together, by their API names.
var PreviousCampaignFields = []string{"previous_outcome", "previous_contacts", "days_since_previous_contact"}

// PreviousCampaignProblems lists how a lead's three previous-campaign inputs
// contradict one another, one entry per field involved, or nil. A nil
// outcome or contact count is unknown; nil days means never contacted.
//
// In the bank's data a client outside any previous campaign (outcome none)
// has no previous contacts and no days since one, a client with an outcome
// was contacted at least once, and days come only with an outcome. The
// model knows nothing else: given days alone, it scores them as a recent
// contact in a previous campaign, which is how a seller reading the field
// as "days since I last called" would turn a cold lead warm.
//
// The import finds the rows to refuse in SQL (ImportStagePreviousCampaign,
// queries/import.sql), which must select exactly those this refuses.
func PreviousCampaignProblems(outcome *string, contacts, days *int32) []apperr.FieldError {
	var out []apperr.FieldError
	add := func(field, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if i := slices.IndexFunc(out, func(f apperr.FieldError) bool { return f.Field == field }); i >= 0 {
			out[i].Message += "; " + msg // one entry per field, for a form that keys them so
			return
		}
		out = append(out, apperr.FieldError{Field: field, Message: msg})
	}
	none := outcome != nil && *outcome == "none"
	noContacts := contacts != nil && *contacts == 0
	switch {
	case none && contacts != nil && *contacts > 0:
		add("previous_outcome", "is none (not part of a previous campaign), which contradicts previous_contacts %d", *contacts)
		add("previous_contacts", "must be 0 when previous_outcome is none, or give the previous campaign's outcome")
	case outcome != nil && !none && noContacts:
		add("previous_outcome", "is %s, which needs at least one contact in the previous campaign, but previous_contacts is 0", *outcome)
		add("previous_contacts", "must be at least 1 when previous_outcome is %s", *outcome)
	}
	if days != nil && (outcome == nil || none || noContacts) {
		add("days_since_previous_contact", "counts the days since a contact in a previous campaign, so it needs "+
			"previous_outcome failure or success and at least one previous contact; for a client never contacted "+
			"before leave it out (null; in a CSV file an empty cell, or 999 as UCI's pdays). Contacts logged here "+
			"are activities, not this")
		switch {
		case outcome == nil:
			add("previous_outcome", "must be failure or success when days_since_previous_contact is given")
		case none:
			add("previous_outcome", "is none, which contradicts days_since_previous_contact %d", *days)
		}
		if noContacts {
			add("previous_contacts", "is 0, which contradicts days_since_previous_contact %d", *days)
		}
	}
	return out
}

// CheckPreviousCampaign is PreviousCampaignProblems as a 422, or nil. With
// stored, the inputs are a change merged with a lead's stored values, and
// the detail says so: a client may be told of a field it did not send.
func CheckPreviousCampaign(outcome *string, contacts, days *int32, stored bool) error {
	fields := PreviousCampaignProblems(outcome, contacts, days)
	if fields == nil {
		return nil
	}
	subject := "the previous-campaign inputs"
	if stored {
		subject += " (the lead's stored values for those not sent)"
	}
	return &apperr.Error{
		Status: http.StatusUnprocessableEntity, Err: apperr.ErrInvalid,
		Detail: subject + " contradict one another: " + fields[0].Field + " " + fields[0].Message,
		Fields: fields,
	}
}
