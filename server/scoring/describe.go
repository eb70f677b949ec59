package scoring

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The words a sales person reads next to a score. They describe the value,
// not the model; the sign of the contribution says which way it pushed.

// Factor values for a field the lead has no value for: a categorical field
// is scored as its "unknown" level, as in the data where the bank did not
// know (or as its average effect when training never saw an unknown); a
// number as its learnt missing-value effect, or its average.
const (
	notGivenUnknown = "not given (scored as unknown)"
	imputedValue    = "not given (average assumed)"
)

// catLabels gives, per categorical field, the description of each level and
// of an unknown value.
var catLabels = [numCategorical]struct {
	levels  map[string]string
	unknown string
}{
	catJob: {levels: map[string]string{"admin": "Administrative job", "blue_collar": "Blue-collar job", "entrepreneur": "Entrepreneur",
		"housemaid": "Housemaid", "management": "Manager", "retired": "Retired", "self_employed": "Self-employed",
		"services": "Services job", "student": "Student", "technician": "Technician", "unemployed": "Unemployed"},
		unknown: "Job unknown"},
	catMarital:            {levels: map[string]string{"married": "Married", "single": "Single", "divorced": "Divorced or widowed"}, unknown: "Marital status unknown"},
	catEducation:          {levels: map[string]string{"basic_4y": "Basic education (4 years)", "basic_6y": "Basic education (6 years)", "basic_9y": "Basic education (9 years)", "high_school": "High school education", "illiterate": "No formal education", "professional_course": "Professional course", "university_degree": "University degree"}, unknown: "Education unknown"},
	catCreditDefault:      {levels: map[string]string{"yes": "Has credit in default", "no": "No credit in default"}, unknown: "Credit default status unknown"},
	catHousingLoan:        {levels: map[string]string{"yes": "Has a housing loan", "no": "No housing loan"}, unknown: "Housing loan unknown"},
	catPersonalLoan:       {levels: map[string]string{"yes": "Has a personal loan", "no": "No personal loan"}, unknown: "Personal loan unknown"},
	catContactChannel:     {levels: map[string]string{"cellular": "Reached on a mobile phone", "telephone": "Reached on a landline"}, unknown: "Contact channel unknown"},
	catLastContactMonth:   {unknown: "Month of the campaign's last contact unknown"},
	catLastContactWeekday: {levels: map[string]string{"mon": "Campaign's last contact on a Monday", "tue": "Campaign's last contact on a Tuesday", "wed": "Campaign's last contact on a Wednesday", "thu": "Campaign's last contact on a Thursday", "fri": "Campaign's last contact on a Friday", "sat": "Campaign's last contact on a Saturday", "sun": "Campaign's last contact on a Sunday"}, unknown: "Weekday of the campaign's last contact unknown"},
	catPreviousOutcome:    {levels: map[string]string{"none": "Not part of a previous campaign", "failure": "Previous campaign failed", "success": "Previous campaign succeeded"}, unknown: "Outcome of a previous campaign unknown"},
}

var monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

func describeCategorical(i int, v *string) (value, desc string) {
	labels := &catLabels[i]
	if v == nil {
		if catFields[i].missing < len(catFields[i].levels) {
			return notGivenUnknown, labels.unknown + " (not given)"
		}
		return imputedValue, labels.unknown + " (not given: average assumed)"
	}
	if *v == unknownLevel {
		return *v, labels.unknown
	}
	if !slices.Contains(catFields[i].levels, *v) {
		return *v + " (unrecognised, treated as unknown)", labels.unknown
	}
	if d, ok := labels.levels[*v]; ok {
		return *v, d
	}
	if i == catLastContactMonth {
		return *v, "Campaign's last contact in " + monthNames[slices.Index(Months, *v)]
	}
	return *v, *v
}

// numLabels names the numeric fields in descriptions; the economic
// indicators and the previous campaign's fields are worded together
// (describeClimate, describePrevious).
var numLabels = [numNumeric]string{
	numAge:              "Age",
	numLastCallDuration: "Last call duration",
	numCampaignContacts: "Campaign record: calls",
}

