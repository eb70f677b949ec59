package scoring

import (
	"cmp"
	"math"
	"slices"
)

// Explanation breaks a lead's score into one factor per API field.
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
}

// Factor is one API field's part in a score. Positive contributions raise
// the probability.
type Factor struct {
	Feature      string  `json:"feature"`
	Value        string  `json:"value"`
	Contribution float64 `json:"contribution"`
	Description  string  `json:"description"`
}

// Explain scores f and explains the score, factors strongest first (by
// absolute contribution). Every field the model uses appears exactly once,
// with its one-hot levels, bins and indicators added together. It allocates
// and is meant for one lead at a time, not for bulk scoring.
func (s *Scorer) Explain(f *Features, th Thresholds) Explanation {
	var e Encoded
	Encode(f, &e)
	ex := Explanation{Intercept: s.intercept, Factors: make([]Factor, 0, numCategorical+numNumeric)}
	z := s.intercept
	for i := range numCategorical {
		c := s.cat[i][e.Levels[i]&(maxLevels-1)]
		z += c
		ex.Intercept += s.catAvg[i]
		value, desc := describeCategorical(i, catValue(f, i))
		ex.Factors = append(ex.Factors, Factor{
			Feature: catFields[i].name, Value: value, Contribution: c - s.catAvg[i], Description: desc,
		})
	}
	for i := range numNumeric {
		t := &s.num[i]
		if t.enc == nil {
			continue
		}
		var c float64
		if e.known(i) {
			c = t.contribution(e.Values[i])
		} else {
			c = t.absent
		}
		z += c
		ex.Intercept += s.numAvg[i]
		value, desc := describeNumeric(i, e.known(i), e.Values[i])
		ex.Factors = append(ex.Factors, Factor{
			Feature: numFields[i].name, Value: value, Contribution: c - s.numAvg[i], Description: desc,
		})
	}
	// An interaction's departure from its average is shared equally by its
	// two fields' factors, so the factors still add up to the logit.
	for j := range s.inter {
		t := &s.inter[j]
		c := t.contribution(&e)
		z += c
		ex.Intercept += t.avg
		for _, k := range [2]*levelKey{&t.a, &t.b} {
			name := k.name()
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
