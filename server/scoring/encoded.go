package scoring

// Encoded is a lead's scoring inputs in the fixed layout the scorer reads:
// categorical values as indices into their enumeration, numbers as float64
// with a bit set in Known when present. It does not depend on a model, so a
// bulk re-score can encode each lead once and score it with any Scorer.
type Encoded struct {
	Levels [numCategorical]uint8
	Values [numNumeric]float64
	Known  uint16
}

// Encode writes f into dst without allocating. Missing and unrecognised
// categorical values map to their field's unknown level.
func Encode(f *Features, dst *Encoded) {
	dst.Levels[catJob] = levelIndex(catJob, f.Job)
	dst.Levels[catMarital] = levelIndex(catMarital, f.Marital)
	dst.Levels[catEducation] = levelIndex(catEducation, f.Education)
	dst.Levels[catCreditDefault] = levelIndex(catCreditDefault, f.CreditDefault)
	dst.Levels[catHousingLoan] = levelIndex(catHousingLoan, f.HousingLoan)
	dst.Levels[catPersonalLoan] = levelIndex(catPersonalLoan, f.PersonalLoan)
	dst.Levels[catContactChannel] = levelIndex(catContactChannel, f.ContactChannel)
	dst.Levels[catLastContactMonth] = levelIndex(catLastContactMonth, f.LastContactMonth)
	dst.Levels[catLastContactWeekday] = levelIndex(catLastContactWeekday, f.LastContactWeekday)
	dst.Levels[catPreviousOutcome] = levelIndex(catPreviousOutcome, f.PreviousOutcome)

	dst.Known = 0
	dst.setInt(numAge, f.Age)
	dst.setInt(numLastCallDuration, f.LastCallDurationSec)
	dst.setInt(numCampaignContacts, f.CampaignContacts)
	dst.setInt(numDaysSincePrevious, f.DaysSincePreviousContact)
	dst.setInt(numPreviousContacts, f.PreviousContacts)
	dst.setFloat(numEmpVarRate, f.EmpVarRate)
	dst.setFloat(numConsPriceIdx, f.ConsPriceIdx)
	dst.setFloat(numConsConfIdx, f.ConsConfIdx)
	dst.setFloat(numEuribor3m, f.Euribor3m)
	dst.setFloat(numNrEmployed, f.NrEmployed)
}

func (e *Encoded) setInt(i int, v *int32) {
	if v == nil {
		e.Values[i] = 0
		return
	}
	e.Values[i] = float64(*v)
	e.Known |= 1 << i
}

func (e *Encoded) setFloat(i int, v *float64) {
	if v == nil || *v != *v { // NaN is as good as missing
		e.Values[i] = 0
		return
	}
	e.Values[i] = *v
	e.Known |= 1 << i
}

// known reports whether numeric field i is present.
func (e *Encoded) known(i int) bool { return e.Known&(1<<i) != 0 }

// levelIndex finds a value's level with one probe of a perfect hash and
// one string comparison: a scan over twelve strings, or a map, costs more
// than the rest of scoring. The hash, over the length and three bytes,
// happens to be collision-free for every enumeration (a test checks it).
func levelIndex(field int, v *string) uint8 {
	f := &catFields[field]
	if v != nil && len(*v) >= 2 {
		s := *v
		if k := levelTables[field][levelHash(s)]; k != 0 && sameLevel(f.levels[k-1], s) {
			return k - 1
		}
	}
	return uint8(f.missing)
}

func levelHash(s string) int {
	return (len(s) + int(s[0]) + int(s[len(s)-2]) + int(s[len(s)-1])) & 63
}

// levelTables maps levelHash to 1 + level index, 0 for no level. It is
// derived from the enumerations once and never written again.
var levelTables = buildLevelTables()

func buildLevelTables() (t [numCategorical][64]uint8) {
	for i := range catFields {
		for j, l := range catFields[i].levels {
			t[i][levelHash(l)] = uint8(j + 1)
		}
	}
	return t
}

// sameLevel is l == s, for strings of at least two bytes (every level
// is), without the runtime's comparison, whose call and branches on the
// length cost 15 ns a field, a third of encoding a lead. Strings of two or
// three bytes (months, weekdays, "yes", "no") are compared byte by byte;
// strings of 4 to 20 bytes as five overlapping 4-byte words, which cover
// every byte without a branch on the length.
func sameLevel(l, s string) bool {
	n := len(s)
	switch {
	case len(l) != n:
		return false
	case n <= 3:
		return n >= 2 && s[0] == l[0] && s[1] == l[1] && s[n-1] == l[n-1]
	case n <= 20:
		m := n - 4
		d := le32(s, 0) ^ le32(l, 0)
		d |= le32(s, m/4) ^ le32(l, m/4)
		d |= le32(s, m/2) ^ le32(l, m/2)
		d |= le32(s, 3*m/4) ^ le32(l, 3*m/4)
		d |= le32(s, m) ^ le32(l, m)
		return d == 0
	}
	return l == s
}

// le32 is the 4 bytes of s from i as a number; the compiler makes it one
// load.
func le32(s string, i int) uint32 {
	s = s[i : i+4]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}