// describeNumeric words age, the call duration and the campaign's calls.
func describeNumeric(i int, known bool, x float64) (value, desc string) {
	if !known {
		return imputedValue, numLabels[i] + " unknown (not given: average assumed)"
	}
	value = strconv.FormatFloat(x, 'f', -1, 64)
	switch i {
	case numLastCallDuration:
		s := int(x)
		if s >= 3600 {
			return value, fmt.Sprintf("Last call lasted %d h %d min %d s", s/3600, s%3600/60, s%60)
		}
		return value, fmt.Sprintf("Last call lasted %d min %d s", s/60, s%60)
	case numCampaignContacts:
		if x == 0 {
			return value, "Campaign record: not called yet"
		}
		return value, "Campaign record: called " + times(x)
	}
	return value, numLabels[i] + " " + value
}

// describePrevious words the previous campaign's factor: its outcome, then
// what the other two fields add to it. A missing
// days_since_previous_contact means never contacted, which goes without
// saying unless the lead was in a previous campaign after all (UCI's 999
// next to a failure): then the date is not on record.
func describePrevious(f *Features, e *Encoded) (value, desc string) {
	outcome, contacts, days := "not given", "not given", "never"
	desc = catLabels[catPreviousOutcome].unknown
	if v := f.PreviousOutcome; v != nil {
		outcome = *v
		if d, ok := catLabels[catPreviousOutcome].levels[*v]; ok {
			desc = d
		}
	}
	inPrevious := outcome == "success" || outcome == "failure"
	var details []string
	if x := e.Values[numPreviousContacts]; e.known(numPreviousContacts) {
		contacts = strconv.FormatFloat(x, 'f', -1, 64)
		if x > 0 {
			if outcome == "none" { // contacts, yet no previous campaign: say neither
				desc = "No outcome of a previous campaign on record"
			}
			inPrevious = true
			details = append(details, "contacted "+times(x)+" before this campaign")
		}
	} else {
		details = append(details, "earlier contacts not given")
	}
	if x := e.Values[numDaysSincePrevious]; e.known(numDaysSincePrevious) {
		days = strconv.FormatFloat(x, 'f', -1, 64)
		switch x {
		case 0:
			details = append(details, "last contacted on the day of this campaign's call")
		case 1:
			details = append(details, "last contacted 1 day before this campaign's call")
		default:
			details = append(details, "last contacted "+days+" days before this campaign's call")
		}
	} else if inPrevious {
		details = append(details, "date of the last contact not on record")
	}
	value = "previous_outcome " + outcome + ", previous_contacts " + contacts + ", days_since_previous_contact " + days
	if len(details) > 0 {
		desc += " (" + strings.Join(details, ", ") + ")"
	}
	return value, desc
}

// describeClimate words the economic indicators' one factor. The value
// lists the indicators given; the description names the Euribor rate (the
// one a bank's client knows), or else the first indicator given. The
// indicators take one value per month or week of a campaign, and the model
// learns them as the period they mark, not as a trend: "low" or "high"
// would mislead, since a neighbouring value can push the other way.
func describeClimate(e *Encoded) (value, desc string) {
	var given []string
	shown := -1
	for i := numEmpVarRate; i <= numNrEmployed; i++ {
		if !e.known(i) {
			continue
		}
		given = append(given, numFields[i].name+" "+strconv.FormatFloat(e.Values[i], 'f', -1, 64))
		if shown < 0 || i == numEuribor3m {
			shown = i
		}
	}
	if shown < 0 {
		return imputedValue, "Economic climate at the campaign's last contact unknown (not given: average assumed)"
	}
	x := strconv.FormatFloat(e.Values[shown], 'f', -1, 64)
	return strings.Join(given, ", "), "Economic climate at the campaign's last contact (" + climateLabels[shown][0] + x + climateLabels[shown][1] + ")"
}

// climateLabels words each economic indicator: the text before and after
// its value.
var climateLabels = [numNumeric][2]string{
	numEmpVarRate:   {"employment variation rate ", ""},
	numConsPriceIdx: {"consumer price index ", ""},
	numConsConfIdx:  {"consumer confidence index ", ""},
	numEuribor3m:    {"Euribor 3-month rate ", "%"},
	numNrEmployed:   {"", " thousand people employed"},
}

func times(x float64) string {
	switch x {
	case 1:
		return "once"
	case 2:
		return "twice"
	}
	return strconv.FormatFloat(x, 'f', -1, 64) + " times"
}
