package scoring

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// The words a sales person reads next to a score. They describe the value,
// not the model; the sign of the contribution says which way it pushed.

// Factor values for a field the lead has no value for. When training had
// leads without it too, their learnt effect applies: for a categorical
// field with an "unknown" level, that level's, as in the data where the
// bank did not know. Otherwise the field is scored as its average effect,
// which moves nothing (imputedValue).
const (
	notGivenUnknown = "not given (scored as unknown)"
	notGivenLearnt  = "not given"
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

// describeCategorical words categorical field i's value v; learnt says
// whether training had leads with the level v is scored as.
func describeCategorical(i int, v *string, learnt bool) (value, desc string) {
	labels := &catLabels[i]
	if v == nil {
		switch {
		case !learnt:
			return imputedValue, labels.unknown + " (not given: average assumed)"
		case catFields[i].missing < len(catFields[i].levels):
			return notGivenUnknown, labels.unknown + " (not given)"
		}
		return notGivenLearnt, labels.unknown + " (not given)"
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

// describeNumeric words age, the call duration and the campaign's calls;
// for a nil value, learnt says whether training had leads without it.
func describeNumeric(i int, known, learnt bool, x float64) (value, desc string) {
	switch {
	case !known && !learnt:
		return imputedValue, numLabels[i] + " unknown (not given: average assumed)"
	case !known:
		return notGivenLearnt, numLabels[i] + " unknown (not given)"
	}
	value = num(x)
	switch i {
	case numLastCallDuration:
		return value, "Last call lasted " + duration(x)
	case numCampaignContacts:
		if x == 0 {
			return value, "Campaign record: not called yet"
		}
		return value, "Campaign record: called " + times(x)
	}
	return value, numLabels[i] + " " + value
}

// duration words a call's length in seconds: "45 s", "4 min 21 s",
// "1 h 2 min 5 s".
func duration(x float64) string {
	s := int(x)
	switch {
	case s >= 3600:
		return fmt.Sprintf("%d h %d min %d s", s/3600, s%3600/60, s%60)
	case s >= 60:
		return fmt.Sprintf("%d min %d s", s/60, s%60)
	}
	return fmt.Sprintf("%d s", s)
}

// numWords words a number in the terms of its factor, for the climate's
// description and for the value an out-of-range number is scored as.
func numWords(i int, x float64) string {
	switch {
	case isClimate(i):
		return climateLabels[i][0] + num(x) + climateLabels[i][1]
	case i == numLastCallDuration:
		return "a call of " + duration(x)
	case i == numCampaignContacts:
		return "called " + times(x)
	case i == numPreviousContacts:
		return "contacted " + times(x) + " before"
	case i == numDaysSincePrevious:
		return "last contacted " + daysBefore(x)
	}
	return strings.ToLower(numLabels[i]) + " " + num(x)
}

// num formats a number as short as it reads back exactly, and a negative
// zero (a what-if may send -0.0) as 0.
func num(x float64) string {
	if x == 0 {
		x = 0
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
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
		contacts = num(x)
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
		days = num(x)
		details = append(details, "last contacted "+daysBefore(x))
	} else if inPrevious {
		days = "not on record"
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
//
// With no indicator given, learnt says whether training had leads without
// them too.
func describeClimate(e *Encoded, learnt bool) (value, desc string) {
	var given []string
	shown := -1
	for i := numEmpVarRate; i <= numNrEmployed; i++ {
		if !e.known(i) {
			continue
		}
		given = append(given, numFields[i].name+" "+num(e.Values[i]))
		if shown < 0 || i == numEuribor3m {
			shown = i
		}
	}
	switch {
	case shown < 0 && learnt:
		return notGivenLearnt, "Economic climate at the campaign's last contact unknown (not given)"
	case shown < 0:
		return imputedValue, "Economic climate at the campaign's last contact unknown (not given: average assumed)"
	}
	return strings.Join(given, ", "), "Economic climate at the campaign's last contact (" + numWords(shown, e.Values[shown]) + ")"
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
	return num(x) + " times"
}

// daysBefore words days_since_previous_contact.
func daysBefore(x float64) string {
	switch x {
	case 0:
		return "on the day of this campaign's call"
	case 1:
		return "1 day before this campaign's call"
	}
	return num(x) + " days before this campaign's call"
}
