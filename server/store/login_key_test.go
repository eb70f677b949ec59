package store

import (
	"strings"
	"testing"
)

// A failed login is counted under the e-mail typed when it is an address
// or an account's, whatever its shape, and under nothing else.
func TestFailureEmail(t *testing.T) {
	t.Parallel()
	// 255 bytes once lower-cased (Ⱥ is 2 bytes, ⱥ 3): past IsAddress, yet
	// an account may have it.
	long := "ⱥ" + strings.Repeat("a", 240) + "@example.com"
	for _, tc := range []struct {
		typed string
		known bool
		want  string
	}{
		{"ana@example.com", false, "ana@example.com"},
		{"Tr0ub4dor&3-secret", false, ""},
		{long, true, long},
		{long, false, ""},
	} {
		if got := failureEmail(tc.typed, tc.known); got != tc.want {
			t.Errorf("failureEmail(%.20q, %v) = %.20q, want %.20q", tc.typed, tc.known, got, tc.want)
		}
	}
}
