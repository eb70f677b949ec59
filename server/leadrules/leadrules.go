// Package leadrules holds the rules for changing a lead (README, Leads), as
// pure functions with no HTTP or SQL: the status workflow, who may edit,
// claim, assign or log contacts on a lead, and the form in which the API and
// the CSV import both store free text (notes, external ids) and read a
// search. What makes a name or a phone acceptable is package textrules.
//
// Workflow: new -> contacted | follow_up | success | failed;
// contacted <-> follow_up; contacted | follow_up -> success | failed;
// success and failed are final, except that an admin may reopen either to
// follow_up. Setting the current status again is not a transition.
//
// Ownership: admins may do anything. A sales user may change (or log a
// contact on) a lead only when it is assigned to them, or claim an
// unassigned one, and may then change anything else in the same request.
// They may unassign their own lead, but never assign a lead to someone else.
// Once a lead is closed, only an admin may change its assignee: it decides
// whose win or loss the lead counts as.
//
// Refusals are *apperr.Error values: 403 for ownership, 422 with
// AllowedNextStates for a transition outside the workflow.
package leadrules

import (
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/jmksales/jmk/server/apperr"
)

// Lead statuses.
const (
	New       = "new"
	Contacted = "contacted"
	FollowUp  = "follow_up"
	Success   = "success"
	Failed    = "failed"
)

// Statuses lists every status in workflow order.
var Statuses = []string{New, Contacted, FollowUp, Success, Failed}

var next = map[string][]string{
	New:       {Contacted, FollowUp, Success, Failed},
	Contacted: {FollowUp, Success, Failed},
	FollowUp:  {Contacted, Success, Failed},
	Success:   {},
	Failed:    {},
}

// Closed reports whether a status ends the lead's life (success or failed).
func Closed(status string) bool { return status == Success || status == Failed }

// AllowedNext returns the statuses a lead in status from may move to; admin
// adds the reopening of a closed lead. Never nil.
func AllowedNext(from string, admin bool) []string {
	out := slices.Clone(next[from])
	if out == nil {
		out = []string{}
	}
	if admin && Closed(from) {
		out = append(out, FollowUp)
	}
	return out
}

// CheckTransition returns nil when from -> to is allowed (or from == to),
// else a 422 listing the allowed next states.
func CheckTransition(from, to string, admin bool) error {
	if from == to {
		return nil
	}
	allowed := AllowedNext(from, admin)
	if slices.Contains(allowed, to) {
		return nil
	}
	detail := "a lead cannot move from " + from + " to " + to
	if Closed(from) {
		if admin {
			detail += ": a closed lead can only be reopened to follow_up"
		} else {
			detail += ": " + from + " is final (only an admin can reopen it)"
		}
	}
	return &apperr.Error{Status: http.StatusUnprocessableEntity, Err: apperr.ErrInvalid, Detail: detail, AllowedNextStates: allowed,
		Fields: []apperr.FieldError{{Field: "status", Message: detail}}}
}

// Caller is who asks for a change.
type Caller struct {
	UserID uuid.UUID
	Admin  bool
}

// Assign is the assignment part of a change: absent (Set false), clear (Set
// with a nil To), or a user.
type Assign struct {
	Set bool
	To  *uuid.UUID
}

// CheckEdit returns nil when c may apply a change with assignment a to a
// lead currently assigned to current (nil: unassigned) whose status goes
// from from to to (the same when unchanged), else a 403.
// It covers editing fields, changing status, claiming and (un)assigning.
func CheckEdit(c Caller, current *uuid.UUID, from, to string, a Assign) error {
	if c.Admin {
		return nil
	}
	if a.Set && a.To != nil && *a.To != c.UserID {
		return apperr.Forbidden("a sales user may only assign a lead to themselves")
	}
	// A closed lead counts as a win or a loss for its assignee (the
	// leaderboard), so a sales user may not move that credit: claim a
	// closed lead, or unassign one they close or have closed.
	if a.Set && a.To == nil && current != nil && Closed(to) {
		return apperr.Forbidden("a closed lead stays with its seller: only an admin can unassign it")
	}
	if a.Set && a.To != nil && (current == nil || *current != *a.To) && Closed(from) {
		return apperr.Forbidden("a closed lead cannot be claimed: only an admin can assign it")
	}
	switch {
	case current != nil && *current == c.UserID:
		return nil // their own lead: edit, keep, or unassign
	case current != nil:
		return apperr.Forbidden("this lead is assigned to another sales user")
	case a.Set && a.To != nil: // unassigned and claimed in this request
		return nil
	}
	return apperr.Forbidden(`this lead is unassigned: claim it first (assigned_to: "me")`)
}

// CheckLog returns nil when c may log a contact on a lead assigned to
// current, else a 403. Logging does not claim: a sales user must be the
// lead's assignee.
func CheckLog(c Caller, current *uuid.UUID) error {
	if c.Admin || (current != nil && *current == c.UserID) {
		return nil
	}
	if current == nil {
		return apperr.Forbidden(`this lead is unassigned: claim it (assigned_to: "me") before logging contacts`)
	}
	return apperr.Forbidden("this lead is assigned to another sales user")
}

// AfterContact is the status a logged contact leaves a lead in: a new lead
// has been contacted; any other keeps its status (a note is no contact).
func AfterContact(status string) string {
	if status == New {
		return Contacted
	}
	return status
}

// CheckCreate returns nil when c may create a lead assigned to a (absent
// means the caller's default) with an external id or not, else a 403. An
// external id is an admin's to give: the next import naming it updates
// the lead, so a seller could otherwise take a row of a file before it is
// imported, and its outcome as their win.
func CheckCreate(c Caller, a Assign, externalID bool) error {
	switch {
	case c.Admin:
		return nil
	case externalID:
		return apperr.Forbidden("only an admin may set external_id: it ties the lead to the rows of imports, which would update it")
	case a.Set && a.To != nil && *a.To != c.UserID:
		return apperr.Forbidden("a sales user may only assign a lead to themselves")
	}
	return nil
}

// Notes is a lead's notes as they are stored: each line end of one or more
// CRs and an LF as LF. A CSV reader takes a CR LF inside a quoted cell as
// LF, so notes stored with CR LF (as a form's text area may send them) came
// back changed from an export and its re-import.
func Notes(s string) string { return crLF.ReplaceAllString(s, "\n") }

var crLF = regexp.MustCompile("\r+\n")

// ExternalID is an external id as it is stored: one in the form of a UUID
// in lower case, since a UUID's case means nothing and an export names a
// lead without an external id by its id in lower case; any other as given.
func ExternalID(s string) string {
	if IsLeadID(s) {
		return strings.ToLower(s)
	}
	return s
}

// IsLeadID reports whether an external id has the form of a lead's id (a
// UUID, 36 characters with its hyphens), as an export writes the external
// id of a lead that has none (import_id_ref in SQL reads the same form).
func IsLeadID(s string) bool {
	if len(s) != 36 {
		return false
	}
	_, err := uuid.Parse(s)
	return err == nil
}

// SearchDigits returns the digits of a search q made only of phone
// characters (digits, spaces and + ( ) - .) with at least three digits, and
// true; such a q is searched by its digits, as the search text holds a
// phone's digits alone. Any other q is searched as it is.
func SearchDigits(q string) (string, bool) {
	var digits []byte
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			digits = append(digits, byte(r))
		case !strings.ContainsRune(" +()-.", r):
			return "", false
		}
	}
	return string(digits), len(digits) >= 3
}

// SearchQuery trims a search q and says what is wrong with it, or returns
// "" as its problem: it must have at least 3 characters (spaces around it
// aside), and it must give the trigram index something to look up (see
// searchable).
func SearchQuery(q string) (string, string) {
	s := strings.TrimSpace(q)
	switch {
	case strings.ContainsFunc(s, unicode.IsControl):
		// The search text joins a lead's name, phone and e-mail with one
		// (schema/00027): a q holding it would match across them.
		return s, "must not contain control characters (tabs, line breaks)"
	case utf8.RuneCountInString(s) < 3:
		return s, "must have at least 3 characters, leading and trailing spaces aside"
	case !searchable(s):
		return s, searchProblem
	}
	return s, ""
}

// searchProblem is what SearchQuery says of a q that is not searchable.
const searchProblem = "must hold letters or digits the search index can look up: a word of 3, or of 2 next to a space or punctuation, not single letters, punctuation or accents alone"

// searchable reports whether the LIKE pattern %q% (after search_fold, which
// lowers case and strips Latin accents) yields a trigram of two word
// characters or more, as pg_trgm takes them: from each word (a run of
// letters, digits or marks), padded with two spaces where another character
// precedes it in q and one where another follows. A word of 3 has one
// inside it; a word of 2 needs a neighbour (" ab", "ab "). One letter gives
// at most "  s", which every word starting with s shares: the index then
// hands back most of the table (q=x b, a.b). Without such a trigram every
// lead would be tested: !!!, three combining accents, modifier letters
// (U+02BC folds to an apostrophe).
func searchable(q string) bool {
	if _, ok := SearchDigits(q); ok {
		return true
	}
	word, padded := 0, false // the current word's length, and whether a character precedes it
	for _, r := range q {
		switch {
		case r >= '\u0300' && r <= '\u036F': // a Latin accent: folded away
		case isWordRune(r):
			word++
		default:
			if word >= 2 { // "ab " at least
				return true
			}
			word, padded = 0, true
		}
	}
	return word >= 3 || word == 2 && padded
}

func isWordRune(r rune) bool {
	return unicode.IsDigit(r) || unicode.IsMark(r) || unicode.IsLetter(r) && !unicode.Is(unicode.Lm, r)
}
