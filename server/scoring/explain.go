package scoring

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Explanation breaks a lead's score into one factor per API field, except
// the five economic indicators, which share one (ClimateFeature), and the
// three fields on the previous campaign, which share another
// (PreviousCampaignFeature).
//
// Intercept is the logit of the reference lead: the model's intercept plus
// every field's average contribution over the training rows. Each factor's
// Contribution is how far this lead's value moves the logit away from that
// average, so Intercept + the sum of the contributions equals Logit. An
// interaction term (for example contact channel by campaign month) is
// shared equally between the factors of its two fields.
type Explanation struct {
	Probability float64  `json:"probability"`
	Logit       float64  `json:"logit"`
	Category    string   `json:"category"`
	Intercept   float64  `json:"intercept"`
	Factors     []Factor `json:"factors"`
	// NotGiven names the inputs the model uses that the lead lacks and
	// that were filled in (see describe.go), categorical fields first, then
	// numeric ones, each in field order. A missing
	// days_since_previous_contact is not among them: it means never
	// contacted.
	NotGiven []string `json:"not_given"`
	// NotLearnt names the inputs the lead gives with a value no training
	// lead had, categorical fields first, then numeric ones, each in field
	// order. A level training never saw (January: the bank's data has no
	// January calls) has no learnt effect and is scored as the field's
	// average, so its factor is 0; a number outside the training range is
	// scored as the nearest end of it. The factor's description says which.
	NotLearnt []string `json:"not_learnt"`
}

// Factor is one API field's part in a score. Positive contributions raise
// the probability.
type Factor struct {
	Feature      string  `json:"feature"`
	Value        string  `json:"value"`
	Contribution float64 `json:"contribution"`
	Description  string  `json:"description"`
}

// ClimateFeature is the factor of the economic indicators (emp_var_rate,
// cons_price_idx, cons_conf_idx, euribor_3m, nr_employed) together. Each
// takes one value per month or week of a campaign, so together they mark
// the period, which is what the model learns from them; apart, they would
// fill most of an explanation with effects of one cause pulling both ways.
const ClimateFeature = "economic_climate"

func isClimate(num int) bool { return num >= numEmpVarRate && num <= numNrEmployed }

// PreviousCampaignFeature is the factor of previous_outcome,
// previous_contacts and days_since_previous_contact together. They describe
// one fact, the lead's part in an earlier campaign; apart, a never-contacted
// lead read "Not part of a previous campaign: +" next to "No contact in a
// previous campaign on record: -", one fact pulling both ways.
const PreviousCampaignFeature = "previous_campaign"

func isPrevious(num int) bool { return num == numDaysSincePrevious || num == numPreviousContacts }

// factor is the factor an interaction's field contributes to.
func (k *levelKey) factor() string {
	switch {
	case k.cat < 0 && isClimate(k.num):
		return ClimateFeature
	case k.cat < 0 && isPrevious(k.num), k.cat == catPreviousOutcome:
		return PreviousCampaignFeature
	}
	return k.name()
}

