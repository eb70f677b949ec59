package server

import (
	"errors"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/jmksales/jmk/server/auth"
	"github.com/jmksales/jmk/server/textrules"
)

// stringFormats are the formats the spec uses that kin-openapi leaves
// unchecked by default. Without them a malformed uuid or e-mail would pass
// the validator and fail later, in the generated binding, as a 400 that
// named no field.
var stringFormats = map[string]openapi3.StringFormatValidator{
	// Any version: our ids are UUIDv7, which kin-openapi's RFC 4122 pattern refuses.
	"uuid": openapi3.NewRegexpFormatValidator(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`),
	// A bare address, exactly as the generated types' net/mail check takes
	// it: "Ana <ana@example.com>" would otherwise be stored as another string.
	"email": openapi3.NewCallbackValidator(func(s string) error {
		if !auth.IsAddress(s) {
			return errors.New("must be " + auth.AnAddress)
		}
		return nil
	}),
	// The spec's pattern for names cannot name these characters in a
	// syntax both Go and ECMAScript read; this format adds them.
	"person-name":  openapi3.NewCallbackValidator(noDirectionControls),
	"visible-text": openapi3.NewCallbackValidator(noDirectionControls),
	// The byte rule bcrypt needs, checked with the rest of the body: as a
	// handler's check it would be told only once every other field was right.
	"password": openapi3.NewCallbackValidator(func(s string) error {
		if auth.CheckPasswordRules(s) != nil {
			return errors.New(auth.PasswordLengthRule)
		}
		return nil
	}),
	// The parser the generated binding uses, so the two never disagree, and
	// a message that shows the form instead of kin-openapi's regular expression.
	"date-time": openapi3.NewCallbackValidator(func(s string) error {
		t, err := time.Parse(time.RFC3339Nano, s)
		switch {
		// A "+02:00" typed into a URL arrives as " 02:00": a query decodes
		// + as a space. Only a whole date and time before it says so:
		// "2026-11-01 09:00" is a date and a time with a space between.
		case err != nil && len(s) > 6 && s[len(s)-6] == ' ' && s[len(s)-3] == ':' && localDateTime(s[:len(s)-6]):
			return errors.New("must be an RFC 3339 date-time with its time zone, such as 2026-11-01T09:00:00Z; in a URL, write the + of an offset as %2B (2026-11-01T09:00:00%2B01:00)")
		case err != nil || !offsetInRange(s):
			return errors.New("must be an RFC 3339 date-time with its time zone, such as 2026-11-01T09:00:00Z")
		// An offset can take a valid year out of range in UTC, where JSON
		// (an echoed "since") cannot write it; so can the handlers' rounding
		// up to the microsecond, the database's resolution.
		case t.UTC().Year() < 1 || t.After(lastMicrosecond):
			return errors.New("must fall between 0001-01-01 and 9999-12-31T23:59:59.999999Z in UTC")
		}
		return nil
	}),
}

// localDateTime reports whether s is an RFC 3339 date-time without its
// offset.
func localDateTime(s string) bool {
	_, err := time.Parse("2006-01-02T15:04:05.999999999", s)
	return err == nil
}

// offsetInRange reports whether a date-time that Go parsed has an offset
// RFC 3339 allows: Go takes hours up to 24 and minutes up to 60, and moves
// the time by them.
func offsetInRange(s string) bool {
	if n := len(s); n >= 6 && (s[n-6] == '+' || s[n-6] == '-') && s[n-3] == ':' {
		return s[n-5:n-3] <= "23" && s[n-2:] <= "59"
	}
	return true // Z
}

// noDirectionControls refuses text whose invisible direction controls
// would make what follows them display in another order wherever it is
// shown (lists, exports, the audit trail's summaries).
func noDirectionControls(s string) error {
	switch {
	case textrules.HasDirectionControl(s):
		return errors.New(textrules.DirectionControlProblem)
	case textrules.HasLineSeparator(s):
		return errors.New(textrules.LineSeparatorProblem)
	}
	return nil
}

// lastMicrosecond is the last time a date-time value may name.
var lastMicrosecond = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
