package store

import (
	"github.com/jmksales/jmk/gen/db"
	"github.com/jmksales/jmk/server/scoring"
)

// The scoring inputs are twenty columns of leads; these adapt the generated
// row types that carry them to scoring.Features.

// leadFeatures returns a lead's scoring inputs.
func leadFeatures(l db.Lead) scoring.Features {
	return scoring.Features{
		Age: l.Age, Job: l.Job, Marital: l.Marital, Education: l.Education, CreditDefault: l.CreditDefault,
		HousingLoan: l.HousingLoan, PersonalLoan: l.PersonalLoan, ContactChannel: l.ContactChannel,
		LastContactMonth: l.LastContactMonth, LastContactWeekday: l.LastContactWeekday,
		LastCallDurationSec: l.LastCallDurationSec, CampaignContacts: l.CampaignContacts,
		DaysSincePreviousContact: l.DaysSincePreviousContact, PreviousContacts: l.PreviousContacts,
		PreviousOutcome: l.PreviousOutcome, EmpVarRate: l.EmpVarRate, ConsPriceIdx: l.ConsPriceIdx,
		ConsConfIdx: l.ConsConfIdx, Euribor3m: l.Euribor3m, NrEmployed: l.NrEmployed,
	}
}

// pageFeatures serves the bulk re-score, whose query reads only the inputs
// (a million full rows would cost several times the transfer).
func pageFeatures(l *db.LeadScoringPageRow) scoring.Features {
	return scoring.Features{
		Age: l.Age, Job: l.Job, Marital: l.Marital, Education: l.Education, CreditDefault: l.CreditDefault,
		HousingLoan: l.HousingLoan, PersonalLoan: l.PersonalLoan, ContactChannel: l.ContactChannel,
		LastContactMonth: l.LastContactMonth, LastContactWeekday: l.LastContactWeekday,
		LastCallDurationSec: l.LastCallDurationSec, CampaignContacts: l.CampaignContacts,
		DaysSincePreviousContact: l.DaysSincePreviousContact, PreviousContacts: l.PreviousContacts,
		PreviousOutcome: l.PreviousOutcome, EmpVarRate: l.EmpVarRate, ConsPriceIdx: l.ConsPriceIdx,
		ConsConfIdx: l.ConsConfIdx, Euribor3m: l.Euribor3m, NrEmployed: l.NrEmployed,
	}
}
