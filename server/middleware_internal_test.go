package server

import "testing"

// A header stored in the audit trail is valid UTF-8 without NUL or
// text-direction controls, and fits its column.
func TestStorableText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		max      int
		want     string
	}{
		{"Plain", "curl/8.5.0", 100, "curl/8.5.0"},
		{"Latin1", "Mozilla\xe9/5.0", 100, "Mozilla\uFFFD/5.0"},
		{"NUL", "a\x00b", 100, "ab"},
		{"DirectionControls", "evil \u202Emoc.elpmaxe\u2066x\u2069", 100, "evil moc.elpmaxex"},
		{"RightToLeftMarkKept", "a\u200Fb", 100, "a\u200Fb"},
		{"CutOnARune", "ééé", 5, "éé"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := storableText(tc.in, tc.max); got != tc.want {
				t.Errorf("storableText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
			}
		})
	}
}
