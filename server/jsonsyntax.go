package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// jsonSyntaxDetail is the detail of a body the validator's decoder
// (encoding/json) could not read: where, by line and column, and what is
// wrong in the words of someone writing JSON by hand, which the decoder's
// ("invalid character '}' looking for beginning of value") are not. err is
// the decoder's error and body the bytes it read. A complaint it has no
// words for keeps the decoder's, with the character named as it was sent.
func jsonSyntaxDetail(err error, body []byte) string {
	const prefix = "the request body is not valid JSON"
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return prefix + ": the JSON ends before it is complete" + unclosed(body)
	case errors.As(err, &se) && se.Offset > 0 && se.Offset <= int64(len(body)):
		at := int(se.Offset) - 1 // the offset counts the offending byte
		line, col := lineColumn(body, at)
		return fmt.Sprintf("%s at line %d, column %d: %s", prefix, line, col, syntaxWords(se.Error(), body, at))
	case err != nil:
		return prefix + ": " + firstLine(err.Error())
	}
	return prefix
}

// syntaxWords says in words what the decoder's msg says of the character
// at body[at], or returns msg with that character named as sent: the
// decoder names a byte, which garbles any character past ASCII ('â' for
// the first byte of “).
func syntaxWords(msg string, body []byte, at int) string {
	c := body[at]
	r, size := utf8.DecodeRune(body[at:])
	if c >= utf8.RuneSelf {
		msg = renameCharacter(msg, body[at:at+size])
	}
	prev := byte(0) // the last byte before c that is not white space
	for i := at - 1; i >= 0; i-- {
		if !isJSONSpace(body[i]) {
			prev = body[i]
			break
		}
	}
	closer := c == '}' || c == ']'
	word := r != utf8.RuneError && unicode.IsLetter(r)
	opening := strings.HasSuffix(msg, "looking for beginning of value") ||
		strings.HasSuffix(msg, "looking for beginning of object key string")
	switch {
	case opening && c == '\'':
		return `names and strings take double quotes ("), not single ones`
	case opening && strings.ContainsRune(curlyQuotes, r):
		return `names and strings take straight double quotes ("), not curly ones`
	case opening && strings.ContainsRune(angleQuotes, r):
		return `names and strings take double quotes ("), not angle quotes (« »)`
	case strings.HasSuffix(msg, "looking for beginning of value") && closer && prev == ',':
		return fmt.Sprintf("a comma before '%c' has no value after it", c)
	case strings.HasSuffix(msg, "looking for beginning of value") && closer:
		return fmt.Sprintf("a value is missing before '%c'", c)
	case strings.HasSuffix(msg, "looking for beginning of value") && word:
		return "text takes double quotes; only true, false and null go without them"
	case strings.HasSuffix(msg, "looking for beginning of object key string") && c == '}':
		return "a comma before '}' has no field after it"
	case strings.HasSuffix(msg, "looking for beginning of object key string"):
		return `a field name must be in double quotes, such as {"name": "Ana"}`
	case strings.HasSuffix(msg, "after object key"):
		return "a colon (:) is missing after the field name"
	case strings.HasSuffix(msg, "after object key:value pair"):
		return "a comma or '}' is missing after a value"
	case strings.HasSuffix(msg, "after array element"):
		return "a comma or ']' is missing after an array item"
	case strings.HasSuffix(msg, "in string literal"):
		return `a string holds a control character such as a tab or a line break: write it escaped (\t, \n)`
	case strings.HasSuffix(msg, "in string escape code"):
		return `a string has a backslash that starts no escape: write a backslash itself as \\`
	case strings.Contains(msg, "in literal "):
		return "true, false and null are written in full, in lower case"
	case strings.Contains(msg, "numeric literal"):
		return "a number is malformed: write it as 12, -3.5 or 1e6"
	}
	return msg
}

// The quotes that word processors and phone keyboards put in place of a
// typed ", which JSON does not take.
const (
	curlyQuotes = "“”„‟‘’‚‛"
	angleQuotes = "«»‹›"
)

// renameCharacter puts ch, the character (or invalid byte) the decoder
// complains of, in place of the byte that msg ("invalid character 'Ã'
// looking for beginning of value") names: 'é', or escaped when it does not
// show ('\u00a0', '\xff').
func renameCharacter(msg string, ch []byte) string {
	rest, ok := strings.CutPrefix(msg, "invalid character '")
	_, after, found := strings.Cut(rest, "' ")
	if !ok || !found {
		return msg
	}
	q := strconv.Quote(string(ch))
	return "invalid character '" + q[1:len(q)-1] + "' " + after
}

// unclosed says what a JSON text that ends too soon leaves open, as
// ": …", or "" when that cannot be told.
func unclosed(body []byte) string {
	var open []byte
	inString := false
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case inString && c == '\\':
			i++
		case c == '"':
			inString = !inString
		case inString:
		case c == '{' || c == '[':
			open = append(open, c)
		case (c == '}' || c == ']') && len(open) > 0:
			open = open[:len(open)-1]
		}
	}
	switch {
	case inString:
		return `: a string is not closed with "`
	case len(open) == 0:
		return ""
	case open[len(open)-1] == '{':
		return ": an object is not closed with '}'"
	}
	return ": an array is not closed with ']'"
}

// lineColumn returns the 1-based line and column (in characters) of
// body[at].
func lineColumn(body []byte, at int) (line, col int) {
	before := body[:at]
	start := bytes.LastIndexByte(before, '\n') + 1
	return bytes.Count(before, []byte{'\n'}) + 1, utf8.RuneCount(before[start:]) + 1
}
