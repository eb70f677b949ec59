// Package leadcsv reads and writes lead CSV files: the body of
// POST /leads/import and `jmk import`, and the output of GET /leads/export and
// `jmk export`. It is pure: no SQL, HTTP or clock, only encoding/csv.
//
// # Reading
//
// A file is a header line and one lead per row. The delimiter is ';' or ',',
// chosen by counting both in the header line, so the UCI Bank Marketing file
// imports exactly as published ("age";"job";...;"y") and so does a plain
// comma CSV, quoted or not. A UTF-8 byte order mark is skipped.
//
// Header names are matched case-insensitively after trimming spaces. Every
// scoring input may be named as in UCI (default, emp.var.rate, pdays, ...) or
// as in our API (credit_default, emp_var_rate, days_since_previous_contact,
// ...), so an export re-imports. The optional columns are external_id, name,
// phone, email, status, notes and UCI's outcome y; an export's read-only
// columns (probability, category, assigned_to_name, contact_count,
// last_contacted_at, created_at, closed_at, id, assigned_to) are read past, whatever they
// hold, and its version column is read into Row.Version for the importer to
// check against the lead. The header is checked as a whole before any row: an unknown or
// duplicate column (two spellings of one field count as a duplicate), or a
// file with neither a name nor a scoring input, is a *HeaderError and
// nothing is imported.
//
// Values are trimmed and matched case-insensitively. UCI spellings map to API
// values (blue-collar -> blue_collar, admin. -> admin, basic.4y -> basic_4y,
// high.school -> high_school, nonexistent -> none, ...) and API spellings are
// accepted as they are. pdays = 999 ("never contacted") becomes a nil
// days_since_previous_contact, like an empty cell. "unknown" stays "unknown"
// where the enumeration has that level; for contact_channel,
// last_contact_month, last_contact_weekday and previous_outcome, which have no
// such level, it is read as missing (nil). An empty cell is always nil.
//
// A row with any invalid value is rejected with all its problems
// ([]Rejection: physical line, API field name, message) and the import goes
// on with the next row. Only content that makes the rest of the file
// unusable stops reading: binary input (a NUL byte), a record over
// MaxRecordBytes, or too many rejected rows (over Options.MaxRejectedRows, or
// more than half of the first 1000 rows, which means the wrong file). Those
// are a *FileError, and the caller must then write nothing.
//
// Reading streams: memory stays bounded by one record whatever the file size.
//
// # Writing
//
// Writer produces a CSV with the API names as header, in one of two
// Formats: commas and decimal points (FormatCSV), or, for a spreadsheet
// whose decimal mark is a comma, ';', decimal commas and a byte order mark
// (FormatExcel). Its columns: external_id,
// name, phone, email, status, notes, the 20 scoring inputs in API order, and
// for people to read (an import ignores them) the lead's probability and
// category, its seller's name, contact count, last contact, creation and
// closing times; last, its version.
// external_id is the lead's external id, or its id when it has none, so
// re-importing an export updates the same leads instead of duplicating them.
// Numbers are written so they read back bit for bit; a nil value is an empty
// cell, including days_since_previous_contact (never contacted).
//
// # Formula injection
//
// A spreadsheet runs a cell that starts with = + - @ tab or CR as a formula.
// The writer therefore prefixes such text cells (external_id, name, phone,
// email, notes) with an apostrophe, which spreadsheets hide and which forces
// text; a leading LF counts too, since CSV readers fold CR LF to LF. The
// reader strips one leading apostrophe from a text cell that would
// still be risky without it, so the round trip is exact. Risk is decided
// after any leading apostrophes, which makes the two steps inverse for every
// value:
//
//	stored   written   read back
//	=1       '=1       =1
//	'=1      ''=1      '=1
//	'abc     'abc      'abc
//
// A spreadsheet set for the other format's delimiter (a comma file opened
// where ';' separates lists, as in Portugal, or an excel file where ','
// does) splits our cells at that delimiter and starts a row at each line
// break, since our quotes then begin in the middle of its cells. What
// follows a ',' or ';', a tab (a file read as tab-separated) or a line
// break inside a text cell is guarded the same way, in both formats: a note "ok;=1+1" is written "ok;'=1+1", and a
// line "- call back" after the first as "'- call back". The reader undoes
// it, again exactly, whichever delimiter the file has (one saved again with
// the other delimiter included). The apostrophes show where the file is
// read otherwise. Text cells holding either delimiter are quoted in both
// formats, for a spreadsheet told to split at both.
package leadcsv
