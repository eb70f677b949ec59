package auth

import (
	"strings"
	"testing"
)

func TestAddressShaped(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		"ana.silva@example.pt":                  true,
		"o'neil+crm@mail.co.uk":                 true,
		"x@a-b.example.com":                     true,
		"p@ssw0rd.2024":                         false, // a password: the last label is a number
		"summer@2024.":                          false,
		"ana@localhost":                         false,
		"ana silva@example.pt":                  false,
		"ana@@example.pt":                       false,
		"@example.pt":                           false,
		"ana@-x.pt":                             false,
		"joão@example.pt":                       false, // not ASCII: not quoted, to be safe
		"Tr0ub4dor&3":                           false,
		"ana@example.p":                         false,
		"ana@exa_mple.pt":                       false,
		strings.Repeat("a", 65) + "@example.pt": false,
	} {
		if got := AddressShaped(in); got != want {
			t.Errorf("AddressShaped(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestIsAddress(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]bool{
		"ana@example.com":                    true,
		"ana@localhost":                      true, // a mailbox, if not a common one
		"Not An Email":                       false,
		"Ana <ana@example.com>":              false,
		"a@example.com, b@example.com":       false,
		" ana@example.com":                   false,
		"":                                   false,
		strings.Repeat("a", 250) + "@b.com":  false,
		strings.Repeat("a", 64) + "@b.co.uk": true,
		"\u202emoc.elpmaxe@nimda":            false, // shows as admin@example.com
		"a\u2066b@example.com":               false,
	} {
		if got := IsAddress(in); got != want {
			t.Errorf("IsAddress(%q) = %v, want %v", in, got, want)
		}
	}
}
