package leadrules

import (
	"fmt"
	"strings"

	"github.com/jmksales/jmk/server/apperr"
)

// PreviousCampaignProblems lists how a lead's three previous-campaign inputs
// contradict one another, one entry per field involved, or nil. A nil value
// is unknown (days: never contacted) and contradicts nothing.
//
// In the bank's data a client outside any previous campaign (outcome none)
// has no previous contacts and no days since one, and a client with an
// outcome was contacted at least once. The model knows nothing else: given
// days with outcome none, it scores the days as a recent contact in a
// previous campaign, which is how a seller reading the field as "days since
// I last called" would turn a cold lead warm.
func PreviousCampaignProblems(outcome *string, contacts, days *int32) []apperr.FieldError {
	var out []apperr.FieldError
	add := func(field, format string, args ...any) {
		out = append(out, apperr.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
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
	if days != nil && (none || noContacts) {
		var because []string
		if none {
			because = append(because, "previous_outcome is none")
		}
		if noContacts {
			because = append(because, "previous_contacts is 0")
		}
		add("days_since_previous_contact", "counts the days since a contact in a previous campaign, so it must be "+
			"left out (null) when %s; contacts logged in this campaign are activities", strings.Join(because, " and "))
		if none {
			add("previous_outcome", "is none, which contradicts days_since_previous_contact %d", *days)
		}
		if noContacts {
			add("previous_contacts", "is 0, which contradicts days_since_previous_contact %d", *days)
		}
	}
	return out
}

// CheckPreviousCampaign is PreviousCampaignProblems as a 422, or nil.
func CheckPreviousCampaign(outcome *string, contacts, days *int32) error {
	fields := PreviousCampaignProblems(outcome, contacts, days)
	if fields == nil {
		return nil
	}
	return &apperr.Error{
		Status: 422,
		Detail: "the previous-campaign inputs contradict one another: " + fields[0].Field + " " + fields[0].Message,
		Fields: fields,
	}
}
