package scoring

// The registry of scoring inputs. Field order here fixes the layout of
// Encoded, so the encoding, the trainer and the scorer all agree on it
// without looking anything up by name.

// Indices of the categorical fields in Encoded.Levels.
const (
	catJob = iota
	catMarital
	catEducation
	catCreditDefault
	catHousingLoan
	catPersonalLoan
	catContactChannel
	catLastContactMonth
	catLastContactWeekday
	catPreviousOutcome
	numCategorical
)

// Indices of the numeric fields in Encoded.Values.
const (
	numAge = iota
	numLastCallDuration
	numCampaignContacts
	numDaysSincePrevious
	numPreviousContacts
	numEmpVarRate
	numConsPriceIdx
	numConsConfIdx
	numEuribor3m
	numNrEmployed
	numNumeric
)

// catField describes one categorical input: its API name and enumeration.
type catField struct {
	name   string
	levels []string
	// missing is the level index nil and unrecognised values map to: the
	// enumeration's own "unknown" when it has one, else one past its end
	// (kept literal so the registry needs no init; a test checks it).
	missing int
}

// numField describes one numeric input.
type numField struct {
	name string
	// nilIsNever marks days_since_previous_contact, whose nil is information
	// (never contacted), not a missing value.
	nilIsNever bool
}

var catFields = [numCategorical]catField{
	catJob:                {name: "job", levels: Jobs, missing: 11},
	catMarital:            {name: "marital", levels: MaritalStatuses, missing: 3},
	catEducation:          {name: "education", levels: EducationLevels, missing: 7},
	catCreditDefault:      {name: "credit_default", levels: YesNoUnknown, missing: 2},
	catHousingLoan:        {name: "housing_loan", levels: YesNoUnknown, missing: 2},
	catPersonalLoan:       {name: "personal_loan", levels: YesNoUnknown, missing: 2},
	catContactChannel:     {name: "contact_channel", levels: ContactChannels, missing: 2},
	catLastContactMonth:   {name: "last_contact_month", levels: Months, missing: 12},
	catLastContactWeekday: {name: "last_contact_weekday", levels: Weekdays, missing: 7},
	catPreviousOutcome:    {name: "previous_outcome", levels: PreviousOutcomes, missing: 3},
}

var numFields = [numNumeric]numField{
	numAge:               {name: "age"},
	numLastCallDuration:  {name: "last_call_duration_sec"},
	numCampaignContacts:  {name: "campaign_contacts"},
	numDaysSincePrevious: {name: "days_since_previous_contact", nilIsNever: true},
	numPreviousContacts:  {name: "previous_contacts"},
	numEmpVarRate:        {name: "emp_var_rate"},
	numConsPriceIdx:      {name: "cons_price_idx"},
	numConsConfIdx:       {name: "cons_conf_idx"},
	numEuribor3m:         {name: "euribor_3m"},
	numNrEmployed:        {name: "nr_employed"},
}

// modelLevels returns the levels a model stores for a categorical field: its
// enumeration plus "unknown" when the enumeration lacks one, so that index
// i of the model's levels is index i of Encoded.Levels.
func (f *catField) modelLevels() []string {
	out := append([]string(nil), f.levels...)
	if f.missing == len(f.levels) {
		out = append(out, unknownLevel)
	}
	return out
}
