package auth

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jmksales/jmk/server/textrules"
)

// AnAddress is what an input IsAddress refuses should be, for the messages
// that refuse it ("must be " + AnAddress), which the API, the CSV import,
// ADMIN_EMAIL and jmk users create word alike.
const AnAddress = "an e-mail address such as name@example.com"

// IsAddress reports whether s is a bare e-mail address of at most 254
// bytes, exactly as net/mail reads it back: the rule of the spec's Email,
// which the API, jmk users create and ADMIN_EMAIL share. "Ana
// <ana@example.com>" and two addresses with a comma are not one.
func IsAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	// An address with an invisible direction control (RFC 6532 allows
	// Unicode) would show as another one in lists and the audit trail:
	// "\u202Emoc.elpmaxe@nimda" reads as admin@example.com.
	return err == nil && a.Address == s && len(s) <= 254 && !textrules.HasDirectionControl(s)
}

// AddressShaped reports an ASCII e-mail address of the common shape: a local
// part of the characters RFC 5322 allows unquoted, then a domain of two or
// more labels of letters, digits and inner hyphens, the last of letters
// only. It is stricter than a mailbox needs on purpose: a failed login's
// audit event calls what was typed "an unknown e-mail address" only when it
// passes, and "a value that is not an e-mail address" otherwise, since
// people type their password into the e-mail field too ("p@ssw0rd.2024"
// fails); it never quotes either.
func AddressShaped(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(local) > 64 || len(s) > 254 ||
		strings.ContainsFunc(local, func(r rune) bool {
			return !isAlnum(r) && !strings.ContainsRune("!#$%&'*+/=?^_`{|}~.-", r)
		}) {
		return false
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' ||
			strings.ContainsFunc(l, func(r rune) bool { return !isAlnum(r) && r != '-' }) {
			return false
		}
	}
	tld := labels[len(labels)-1]
	return len(tld) >= 2 && !strings.ContainsFunc(tld, func(r rune) bool { return !unicode.IsLetter(r) })
}

func isAlnum(r rune) bool { return r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)) }
