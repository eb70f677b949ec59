package scoring

import (
	"cmp"
	"math"
	"slices"
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
	x := explainer{s: s, f: f, z: s.intercept, ex: Explanation{Intercept: s.intercept,
		Factors: make([]Factor, 0, numCategorical+numNumeric), NotGiven: []string{}, NotLearnt: []string{}}}
	Encode(f, &x.e)
	for i := range numCategorical {
		x.categorical(i)
	}
	for i := range numNumeric {
		x.numeric(i)
	}
	x.groups()
	x.interactions()
	ex := x.ex
	ex.Logit = x.z
	ex.Probability = sigmoid(x.z)
	ex.Category = th.Category(ex.Probability)
	slices.SortStableFunc(ex.Factors, func(a, b Factor) int {
		return cmp.Compare(math.Abs(b.Contribution), math.Abs(a.Contribution))
	})
	return ex
}

// explainer builds an Explanation field by field: each term of the logit
// is added to z, its training average to the intercept, and its departure
// from that average to its factor (or to its group's, for the economic
// indicators and the previous campaign).
type explainer struct {
	s  *Scorer
	f  *Features
	e  Encoded
	ex Explanation
	z  float64

	previous, climate float64
	climateUsed       bool
	// What the inputs outside the training range are scored as, in words
	// ("Euribor 3-month rate 5.045%").
	climateOutside, previousOutside []string
}

func (x *explainer) categorical(i int) {
	s, e := x.s, &x.e
	c := s.cat[i][e.Levels[i]&(maxLevels-1)]
	x.z += c
	x.ex.Intercept += s.catAvg[i]
	v := catValue(x.f, i)
	if v == nil {
		x.ex.NotGiven = append(x.ex.NotGiven, catFields[i].name)
	}
	if i == catPreviousOutcome {
		x.previous += c - s.catAvg[i]
		return
	}
	l := int(e.Levels[i] & (maxLevels - 1))
	learnt := s.model.Encoding.Categorical[i].Counts[l] > 0
	value, desc := describeCategorical(i, v, learnt)
	if v != nil && l != catFields[i].missing && !learnt {
		x.ex.NotLearnt = append(x.ex.NotLearnt, catFields[i].name)
		desc += " (not in the training data: average assumed)"
	}
	x.ex.Factors = append(x.ex.Factors, Factor{
		Feature: catFields[i].name, Value: value, Contribution: c - s.catAvg[i], Description: desc,
	})
}

func (x *explainer) numeric(i int) {
	s, e := x.s, &x.e
	t := &s.num[i]
	if t.enc == nil {
		return
	}
	var c float64
	outside := ""
	if e.known(i) {
		c = t.contribution(e.Values[i])
		if v := e.Values[i]; v < t.min || v > t.max {
			x.ex.NotLearnt = append(x.ex.NotLearnt, numFields[i].name)
			outside = numWords(i, min(max(v, t.min), t.max))
		}
	} else {
		c = t.absent
		if !numFields[i].nilIsNever {
			x.ex.NotGiven = append(x.ex.NotGiven, numFields[i].name)
		}
	}
	x.z += c
	x.ex.Intercept += s.numAvg[i]
	switch {
	case isClimate(i):
		x.climate += c - s.numAvg[i]
		x.climateUsed = true
		if outside != "" {
			x.climateOutside = append(x.climateOutside, outside)
		}
	case isPrevious(i):
		x.previous += c - s.numAvg[i]
		if outside != "" {
			x.previousOutside = append(x.previousOutside, outside)
		}
	default:
		value, desc := describeNumeric(i, e.known(i), t.enc.Missing > 0, e.Values[i])
		if outside != "" {
			desc += outsideNote([]string{outside})
		}
		x.ex.Factors = append(x.ex.Factors, Factor{
			Feature: numFields[i].name, Value: value, Contribution: c - s.numAvg[i], Description: desc,
		})
	}
}

// groups adds the factors of the economic indicators (when the model uses
// them) and of the previous campaign.
func (x *explainer) groups() {
	if x.climateUsed {
		learnt := false
		for i := numEmpVarRate; i <= numNrEmployed; i++ {
			if enc := x.s.num[i].enc; enc != nil && enc.Missing > 0 {
				learnt = true
			}
		}
		value, desc := describeClimate(&x.e, learnt)
		x.ex.Factors = append(x.ex.Factors, Factor{Feature: ClimateFeature, Value: value, Contribution: x.climate,
			Description: desc + outsideNote(x.climateOutside)})
	}
	value, desc := describePrevious(x.f, &x.e)
	x.ex.Factors = append(x.ex.Factors, Factor{Feature: PreviousCampaignFeature, Value: value, Contribution: x.previous,
		Description: desc + outsideNote(x.previousOutside)})
}

// interactions shares each interaction's departure from its average
// equally between its two fields' factors, so the factors still add up to
// the logit. A field whose level training never saw (a value not given and
// filled in with its average, a month not in the data) takes no share: the
// interaction then scores the average over that field (fillUnseen), so the
// whole departure is the other field's doing, and the field's own factor
// stays at the 0 its "average assumed" says. With both unseen, the
// departure is 0.
func (x *explainer) interactions() {
	enc := &x.s.model.Encoding
	for j := range x.s.inter {
		t := &x.s.inter[j]
		c := t.contribution(&x.e)
		x.z += c
		x.ex.Intercept += t.avg
		var sides []string
		for _, k := range [2]*levelKey{&t.a, &t.b} {
			if k.trainingRows(enc, k.level(&x.e)) > 0 {
				sides = append(sides, k.factor())
			}
		}
		for _, name := range sides {
			if f := slices.IndexFunc(x.ex.Factors, func(fc Factor) bool { return fc.Feature == name }); f >= 0 {
				x.ex.Factors[f].Contribution += (c - t.avg) / float64(len(sides))
			}
		}
	}
}

// outsideNote words what a factor's inputs that lie outside the training
// data are scored as, or is empty when none does.
func outsideNote(fields []string) string {
	if len(fields) == 0 {
		return ""
	}
	return " (outside the training data: scored as " + strings.Join(fields, ", ") + ")"
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
