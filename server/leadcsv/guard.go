package leadcsv

import "strings"

// Formula-injection guard; see the package comment. Only the text cells
// (external_id, name, phone, email, notes, the seller's name) pass through
// it: numbers and enumerations are written by us and can never start a
// formula.

// formulaRisky reports whether a spreadsheet could run s as a formula once
// any leading apostrophes are removed. Looking past the apostrophes is what
// makes escapeFormula and unescapeFormula exact inverses. Leading spaces
// are looked past too: a spreadsheet set to trim them on import (as
// LibreOffice can be) would otherwise see the formula they hide; and so are
// quotes (see pieceRisky).
func formulaRisky(s string) bool {
	if pieceRisky(s) {
		return true
	}
	s = strings.TrimLeft(s, "' ")
	// A line break is no trigger itself, but a CSV reader folds a leading
	// CR LF to LF: without this, a guarded "\r\n=..." would keep its
	// apostrophe.
	return s != "" && (s[0] == '\r' || s[0] == '\n')
}

// pieceRisky is formulaRisky for a piece of a cell (see cellBreaks). A line
// break there only starts another piece, judged on its own; so a CR LF
// folded to LF changes nothing. Quotes are looked past as well: a piece
// that starts with one is read as a quoted cell, whose value can still be
// a formula.
func pieceRisky(s string) bool {
	s = strings.TrimLeft(s, "' \"")
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t':
		return true
	}
	return false
}

// cellBreaks are where a spreadsheet that reads the file with the other
// delimiter (a comma file opened where ';' separates lists, as in Portugal,
// or the reverse) starts a new cell inside one of ours: it does not see our
// quotes then, which begin in the middle of its cells, so it splits at that
// delimiter and starts a new row at a line break. What follows each is
// guarded as the start of a cell is. Both delimiters count in both formats,
// so that a file saved again with the other one (a spreadsheet's "save as
// CSV") still reads back exactly. A tab counts too: a spreadsheet's import
// dialog offers it as a delimiter, and notes may hold one.
const cellBreaks = delimiters + "\t\r\n"

// delimiters are the two formats' cell delimiters.
const delimiters = ",;"

// escapeFormula is applied on export to a text cell: an apostrophe goes
// before the cell, and after each of its cell breaks, where what follows is
// risky.
func escapeFormula(s string) string {
	if formulaRisky(s) {
		s = "'" + s
	}
	return mendPieces(s, true)
}

// unescapeFormula is applied on import, before trimming, and undoes
// escapeFormula exactly. A hand-made file's '+351 ... (as a spreadsheet
// saves a phone number typed as text) loses its apostrophe too, which is
// what the user meant.
func unescapeFormula(s string) string {
	if len(s) > 1 && s[0] == '\'' && formulaRisky(s) {
		s = s[1:]
	}
	return mendPieces(s, false)
}

// mendPieces adds (escape) or removes one apostrophe at the start of each
// piece of s after a cell break that would be risky without it.
func mendPieces(s string, escape bool) string {
	if !strings.ContainsAny(s, cellBreaks) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for {
		i := strings.IndexAny(s, cellBreaks)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i+1])
		s = s[i+1:]
		switch {
		case escape && pieceRisky(s):
			b.WriteByte('\'')
		case !escape && len(s) > 1 && s[0] == '\'' && pieceRisky(s):
			s = s[1:]
		}
	}
}
