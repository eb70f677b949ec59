package scoring

import (
	"slices"
	"strings"
	"testing"
)

func TestFieldRegistry(t *testing.T) {
	t.Parallel()
	for i, f := range catFields {
		want := slices.Index(f.levels, unknownLevel)
		if want < 0 {
			want = len(f.levels)
		}
		if f.missing != want {
			t.Errorf("%s: missing = %d, want %d", f.name, f.missing, want)
		}
		if len(f.levels)+1 > maxLevels {
			t.Errorf("%s: %d levels do not fit the scorer's tables", f.name, len(f.levels))
		}
		if i >= numCategorical || f.name == "" {
			t.Errorf("registry entry %d malformed", i)
		}
	}
	for i, f := range catFields {
		for j, l := range f.levels {
			v := l
			if got := levelIndex(i, &v); int(got) != j {
				t.Errorf("%s: level %q hashes to %d, want %d (hash collision?)", f.name, l, got, j)
			}
		}
	}
	if numNumeric > 16 {
		t.Error("Encoded.Known has 16 bits")
	}
}

// sameLevel must agree with == for every level against itself, against
// every one-byte change of it and against other lengths, including the
// lengths past its word comparison.
func TestSameLevel(t *testing.T) {
	t.Parallel()
	levels := []string{"ab", strings.Repeat("x", 20), strings.Repeat("y", 21) + "z"}
	for _, f := range catFields {
		levels = append(levels, f.levels...)
	}
	for _, l := range levels {
		candidates := []string{strings.Clone(l), l[:len(l)-1], l + "s", "s" + l[1:]}
		for i := range len(l) {
			b := []byte(l)
			b[i] ^= 0x20
			candidates = append(candidates, string(b))
		}
		for _, s := range candidates {
			if got, want := sameLevel(l, s), l == s; got != want {
				t.Errorf("sameLevel(%q, %q) = %v, want %v", l, s, got, want)
			}
		}
	}
}

func TestEncodeLevels(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		field int
		set   func(f *Features)
		want  int
	}{
		{"Known", catJob, func(f *Features) { f.Job = ptr("student") }, 8},
		{"UnknownValue", catJob, func(f *Features) { f.Job = ptr("unknown") }, 11},
		{"MissingIsUnknown", catJob, func(f *Features) { f.Job = nil }, 11},
		{"Unrecognised", catJob, func(f *Features) { f.Job = ptr("astronaut") }, 11},
		{"Short", catJob, func(f *Features) { f.Job = ptr("a") }, 11},
		{"Empty", catJob, func(f *Features) { f.Job = ptr("") }, 11},
		{"CaseMatters", catMarital, func(f *Features) { f.Marital = ptr("Married") }, 3},
		{"NoUnknownInEnum", catContactChannel, func(f *Features) { f.ContactChannel = nil }, 2},
		{"Month", catLastContactMonth, func(f *Features) { f.LastContactMonth = ptr("dec") }, 11},
		{"MonthMissing", catLastContactMonth, func(f *Features) { f.LastContactMonth = nil }, 12},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := fullFeatures()
			tc.set(&f)
			var e Encoded
			Encode(&f, &e)
			if got := int(e.Levels[tc.field]); got != tc.want {
				t.Errorf("level = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestEncodeNumbers(t *testing.T) {
	t.Parallel()
	f := fullFeatures()
	f.Age = nil
	f.DaysSincePreviousContact = nil
	nan := 0.0
	nan /= nan
	f.Euribor3m = &nan
	var e Encoded
	e.Values[numAge] = 99 // stale values must not survive
	Encode(&f, &e)
	for _, tc := range []struct {
		field int
		known bool
		value float64
	}{
		{numAge, false, 0}, {numDaysSincePrevious, false, 0}, {numEuribor3m, false, 0},
		{numCampaignContacts, true, 2}, {numNrEmployed, true, 5040},
	} {
		if e.known(tc.field) != tc.known || e.Values[tc.field] != tc.value {
			t.Errorf("%s: known=%v value=%g, want %v %g", numFields[tc.field].name,
				e.known(tc.field), e.Values[tc.field], tc.known, tc.value)
		}
	}
}

func TestFitEncoding(t *testing.T) {
	t.Parallel()
	ex := synthExamples(500, 1)
	rows := make([]Encoded, len(ex))
	for i := range ex {
		Encode(&ex[i].Features, &rows[i])
	}
	var excluded [numNumeric]bool
	excluded[numLastCallDuration] = true
	enc := fitEncoding(rows, featureSpecs, excluded)
	if err := enc.validate(); err != nil {
		t.Fatal(err)
	}
	if len(enc.Numeric) != numNumeric-1 || slices.ContainsFunc(enc.Numeric, func(n NumericEncoding) bool {
		return n.Field == "last_call_duration_sec"
	}) {
		t.Errorf("numeric fields = %d, want all but the call duration", len(enc.Numeric))
	}
	ch := enc.Categorical[catContactChannel]
	if !slices.Equal(ch.Levels, []string{"cellular", "telephone", "unknown"}) {
		t.Errorf("contact channel levels = %v", ch.Levels)
	}
	age := enc.Numeric[0]
	if age.Field != "age" || age.Missing == 0 || age.Known+age.Missing != len(rows) || len(age.Cuts) == 0 {
		t.Errorf("age encoding = %+v", age)
	}
	pdays := enc.Numeric[numDaysSincePrevious-1]
	if pdays.Never == 0 || pdays.Missing != 0 {
		t.Errorf("days since previous contact: never=%d missing=%d", pdays.Never, pdays.Missing)
	}
	if names := enc.FeatureNames(); len(names) != enc.Columns() {
		t.Errorf("%d names for %d columns", len(names), enc.Columns())
	}
}

func TestCuts(t *testing.T) {
	t.Parallel()
	sorted := []float64{1, 1, 1, 1, 2, 2, 3, 4, 5, 6}
	if got := quantileCuts(sorted, 5); !slices.Equal(got, []float64{2, 3, 5}) {
		t.Errorf("quantileCuts = %v", got)
	}
	if got := levelCuts(sorted, 2, false); !slices.Equal(got, []float64{2}) {
		t.Errorf("levelCuts = %v", got)
	}
	// With rare bins, the rare values after a common one get their own bin.
	if got := levelCuts(sorted, 2, true); !slices.Equal(got, []float64{2, 3}) {
		t.Errorf("levelCuts with rare bins = %v", got)
	}
	for _, tc := range []struct {
		x    float64
		want int
	}{{0, 0}, {2, 1}, {2.5, 1}, {3, 2}, {9, 3}} {
		if got := binOf([]float64{2, 3, 5}, tc.x); got != tc.want {
			t.Errorf("binOf(%g) = %d, want %d", tc.x, got, tc.want)
		}
	}
}