// Explain scores f and explains the score, factors strongest first (by
// absolute contribution). Every field the model uses appears exactly once,
// with its one-hot levels, bins and indicators added together, except the
// economic indicators, which appear as one ClimateFeature, and the previous
// campaign's fields, one PreviousCampaignFeature. It allocates and is meant
// for one lead at a time, not for bulk scoring.
func (s *Scorer) Explain(f *Features, th Thresholds) Explanation {
	var e Encoded
	Encode(f, &e)
	ex := Explanation{Intercept: s.intercept, Factors: make([]Factor, 0, numCategorical+numNumeric), NotGiven: []string{},
		NotLearnt: []string{}}
	z := s.intercept
	previous := 0.0
	for i := range numCategorical {
		c := s.cat[i][e.Levels[i]&(maxLevels-1)]
		z += c
		ex.Intercept += s.catAvg[i]
		v := catValue(f, i)
		if v == nil {
			ex.NotGiven = append(ex.NotGiven, catFields[i].name)
		}
		if i == catPreviousOutcome {
			previous += c - s.catAvg[i]
			continue
		}
		value, desc := describeCategorical(i, v)
		if l := int(e.Levels[i] & (maxLevels - 1)); v != nil && l != catFields[i].missing && s.model.Encoding.Categorical[i].Counts[l] == 0 {
			ex.NotLearnt = append(ex.NotLearnt, catFields[i].name)
			desc += " (not in the training data: average assumed)"
		}
		ex.Factors = append(ex.Factors, Factor{
			Feature: catFields[i].name, Value: value, Contribution: c - s.catAvg[i], Description: desc,
		})
	}
	climate, climateUsed := 0.0, false
	var climateOutside, previousOutside []string // "euribor_3m scored as 5.045"
	for i := range numNumeric {
		t := &s.num[i]
		if t.enc == nil {
			continue
		}
		var c float64
		outside := ""
		if e.known(i) {
			c = t.contribution(e.Values[i])
			if x := e.Values[i]; x < t.min || x > t.max {
				ex.NotLearnt = append(ex.NotLearnt, numFields[i].name)
				outside = "scored as " + strconv.FormatFloat(min(max(x, t.min), t.max), 'f', -1, 64)
			}
		} else {
			c = t.absent
			if !numFields[i].nilIsNever {
				ex.NotGiven = append(ex.NotGiven, numFields[i].name)
			}
		}
		z += c
		ex.Intercept += s.numAvg[i]
		if isClimate(i) {
			climate += c - s.numAvg[i]
			climateUsed = true
			if outside != "" {
				climateOutside = append(climateOutside, numFields[i].name+" "+outside)
			}
			continue
		}
		if isPrevious(i) {
			previous += c - s.numAvg[i]
			if outside != "" {
				previousOutside = append(previousOutside, numFields[i].name+" "+outside)
			}
			continue
		}
		value, desc := describeNumeric(i, e.known(i), e.Values[i])
		if outside != "" {
			desc += outsideNote([]string{outside})
		}
		ex.Factors = append(ex.Factors, Factor{
			Feature: numFields[i].name, Value: value, Contribution: c - s.numAvg[i], Description: desc,
		})
	}
	if climateUsed {
		value, desc := describeClimate(&e)
		ex.Factors = append(ex.Factors, Factor{Feature: ClimateFeature, Value: value, Contribution: climate,
			Description: desc + outsideNote(climateOutside)})
	}
	value, desc := describePrevious(f, &e)
	ex.Factors = append(ex.Factors, Factor{Feature: PreviousCampaignFeature, Value: value, Contribution: previous,
		Description: desc + outsideNote(previousOutside)})
	// An interaction's departure from its average is shared equally by its
	// two fields' factors, so the factors still add up to the logit.
	for j := range s.inter {
		t := &s.inter[j]
		c := t.contribution(&e)
		z += c
		ex.Intercept += t.avg
		for _, k := range [2]*levelKey{&t.a, &t.b} {
			name := k.factor()
			for f := range ex.Factors {
				if ex.Factors[f].Feature == name {
					ex.Factors[f].Contribution += (c - t.avg) / 2
				}
			}
		}
	}
	ex.Logit = z
	ex.Probability = sigmoid(z)
	ex.Category = th.Category(ex.Probability)
	slices.SortStableFunc(ex.Factors, func(a, b Factor) int {
		return cmp.Compare(math.Abs(b.Contribution), math.Abs(a.Contribution))
	})
	return ex
}

// outsideNote words a factor's inputs that lie outside the training data,
// or is empty when none does.
func outsideNote(fields []string) string {
	if len(fields) == 0 {
		return ""
	}
	return " (outside the training data: " + strings.Join(fields, ", ") + ")"
}

// catValue returns the raw value of categorical field i, or nil.
func catValue(f *Features, i int) *string {
	switch i {
	case catJob:
		return f.Job
	case catMarital:
		return f.Marital
	case catEducation:
		return f.Education
	case catCreditDefault:
		return f.CreditDefault
	case catHousingLoan:
		return f.HousingLoan
	case catPersonalLoan:
		return f.PersonalLoan
	case catContactChannel:
		return f.ContactChannel
	case catLastContactMonth:
		return f.LastContactMonth
	case catLastContactWeekday:
		return f.LastContactWeekday
	case catPreviousOutcome:
		return f.PreviousOutcome
	}
	return nil
}
