package textrules

import (
	"strings"
	"testing"
)

func TestNameProblem(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Ana Gonçalves":            "",
		"O'Brien":                  "",
		"李":                        "",
		"R2":                       "",
		strings.Repeat("é", 200):   "",
		strings.Repeat("é", 201):   "is longer than 200 characters",
		"evil\nline":               "contains a control character",
		"A\tB":                     "contains a control character",
		"":                         "has no letter or digit",
		"!!!":                      "has no letter or digit",
		"\u200b":                   "has no letter or digit",
		"\u202egnp.exe":            DirectionControlProblem,
		"Ana\u2028Administrator":   LineSeparatorProblem,
		"Ana\u2029Silva":           LineSeparatorProblem,
		"Ana \u2066Silva\u2069":    DirectionControlProblem,
		"\u05e9\u05e8\u05d4\u200f": "", // a right-to-left mark is fine
	} {
		if got := NameProblem(in); got != want {
			t.Errorf("NameProblem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPhoneProblem(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"+351 912 345 678":      "",
		"(21) 000-0000":         "",
		"112":                   "",
		"12":                    "is shorter than 3 characters",
		strings.Repeat("1", 41): "is longer than 40 characters",
		"call me":               "may hold only digits, spaces and + - ( )",
		"+()- -":                "has no digits",
	} {
		if got := PhoneProblem(in); got != want {
			t.Errorf("PhoneProblem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestInvisible(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in                        string
		invisible, direction, sep bool
	}{
		{"crm-1", false, false, false},
		{"Ana Gonçalves", false, false, false},
		{"\u05e9\u05e8\u05d4", false, false, false},
		{"crm\u200b-1", true, false, false},      // zero-width space
		{"\ufeffcrm-1", true, false, false},      // byte order mark
		{"crm\u00ad1", true, false, false},       // soft hyphen
		{"\u202ecrm-1", true, true, false},       // right-to-left override
		{"crm \u2066x\u2069", true, true, false}, // isolates
		{"crm\u2028-1", true, false, true},       // line separator
		{"crm\u2029-1", true, false, true},       // paragraph separator
		{"crm\u200f", true, false, false},        // right-to-left mark: fine in a name, not in an id
	} {
		if got := HasInvisible(tc.in); got != tc.invisible {
			t.Errorf("HasInvisible(%q) = %v", tc.in, got)
		}
		if got := HasDirectionControl(tc.in); got != tc.direction {
			t.Errorf("HasDirectionControl(%q) = %v", tc.in, got)
		}
		if got := HasLineSeparator(tc.in); got != tc.sep {
			t.Errorf("HasLineSeparator(%q) = %v", tc.in, got)
		}
	}
}

func TestIsText(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{"": true, "Gonçalves": true, "a\x00b": false, "caf\xe9": false, "\xff\xfe": false} {
		if got := IsText(s); got != want {
			t.Errorf("IsText(%q) = %v, want %v", s, got, want)
		}
	}
}
