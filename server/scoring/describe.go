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
	imputedValue    = "not given (imputed)"
)

// catLabels gives, per categorical field, the description of each level and
// of an unknown value.
var catLabels = [numCategorical]struct {
	levels  map[string]string
	unknown string
}{
	catJob:                {unknown: "Job unknown"},
	catMarital:            {levels: map[string]string{"married": "Married", "single": "Single", "divorced": "Divorced or widowed"}, unknown: "Marital status unknown"},
	catEducation:          {levels: map[string]string{"basic_4y": "Basic education (4 years)", "basic_6y": "Basic education (6 years)", "basic_9y": "Basic education (9 years)", "high_school": "High school education", "illiterate": "No formal education", "professional_course": "Professional course", "university_degree": "University degree"}, unknown: "Education unknown"},
	catCreditDefault:      {levels: map[string]string{"yes": "Has credit in default", "no": "No credit in default"}, unknown: "Credit default status unknown"},
	catHousingLoan:        {levels: map[string]string{"yes": "Has a housing loan", "no": "No housing loan"}, unknown: "Housing loan unknown"},
	catPersonalLoan:       {levels: map[string]string{"yes": "Has a personal loan", "no": "No personal loan"}, unknown: "Personal loan unknown"},
	catContactChannel:     {levels: map[string]string{"cellular": "Reached on a mobile phone", "telephone": "Reached on a landline"}, unknown: "Contact channel unknown"},
	catLastContactMonth:   {unknown: "Month of the campaign's last contact unknown"},
	catLastContactWeekday: {levels: map[string]string{"mon": "Campaign's last contact on a Monday", "tue": "Campaign's last contact on a Tuesday", "wed": "Campaign's last contact on a Wednesday", "thu": "Campaign's last contact on a Thursday", "fri": "Campaign's last contact on a Friday", "sat": "Campaign's last contact on a Saturday", "sun": "Campaign's last contact on a Sunday"}, unknown: "Weekday of the campaign's last contact unknown"},
	catPreviousOutcome:    {levels: map[string]string{"none": "Not part of a previous campaign", "failure": "Previous campaign failed", "success": "Previous campaign succeeded"}, unknown: "Previous campaign outcome unknown"},
}

var monthNames = [...]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"}

func describeCategorical(i int, v *string) (value, desc string) {
	labels := &catLabels[i]
	if v == nil {
		if catFields[i].missing < len(catFields[i].levels) {
			return notGivenUnknown, labels.unknown + " (not given)"
		}
		return imputedValue, labels.unknown + " (not given, imputed)"
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
	switch i {
	case catJob:
		return *v, "Job: " + strings.ReplaceAll(*v, "_", " ")
	case catLastContactMonth:
		return *v, "Campaign's last contact in " + monthNames[slices.Index(Months, *v)]
	}
	return *v, *v
}

// numLabels names the numeric fields in descriptions; the economic
// indicators are worded together (describeClimate).
var numLabels = [numNumeric]string{
	numAge:               "Age",
	numLastCallDuration:  "Last call duration",
	numCampaignContacts:  "Calls in this campaign",
	numDaysSincePrevious: "Days since a previous campaign's contact",
	numPreviousContacts:  "Contacts before this campaign",
}

// describeNumeric words a numeric field other than the economic indicators.
func describeNumeric(i int, known bool, x float64) (value, desc string) {
	if !known {
		if numFields[i].nilIsNever {
			return "never", "No contact in a previous campaign on record"
		}
		return imputedValue, numLabels[i] + " unknown (not given, imputed)"
	}
	value = strconv.FormatFloat(x, 'f', -1, 64)
	switch i {
	case numAge:
		group := "working age"
		switch {
		case x < 25:
			group = "under 25"
		case x >= 60:
			group = "retirement age"
		}
		return value, fmt.Sprintf("Age %s (%s)", value, group)
	case numLastCallDuration:
		s := int(x)
		return value, fmt.Sprintf("Last call lasted %d min %d s", s/60, s%60)
	case numCampaignContacts:
		return value, "Called " + times(x) + " in this campaign"
	case numDaysSincePrevious:
		switch x {
		case 0:
			return value, "Last contacted the same day in a previous campaign"
		case 1:
			return value, "Last contacted 1 day ago in a previous campaign"
		}
		return value, fmt.Sprintf("Last contacted %s days ago in a previous campaign", value)
	case numPreviousContacts:
		if x == 0 {
			return value, "No contacts before this campaign"
		}
		return value, "Contacted " + times(x) + " before this campaign"
	}
	return value, numLabels[i] + " " + value
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
		return imputedValue, "Economic climate when contacted unknown (not given, imputed)"
	}
	x := strconv.FormatFloat(e.Values[shown], 'f', -1, 64)
	return strings.Join(given, ", "), "Economic climate when contacted (" + climateLabels[shown][0] + x + climateLabels[shown][1] + ")"
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
