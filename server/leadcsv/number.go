package leadcsv

import "strings"

// plainDecimal returns t (trimmed, not empty) in the form strconv reads,
// or false when t is not a decimal number as people and spreadsheets write
// one: an optional sign, digits with at most one decimal separator, an
// optional exponent. strconv alone would also take Go's own forms
// (0x1p3, 1_000, Inf, NaN), which no spreadsheet means. When decimalComma
// is set (a ';' file, where a comma cannot be the delimiter: European
// spreadsheets write 4,857) the separator may be a comma.
func plainDecimal(t string, decimalComma bool) (string, bool) {
	i := 0
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(t) && isDigit(t[i]); i++ {
		digits++
	}
	sep := -1
	if i < len(t) && (t[i] == '.' || t[i] == ',' && decimalComma) {
		sep = i
		for i++; i < len(t) && isDigit(t[i]); i++ {
			digits++
		}
	}
	if digits == 0 {
		return "", false
	}
	if i < len(t) && (t[i] == 'e' || t[i] == 'E') {
		i++
		if i < len(t) && (t[i] == '+' || t[i] == '-') {
			i++
		}
		exp := 0
		for ; i < len(t) && isDigit(t[i]); i++ {
			exp++
		}
		if exp == 0 {
			return "", false
		}
	}
	if i != len(t) {
		return "", false
	}
	if sep >= 0 && t[sep] == ',' {
		t = t[:sep] + "." + t[sep+1:]
	}
	return t, true
}

// wholeDecimal returns t without a fraction of one or two zeros ("52.0",
// as pandas writes a whole-number column that has empty cells, is 52), or
// t as it is. Three zeros are left, and so refused: "1.000" is a thousand
// in much of Europe.
func wholeDecimal(t string, decimalComma bool) string {
	seps := "."
	if decimalComma {
		seps = ".,"
	}
	i := strings.IndexAny(t, seps)
	if i < 0 || len(t)-i-1 > 2 || strings.Trim(t[i+1:], "0") != "" {
		return t
	}
	return t[:i]
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }
