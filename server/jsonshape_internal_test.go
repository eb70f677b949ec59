package server

import (
	"fmt"
	"strings"
	"testing"
)

func TestScanValues(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		name string // "" for none
	}{
		{`{"a": 1, "b": 2}`, ""},
		{`{"a": 1, "a": 2}`, "a"},
		{`{"a": {"b": 1}, "b": 2}`, ""},  // one name per object
		{`{"a": {"b": 1, "b": 2}}`, "b"}, // nested
		{`[{"a": 1}, {"a": 2}]`, ""},     // two objects
		{`[{"a": 1, "c": [1, {"a": 1, "a": 1}]}]`, "a"},
		{`{"a": "a", "b": ["a", "a"]}`, ""}, // values are not names
		{`{"a": {}, "a": []}`, "a"},
		{`{"n": 1e400, "n": 1}`, "n"},
		{`{"a\u0062": 1, "ab": 2}`, "ab"}, // the same name, escaped
		{`{"a": 1, "a"`, ""},              // the validator reports the syntax
		// Something after the first value: the validator decodes that
		// value all the same, so it is checked.
		{`{"a": 1, "a": 2} x`, "a"},
		{`{"a": 1, "b": 2}{"a": 1}`, ""},
		{`{"a": 1,, "a": 2}`, ""},
		{`{"a\"": 1, "a\\": 2, "a\\\"": 3}`, ""}, // escaped quotes end no string
		{`{"a\\": 1, "b": "x\\", "a\u005c": 2}`, "a\\"},
		{` { "a" : 1 , "a" : 2 } `, "a"},
		{`{"a": [true, null, -1.5e3, {"a": false}], "a": 1}`, "a"},
		{`"a"`, ""},
	} {
		name, problem := scanValues([]byte(tc.in))
		if name != tc.name || (problem == twice) != (tc.name != "") {
			t.Errorf("%s: %q %v, want %q", tc.in, name, problem, tc.name)
		}
	}
	// Values are counted in all, in objects and arrays; names are not
	// values.
	for _, tc := range []struct {
		in   func(n int) string
		what string
	}{
		{func(n int) string { return "[" + strings.Repeat("1,", n-2) + "1]" }, "numbers"},
		{func(n int) string { return "[" + strings.Repeat(`"a",`, n-2) + `"a"]` }, "strings"},
		{func(n int) string { return "[" + strings.Repeat("[],", n-2) + "{}]" }, "containers"},
		{func(n int) string {
			var b strings.Builder
			b.WriteString("{")
			for i := range n - 1 {
				fmt.Fprintf(&b, `"k%d": null,`, i)
			}
			return strings.TrimSuffix(b.String(), ",") + "}"
		}, "fields"},
	} {
		if _, p := scanValues([]byte(tc.in(maxJSONValues))); p != shapeOK {
			t.Errorf("%d values (%s): %v", maxJSONValues, tc.what, p)
		}
		if _, p := scanValues([]byte(tc.in(maxJSONValues + 1))); p != tooManyValues {
			t.Errorf("%d values (%s): %v", maxJSONValues+1, tc.what, p)
		}
		if _, p := scanValues([]byte(tc.in(maxJSONValues+1) + " x")); p != tooManyValues {
			t.Errorf("%d values (%s), then text: %v", maxJSONValues+1, tc.what, p)
		}
	}
}

// A body of a million array items within the size limit costs a scan,
// not a decoder's allocation per item.
func BenchmarkScanValues(b *testing.B) {
	body := []byte("[" + strings.Repeat("1,", 1<<19) + "1]")
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, p := scanValues(body); p != tooManyValues {
			b.Fatal(p)
		}
	}
}
