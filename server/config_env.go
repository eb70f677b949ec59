package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// maxDuration bounds every duration setting (30 days): a throttle window is
// doubled for its janitor, and a typo of a million hours would overflow into
// switching the throttle off.
const maxDuration = 720 * time.Hour

// envReader reads typed settings through getenv and collects every problem,
// so that one start-up names all the variables that are wrong, not only the
// first. The Config read alongside is only for use when there are none.
type envReader struct {
	getenv func(string) string
	errs   []error
}

func (e *envReader) fail(format string, args ...any) {
	e.errs = append(e.errs, fmt.Errorf(format, args...))
}

func (e *envReader) check(err error) {
	if err != nil {
		e.errs = append(e.errs, err)
	}
}

// str is the variable's value without surrounding blanks, or def when it is
// unset or blank.
func (e *envReader) str(k, def string) string {
	if v := strings.TrimSpace(e.getenv(k)); v != "" {
		return v
	}
	return def
}

func (e *envReader) bool(k string, def bool) bool {
	v := e.str(k, strconv.FormatBool(def))
	b, err := strconv.ParseBool(v)
	if err != nil {
		e.fail("%s must be true or false, got %q", k, v)
		return def
	}
	return b
}

func (e *envReader) int(k string, def, lo, hi int) int {
	v := e.str(k, strconv.Itoa(def))
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		e.fail("%s must be a whole number from %d to %d, got %q", k, lo, hi, v)
		return def
	}
	return n
}

// duration reads a positive duration up to maxDuration.
func (e *envReader) duration(k string, def time.Duration) time.Duration {
	return e.durationIn(k, def, 1, maxDuration, "a positive duration up to 720h, such as 15m")
}

// drain reads SHUTDOWN_DRAIN: unlike the other durations, zero (no drain)
// is its default, and ten minutes its limit.
func (e *envReader) drain(k string) time.Duration {
	return e.durationIn(k, 0, 0, 10*time.Minute, "a duration from 0s to 10m, such as 5s")
}

// durationIn reads a duration from lo to hi; want says so in the message.
func (e *envReader) durationIn(k string, def, lo, hi time.Duration, want string) time.Duration {
	v := e.str(k, def.String())
	d, err := time.ParseDuration(v)
	if err != nil || d < lo || d > hi {
		e.fail("%s must be %s, got %q", k, want, v)
		return def
	}
	return d
}

func (e *envReader) atLeastSecond(k string, d time.Duration) {
	if d < time.Second {
		e.fail("%s must be at least 1s, got %s", k, d)
	}
}
