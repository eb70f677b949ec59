package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// A body that is not JSON is told where and what is wrong, in the words
// of someone writing JSON by hand, from what encoding/json (the
// validator's decoder) reports.
func TestJSONSyntaxDetail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body, want string }{
		{"MissingValue", `{"name":}`, "at line 1, column 9: a value is missing before '}'"},
		{"SingleQuotes", `{'name':'x'}`, `at line 1, column 2: names and strings take double quotes ("), not single ones`},
		{"SingleQuotedValue", `{"name": 'x'}`, `at line 1, column 10: names and strings take double quotes ("), not single ones`},
		{"CutShort", `{"name": "A"`, ": the JSON ends before it is complete: an object is not closed with '}'"},
		{"CutShortInString", `{"name": "A`, `: the JSON ends before it is complete: a string is not closed with "`},
		{"CutShortInArray", `[1, 2`, ": the JSON ends before it is complete: an array is not closed with ']'"},
		{"CutShortWord", `nul`, ": the JSON ends before it is complete"},
		{"TrailingCommaObject", `{"name": "A",}`, "at line 1, column 14: a comma before '}' has no field after it"},
		{"TrailingCommaArray", `[1,]`, "at line 1, column 4: a comma before ']' has no value after it"},
		{"UnquotedName", `{name: "A"}`, `at line 1, column 2: a field name must be in double quotes, such as {"name": "Ana"}`},
		{"MissingColon", `{"name" "A"}`, "at line 1, column 9: a colon (:) is missing after the field name"},
		{"MissingComma", `{"name": "A" "age": 30}`, "at line 1, column 14: a comma or '}' is missing after a value"},
		{"MissingCommaArray", `[1 2]`, "at line 1, column 4: a comma or ']' is missing after an array item"},
		{"BareWord", `{"age": NaN}`, "at line 1, column 9: text takes double quotes; only true, false and null go without them"},
		{"Misspelt", `{"a": tru}`, "at line 1, column 10: true, false and null are written in full, in lower case"},
		{"Number", `{"age": 4.}`, "at line 1, column 11: a number is malformed: write it as 12, -3.5 or 1e6"},
		{"ControlInString", "{\"notes\": \"a\tb\"}", `at line 1, column 13: a string holds a control character such as a tab or a line break: write it escaped (\t, \n)`},
		{"BadEscape", `{"notes": "C:\dir"}`, `at line 1, column 15: a string has a backslash that starts no escape: write a backslash itself as \\`},
		// Characters past ASCII, as typed, not as the decoder's first byte.
		{"CurlyQuotes", `{"name": “Ana”}`, `at line 1, column 10: names and strings take straight double quotes ("), not curly ones`},
		{"CurlyQuotedName", `{“name”: "Ana"}`, `at line 1, column 2: names and strings take straight double quotes ("), not curly ones`},
		{"CurlySingleQuotes", `{"name": ‘Ana’}`, `at line 1, column 10: names and strings take straight double quotes ("), not curly ones`},
		{"LowQuotes", `{"name": „Ana“}`, `at line 1, column 10: names and strings take straight double quotes ("), not curly ones`},
		{"AngleQuotes", `{"name": «Ana»}`, `at line 1, column 10: names and strings take double quotes ("), not angle quotes (« »)`},
		{"BareWordAccented", `{"name": Ágata}`, "at line 1, column 10: text takes double quotes; only true, false and null go without them"},
		{"Symbol", `{"price": €5}`, "at line 1, column 11: invalid character '€' looking for beginning of value"},
		{"NoBreakSpace", "{\"a\": \u00a0 1}", `at line 1, column 7: invalid character '\u00a0' looking for beginning of value`},
		{"NotUTF8", "{\"a\": \xff}", `at line 1, column 7: invalid character '\xff' looking for beginning of value`},
		{"AccentAfterValue", `{"a": "x" é}`, "at line 1, column 11: a comma or '}' is missing after a value"},
		// Lines and columns as an editor counts them: in characters.
		{"SecondLine", "{\n  \"name\": \"Ana Sá\",\n  \"age\": \n}", "at line 4, column 1: a value is missing before '}'"},
		{"Characters", `{"name": "Sá" "age": 1}`, "at line 1, column 15: a comma or '}' is missing after a value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dec := json.NewDecoder(bytes.NewReader([]byte(tc.body)))
			dec.UseNumber()
			var v any
			err := dec.Decode(&v)
			if err == nil {
				t.Fatalf("%s decodes", tc.body)
			}
			want := "the request body is not valid JSON " + tc.want
			if tc.want[0] == ':' {
				want = "the request body is not valid JSON" + tc.want
			}
			if got := jsonSyntaxDetail(err, []byte(tc.body)); got != want {
				t.Errorf("%s:\n got %q\nwant %q", tc.body, got, want)
			}
		})
	}
	// What it has no words for, it says as the decoder does.
	if got := jsonSyntaxDetail(errors.New("some other failure"), nil); got != "the request body is not valid JSON: some other failure" {
		t.Errorf("another error: %q", got)
	}
	if got := syntaxWords("invalid character 'x' somewhere new", []byte("x"), 0); got != "invalid character 'x' somewhere new" {
		t.Errorf("unknown complaint: %q", got)
	}
	if got := syntaxWords("invalid character 'Ã' somewhere new", []byte("é"), 0); got != "invalid character 'é' somewhere new" {
		t.Errorf("unknown complaint of a character past ASCII: %q", got)
	}
}
