package store

import "testing"

// A summary quotes free text as one line, and never with an invisible
// direction control that would make the rest of it read as other text.
func TestOneLine(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"no answer":                     "no answer",
		"busy\r\ncall back\tafter 5":    "busy call back after 5",
		"x\u202eevil) and more":         "xevil) and more",
		"a\u2066b\u2069c\nd":            "abc d",
		"Ana\u2028\u2029Administrator":  "Ana Administrator",
		"right\u200fto\u200eleft marks": "right\u200fto\u200eleft marks", // a right-to-left name may need these
	} {
		if got := oneLine(in); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
