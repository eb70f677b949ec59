package leadcsv

import (
	"fmt"
	"strings"
)

// Reading a file's header: which column each cell names, and why a header
// that names none, or names one twice, is refused.

// startsWithColumnName reports whether a normalised header name is a
// column's name with more after it, as the last header cell run into the
// first cell of the next line is ("ageAna"). UCI's one-letter y is left
// out: too many words start with it.
func startsWithColumnName(name string) bool {
	for known := range headerNames {
		if len(known) > 1 && len(name) > len(known) && strings.HasPrefix(name, known) {
			return true
		}
	}
	return false
}

// lostLineBreaks is the hint for a header refused in a file without a line
// break.
const lostLineBreaks = "if the file's line breaks were lost on the way (curl --data drops them), send it with --data-binary"

// parseHeader maps header cells to columns, refusing the whole header on the
// first kind of problem found.
func parseHeader(header []string, oneLine bool) ([]column, error) {
	cols := make([]column, len(header))
	var seenAt [numColumns]int // 1-based index of the column's first cell
	var unknown []string
	firstUnknown := ""
	runIn := false // an unknown cell that starts with a column's name: a header run into a row?
	hasLead := false
	unnamed := 0
	for i, cell := range header {
		name := normaliseHeaderName(cell)
		if name == "" {
			// A spreadsheet's trailing separator, or an empty column:
			// its cells must be empty (see decode).
			cols[i] = colUnnamed
			unnamed++
			continue
		}
		c, ok := headerNames[name]
		if !ok {
			if unknown == nil {
				firstUnknown = cell
			}
			runIn = runIn || oneLine && startsWithColumnName(name)
			unknown = append(unknown, quote(cell))
			continue
		}
		if j := seenAt[c]; j != 0 {
			return nil, &HeaderError{Column: cell, Message: fmt.Sprintf(
				"column %s repeats column %s (both are %s)", quote(cell), quote(header[j-1]), columns[c].api)}
		}
		seenAt[c] = i + 1
		cols[i] = c
		hasLead = hasLead || c == colName || c.isScoringInput()
	}
	if len(unknown) > 0 {
		// The first few: a file of thousands of columns (a transposed
		// sheet, say) needs no answer of hundreds of kilobytes.
		listed := strings.Join(unknown[:min(len(unknown), 20)], ", ")
		if len(unknown) > 20 {
			listed += fmt.Sprintf(" and %d more", len(unknown)-20)
		}
		msg := "unknown column " + listed
		if len(unknown) > 1 {
			msg = "unknown columns " + listed
		}
		cr := strings.Contains(firstUnknown, "\r")
		if len(header) == 1 && !cr {
			msg += "; columns must be separated by ';' or ','"
		}
		if cr {
			// The csv package ends lines at LF only: a file saved with CR
			// alone (classic Mac) is one long header.
			msg += "; lines must end in LF or CRLF, not CR alone (as some older spreadsheets save them)"
		}
		if runIn && len(unknown) > 1 {
			msg += "; the file has no line break: " + lostLineBreaks
		}
		msg += "; known columns are " + knownColumns
		return nil, &HeaderError{Column: firstUnknown, Message: msg}
	}
	// id and assigned_to are read past in an export, known by its version
	// or assigned_to_name column (a user may drop the version to skip its
	// check). In another file they are its own: a CRM's lead id (which
	// belongs in external_id, or every import of the file would add the
	// leads again) or a seller, which an import does not set; dropping
	// them without a word would surprise.
	export := seenAt[colVersion] != 0 || seenAt[colAssignedToName] != 0
	// An export's rows find their leads by external_id: without it, every
	// row would be imported as a new lead, a copy of the one it came from.
	if export && seenAt[colExternalID] == 0 {
		return nil, &HeaderError{Column: "external_id", Message: "an export's rows are matched to their leads by its external_id column, " +
			"which this file lacks: put it back, or every row would be imported again as a new lead"}
	}
	if !export {
		for _, c := range []column{colID, colAssignedTo} {
			if j := seenAt[c]; j != 0 {
				return nil, &HeaderError{Column: header[j-1], Message: fmt.Sprintf(
					"column %s is read only in an export (a file with its version or assigned_to_name column): a file's own lead ids go in external_id, and an import does not assign leads",
					quote(header[j-1]))}
			}
		}
	}
	// external_id with any other column updates the leads it names (say
	// external_id,status to close them); a row naming none is a new lead.
	// The score columns, ignored, and the version, a check, do not count.
	other := len(header) - 1 - unnamed
	for c := range numExportColumns {
		if (columns[c].kind == kindReadOnly || columns[c].kind == kindVersion) && seenAt[c] > 0 {
			other--
		}
	}
	if !hasLead && !(seenAt[colExternalID] > 0 && other > 0) {
		return nil, &HeaderError{Message: "no lead column: a file needs name, at least one scoring input (age, job, ...), or external_id with another column than version and those an export writes for reading only (" + readOnlyColumns + "), which an import ignores"}
	}
	return cols, nil
}

// knownColumns lists the API names for header error messages; the UCI
// spellings are accepted too and documented elsewhere.
var knownColumns = func() string {
	names := make([]string, 0, numColumns)
	for c := range numColumns {
		names = append(names, columns[c].api)
	}
	return strings.Join(names, ", ") + " (or the UCI names)"
}()

// readOnlyColumns lists the columns an export writes and an import reads
// past.
var readOnlyColumns = func() string {
	var names []string
	for c := range numExportColumns {
		if columns[c].kind == kindReadOnly {
			names = append(names, columns[c].api)
		}
	}
	return strings.Join(names, ", ")
}()
