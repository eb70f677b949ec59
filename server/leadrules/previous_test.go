package leadrules

import (
	"errors"
	"slices"
	"strconv"
	"strings"
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
			err := CheckPreviousCampaign(tc.outcome, tc.contacts, tc.days, nil)
			var ae *apperr.Error
			if (err == nil) != (tc.want == nil) || err != nil && (!errors.As(err, &ae) || ae.Status != 422) {
				t.Errorf("CheckPreviousCampaign = %v", err)
			}
		})
	}
}

// The API says a contradiction briefly, led by a field the client sent,
// with the lead's stored values it involves and the fix; the import's
// words (cells, UCI's pdays) stay the import's.
func TestCheckPreviousCampaignWords(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	num := func(n int32) *int32 { return &n }
	const (
		outcome  = "previous_outcome"
		contacts = "previous_contacts"
		days     = "days_since_previous_contact"
		daysHead = "days_since_previous_contact: counts days since a contact in a previous campaign (not a call logged here), " +
			"so it needs previous_outcome failure or success and previous_contacts 1 or more"
		neverTail = "; for a client never contacted in one, send null"
	)
	for _, tc := range []struct {
		name           string
		outcome        *string
		contacts, days *int32
		stored         []string
		want           string
	}{
		{"PatchNoneOnContacted", str("none"), num(1), num(6), []string{contacts, days},
			"previous_outcome: is none, which needs previous_contacts 0 and no days_since_previous_contact (the lead has 1 and 6): change them in the same PATCH"},
		{"PatchNoneOnDays", str("none"), num(0), num(6), []string{contacts, days},
			"previous_outcome: is none, which needs no days_since_previous_contact (the lead has 6): change it in the same PATCH"},
		{"PatchNoneWithContacts", str("none"), num(2), num(6), []string{days},
			"previous_outcome: is none, which needs previous_contacts 0 and no days_since_previous_contact (the lead has days_since_previous_contact 6): change it in the same PATCH"},
		{"PatchFailureOnNoContacts", str("failure"), num(0), nil, []string{contacts, days},
			"previous_outcome: is failure, which needs previous_contacts 1 or more (the lead has 0): change it in the same PATCH"},
		{"PatchNoContactsOnSuccess", str("success"), num(0), nil, []string{outcome, days},
			"previous_contacts: must be 1 or more when previous_outcome is success (the lead has success): change it in the same PATCH"},
		{"PatchContactsOnNone", str("none"), num(3), nil, []string{outcome, days},
			"previous_contacts: must be 0 when previous_outcome is none (the lead has none): change it in the same PATCH"},
		// Days typed as "days since I called": the hint, and the stored values.
		{"PatchDaysOnNone", str("none"), num(0), num(2), []string{outcome, contacts},
			daysHead + " (the lead has none and 0): change them in the same PATCH" + neverTail},
		{"PatchDaysOnUnknown", nil, nil, num(2), []string{outcome, contacts},
			daysHead + " (the lead has no previous_outcome): change it in the same PATCH" + neverTail},
		{"PatchDaysAndNone", str("none"), nil, num(2), []string{contacts},
			daysHead + neverTail},
		// Sent whole (a new lead, a prediction): the message is the fix.
		{"CreateNoneWithDays", str("none"), nil, num(2), nil, daysHead + neverTail},
		{"CreateNoneWithContacts", str("none"), num(2), nil, nil, "previous_outcome: is none, which needs previous_contacts 0"},
		{"CreateDaysWithoutOutcome", nil, num(3), num(3), nil, daysHead + neverTail},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := CheckPreviousCampaign(tc.outcome, tc.contacts, tc.days, tc.stored)
			var ae *apperr.Error
			if !errors.As(err, &ae) {
				t.Fatalf("err %v", err)
			}
			if ae.Detail != tc.want {
				t.Errorf("detail\n got %q\nwant %q", ae.Detail, tc.want)
			}
			// The same fields as the import's, each with a message of its own.
			imp := PreviousCampaignProblems(tc.outcome, tc.contacts, tc.days)
			if len(ae.Fields) != len(imp) {
				t.Fatalf("fields %v, the import's %v", ae.Fields, imp)
			}
			for i, f := range ae.Fields {
				if f.Field != imp[i].Field || f.Message == "" || strings.Contains(f.Message, "CSV") || strings.Contains(f.Message, "999") {
					t.Errorf("field %+v (the import's %+v)", f, imp[i])
				}
			}
		})
	}
	// The import's words are its own.
	if p := PreviousCampaignProblems(nil, nil, num(2)); !strings.Contains(p[0].Message, "in a CSV file an empty cell, or 999 as UCI's pdays") {
		t.Errorf("import: %+v", p)
	}
}

// The rule is worded twice, for the API (CheckPreviousCampaign) and for the
// CSV import (PreviousCampaignProblems): for every combination of the three
// inputs, and whichever of them are the lead's stored values, both flag the
// same fields in the same order, and the API's words stand on their own.
func TestPreviousCampaignWordingsAgree(t *testing.T) {
	t.Parallel()
	str := func(s string) *string { return &s }
	num := func(n int32) *int32 { return &n }
	outcomes := []*string{nil, str("none"), str("failure"), str("success")}
	counts := []*int32{nil, num(0), num(1), num(3)}
	dayss := []*int32{nil, num(0), num(6)}
	show := func(p *int32) string {
		if p == nil {
			return "nil"
		}
		return strconv.Itoa(int(*p))
	}
	garbled := func(s string) bool { return strings.Contains(s, "%!") || strings.Contains(s, "<nil>") }
	contradictions := 0
	for _, outcome := range outcomes {
		for _, contacts := range counts {
			for _, days := range dayss {
				name := "nil"
				if outcome != nil {
					name = *outcome
				}
				name += "/" + show(contacts) + "/" + show(days)
				var want []string
				for _, p := range PreviousCampaignProblems(outcome, contacts, days) {
					want = append(want, p.Field)
				}
				if want != nil {
					contradictions++
				}
				for mask := range 1 << len(PreviousCampaignFields) {
					var stored []string
					for i, f := range PreviousCampaignFields {
						if mask&(1<<i) != 0 {
							stored = append(stored, f)
						}
					}
					err := CheckPreviousCampaign(outcome, contacts, days, stored)
					if want == nil {
						if err != nil {
							t.Errorf("%s stored %v: the import takes it, the API says %v", name, stored, err)
						}
						continue
					}
					var ae *apperr.Error
					if !errors.As(err, &ae) {
						t.Errorf("%s stored %v: the import flags %v, the API says %v", name, stored, want, err)
						continue
					}
					var got []string
					for _, f := range ae.Fields {
						got = append(got, f.Field)
						if f.Message == "" || garbled(f.Message) || strings.Contains(f.Message, "999") {
							t.Errorf("%s: %s: %q", name, f.Field, f.Message)
						}
					}
					if !slices.Equal(got, want) {
						t.Errorf("%s stored %v: the API flags %v, the import %v", name, stored, got, want)
					}
					// The detail is led by a flagged field the client sent,
					// when it sent one.
					lead, _, _ := strings.Cut(ae.Detail, ": ")
					sent := slices.ContainsFunc(want, func(f string) bool { return !slices.Contains(stored, f) })
					if !slices.Contains(want, lead) || sent && slices.Contains(stored, lead) ||
						garbled(ae.Detail) {
						t.Errorf("%s stored %v: detail %q", name, stored, ae.Detail)
					}
				}
			}
		}
	}
	if contradictions == 0 {
		t.Fatal("no contradiction among the combinations")
	}
}
