package store

import (
	"strings"
	"testing"
)

func TestTruncateKeepsCharacters(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"€€", 4, "€"}, // 3 bytes each: the second would be cut in half
		{"€€", 6, "€€"},
		{strings.Repeat("é", 200), 254, strings.Repeat("é", 127)},
	} {
		if got := truncate(tc.in, tc.n); got != tc.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}
