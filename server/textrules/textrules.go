// Package textrules holds what makes a short text a person typed
// acceptable wherever it is stored: a person's name (a lead's or a user's),
// a phone, and the invisible characters that would make a name, an e-mail
// address or an id display as other text. The API's formats and the CSV
// import both apply them, so what one path stores the other takes back.
package textrules

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// IsText reports text the API takes at all: UTF-8 without NUL characters
// (PostgreSQL stores neither otherwise). The command line checks its
// arguments with it, as the API checks every string it is sent.
func IsText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// MaxNameChars bounds a person's name, in characters.
const MaxNameChars = 200

// NameProblem says what is wrong with a person's name (a lead's or a
// user's, already trimmed) under the spec's PersonName rule, or returns ""
// when nothing is: at most MaxNameChars characters, on one line with no
// control character nor direction control (see HasDirectionControl),
// holding a letter or digit (so neither blank nor only punctuation or
// invisible characters).
func NameProblem(s string) string {
	switch {
	case utf8.RuneCountInString(s) > MaxNameChars:
		return "is longer than 200 characters"
	case strings.ContainsFunc(s, unicode.IsControl):
		return "contains a control character"
	case HasDirectionControl(s):
		return DirectionControlProblem
	case HasLineSeparator(s):
		return LineSeparatorProblem
	case !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }):
		return "has no letter or digit"
	}
	return ""
}

// PhoneProblem says what is wrong with a lead's phone (already trimmed),
// or returns "": 3 to 40 characters of digits, spaces and + - ( ), at least
// one a digit. The spec's pattern says the same, but it sees the phone
// before trimming (" 12" passes it and is stored as "12"); the CSV import
// and the API both apply this.
func PhoneProblem(s string) string {
	switch { // a valid phone is ASCII, so bytes = characters
	case len(s) > 40:
		return "is longer than 40 characters"
	case len(s) < 3:
		return "is shorter than 3 characters"
	case strings.Trim(s, "0123456789+-() ") != "":
		return "may hold only digits, spaces and + - ( )"
	case !strings.ContainsAny(s, "0123456789"):
		return "has no digits"
	}
	return ""
}

// InvisibleProblem is what the import says of an external id holding an
// invisible character (see HasInvisible); the API's pattern applies the same
// rule.
const InvisibleProblem = "contains an invisible character (a zero-width space, a text-direction control, a line separator): two ids that look the same would differ"

// HasInvisible reports format characters (Unicode's Cf: zero-width spaces
// and joiners, the byte order mark, direction controls, soft hyphens) and
// line or paragraph separators: an external id pasted with one looks like
// the id without it, matches no lead, and a re-import makes a second lead.
func HasInvisible(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Cf, r) }) || HasLineSeparator(s)
}

// DirectionControlProblem is what NameProblem, and the API's person-name
// format, say of a name holding a direction control.
const DirectionControlProblem = "contains invisible text-direction controls (U+202A to U+202E, U+2066 to U+2069)"

// HasDirectionControl reports whether s holds one of Unicode's explicit
// direction embeddings, overrides or isolates. They are invisible, and
// they make the text after them display in another order wherever the name
// is shown (a list, a CSV export, an audit summary): "\u202Egnp.exe" shows
// as "exe.png". The marks a right-to-left name may need (U+200E, U+200F)
// are not among them.
func HasDirectionControl(s string) bool { return strings.ContainsFunc(s, IsDirectionControl) }

// IsDirectionControl reports whether r is one of the runes
// HasDirectionControl looks for.
func IsDirectionControl(r rune) bool {
	return r >= '\u202A' && r <= '\u202E' || r >= '\u2066' && r <= '\u2069'
}

// LineSeparatorProblem is what NameProblem, and the API's person-name
// format, say of a name holding a line or paragraph separator.
const LineSeparatorProblem = "contains a line or paragraph separator (U+2028, U+2029): a name is one line"

// HasLineSeparator reports Unicode's line and paragraph separators, which
// are no control characters but break the line wherever the name is shown
// (an audit summary quoting it would read as two lines).
func HasLineSeparator(s string) bool { return strings.ContainsAny(s, "\u2028\u2029") }
