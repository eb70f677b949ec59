package scoring

import (
	"math"
	"math/rand/v2"
)

func ptr[T any](v T) *T { return &v }

// fullFeatures is a lead with every field set.
func fullFeatures() Features {
	return Features{
		Age: ptr[int32](62), Job: ptr("retired"), Marital: ptr("married"), Education: ptr("basic_4y"),
		CreditDefault: ptr("no"), HousingLoan: ptr("yes"), PersonalLoan: ptr("no"),
		ContactChannel: ptr("cellular"), LastContactMonth: ptr("oct"), LastContactWeekday: ptr("tue"),
		LastCallDurationSec: ptr[int32](261), CampaignContacts: ptr[int32](2),
		DaysSincePreviousContact: ptr[int32](6), PreviousContacts: ptr[int32](1),
		PreviousOutcome: ptr("success"), EmpVarRate: ptr(-1.8), ConsPriceIdx: ptr(92.893),
		ConsConfIdx: ptr(-46.2), Euribor3m: ptr(1.299), NrEmployed: ptr(5040.0), // within synthExamples' ranges
	}
}

// synthExamples draws n leads with a known logistic dependence on a few
// fields, for tests that must not depend on the UCI file. Some values are
// missing so every encoding path is exercised.
func synthExamples(n int, seed uint64) []Example {
	rng := rand.New(rand.NewPCG(seed, 7))
	pick := func(levels []string) *string {
		if rng.IntN(20) == 0 {
			return nil
		}
		return ptr(levels[rng.IntN(len(levels))])
	}
	out := make([]Example, n)
	for i := range out {
		f := Features{
			Age: ptr(int32(18 + rng.IntN(70))), Job: pick(Jobs), Marital: pick(MaritalStatuses),
			Education: pick(EducationLevels), CreditDefault: pick(YesNoUnknown), HousingLoan: pick(YesNoUnknown),
			PersonalLoan: pick(YesNoUnknown), ContactChannel: pick(ContactChannels),
			LastContactMonth: pick(Months), LastContactWeekday: pick(Weekdays[:5]),
			LastCallDurationSec: ptr(int32(rng.IntN(1000))), CampaignContacts: ptr(int32(1 + rng.IntN(8))),
			PreviousContacts: ptr(int32(rng.IntN(3))), PreviousOutcome: pick(PreviousOutcomes),
			EmpVarRate: ptr(rng.NormFloat64()), ConsConfIdx: ptr(-40 + 5*rng.NormFloat64()),
			Euribor3m: ptr(1 + 4*rng.Float64()),
		}
		// The price index and employment take one value per period, as in
		// the UCI data, so their level bins and interactions are exercised.
		period := rng.IntN(6)
		f.ConsPriceIdx = ptr(92.5 + 0.25*float64(period))
		f.NrEmployed = ptr(5000 + 40*float64(period/2))
		if rng.IntN(10) == 0 {
			f.Age = nil
		}
		if rng.IntN(5) == 0 {
			f.DaysSincePreviousContact = ptr(int32(rng.IntN(20)))
		}
		z := -2.0 - 0.5*(*f.Euribor3m-3) + 0.02*(float64(*f.CampaignContacts)*-5)
		if f.PreviousOutcome != nil && *f.PreviousOutcome == "success" {
			z += 1.5
		}
		if f.ContactChannel != nil && *f.ContactChannel == "cellular" {
			z += 0.7
		}
		out[i] = Example{Features: f, Converted: rng.Float64() < 1/(1+math.Exp(-z))}
	}
	return out
}
