package server

import (
	"fmt"
	"strings"
	"testing"
)

func TestObjectNames(t *testing.T) {
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
		{`{"a": 1, "a"`, "a"},             // found before the syntax error
		{`{"a": 1,, "a": 2}`, ""},         // the validator reports the syntax
		{`"a"`, ""},
	} {
		name, problem := objectNames([]byte(tc.in))
		if name != tc.name || (problem == twice) != (tc.name != "") {
			t.Errorf("%s: %q %v, want %q", tc.in, name, problem, tc.name)
		}
	}
	// Names are counted across objects; values are not names.
	many := func(n int) string {
		var b strings.Builder
		b.WriteString(`[{"v": ["a", "b", "c"]}`)
		for i := range n - 1 {
			fmt.Fprintf(&b, `, {"k%d": 1}`, i)
		}
		return b.String() + "]"
	}
	if _, p := objectNames([]byte(many(maxJSONNames))); p != namesOK {
		t.Errorf("%d names: %v", maxJSONNames, p)
	}
	if _, p := objectNames([]byte(many(maxJSONNames + 1))); p != tooManyNames {
		t.Errorf("%d names: %v", maxJSONNames+1, p)
	}
}
