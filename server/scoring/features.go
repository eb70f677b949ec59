package scoring

// Features are the scoring inputs of one lead, named as in the API and the
// database. Every field is optional: nil means unknown, and the model imputes
// it (the explanation says so). DaysSincePreviousContact is the exception:
// nil means the client was never contacted before (UCI's pdays = 999).
//
// Categorical fields hold the API's enumeration values (for example
// "blue_collar", "may", "mon"); an unrecognised value is treated like
// "unknown".
type Features struct {
	Age                      *int32
	Job                      *string
	Marital                  *string
	Education                *string
	CreditDefault            *string
	HousingLoan              *string
	PersonalLoan             *string
	ContactChannel           *string
	LastContactMonth         *string
	LastContactWeekday       *string
	LastCallDurationSec      *int32
	CampaignContacts         *int32
	DaysSincePreviousContact *int32
	PreviousContacts         *int32
	PreviousOutcome          *string
	EmpVarRate               *float64
	ConsPriceIdx             *float64
	ConsConfIdx              *float64
	Euribor3m                *float64
	NrEmployed               *float64
}
