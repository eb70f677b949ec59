package leadrules

import (
	"errors"
	"slices"
	"testing"

	"github.com/jmksales/jmk/server/apperr"
)

func TestPreviousCampaignProblems(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	num := func(n int32) *int32 { return &n }
	for _, tc := range []struct {
		name           string
		outcome        *string
		contacts, days *int32
		want           []string // the fields named, in order
	}{
		// The combinations of the bank's data, and unknowns.
		{"NeverContacted", str("none"), num(0), nil, nil},
		{"FailureWithoutDays", str("failure"), num(2), nil, nil},
		{"FailureWithDays", str("failure"), num(1), num(6), nil},
		{"Success", str("success"), num(1), num(3), nil},
		{"AllUnknown", nil, nil, nil, nil},
		{"OutcomeOnly", str("failure"), nil, nil, nil},
		{"SuccessContactsUnknown", str("success"), nil, num(3), nil},
		// Contradictions: each names every field involved, once.
		{"OnlyDays", nil, nil, num(3), []string{"days_since_previous_contact", "previous_outcome"}},
		{"DaysWithContactsOnly", nil, num(3), num(3), []string{"days_since_previous_contact", "previous_outcome"}},
		{"NoneWithContacts", str("none"), num(2), nil, []string{"previous_outcome", "previous_contacts"}},
		{"NoneWithDays", str("none"), nil, num(2), []string{"days_since_previous_contact", "previous_outcome"}},
		{"NoneNoContactsWithDays", str("none"), num(0), num(2),
			[]string{"days_since_previous_contact", "previous_outcome", "previous_contacts"}},
		{"NoneWithBoth", str("none"), num(1), num(2),
			[]string{"previous_outcome", "previous_contacts", "days_since_previous_contact"}},
		{"FailureWithoutContacts", str("failure"), num(0), nil, []string{"previous_outcome", "previous_contacts"}},
		{"SuccessWithoutContacts", str("success"), num(0), num(4),
			[]string{"previous_outcome", "previous_contacts", "days_since_previous_contact"}},
		{"DaysWithoutContacts", nil, num(0), num(4),
			[]string{"days_since_previous_contact", "previous_outcome", "previous_contacts"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var got []string
			for _, p := range PreviousCampaignProblems(tc.outcome, tc.contacts, tc.days) {
				got = append(got, p.Field)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("fields %v, want %v", got, tc.want)
			}
			err := CheckPreviousCampaign(tc.outcome, tc.contacts, tc.days, false)
			var ae *apperr.Error
			if (err == nil) != (tc.want == nil) || err != nil && (!errors.As(err, &ae) || ae.Status != 422) {
				t.Errorf("CheckPreviousCampaign = %v", err)
			}
		})
	}
}
