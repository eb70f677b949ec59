package leadrules

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/jmksales/jmk/server/apperr"
)

// PreviousCampaignFields are the three inputs PreviousCampaignProblems
// checks together, by their API names.
var PreviousCampaignFields = []string{"previous_outcome", "previous_contacts", "days_since_previous_contact"}

// PreviousCampaignProblems lists how a lead's three previous-campaign inputs
// contradict one another, one entry per field involved, or nil, in the
// words of the CSV import (CheckPreviousCampaign has the API's). A nil
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

// CheckPreviousCampaign is PreviousCampaignProblems as a 422 in the API's
// words, or nil: the same fields, each told what the others need, and a
// detail led by the first field the client sent. stored names the inputs
// that are the lead's stored values, which a PATCH did not send (nil when
// the request gave all three): the detail quotes them and says to change
// them in the same PATCH. The CSV import keeps PreviousCampaignProblems'
// words, which speak of cells and UCI's pdays.
func CheckPreviousCampaign(outcome *string, contacts, days *int32, stored []string) error {
	problems := PreviousCampaignProblems(outcome, contacts, days)
	if problems == nil {
		return nil
	}
	in := previousInputs{outcome, contacts, days}
	fields := make([]apperr.FieldError, len(problems))
	lead := -1
	var words []previousWords
	for i, p := range problems {
		w := in.words(p.Field)
		words = append(words, w)
		fields[i] = apperr.FieldError{Field: p.Field, Message: w.head + w.tail}
		if lead < 0 && !slices.Contains(stored, p.Field) {
			lead = i
		}
	}
	lead = max(lead, 0)
	w := words[lead]
	var noted []string // the stored values the message is about, when they take part
	for _, f := range w.refs {
		if slices.Contains(stored, f) && slices.ContainsFunc(fields, func(e apperr.FieldError) bool { return e.Field == f }) {
			noted = append(noted, f)
		}
	}
	detail := fields[lead].Field + ": " + w.head
	if len(noted) > 0 {
		it := "them"
		if len(noted) == 1 {
			it = "it"
		}
		detail += " (the lead has " + in.quote(noted, slices.Equal(noted, w.refs)) + "): change " + it + " in the same PATCH"
	}
	return &apperr.Error{
		Status: http.StatusUnprocessableEntity, Err: apperr.ErrInvalid,
		Detail: detail + w.tail,
		Fields: fields,
	}
}

// previousInputs are a lead's three previous-campaign inputs.
type previousInputs struct {
	outcome        *string
	contacts, days *int32
}

// previousWords is what the API tells a field of a contradiction: head
// says what it needs of the inputs refs, tail another way out.
type previousWords struct {
	head, tail string
	refs       []string
}

// words is the API's message for field, one that PreviousCampaignProblems
// names for in.
func (in previousInputs) words(field string) previousWords {
	none := in.outcome != nil && *in.outcome == "none"
	switch field {
	case "previous_outcome":
		switch {
		case none:
			var needs, refs []string
			if in.contacts != nil && *in.contacts > 0 {
				needs, refs = append(needs, "previous_contacts 0"), append(refs, "previous_contacts")
			}
			if in.days != nil {
				needs, refs = append(needs, "no days_since_previous_contact"), append(refs, "days_since_previous_contact")
			}
			return previousWords{head: "is none, which needs " + strings.Join(needs, " and "), refs: refs}
		case in.outcome != nil:
			return previousWords{head: "is " + *in.outcome + ", which needs previous_contacts 1 or more",
				refs: []string{"previous_contacts"}}
		}
		return previousWords{head: "must be failure or success when days_since_previous_contact is given",
			refs: []string{"days_since_previous_contact"}}
	case "previous_contacts":
		switch {
		case none && *in.contacts > 0:
			return previousWords{head: "must be 0 when previous_outcome is none", refs: []string{"previous_outcome"}}
		case in.outcome != nil && !none:
			return previousWords{head: "must be 1 or more when previous_outcome is " + *in.outcome, refs: []string{"previous_outcome"}}
		}
		return previousWords{head: "is 0, which needs no days_since_previous_contact", refs: []string{"days_since_previous_contact"}}
	}
	return previousWords{
		head: "counts days since a contact in a previous campaign (not a call logged here), so it needs " +
			"previous_outcome failure or success and previous_contacts 1 or more",
		tail: "; for a client never contacted in one, send null",
		refs: []string{"previous_outcome", "previous_contacts"},
	}
}

// quote gives the values of fields: bare when fields are all the inputs
// the message names (allRefs: each value then follows its name there, in
// its order) and none is missing, else each with its name.
func (in previousInputs) quote(fields []string, allRefs bool) string {
	plain := allRefs
	bare := make([]string, len(fields))
	named := make([]string, len(fields))
	for i, f := range fields {
		switch {
		case f == "previous_outcome" && in.outcome != nil:
			bare[i] = *in.outcome
		case f == "previous_contacts" && in.contacts != nil:
			bare[i] = strconv.Itoa(int(*in.contacts))
		case f == "days_since_previous_contact" && in.days != nil:
			bare[i] = strconv.Itoa(int(*in.days))
		}
		named[i] = f + " " + bare[i]
		if bare[i] == "" {
			named[i], plain = "no "+f, false
		}
	}
	if plain {
		return strings.Join(bare, " and ")
	}
	return strings.Join(named, " and ")
}
