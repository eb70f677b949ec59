package leadcsv

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/leadrules"
	"github.com/jmksales/jmk/server/textrules"
)

// Limits on text cells; they match the lead's columns and the API.
const (
	// MaxFieldBytes bounds any cell, so one absurd value cannot blow up a
	// row, except notes: see maxNotesBytes.
	MaxFieldBytes     = 10000
	maxEmailChars     = 254
	maxExternalIDChar = 100
	maxNotesChars     = 10000
	// maxNotesBytes lets through any note the API accepts (10,000
	// characters, up to 4 bytes each in UTF-8), so every export re-imports.
	maxNotesBytes = 4 * maxNotesChars
)

// The cleaners take a raw cell (valid UTF-8, not empty, formula guard already
// removed) and return the value to store, or "" and a message. A cell that
// is only spaces cleans to "" with no message: missing.

func cleanName(s string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ""
	}
	if msg := textrules.NameProblem(s); msg != "" {
		return "", msg
	}
	return s, ""
}

func cleanExternalID(s string) (string, string) {
	s = strings.TrimSpace(s)
	switch {
	case utf8.RuneCountInString(s) > maxExternalIDChar:
		return "", "is longer than 100 characters"
	case hasControl(s, false):
		return "", "contains a control character"
	case textrules.HasInvisible(s):
		return "", textrules.InvisibleProblem
	}
	return leadrules.ExternalID(s), ""
}

// cleanNotes keeps the text as written (line breaks, indentation): notes are
// free text and an export must re-import unchanged.
func cleanNotes(s string) (string, string) {
	if strings.TrimSpace(s) == "" {
		return "", ""
	}
	switch {
	case utf8.RuneCountInString(s) > maxNotesChars:
		return "", "is longer than 10000 characters"
	case hasControl(s, true):
		return "", "contains a control character"
	}
	return leadrules.Notes(s), ""
}

func cleanPhone(s string) (string, string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", ""
	}
	if msg := textrules.PhoneProblem(s); msg != "" {
		return "", msg
	}
	return s, ""
}

// cleanEmail takes an address by the API's rule (auth.IsAddress), so that
// whatever one path stores the other accepts back; whether the mailbox
// exists is not ours to know.
func cleanEmail(s string) (string, string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", ""
	case utf8.RuneCountInString(s) > maxEmailChars:
		return "", "is longer than 254 characters"
	case !auth.IsAddress(s):
		return "", quote(s) + " is not " + auth.AnAddress
	}
	return s, ""
}

// hasControl reports a control character; multiline text may hold tab, LF
// and CR.
func hasControl(s string, multiline bool) bool {
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\t' || r == '\n' || r == '\r')) {
			return true
		}
	}
	return false
}

// quote renders a cell for a message: quoted, and cut short so a huge or
// hostile value cannot flood the report.
func quote(s string) string {
	const max = 40
	if utf8.RuneCountInString(s) > max {
		n := 0
		for i := range s {
			if n == max {
				s = s[:i] + "..."
				break
			}
			n++
		}
	}
	return strconv.Quote(s)
}
