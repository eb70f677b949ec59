package store

import "testing"

func TestLeadSearch(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"+351 928 385 952": "351928385952", // a phone: its digits
		"(21) 000-0000":    "210000000",
		"385.952":          "385952",
		"1 2 3":            "123",
		"+1 2":             "+1 2", // fewer than three digits: as it is
		"ana 9":            "ana 9",
		"50%_":             "50%_", // not a phone: as it is (the queries escape it)
		"ana@x.pt":         "ana@x.pt",
		"911\u00a0222":     "911\u00a0222", // a no-break space is not a phone character
	} {
		if got := leadSearch(&in); got == nil || *got != want {
			t.Errorf("leadSearch(%q) = %v, want %q", in, got, want)
		}
	}
	if leadSearch(nil) != nil {
		t.Error("no q, no pattern")
	}
}
