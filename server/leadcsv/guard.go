package leadcsv

import "strings"

// Formula-injection guard; see the package comment. Only the text cells
// (external_id, name, phone, email, notes) pass through it: numbers and
// enumerations are written by us and can never start a formula.

// formulaRisky reports whether a spreadsheet could run s as a formula once
// any leading apostrophes are removed. Looking past the apostrophes is what
// makes escapeFormula and unescapeFormula exact inverses. Leading spaces
// are looked past too: a spreadsheet set to trim them on import (as
// LibreOffice can be) would otherwise see the formula they hide.
func formulaRisky(s string) bool {
	s = strings.TrimLeft(s, "' ")
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	case '\n':
		// Not a trigger itself, but a CSV reader folds a leading CR LF to
		// LF: without this, a guarded "\r\n..." would keep its apostrophe.
		return true
	}
	return false
}

// escapeFormula is applied on export.
func escapeFormula(s string) string {
	if formulaRisky(s) {
		return "'" + s
	}
	return s
}

// unescapeFormula is applied on import, before trimming. A hand-made file's
// '+351 ... (as a spreadsheet saves a phone number typed as text) loses its
// apostrophe too, which is what the user meant.
func unescapeFormula(s string) string {
	if len(s) > 1 && s[0] == '\'' && formulaRisky(s) {
		return s[1:]
	}
	return s
}
